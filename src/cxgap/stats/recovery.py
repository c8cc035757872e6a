r"""Service recovery measured: does calling an unhappy customer back pay?

* :func:`recovery_rate`: the share of resolved cases whose customer was recovered
  (satisfied again), with a Wilson interval.
* :func:`paired_change`: the change of the same customers' scores from before to after a
  recovery: mean change with its t interval, the paired t test and the Wilcoxon
  signed-rank test, and the standardised change :math:`d_z`.
* :func:`recovery_paradox`: the *service-recovery paradox* (McCollough, Berry & Yadav,
  2000): are recovered customers more loyal than comparable customers who never had a
  problem? Welch's test of the difference, optionally within strata of comparable
  customers (segment, region, tenure band), combined with the recovered customers'
  stratum sizes as weights (the effect on the recovered).
* :func:`resolution_times`: time to resolution per team as Kaplan-Meier curves, cases
  still open counted as censored, medians with intervals and the log-rank test.
* :func:`holdout_effect`: the effect of contacting customers, estimated without bias
  from a randomised hold-out (cases left uncontacted by design): the difference of a later
  outcome (loyalty score, or churn as 0/1) between contacted and held-out customers.

References: McCollough, M. A., Berry, L. L., & Yadav, M. S. (2000). An empirical
investigation of customer satisfaction after service failure and recovery. *Journal of
Service Research*, 3(2), 121-137. Kaplan, E. L., & Meier, P. (1958). Nonparametric
estimation from incomplete observations. *JASA*, 53, 457-481. Newcombe, R. G. (1998).
Interval estimation for the difference between independent proportions. *Statistics in
Medicine*, 17, 873-890 (method 10).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats as sps

from cxgap.errors import DataError
from cxgap.stats._validate import check_confidence
from cxgap.stats.loyalty import wilson_interval
from cxgap.stats.result import StatResult

__all__ = [
    "CURVE_COLUMNS",
    "HoldoutEffect",
    "PairedChange",
    "RecoveryParadox",
    "RecoveryRate",
    "ResolutionTimes",
    "holdout_effect",
    "paired_change",
    "recovery_paradox",
    "recovery_rate",
    "resolution_times",
]

CURVE_COLUMNS = ("group", "time", "at_risk", "events", "survival", "ci_low", "ci_high")
"""Columns of :attr:`ResolutionTimes.curves`: the share of cases still open after ``time``."""


def _z(confidence: float) -> float:
    return float(sps.norm.ppf(0.5 + confidence / 2))


def _numbers(data: Any, *, name: str, minimum: int) -> np.ndarray:
    values = np.asarray(data, dtype=object).ravel()
    if any(isinstance(v, bool | np.bool_) for v in values):
        raise DataError(f"{name}: booleans are not scores; allowed: numbers")
    try:
        array = np.asarray(data, dtype=float).ravel()
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name}: not numbers ({exc}); allowed: numbers") from exc
    bad = np.flatnonzero(np.isinf(array))
    if bad.size:
        raise DataError(f"{name}: row {int(bad[0]) + 1} is infinite; allowed: finite numbers")
    if np.count_nonzero(~np.isnan(array)) < minimum:
        raise DataError(
            f"{name}: {np.count_nonzero(~np.isnan(array))} non-missing values; allowed: at "
            f"least {minimum}"
        )
    return array


@dataclass(frozen=True)
class RecoveryRate(StatResult):
    """Result of :func:`recovery_rate`."""

    cases: int
    recovered: int
    rate: float
    ci_low: float
    ci_high: float
    confidence: float


def recovery_rate(recovered: int, cases: int, *, confidence: float = 0.95) -> RecoveryRate:
    """The share of ``cases`` whose customer was ``recovered``, with a Wilson interval.

    >>> recovery_rate(45, 60).rate
    0.75
    """
    check_confidence(confidence)
    for name, value in (("recovered", recovered), ("cases", cases)):
        if isinstance(value, bool) or not float(value).is_integer() or value < 0:
            raise DataError(f"{name}: got {value!r}; allowed: a whole number of at least 0")
    if cases < 1 or recovered > cases:
        raise DataError(
            f"recovered {recovered} of {cases} cases; allowed: at least 1 case and no more "
            "recovered than cases"
        )
    low, high = wilson_interval(recovered, cases, confidence=confidence)
    rate = recovered / cases
    summary = pd.DataFrame(
        [
            {
                "cases": cases,
                "recovered": recovered,
                "rate": rate,
                "ci_low": float(low),
                "ci_high": float(high),
            }
        ]
    )
    return RecoveryRate(
        summary=summary,
        cases=int(cases),
        recovered=int(recovered),
        rate=float(rate),
        ci_low=float(low),
        ci_high=float(high),
        confidence=confidence,
    )


@dataclass(frozen=True)
class PairedChange(StatResult):
    """Result of :func:`paired_change`: ``after - before`` for the same customers.

    ``wilcoxon_p`` is NaN when every change is zero (the test has nothing to rank).
    """

    n: int
    mean_before: float
    mean_after: float
    mean_change: float
    ci_low: float
    ci_high: float
    t: float
    p_value: float
    wilcoxon_p: float
    d_z: float
    confidence: float


def paired_change(before: Any, after: Any, *, confidence: float = 0.95) -> PairedChange:
    """The change of each customer's score from ``before`` to ``after`` (pairs by position).

    A pair with a missing side is left out. The interval is the t interval of the mean
    change; ``d_z`` is the mean change over the standard deviation of the changes.
    """
    check_confidence(confidence)
    b = _numbers(before, name="before", minimum=2)
    a = _numbers(after, name="after", minimum=2)
    if a.size != b.size:
        raise DataError(f"after: {a.size} values for {b.size} before; allowed: one per customer")
    keep = ~(np.isnan(a) | np.isnan(b))
    if keep.sum() < 2:
        raise DataError(f"{int(keep.sum())} complete pairs (before and after); allowed: at least 2")
    a, b = a[keep], b[keep]
    change = a - b
    n = change.size
    sd = float(change.std(ddof=1))
    mean = float(change.mean())
    if sd == 0:
        t, p, half = (math.nan, math.nan, 0.0)
        wilcoxon = math.nan
        d_z = math.nan
    else:
        se = sd / math.sqrt(n)
        t = mean / se
        p = float(2 * sps.t.sf(abs(t), n - 1))
        half = float(sps.t.ppf(0.5 + confidence / 2, n - 1)) * se
        d_z = mean / sd
        nonzero = change[change != 0]
        wilcoxon = float(sps.wilcoxon(nonzero).pvalue) if nonzero.size else math.nan
    summary = pd.DataFrame(
        [
            {
                "n": n,
                "mean_before": b.mean(),
                "mean_after": a.mean(),
                "mean_change": mean,
                "ci_low": mean - half,
                "ci_high": mean + half,
                "p_value": p,
            }
        ]
    )
    return PairedChange(
        summary=summary,
        n=n,
        mean_before=float(b.mean()),
        mean_after=float(a.mean()),
        mean_change=mean,
        ci_low=mean - half,
        ci_high=mean + half,
        t=float(t),
        p_value=float(p),
        wilcoxon_p=wilcoxon,
        d_z=float(d_z),
        confidence=confidence,
    )


ParadoxFinding = Literal["paradox", "below_reference", "no_difference"]


@dataclass(frozen=True)
class RecoveryParadox(StatResult):
    """Result of :func:`recovery_paradox`: recovered minus never-had-a-problem.

    ``finding`` is ``"paradox"`` when the recovered customers score significantly higher,
    ``"below_reference"`` when significantly lower, else ``"no_difference"``. The summary
    has one row per stratum used (``stratum`` ``None`` when no strata were given).
    """

    n_recovered: int
    n_reference: int
    difference: float
    ci_low: float
    ci_high: float
    p_value: float
    finding: ParadoxFinding
    strata_used: int
    strata_dropped: tuple[Hashable, ...]
    confidence: float


def recovery_paradox(
    recovered: Any,
    reference: Any,
    *,
    recovered_strata: Sequence[Hashable] | None = None,
    reference_strata: Sequence[Hashable] | None = None,
    confidence: float = 0.95,
) -> RecoveryParadox:
    """Are recovered customers more loyal than comparable customers without a problem?

    Without strata: Welch's two-sample test of the means. With strata (one label per
    customer on both sides): the difference within each stratum present on both sides
    with at least two customers each, combined with the recovered customers' counts as
    weights; its variance is the weighted sum of the strata's Welch variances and the
    test is a z test. Strata found on one side only are dropped and named.
    """
    check_confidence(confidence)
    r = _numbers(recovered, name="recovered", minimum=2)
    c = _numbers(reference, name="reference", minimum=2)
    if (recovered_strata is None) != (reference_strata is None):
        raise DataError("give strata for both groups or for neither")
    if recovered_strata is None or reference_strata is None:
        r_labels: np.ndarray = np.zeros(r.size, dtype=object)
        c_labels: np.ndarray = np.zeros(c.size, dtype=object)
        r_labels[:] = None
        c_labels[:] = None
    else:
        r_labels = np.asarray(list(recovered_strata), dtype=object)
        c_labels = np.asarray(list(reference_strata), dtype=object)
        for name, labels, values in (("recovered", r_labels, r), ("reference", c_labels, c)):
            if labels.size != values.size:
                raise DataError(
                    f"{name}_strata: {labels.size} labels for {values.size} customers; "
                    "allowed: one per customer"
                )
    rows = []
    dropped: list[Hashable] = []
    for stratum in dict.fromkeys([*r_labels.tolist(), *c_labels.tolist()]):
        x = r[(r_labels == stratum) if stratum is not None else slice(None)]
        y = c[(c_labels == stratum) if stratum is not None else slice(None)]
        x, y = x[~np.isnan(x)], y[~np.isnan(y)]
        if x.size < 2 or y.size < 2:
            dropped.append(stratum)
            continue
        rows.append(
            {
                "stratum": stratum,
                "n_recovered": x.size,
                "n_reference": y.size,
                "mean_recovered": x.mean(),
                "mean_reference": y.mean(),
                "difference": x.mean() - y.mean(),
                "variance": x.var(ddof=1) / x.size + y.var(ddof=1) / y.size,
                "df": _welch_df(x, y),
            }
        )
    if not rows:
        raise DataError(
            "no stratum has at least 2 customers in both groups; allowed: strata shared by "
            "recovered customers and customers without a problem"
        )
    summary = pd.DataFrame(rows)
    weights = summary["n_recovered"] / summary["n_recovered"].sum()
    difference = float((weights * summary["difference"]).sum())
    variance = float((weights**2 * summary["variance"]).sum())
    se = math.sqrt(variance)
    if len(rows) == 1:
        df = float(summary["df"].iloc[0])
        critical = float(sps.t.ppf(0.5 + confidence / 2, df)) if se > 0 else 0.0
        p = float(2 * sps.t.sf(abs(difference) / se, df)) if se > 0 else math.nan
    else:
        critical = _z(confidence)
        p = float(2 * sps.norm.sf(abs(difference) / se)) if se > 0 else math.nan
    low, high = difference - critical * se, difference + critical * se
    finding: ParadoxFinding = "no_difference"
    if low > 0:
        finding = "paradox"
    elif high < 0:
        finding = "below_reference"
    return RecoveryParadox(
        summary=summary,
        n_recovered=int(summary["n_recovered"].sum()),
        n_reference=int(summary["n_reference"].sum()),
        difference=difference,
        ci_low=low,
        ci_high=high,
        p_value=p,
        finding=finding,
        strata_used=len(rows),
        strata_dropped=tuple(dropped),
        confidence=confidence,
    )


def _welch_df(x: np.ndarray, y: np.ndarray) -> float:
    vx, vy = x.var(ddof=1) / x.size, y.var(ddof=1) / y.size
    if vx + vy == 0:
        return math.inf
    return float((vx + vy) ** 2 / (vx**2 / (x.size - 1) + vy**2 / (y.size - 1)))


@dataclass(frozen=True)
class ResolutionTimes(StatResult):
    """Result of :func:`resolution_times`.

    ``summary``: one row per group with ``n``, ``resolved``, ``open`` (censored),
    ``median`` (NaN while fewer than half are resolved) and its interval. ``curves``: the
    Kaplan-Meier curve of each group, columns :data:`CURVE_COLUMNS` (log-log intervals).
    ``logrank_p``: the log-rank test that all groups share one curve (NaN for one group).
    """

    curves: pd.DataFrame
    logrank_chi2: float
    logrank_p: float
    confidence: float


def _kaplan_meier(
    durations: np.ndarray, resolved: np.ndarray, z: float
) -> tuple[pd.DataFrame, float, float, float]:
    """The product-limit curve at each resolution time with log-log intervals, and the
    median with the interval of Brookmeyer and Crowley (1982): the times whose log-log
    test of ``S(t) = 0.5`` is not rejected, up to the next resolution time."""
    times = np.unique(durations[resolved])
    at_risk = np.array([(durations >= t).sum() for t in times])
    events = np.array([((durations == t) & resolved).sum() for t in times])
    survival = np.cumprod(1 - events / at_risk)
    with np.errstate(divide="ignore", invalid="ignore"):
        greenwood = np.cumsum(events / (at_risk * (at_risk - events)))
        log_s = np.log(survival)
        spread = z * np.sqrt(greenwood) / np.abs(log_s)
        low = survival ** np.exp(spread)
        high = survival ** np.exp(-spread)
        statistic = (
            (np.log(-np.log(survival)) - np.log(-np.log(0.5))) * np.abs(log_s) / np.sqrt(greenwood)
        )
    low = np.where(survival > 0, low, np.nan)
    high = np.where(survival > 0, high, np.nan)
    reached = np.flatnonzero(survival <= 0.5)
    median = float(times[reached[0]]) if reached.size else math.nan
    inside = np.flatnonzero(np.abs(np.nan_to_num(statistic, nan=np.inf)) <= z)
    median_low = float(times[inside[0]]) if inside.size else math.nan
    # the curve stays where it is until the next resolution time: the interval's upper end
    # is that next time (not reached when the last inside point is the last time)
    last = int(inside[-1]) + 1 if inside.size else times.size
    median_high = float(times[last]) if last < times.size else math.nan
    curve = pd.DataFrame(
        {
            "time": times,
            "at_risk": at_risk,
            "events": events,
            "survival": survival,
            "ci_low": low,
            "ci_high": high,
        }
    )
    return curve, median, median_low, median_high


def resolution_times(
    durations: Any,
    resolved: Any,
    groups: Sequence[Hashable] | None = None,
    *,
    confidence: float = 0.95,
) -> ResolutionTimes:
    """Kaplan-Meier curves of time to resolution; open cases are censored at their age.

    Args:
        durations: working time from opening to resolution (resolved cases) or to now
            (open cases), in any one unit; at least 0.
        resolved: 1/True for a resolved case, 0/False for a case still open.
        groups: a team (or any group) per case; all cases form one group when ``None``.
    """
    check_confidence(confidence)
    t = _numbers(durations, name="durations", minimum=1)
    if np.isnan(t).any() or (t < 0).any():
        raise DataError("durations: every case needs a time of at least 0; none missing")
    flags = np.asarray(resolved).ravel()
    if flags.size != t.size or not np.isin(flags, [0, 1]).all():
        raise DataError(
            f"resolved: {flags.size} values for {t.size} cases; allowed: one 0/1 per case"
        )
    done = flags.astype(bool)
    labels = np.asarray(list(groups) if groups is not None else ["all"] * t.size, dtype=object)
    if labels.size != t.size:
        raise DataError(f"groups: {labels.size} labels for {t.size} cases; allowed: one per case")
    z = _z(confidence)
    rows, curves = [], []
    names = list(dict.fromkeys(labels.tolist()))
    for name in names:
        mask = labels == name
        curve, median, m_low, m_high = _kaplan_meier(t[mask], done[mask], z)
        curve.insert(0, "group", name)
        curves.append(curve)
        rows.append(
            {
                "group": name,
                "n": int(mask.sum()),
                "resolved": int(done[mask].sum()),
                "open": int((~done[mask]).sum()),
                "median": median,
                "median_low": m_low,
                "median_high": m_high,
            }
        )
    chi2, p = _logrank(t, done, labels, names)
    return ResolutionTimes(
        summary=pd.DataFrame(rows),
        curves=pd.concat(curves, ignore_index=True)[list(CURVE_COLUMNS)],
        logrank_chi2=chi2,
        logrank_p=p,
        confidence=confidence,
    )


def _logrank(
    t: np.ndarray, done: np.ndarray, labels: np.ndarray, names: list[Hashable]
) -> tuple[float, float]:
    """The k-group log-rank test (Mantel-Haenszel form with the hypergeometric variance)."""
    if len(names) < 2 or not done.any():
        return math.nan, math.nan
    times = np.unique(t[done])
    member = np.stack([labels == name for name in names])  # groups x cases
    at_risk = np.stack([(member & (t >= s)).sum(axis=1) for s in times])  # times x groups
    events = np.stack([(member & (t == s) & done).sum(axis=1) for s in times])
    total_risk = at_risk.sum(axis=1)
    total_events = events.sum(axis=1)
    expected = at_risk * (total_events / total_risk)[:, None]
    observed_minus = (events - expected).sum(axis=0)
    factor = (
        np.where(total_risk > 1, total_events * (total_risk - total_events) / (total_risk - 1), 0.0)
        / total_risk**2
    )
    covariance = np.einsum("t,tij->ij", factor, _risk_outer(at_risk, total_risk))
    k = len(names) - 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        statistic = float(
            observed_minus[:k] @ np.linalg.pinv(covariance[:k, :k]) @ observed_minus[:k]
        )
    return statistic, float(sps.chi2.sf(statistic, k))


def _risk_outer(at_risk: np.ndarray, total: np.ndarray) -> np.ndarray:
    """Per time: ``diag(n_j) * N - n_j n_l`` (the log-rank covariance without its factor)."""
    diagonal = np.einsum("tj,jl->tjl", at_risk * total[:, None], np.eye(at_risk.shape[1]))
    return diagonal - np.einsum("tj,tl->tjl", at_risk, at_risk)


Outcome = Literal["mean", "share"]


@dataclass(frozen=True)
class HoldoutEffect(StatResult):
    """Result of :func:`holdout_effect`: contacted minus held out.

    ``outcome`` is ``"share"`` for 0/1 outcomes (Newcombe's hybrid score interval for the
    difference of proportions, pooled z test) and ``"mean"`` otherwise (Welch).
    """

    outcome: Outcome
    n_contacted: int
    n_holdout: int
    contacted: float
    holdout: float
    effect: float
    ci_low: float
    ci_high: float
    p_value: float
    confidence: float


def holdout_effect(contacted: Any, holdout: Any, *, confidence: float = 0.95) -> HoldoutEffect:
    """The effect of contact on a later outcome, from a randomised hold-out.

    Randomisation makes the two groups comparable, so the plain difference is unbiased.

    >>> round(holdout_effect([1, 1, 1, 0] * 25, [1, 0, 0, 0] * 25).effect, 2)
    0.5
    """
    check_confidence(confidence)
    x = _numbers(contacted, name="contacted", minimum=2)
    y = _numbers(holdout, name="holdout", minimum=2)
    x, y = x[~np.isnan(x)], y[~np.isnan(y)]
    binary = bool(np.isin(x, [0, 1]).all() and np.isin(y, [0, 1]).all())
    if binary:
        k1, k2, n1, n2 = x.sum(), y.sum(), x.size, y.size
        p1, p2 = k1 / n1, k2 / n2
        l1, u1 = wilson_interval(k1, n1, confidence=confidence)
        l2, u2 = wilson_interval(k2, n2, confidence=confidence)
        effect = p1 - p2
        low = effect - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
        high = effect + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
        pooled = (k1 + k2) / (n1 + n2)
        se0 = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        p = float(2 * sps.norm.sf(abs(effect) / se0)) if se0 > 0 else math.nan
        outcome: Outcome = "share"
        mean_x, mean_y = p1, p2
    else:
        mean_x, mean_y = float(x.mean()), float(y.mean())
        effect = mean_x - mean_y
        se = math.sqrt(x.var(ddof=1) / x.size + y.var(ddof=1) / y.size)
        df = _welch_df(x, y)
        half = float(sps.t.ppf(0.5 + confidence / 2, df)) * se if se > 0 else 0.0
        low, high = effect - half, effect + half
        p = float(2 * sps.t.sf(abs(effect) / se, df)) if se > 0 else math.nan
        outcome = "mean"
    summary = pd.DataFrame(
        [
            {
                "outcome": outcome,
                "n_contacted": x.size,
                "n_holdout": y.size,
                "contacted": mean_x,
                "holdout": mean_y,
                "effect": effect,
                "ci_low": low,
                "ci_high": high,
                "p_value": p,
            }
        ]
    )
    return HoldoutEffect(
        summary=summary,
        outcome=outcome,
        n_contacted=int(x.size),
        n_holdout=int(y.size),
        contacted=float(mean_x),
        holdout=float(mean_y),
        effect=float(effect),
        ci_low=float(low),
        ci_high=float(high),
        p_value=p,
        confidence=confidence,
    )
