"""Measured service recovery: does calling back work, and does it pay?

- :func:`proportion`: a share with its Wilson interval (recovery rate, SLA compliance);
- :func:`paired_change`: the before/after change of the same customers' scores;
- :func:`compare_groups`: the mean difference between two independent groups (Welch),
  used for the service-recovery paradox (recovered customers against comparable
  customers who never had a problem) and for the hold-out (contacted against
  uncontacted cases);
- :func:`kaplan_meier`: time to resolution as a survival curve, open cases censored;
- :func:`shrunk_rates`: empirical-Bayes (beta-binomial) shrinkage of per-person or per-team
  rates, so that three good answers do not beat three hundred.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from cxgap.errors import DataError
from cxgap.stats._validate import as_vector, check_choice, check_confidence, require_count
from cxgap.stats.loyalty import wilson_interval
from cxgap.stats.result import StatResult

__all__ = [
    "GroupComparison",
    "KaplanMeier",
    "PairedChange",
    "Proportion",
    "ShrunkRates",
    "compare_groups",
    "kaplan_meier",
    "paired_change",
    "proportion",
    "shrunk_rates",
]

Alternative = Literal["two-sided", "greater", "less"]


@dataclass(frozen=True)
class Proportion(StatResult):
    """Result of :func:`proportion`: ``rate`` with its Wilson interval; ``summary`` has one
    row (``successes``, ``n``, ``rate``, ``ci_low``, ``ci_high``)."""

    successes: int
    n: int
    rate: float
    ci_low: float
    ci_high: float
    confidence: float


def proportion(successes: int, n: int, *, confidence: float = 0.95) -> Proportion:
    """A share (e.g. recovered among resolved cases, cases resolved within their SLA) with
    its Wilson score interval (see :func:`cxgap.stats.loyalty.wilson_interval`).

    >>> proportion(45, 60).summary.round(3).to_dict("records")
    [{'successes': 45, 'n': 60, 'rate': 0.75, 'ci_low': 0.628, 'ci_high': 0.842}]
    """
    confidence = check_confidence(confidence)
    for name, value in (("successes", successes), ("n", n)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
            raise DataError(f"{name}: got {value!r}; allowed: a whole number >= 0")
    require_count(int(n), 1, name="n", what="the number of cases")
    if successes > n:
        raise DataError(f"successes: got {successes}; allowed: at most n = {n}")
    low, high = wilson_interval(successes, n, confidence=confidence)
    rate = successes / n
    summary = pd.DataFrame(
        [
            {
                "successes": int(successes),
                "n": int(n),
                "rate": rate,
                "ci_low": float(low),
                "ci_high": float(high),
            }
        ]
    )
    return Proportion(summary, int(successes), int(n), rate, float(low), float(high), confidence)


@dataclass(frozen=True)
class PairedChange(StatResult):
    """Result of :func:`paired_change`: the mean change after - before with a paired t
    interval and test, and the Wilcoxon signed-rank test; ``summary`` has one row with
    the same fields."""

    n: int
    mean_before: float
    mean_after: float
    mean_change: float
    ci_low: float
    ci_high: float
    t: float
    p_value: float
    wilcoxon_p: float
    confidence: float


def _pair(before: Any, after: Any) -> tuple[np.ndarray, np.ndarray]:
    b = as_vector(before, name="before").values[:, 0]
    a = as_vector(after, name="after").values[:, 0]
    if len(a) != len(b):
        raise DataError(
            f"before and after: got {len(b)} and {len(a)} values; allowed: the same "
            "customers in the same order"
        )
    keep = ~(np.isnan(a) | np.isnan(b))
    return b[keep], a[keep]


def paired_change(
    before: Any, after: Any, *, confidence: float = 0.95, alternative: Alternative = "two-sided"
) -> PairedChange:
    """The change of the same customers' scores from before their problem was resolved to
    after (pairs with a missing value are left out).

    .. math::

        \\bar d = \\frac{1}{n}\\sum_i (a_i - b_i), \\qquad
        \\bar d \\pm t_{n-1,\\,1-\\alpha/2}\\, s_d/\\sqrt{n}

    Reference: Student (1908), The probable error of a mean, *Biometrika* 6, 1-25;
    Wilcoxon, F. (1945), Individual comparisons by ranking methods, *Biometrics* 1, 80-83.

    >>> paired_change([5, 6, 4, 7], [7, 8, 5, 9]).mean_change
    1.75
    """
    confidence = check_confidence(confidence)
    check_choice(alternative, ("two-sided", "greater", "less"), name="alternative")
    b, a = _pair(before, after)
    require_count(len(a), 2, name="before and after", what="the number of complete pairs")
    d = a - b
    n = len(d)
    mean = float(d.mean())
    se = float(d.std(ddof=1) / np.sqrt(n))
    q = stats.t.ppf(0.5 + confidence / 2, n - 1)
    if se == 0:
        t, p = float("nan"), float("nan")
    else:
        test = stats.ttest_rel(a, b, alternative=alternative)
        t, p = float(test.statistic), float(test.pvalue)
    w = (
        float("nan")
        if not np.any(d != 0)
        else float(stats.wilcoxon(a, b, alternative=alternative).pvalue)
    )
    values = {
        "n": n,
        "mean_before": float(b.mean()),
        "mean_after": float(a.mean()),
        "mean_change": mean,
        "ci_low": mean - q * se,
        "ci_high": mean + q * se,
        "t": t,
        "p_value": p,
        "wilcoxon_p": w,
    }
    return PairedChange(pd.DataFrame([values]), **values, confidence=confidence)


@dataclass(frozen=True)
class GroupComparison(StatResult):
    """Result of :func:`compare_groups`: ``difference`` = mean(first) - mean(second) with
    a Welch interval and test, and the Mann-Whitney test; ``summary`` has one row per
    group (``group``, ``n``, ``mean``, ``sd``)."""

    difference: float
    ci_low: float
    ci_high: float
    t: float
    df: float
    p_value: float
    mann_whitney_p: float
    alternative: str
    confidence: float


def compare_groups(
    first: Any,
    second: Any,
    *,
    names: tuple[str, str] = ("first", "second"),
    confidence: float = 0.95,
    alternative: Alternative = "two-sided",
) -> GroupComparison:
    """Mean difference of two independent groups with Welch's t interval and test.

    The service-recovery paradox (McCollough, Berry & Yadav, 2000) claims that customers
    whose problem was recovered well end up *more* loyal than comparable customers who
    never had one: ``compare_groups(recovered, never_problem, alternative="greater")``. A
    randomised hold-out estimates the effect of calling back without bias:
    ``compare_groups(contacted, held_out)``.

    .. math::

        \\bar x_1 - \\bar x_2 \\pm t_{\\nu,\\,1-\\alpha/2}\\sqrt{s_1^2/n_1 + s_2^2/n_2}

    with Welch-Satterthwaite degrees of freedom :math:`\\nu`. Reference: Welch, B. L.
    (1947), The generalization of Student's problem, *Biometrika* 34, 28-35.

    >>> round(compare_groups([8, 9, 10, 9], [7, 8, 8, 7]).difference, 2)
    1.5
    """
    confidence = check_confidence(confidence)
    check_choice(alternative, ("two-sided", "greater", "less"), name="alternative")
    x = as_vector(first, name=names[0]).values[:, 0]
    y = as_vector(second, name=names[1]).values[:, 0]
    x, y = x[~np.isnan(x)], y[~np.isnan(y)]
    require_count(len(x), 2, name=names[0], what="the number of answers")
    require_count(len(y), 2, name=names[1], what="the number of answers")
    vx, vy = x.var(ddof=1) / len(x), y.var(ddof=1) / len(y)
    diff = float(x.mean() - y.mean())
    se = float(np.sqrt(vx + vy))
    if se == 0:
        raise DataError(f"{names[0]} and {names[1]}: no answer varies; there is nothing to test")
    df = float((vx + vy) ** 2 / (vx**2 / (len(x) - 1) + vy**2 / (len(y) - 1)))
    q = stats.t.ppf(0.5 + confidence / 2, df)
    test = stats.ttest_ind(x, y, equal_var=False, alternative=alternative)
    mw = stats.mannwhitneyu(x, y, alternative=alternative)
    summary = pd.DataFrame(
        [
            {"group": names[0], "n": len(x), "mean": float(x.mean()), "sd": float(x.std(ddof=1))},
            {"group": names[1], "n": len(y), "mean": float(y.mean()), "sd": float(y.std(ddof=1))},
        ]
    )
    return GroupComparison(
        summary,
        diff,
        diff - q * se,
        diff + q * se,
        float(test.statistic),
        df,
        float(test.pvalue),
        float(mw.pvalue),
        alternative,
        confidence,
    )


@dataclass(frozen=True)
class KaplanMeier(StatResult):
    """Result of :func:`kaplan_meier`.

    ``summary`` has one row per distinct time with an event: ``time``, ``at_risk``,
    ``events``, ``censored`` (at that time), ``survival``, ``ci_low``, ``ci_high``
    (Greenwood variance on the log(-log) scale). ``median`` is the first time the curve
    reaches 0.5 or below (NaN when it never does).
    """

    n: int
    events: int
    median: float
    confidence: float


def kaplan_meier(durations: Any, observed: Any, *, confidence: float = 0.95) -> KaplanMeier:
    """Time to resolution as a survival curve: the share of cases still unresolved after
    each time; cases still open are censored at their current age (``observed`` False).

    .. math::

        \\hat S(t) = \\prod_{t_i \\le t} \\Bigl(1 - \\frac{d_i}{n_i}\\Bigr), \\qquad
        \\widehat{\\mathrm{Var}}\\,\\log \\hat S(t) = \\sum_{t_i \\le t} \\frac{d_i}{n_i(n_i - d_i)}

    The interval is :math:`\\hat S^{\\exp(\\pm z\\,\\sigma/\\log \\hat S)}` with
    :math:`\\sigma^2` the Greenwood sum (Kalbfleisch & Prentice, 2002). Reference: Kaplan,
    E. L. & Meier, P. (1958), Nonparametric estimation from incomplete observations,
    *JASA* 53, 457-481.

    >>> kaplan_meier([2, 3, 3, 5, 8], [1, 1, 0, 1, 0]).summary["survival"].round(3).tolist()
    [0.8, 0.6, 0.3]
    """
    confidence = check_confidence(confidence)
    t = as_vector(durations, name="durations").values[:, 0]
    flags = np.asarray(observed)
    e = (
        flags.astype(float)
        if flags.dtype == bool
        else as_vector(observed, name="observed").values[:, 0]
    )
    if len(t) != len(e):
        raise DataError(
            f"durations and observed: got {len(t)} and {len(e)} values; allowed: one each per case"
        )
    if np.isnan(t).any() or np.isnan(e).any():
        raise DataError(
            "durations and observed: missing values; give each case a duration and a flag"
        )
    if (t < 0).any():
        raise DataError("durations: negative values; allowed: times >= 0")
    if not np.isin(e, (0, 1)).all():
        raise DataError("observed: allowed values are 1 (resolved) and 0 (still open)")
    z = stats.norm.ppf(0.5 + confidence / 2)
    times = np.unique(t[e == 1])
    rows, surv, greenwood = [], 1.0, 0.0
    for time in times:
        at_risk = int((t >= time).sum())
        d = int(((t == time) & (e == 1)).sum())
        surv *= 1 - d / at_risk
        if at_risk > d:
            greenwood += d / (at_risk * (at_risk - d))
        if 0 < surv < 1:
            sigma = np.sqrt(greenwood)
            log_s = np.log(surv)
            low = surv ** np.exp(-z * sigma / log_s)  # log_s < 0: the larger exponent
            high = surv ** np.exp(z * sigma / log_s)
        else:
            low = high = surv
        censored = int(((t == time) & (e == 0)).sum())
        rows.append(
            {
                "time": float(time),
                "at_risk": at_risk,
                "events": d,
                "censored": censored,
                "survival": float(surv),
                "ci_low": float(low),
                "ci_high": float(high),
            }
        )
    summary = pd.DataFrame(
        rows, columns=["time", "at_risk", "events", "censored", "survival", "ci_low", "ci_high"]
    )
    below = summary[summary["survival"] <= 0.5]
    median = float(below["time"].iloc[0]) if len(below) else float("nan")
    return KaplanMeier(summary, len(t), int(e.sum()), median, confidence)


@dataclass(frozen=True)
class ShrunkRates(StatResult):
    """Result of :func:`shrunk_rates`.

    ``summary`` has one row per unit (index: the unit), sorted by ``shrunk`` (best
    first): ``successes``, ``trials``, ``raw`` rate, ``shrunk`` (posterior mean), ``rank``.
    ``alpha`` and ``beta`` are the fitted Beta prior; ``prior_mean`` = alpha/(alpha+beta).
    """

    alpha: float
    beta: float
    prior_mean: float


def shrunk_rates(successes: Any, trials: Any) -> ShrunkRates:
    """Empirical-Bayes rates of units (people, teams): each raw rate pulled towards the
    overall rate, the more the fewer its trials.

    A Beta(alpha, beta) prior is fitted to the units' raw rates by the method of moments
    (weighted by trials); each unit's rate is its posterior mean

    .. math::

        \\tilde p_j = \\frac{s_j + \\alpha}{n_j + \\alpha + \\beta}

    When the rates vary no more than binomial noise explains, the prior is taken as
    very strong (every unit gets the overall rate). Reference: Efron, B. & Morris, C.
    (1975), Data analysis using Stein's estimator and its generalizations, *JASA* 70,
    311-319; Robinson, D. (2017), *Introduction to Empirical Bayes*.

    >>> good = pd.Series({"a": 3, "b": 285, "c": 50})
    >>> asked = pd.Series({"a": 3, "b": 300, "c": 100})
    >>> shrunk_rates(good, asked).summary.index.tolist()[0]
    'b'
    """
    s = pd.Series(successes, dtype=float)
    n = pd.Series(trials, dtype=float)
    if not s.index.equals(n.index):
        raise DataError("successes and trials: allowed: the same units (index) in both")
    if s.isna().any() or n.isna().any() or (s < 0).any() or (n <= 0).any() or (s > n).any():
        raise DataError(
            "successes and trials: allowed: whole numbers with 0 <= successes <= trials, trials > 0"
        )
    require_count(len(s), 2, name="units", what="the number of units")
    raw = s / n
    m = float(s.sum() / n.sum())
    # Weighted method of moments: observed variance of rates minus binomial noise.
    w = n / n.sum()
    observed = float((w * (raw - m) ** 2).sum())
    noise = float((w * m * (1 - m) / n).sum())
    between = observed - noise
    if m in (0.0, 1.0) or between <= 0:
        strength = 1e12
    else:
        strength = max(m * (1 - m) / between - 1, 1e-6)
    alpha, beta = m * strength, (1 - m) * strength
    shrunk = (s + alpha) / (n + alpha + beta)
    summary = pd.DataFrame({"successes": s, "trials": n, "raw": raw, "shrunk": shrunk}).sort_values(
        "shrunk", ascending=False
    )
    summary["rank"] = np.arange(1, len(summary) + 1)
    return ShrunkRates(summary, float(alpha), float(beta), m)
