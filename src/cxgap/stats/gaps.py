"""SERVQUAL gap scores: perceived minus expected, per item, per dimension and overall.

Also home of the vectorised column statistics (mean, t interval, paired t test, Wilcoxon
signed-rank test) that the other modules reuse, so that every interval in the package is
computed one way.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from cxgap.errors import DataError
from cxgap.stats._validate import (
    Scale,
    as_matrix,
    check_confidence,
    dimension_map,
    match_matrices,
    normalised_weights,
)
from cxgap.stats.result import StatResult

__all__ = ["GapScores", "describe_columns", "gap_scores", "signed_rank_p"]

#: Up to this many non-zero differences the Wilcoxon p-value comes from
#: :func:`scipy.stats.wilcoxon` (exact or permutation distribution where it applies);
#: above it, from the normal approximation with tie correction computed here.
WILCOXON_SCIPY_MAX_N = 5000


def _signed_rank_normal_p(d: np.ndarray) -> float:
    """Two-sided Wilcoxon signed-rank p-value, normal approximation, no missing values.

    Zeros are dropped (Wilcoxon's method); ties get average ranks and the variance is
    reduced by :math:`\\sum (t^3 - t) / 48`; no continuity correction. Equals
    ``scipy.stats.wilcoxon(d, method="asymptotic").pvalue`` at the cost of one sort.
    """
    d = d[d != 0]
    n = d.size
    if n == 0:
        return float("nan")
    # One sort of the signed differences gives both signs' sorted magnitudes.
    s = np.sort(d)
    split = int(np.searchsorted(s, 0.0))
    negative = -s[:split][::-1]
    positive = s[split:]

    def runs(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        starts = np.flatnonzero(np.r_[True, x[1:] != x[:-1]]) if x.size else np.empty(0, int)
        counts = np.diff(np.r_[starts, x.size]).astype(np.float64)
        return x[starts], starts.astype(np.float64), counts

    value_p, below_p, count_p = runs(positive)
    lo = np.searchsorted(negative, value_p, "left")
    hi = np.searchsorted(negative, value_p, "right")
    ties = count_p + (hi - lo)
    r_plus = float(np.sum(count_p * (below_p + lo + (ties + 1.0) / 2.0)))
    value_n, _, count_n = runs(negative)
    only_negative = np.searchsorted(positive, value_n, "right") == np.searchsorted(
        positive, value_n, "left"
    )
    tie_term = float(
        np.sum(ties**3 - ties) + np.sum(count_n[only_negative] ** 3 - count_n[only_negative])
    )
    mean = n * (n + 1.0) / 4.0
    var = n * (n + 1.0) * (2.0 * n + 1.0) / 24.0 - tie_term / 48.0
    if var <= 0:
        return float("nan")
    z = (r_plus - mean) / np.sqrt(var)
    return float(2.0 * stats.norm.sf(abs(z)))


def signed_rank_p(values: np.ndarray, *, has_missing: bool = True) -> np.ndarray:
    """Two-sided Wilcoxon signed-rank p-value of each column of ``values`` (NaN = missing).

    Columns with at most :data:`WILCOXON_SCIPY_MAX_N` non-zero values use
    :func:`scipy.stats.wilcoxon` with its defaults; larger ones the normal approximation
    (see :func:`_signed_rank_normal_p`). A column whose values are all zero or missing
    gets ``NaN``.
    """
    n_cols = values.shape[1]
    out = np.full(n_cols, np.nan)
    # Columns are sorted one at a time: make them contiguous once.
    by_column = values.T if values.flags.f_contiguous else np.ascontiguousarray(values.T)
    for j in range(n_cols):
        column = by_column[j]
        if has_missing:
            column = column[~np.isnan(column)]
        n_nonzero = int(np.count_nonzero(column))
        if n_nonzero == 0:
            continue
        if n_nonzero > WILCOXON_SCIPY_MAX_N:
            out[j] = _signed_rank_normal_p(column)
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", category=UserWarning)
                out[j] = stats.wilcoxon(column).pvalue
    return out


def describe_columns(
    values: np.ndarray,
    *,
    confidence: float,
    has_missing: bool = True,
    present: np.ndarray | None = None,
    zeroed: bool = False,
    signed_rank: bool = False,
) -> dict[str, np.ndarray]:
    """Mean, SD, SE, t interval and one-sample t test (against 0) of each column.

    NaN is missing (or, when given, ``present`` marks the values to use and the others are
    ignored; ``zeroed`` says they already hold 0, which saves a pass); each column uses its
    own values. Returns arrays keyed ``n, mean, sd, se, ci_low, ci_high, t, p_t, d_z`` (and
    ``p_wilcoxon`` when ``signed_rank``):

    .. math::

        \\bar x \\pm t_{(1+c)/2,\\,n-1}\\, s/\\sqrt n, \\qquad
        t = \\bar x / (s/\\sqrt n), \\qquad d_z = \\bar x / s

    For paired differences this is the paired t test (``scipy.stats.ttest_rel``) and
    Cohen's :math:`d_z`. Columns with fewer than two values get NaN for the spread-based
    figures.
    """
    if present is None and has_missing:
        present = ~np.isnan(values)
    rows = values.shape[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        if present is None:
            n = np.full(values.shape[1], float(rows))
        else:
            n = np.count_nonzero(present, axis=0).astype(np.float64)
            if not zeroed:
                values = np.where(present, values, 0.0)
        mean = values.sum(axis=0) / n
        deviation = values - mean
        squares = np.einsum("ij,ij->j", deviation, deviation)
        del deviation
        if present is not None:
            # Each of the (rows - n) zeroed cells added (0 - mean)^2: take it back out,
            # unless that would cancel most digits (then mask instead).
            excess = (rows - n) * mean**2
            squares -= excess
            unstable = np.flatnonzero(excess > 1e6 * np.abs(squares))
            for j in unstable:
                column = values[present[:, j], j]
                squares[j] = np.sum((column - mean[j]) ** 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        df = np.where(n > 1, n - 1.0, np.nan)
        sd = np.sqrt(squares / df)
        se = sd / np.sqrt(n)
        half = stats.t.ppf(0.5 + confidence / 2.0, df) * se
        t = mean / se
        p_t = 2.0 * stats.t.sf(np.abs(t), df)
        d_z = mean / sd
    out = {
        "n": n.astype(np.int64),
        "mean": mean,
        "sd": sd,
        "se": se,
        "ci_low": mean - half,
        "ci_high": mean + half,
        "t": t,
        "p_t": p_t,
        "d_z": d_z,
    }
    if signed_rank:
        if present is not None:
            values = np.where(present, values, np.nan)
        out["p_wilcoxon"] = signed_rank_p(values, has_missing=present is not None)
    return out


@dataclass(frozen=True)
class GapScores(StatResult):
    """Result of :func:`gap_scores`.

    ``summary`` has one row per item, per dimension and per overall score, with columns:
    ``level`` ("item", "dimension" or "overall"), ``name`` (item, dimension, or
    "unweighted" / "weighted"), ``dimension`` (the item's dimension; NaN for overall rows),
    ``n`` (respondents used), ``mean_perceived``, ``mean_expected``, ``mean_gap``
    (perceived - expected), ``sd``, ``se``, ``ci_low``, ``ci_high`` (t interval of the mean
    gap), ``t`` and ``p_t`` (paired t test), ``p_wilcoxon`` (Wilcoxon signed-rank test),
    ``d_z`` (mean gap / SD of the gaps).
    """

    overall_gap: float
    overall_ci_low: float
    overall_ci_high: float
    weighted_gap: float
    weighted_ci_low: float
    weighted_ci_high: float
    n_respondents: int
    n_items: int
    n_dimensions: int
    confidence: float


def dimension_counts(present: np.ndarray, groups: Mapping[Hashable, np.ndarray]) -> np.ndarray:
    """Per respondent number of usable items of each dimension (NaN where none)."""
    counts = np.zeros((present.shape[0], len(groups)), order="F")
    for d, positions in enumerate(groups.values()):
        for j in positions:
            counts[:, d] += present[:, j]
    counts[counts == 0] = np.nan
    return counts


def dimension_means(
    values: np.ndarray,
    present: np.ndarray | None,
    groups: Mapping[Hashable, np.ndarray],
    *,
    zeroed: bool = False,
    counts: np.ndarray | None = None,
) -> np.ndarray:
    """Per respondent mean of the available items of each dimension (NaN if none).

    ``present`` marks usable answers (``None``: all); ``zeroed`` says the others hold 0;
    ``counts`` may pass :func:`dimension_counts` when several tables share ``present``.
    Columns are added one at a time (no respondents x items temporaries), and sums are
    divided last so that equal means of whole-number answers are bit-identical.
    """
    sums = np.zeros((values.shape[0], len(groups)), order="F")
    for d, positions in enumerate(groups.values()):
        total = sums[:, d]
        for j in positions:
            if present is None or zeroed:
                total += values[:, j]
            else:
                np.add(total, values[:, j], out=total, where=present[:, j])
    if present is None:
        return sums / np.array([len(p) for p in groups.values()], dtype=np.float64)
    return sums / (dimension_counts(present, groups) if counts is None else counts)


def _weighted_row_mean(values: np.ndarray, weights: np.ndarray, *, has_missing: bool) -> np.ndarray:
    """Per row weighted mean over non-missing columns, weights renormalised per row."""
    numerator = np.zeros(values.shape[0])
    if not has_missing:
        for d, weight in enumerate(weights):
            numerator += values[:, d] if weight == 1.0 else weight * values[:, d]
        return numerator / weights.sum()
    denominator = np.zeros(values.shape[0])
    for d, weight in enumerate(weights):
        column = values[:, d]
        usable = ~np.isnan(column)
        np.add(numerator, weight * column, out=numerator, where=usable)
        denominator += weight * usable
    denominator[denominator == 0] = np.nan
    return numerator / denominator


def _dim_of(position: int, groups: Mapping[Hashable, np.ndarray]) -> Hashable:
    for dim, positions in groups.items():
        if position in positions:
            return dim
    return None


def _gap_frame(
    level: str,
    names: list[Hashable],
    dims: list[Any],
    mean_p: np.ndarray,
    mean_e: np.ndarray,
    described: dict[str, np.ndarray],
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "level": level,
            "name": pd.Series(names, dtype=object),
            "dimension": pd.Series(dims, dtype=object),
            "n": described["n"],
            "mean_perceived": mean_p,
            "mean_expected": mean_e,
            "mean_gap": described["mean"],
            "sd": described["sd"],
            "se": described["se"],
            "ci_low": described["ci_low"],
            "ci_high": described["ci_high"],
            "t": described["t"],
            "p_t": described["p_t"],
            "p_wilcoxon": described["p_wilcoxon"],
            "d_z": described["d_z"],
        }
    )


def gap_scores(
    perceived: Any,
    expected: Any,
    *,
    dimensions: Mapping[Hashable, Any] | None = None,
    weights: Mapping[Hashable, float] | pd.Series | None = None,
    confidence: float = 0.95,
    scale: Scale | None = None,
) -> GapScores:
    """SERVQUAL gap scores (perceived - expected) per item, dimension and overall.

    .. math::

        G_{ij} = P_{ij} - E_{ij}, \\qquad
        G_{i,D} = \\frac{1}{|D_i|}\\sum_{j \\in D_i} G_{ij}, \\qquad
        G_i = \\frac{1}{|\\mathcal D_i|}\\sum_{D} G_{i,D}, \\qquad
        G^w_i = \\frac{\\sum_D w_D G_{i,D}}{\\sum_{D \\text{ present}} w_D}

    Each level reports the mean gap with its t interval, the paired t test, the Wilcoxon
    signed-rank test (exact/SciPy up to 5,000 non-zero differences, normal approximation
    with tie correction above) and :math:`d_z = \\bar G / s_G`.

    Missing answers (NaN): pairwise per item, i.e. a respondent counts for an item when
    both P and E are present; a respondent's dimension score is the mean of the dimension's
    available items (missing if none); the overall score is the mean of the respondent's
    available dimension scores; the weighted score renormalises the weights over them.

    Args:
        perceived: respondents x items (DataFrame with item columns, or 2-D array).
        expected: same shape and items as ``perceived``.
        dimensions: ``{item: dimension}`` or ``{dimension: [items]}``; without it the
            overall score is the per-respondent mean of the item gaps.
        weights: importance points per dimension (e.g. 100 points split over the five
            SERVQUAL dimensions); any positive total, normalised to sum to one.
        confidence: level of the intervals.
        scale: ``(low, high)`` answer scale to check (e.g. ``(1, 7)``); ``None`` skips it.

    References:
        Parasuraman, A., Zeithaml, V. A., & Berry, L. L. (1988). SERVQUAL: A multiple-item
        scale for measuring consumer perceptions of service quality. *Journal of
        Retailing*, 64(1), 12-40.

    Example:
        >>> import pandas as pd
        >>> p = pd.DataFrame({"r1": [5, 6, 4], "t1": [6, 6, 5]})
        >>> e = pd.DataFrame({"r1": [6, 7, 6], "t1": [5, 6, 5]})
        >>> res = gap_scores(p, e, dimensions={"r1": "reliability", "t1": "tangibles"})
        >>> round(res.overall_gap, 3)
        -0.5
    """
    confidence = check_confidence(confidence)
    p_matrix, e_matrix = match_matrices(
        as_matrix(perceived, name="perceived", scale=scale, min_rows=2),
        as_matrix(expected, name="expected", scale=scale, min_rows=2),
    )
    columns = p_matrix.columns
    has_missing = p_matrix.has_missing or e_matrix.has_missing
    p_values, e_values = p_matrix.values, e_matrix.values
    gap = p_values - e_values
    present = ~np.isnan(gap) if has_missing else None
    item = describe_columns(gap, confidence=confidence, present=present, signed_rank=True)
    too_few = np.flatnonzero(item["n"] < 2)
    if too_few.size:
        j = int(too_few[0])
        raise DataError(
            f"perceived/expected: item {columns[j]!r} has {int(item['n'][j])} respondent(s) "
            "with both answers; at least 2 needed"
        )
    if present is None:
        mean_p, mean_e = p_values.mean(axis=0), e_values.mean(axis=0)
    else:
        mean_p = np.where(present, p_values, 0.0).sum(axis=0) / item["n"]
        mean_e = np.where(present, e_values, 0.0).sum(axis=0) / item["n"]

    if dimensions is not None:
        groups = dimension_map(columns, dimensions)
    else:
        groups = {c: np.array([j]) for j, c in enumerate(columns)}
    counts = dimension_counts(present, groups) if present is not None else None
    dim_p = dimension_means(p_values, present, groups, counts=counts)
    dim_e = dimension_means(e_values, present, groups, counts=counts)
    # Gaps are averaged directly (not as mean P - mean E) so that equal respondent scores
    # are bit-identical and tie in the signed-rank test.
    dim_gap = dimension_means(gap, present, groups, counts=counts)
    n_dims = len(groups)
    equal = np.ones(n_dims)
    score_p = [_weighted_row_mean(dim_p, equal, has_missing=has_missing)]
    score_e = [_weighted_row_mean(dim_e, equal, has_missing=has_missing)]
    score_gap = [_weighted_row_mean(dim_gap, equal, has_missing=has_missing)]
    names: list[Hashable] = ["unweighted"]
    if weights is not None:
        if dimensions is None:
            raise DataError(
                "weights: given without dimensions; allowed: weights per dimension together "
                "with a dimensions mapping"
            )
        w = normalised_weights(weights, list(groups))
        score_p.append(_weighted_row_mean(dim_p, w, has_missing=has_missing))
        score_e.append(_weighted_row_mean(dim_e, w, has_missing=has_missing))
        score_gap.append(_weighted_row_mean(dim_gap, w, has_missing=has_missing))
        names.append("weighted")
    overall_p, overall_e = np.column_stack(score_p), np.column_stack(score_e)
    overall_gap = np.column_stack(score_gap)

    frames = [
        _gap_frame(
            "item",
            columns,
            [_dim_of(j, groups) if dimensions is not None else np.nan for j in range(len(columns))],
            mean_p,
            mean_e,
            item,
        )
    ]
    if dimensions is not None:
        dim_stats = describe_columns(
            dim_gap, confidence=confidence, has_missing=has_missing, signed_rank=True
        )
        frames.append(
            _gap_frame(
                "dimension",
                list(groups),
                list(groups),
                np.nanmean(dim_p, axis=0),
                np.nanmean(dim_e, axis=0),
                dim_stats,
            )
        )
    overall = describe_columns(
        overall_gap, confidence=confidence, has_missing=has_missing, signed_rank=True
    )
    frames.append(
        _gap_frame(
            "overall",
            names,
            [np.nan] * len(names),
            np.nanmean(overall_p, axis=0),
            np.nanmean(overall_e, axis=0),
            overall,
        )
    )
    summary = pd.concat(frames, ignore_index=True)
    weighted = 1 if weights is not None else None
    nan = float("nan")
    return GapScores(
        summary=summary,
        overall_gap=float(overall["mean"][0]),
        overall_ci_low=float(overall["ci_low"][0]),
        overall_ci_high=float(overall["ci_high"][0]),
        weighted_gap=float(overall["mean"][weighted]) if weighted else nan,
        weighted_ci_low=float(overall["ci_low"][weighted]) if weighted else nan,
        weighted_ci_high=float(overall["ci_high"][weighted]) if weighted else nan,
        n_respondents=int(overall["n"][0]),
        n_items=len(columns),
        n_dimensions=n_dims if dimensions is not None else 0,
        confidence=confidence,
    )
