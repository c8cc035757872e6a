r"""Service standards from customers' expectations, and Gap 2 (standards against expectations).

**Proposed levels.** For every item the *floor* is the level that a chosen share of
customers find at least adequate, and the *target* the level that meets the desired level
of a chosen share:

.. math:: \text{floor} = Q_{a}(s_f), \qquad \text{target} = Q_{d}(s_t)

where :math:`Q_a` and :math:`Q_d` are the empirical quantile functions (inverse of the
empirical distribution function) of the adequate and the desired levels. A customer finds a
level :math:`L` at least adequate when their adequate level is at most :math:`L`; so at
least :math:`s_f` of customers find the floor adequate. Each level has the distribution-free
interval of a quantile from order statistics: :math:`[x_{(l)}, x_{(u)}]` with
:math:`l` and :math:`u` the binomial :math:`(n, s)` quantiles at :math:`\alpha/2` and
:math:`1-\alpha/2` (Conover, 1999, section 3.2). Segments get their own levels when their
adequate levels differ (Kruskal-Wallis, Benjamini-Hochberg across items). The cost of a
level in today's terms is the share of customers whose perceived level is below it now.

**Gap 2.** Items without an approved standard; standards on the survey's scale whose floor
lies below customers' mean adequate level (one-sample t test, Benjamini-Hochberg across
standards); targets beyond what the best unit delivers today. A standard for one segment
(``attribute=value``) is compared with the adequate levels of that segment's customers.

References: Conover, W. J. (1999). *Practical Nonparametric Statistics* (3rd ed.), Wiley.
Zeithaml, V. A., Berry, L. L., & Parasuraman, A. (1993). The nature and determinants of
customer expectations of service. *Journal of the Academy of Marketing Science*, 21(1), 1-12.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from cxgap.errors import DataError
from cxgap.stats._validate import as_matrix, check_confidence
from cxgap.stats.result import StatResult
from cxgap.stats.segments import fdr_bh

__all__ = [
    "PROPOSAL_COLUMNS",
    "STANDARDS_GAP_COLUMNS",
    "STANDARD_COLUMNS",
    "ProposedLevels",
    "QuantileInterval",
    "StandardsGap",
    "propose_levels",
    "quantile_interval",
    "standards_gap",
]

PROPOSAL_COLUMNS = (
    "item",
    "segment",
    "n",
    "floor",
    "floor_ci_low",
    "floor_ci_high",
    "target",
    "target_ci_low",
    "target_ci_high",
    "perceived_mean",
    "share_below_floor",
    "share_below_target",
    "segment_p_adjusted",
)
"""Columns of :attr:`ProposedLevels.summary`; ``segment`` is empty for all customers."""

STANDARD_COLUMNS = (
    "standard",
    "item",
    "floor",
    "target",
    "on_scale",
    "higher_is_better",
    "best_delivered",
)
"""Columns of the ``standards`` argument of :func:`standards_gap`."""

STANDARDS_GAP_COLUMNS = (
    "item",
    "standard",
    "segment",
    "floor",
    "target",
    "customer_adequate",
    "adequate_ci_low",
    "adequate_ci_high",
    "p_adjusted",
    "best_delivered",
    "finding",
)
"""Columns of :attr:`StandardsGap.summary`; ``segment`` is ``attribute=value`` for a
standard of one segment (its customers' adequate levels are the ones compared) and empty
otherwise; ``finding`` is ``no_standard``, ``below_adequate``, ``beyond_feasible`` or
``none``."""


@dataclass(frozen=True)
class QuantileInterval:
    """A sample quantile with its distribution-free interval."""

    n: int
    share: float
    value: float
    ci_low: float
    ci_high: float


def quantile_interval(
    values: np.ndarray, share: float, *, confidence: float = 0.95
) -> QuantileInterval:
    """The ``share`` quantile of the non-missing values (inverse empirical distribution)
    with its order-statistic interval (NaN ends where the sample is too small).

    >>> r = quantile_interval(np.arange(1, 41.0), 0.8)
    >>> r.value, r.ci_low, r.ci_high
    (32.0, 27.0, 38.0)
    """
    x = np.sort(np.asarray(values, dtype=np.float64))
    x = x[~np.isnan(x)]
    n = int(x.size)
    if n == 0:
        return QuantileInterval(0, share, math.nan, math.nan, math.nan)
    value = float(np.quantile(x, share, method="inverted_cdf"))
    tail = (1 - confidence) / 2
    # ranks l, u (1-based) with P(X_(l) <= q) >= 1 - tail and P(X_(u) >= q) >= 1 - tail
    low_rank = int(sps.binom.ppf(tail, n, share))
    high_rank = int(sps.binom.isf(tail, n, share)) + 1
    ci_low = float(x[low_rank - 1]) if low_rank >= 1 else math.nan
    ci_high = float(x[high_rank - 1]) if high_rank <= n else math.nan
    return QuantileInterval(n, share, value, ci_low, ci_high)


@dataclass(frozen=True)
class ProposedLevels(StatResult):
    """Result of :func:`propose_levels`: ``summary`` has :data:`PROPOSAL_COLUMNS`.
    Scalars: the rule's ``floor_share`` and ``target_share``."""

    floor_share: float
    target_share: float


def _share_below(perceived: np.ndarray, level: float) -> float:
    seen = perceived[~np.isnan(perceived)]
    return float((seen < level).mean()) if seen.size else math.nan


def _levels(
    item: str,
    segment: str,
    adequate: np.ndarray,
    desired: np.ndarray,
    perceived: np.ndarray,
    floor_share: float,
    target_share: float,
    confidence: float,
) -> dict[str, Any]:
    floor = quantile_interval(adequate, floor_share, confidence=confidence)
    target = quantile_interval(desired, target_share, confidence=confidence)
    return {
        "item": item,
        "segment": segment,
        "n": floor.n,
        "floor": floor.value,
        "floor_ci_low": floor.ci_low,
        "floor_ci_high": floor.ci_high,
        "target": target.value,
        "target_ci_low": target.ci_low,
        "target_ci_high": target.ci_high,
        "perceived_mean": float(np.nanmean(perceived))
        if np.isfinite(perceived).any()
        else math.nan,
        "share_below_floor": _share_below(perceived, floor.value),
        "share_below_target": _share_below(perceived, target.value),
    }


def _segment_p(adequate: np.ndarray, labels: np.ndarray) -> float:
    groups = [adequate[(labels == g) & ~np.isnan(adequate)] for g in pd.unique(labels)]
    groups = [g for g in groups if g.size >= 2]
    if len(groups) < 2 or np.ptp(np.concatenate(groups)) == 0:
        return math.nan
    return float(sps.kruskal(*groups).pvalue)


def propose_levels(
    adequate: pd.DataFrame,
    desired: pd.DataFrame,
    *,
    perceived: pd.DataFrame | None = None,
    segments: pd.Series | None = None,
    floor_share: float = 0.8,
    target_share: float = 0.5,
    alpha: float = 0.05,
    confidence: float = 0.95,
) -> ProposedLevels:
    """Floor and target per item from customers' adequate and desired levels.

    Args:
        adequate, desired: one row per customer, one column per item.
        perceived: today's perceived levels (same shape), for the cost columns.
        segments: a label per customer; items whose adequate levels differ across segments
            (Benjamini-Hochberg adjusted Kruskal-Wallis p below ``alpha``) get one row per
            segment besides the row for all customers.
        floor_share: share of customers who must find the floor at least adequate.
        target_share: share of customers whose desired level the target meets.

    >>> a = pd.DataFrame({"x": [3, 4, 5, 5, 6, 4, 5, 6, 5, 4.0]})
    >>> d = pd.DataFrame({"x": [7, 8, 8, 9, 8, 7, 8, 9, 8, 7.0]})
    >>> r = propose_levels(a, d)
    >>> r.summary.loc[0, ["floor", "target"]].tolist()
    [5.0, 8.0]
    """
    check_confidence(confidence)
    check_confidence(alpha)
    for name, share in (("floor_share", floor_share), ("target_share", target_share)):
        if not 0 < share < 1:
            raise DataError(f"{name}: got {share!r}; allowed: a share between 0 and 1")
    mat_a = as_matrix(adequate, name="adequate", min_rows=1)
    mat_d = as_matrix(desired, name="desired", min_rows=1).select(mat_a.columns)
    if mat_d.n_rows != mat_a.n_rows:
        raise DataError(
            "desired: has a different number of rows than adequate; allowed: one row per "
            "customer in both"
        )
    if perceived is not None:
        mat_p = as_matrix(perceived, name="perceived").select(mat_a.columns).values
    else:
        mat_p = np.full(mat_a.values.shape, np.nan)
    labels = None
    if segments is not None:
        labels = np.asarray(
            pd.Series(segments).astype("string").fillna("").to_numpy(), dtype=object
        )
        if labels.size != mat_a.n_rows:
            raise DataError(
                f"segments: has {labels.size} labels for {mat_a.n_rows} customers; allowed: one "
                "label per customer"
            )
    rows: list[dict[str, Any]] = []
    p_values: list[float] = []
    for j, column in enumerate(mat_a.columns):
        a, d, p = mat_a.values[:, j], mat_d.values[:, j], mat_p[:, j]
        rows.append(_levels(str(column), "", a, d, p, floor_share, target_share, confidence))
        p_values.append(_segment_p(a, labels) if labels is not None else math.nan)
    adjusted = fdr_bh(np.asarray(p_values))
    out: list[dict[str, Any]] = []
    for j, row in enumerate(rows):
        row["segment_p_adjusted"] = adjusted[j]
        out.append(row)
        if labels is None or not adjusted[j] < alpha:
            continue
        for label in sorted(set(labels) - {""}):
            mask = labels == label
            seg = _levels(
                row["item"],
                str(label),
                mat_a.values[mask, j],
                mat_d.values[mask, j],
                mat_p[mask, j],
                floor_share,
                target_share,
                confidence,
            )
            seg["segment_p_adjusted"] = adjusted[j]
            out.append(seg)
    summary = pd.DataFrame(out, columns=list(PROPOSAL_COLUMNS))
    return ProposedLevels(summary=summary, floor_share=floor_share, target_share=target_share)


@dataclass(frozen=True)
class StandardsGap(StatResult):
    """Result of :func:`standards_gap`: ``summary`` has :data:`STANDARDS_GAP_COLUMNS`.
    Scalars: counts ``no_standard``, ``below_adequate``, ``beyond_feasible``."""

    no_standard: int
    below_adequate: int
    beyond_feasible: int


def standards_gap(
    adequate: pd.DataFrame,
    standards: pd.DataFrame,
    *,
    segments: pd.DataFrame | None = None,
    alpha: float = 0.05,
    confidence: float = 0.95,
) -> StandardsGap:
    """Gap 2: customers' adequate levels against the approved standards.

    Args:
        adequate: one row per customer, one column per item of the survey.
        standards: one row per approved standard with columns ``standard``, ``item``,
            ``floor``, ``target``, ``on_scale`` (the standard is stated on the survey's
            answer scale, so its floor compares with adequate levels),
            ``higher_is_better`` and ``best_delivered`` (the best unit's value in the latest
            period, NaN when nothing was delivered); optionally ``segment``
            (``attribute=value``, empty for every customer).
        segments: the customers' segment attributes, one row per row of ``adequate`` and
            one column per attribute a standard's ``segment`` names.

    A floor is *below adequate* when customers' mean adequate level (the segment's
    customers' for a segment's standard) is above it (one-sided one-sample t test,
    adjusted p below ``alpha``); a target is *beyond feasible* when no unit reaches it
    today. An item is ``no_standard`` when no standard serves every customer.

    >>> a = pd.DataFrame({"x": [6, 7, 6, 7, 6, 7.0], "y": [5, 5, 6, 5, 6, 5.0]})
    >>> s = pd.DataFrame({"standard": ["S1"], "item": ["x"], "floor": [4.0], "target": [8.0],
    ...                   "on_scale": [True], "higher_is_better": [True],
    ...                   "best_delivered": [7.5]})
    >>> standards_gap(a, s).summary["finding"].tolist()
    ['below_adequate', 'no_standard']
    """
    check_confidence(confidence)
    mat = as_matrix(adequate, name="adequate", min_rows=2)
    needed = set(STANDARD_COLUMNS)
    lacking = sorted(needed - set(standards.columns))
    if lacking:
        raise DataError(f"standards: lacks column(s) {lacking!r}; allowed: {sorted(needed)!r}")
    scopes = _segment_masks(standards, segments, mat.n_rows)
    rows: list[dict[str, Any]] = []
    for j, column in enumerate(mat.columns):
        everyone = mat.values[:, j]
        mine = standards[standards["item"].astype(str) == str(column)]
        records = mine.to_dict(orient="records")
        if not any(not _segment_of(r) for r in records):
            base = {"item": str(column), **_adequate(everyone, confidence)}
            rows.append(
                {**base, "standard": "", "segment": "", "p": math.nan, "finding": "no_standard"}
            )
        for record in records:
            segment = _segment_of(record)
            values = everyone if not segment else everyone[scopes[segment]]
            described = _adequate(values, confidence)
            floor, target = float(record["floor"]), float(record["target"])
            best = float(record["best_delivered"])
            p = math.nan
            observed = values[~np.isnan(values)]
            if bool(record["on_scale"]) and observed.size > 1 and described["se"] > 0:
                p = float(sps.ttest_1samp(observed, floor, alternative="greater").pvalue)
            higher = bool(record["higher_is_better"])
            beyond = not math.isnan(best) and (best < target if higher else best > target)
            rows.append(
                {
                    "item": str(column),
                    **described,
                    "standard": str(record["standard"]),
                    "segment": segment,
                    "floor": floor,
                    "target": target,
                    "best_delivered": best,
                    "p": p,
                    "finding": "beyond_feasible" if beyond else "none",
                }
            )
    summary = pd.DataFrame(rows).drop(columns="se")
    for column in STANDARDS_GAP_COLUMNS:
        if column not in summary:
            summary[column] = math.nan
    summary["p_adjusted"] = fdr_bh(summary["p"].to_numpy(dtype=np.float64))
    below = summary["p_adjusted"] < alpha
    summary.loc[below, "finding"] = "below_adequate"
    summary = summary[list(STANDARDS_GAP_COLUMNS)]
    counts = summary["finding"].value_counts()
    return StandardsGap(
        summary=summary,
        no_standard=int(counts.get("no_standard", 0)),
        below_adequate=int(counts.get("below_adequate", 0)),
        beyond_feasible=int(counts.get("beyond_feasible", 0)),
    )


def _segment_of(record: Mapping[Any, Any]) -> str:
    value = record.get("segment")
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def _segment_masks(
    standards: pd.DataFrame, segments: pd.DataFrame | None, n_rows: int
) -> dict[str, np.ndarray]:
    """For each ``attribute=value`` the standards name, which customers belong to it."""
    named = sorted({_segment_of(r) for r in standards.to_dict(orient="records")} - {""})
    if not named:
        return {}
    if segments is None:
        raise DataError(
            f"standards: segment(s) {', '.join(named)} need the customers' segments; "
            "allowed: segments with one column per attribute"
        )
    masks: dict[str, np.ndarray] = {}
    for segment in named:
        attribute, sep, value = segment.partition("=")
        if not sep or attribute not in segments.columns:
            raise DataError(
                f"standards: segment {segment!r} is not ATTRIBUTE=VALUE of a column of "
                f"segments; allowed attributes: {', '.join(map(str, segments.columns))}"
            )
        if len(segments) != n_rows:
            raise DataError(
                f"segments: has {len(segments)} rows for {n_rows} customers; allowed: one "
                "row per customer"
            )
        labels = segments[attribute].astype("string").fillna("").to_numpy(dtype=object)
        masks[segment] = labels == value
    return masks


def _adequate(values: np.ndarray, confidence: float) -> dict[str, float]:
    """Mean adequate level with its t interval (and standard error) of the answers given."""
    values = values[~np.isnan(values)]
    n = values.size
    mean = float(values.mean()) if n else math.nan
    se = float(values.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    q = float(sps.t.ppf(0.5 + confidence / 2, n - 1)) if n > 1 else math.nan
    return {
        "customer_adequate": mean,
        "adequate_ci_low": mean - q * se,
        "adequate_ci_high": mean + q * se,
        "se": se,
    }
