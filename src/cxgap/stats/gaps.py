"""SERVQUAL gap scores: perceived minus expected, per item, per dimension and overall.

Also home of the vectorised column statistics (mean, t interval, paired t test, Wilcoxon
signed-rank test) that the other modules reuse, so that every interval in the package is
computed one way.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Mapping, Sequence
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
from cxgap.stats.moments import Counts, Moments
from cxgap.stats.result import StatResult
from cxgap.text import counted

__all__ = ["GapScores", "describe_columns", "gap_scores", "signed_rank_p", "signed_rank_p_counts"]

#: Up to this many non-zero differences the Wilcoxon p-value comes from
#: :func:`scipy.stats.wilcoxon` (exact or permutation distribution where it applies);
#: above it, from the normal approximation with tie correction computed here.
WILCOXON_SCIPY_MAX_N = 5000


#: Sorted columns with at most this many distinct values are split into runs by binary
#: search (Likert answers, their gaps and item means have few); others by one comparison
#: pass.
_FEW_DISTINCT = 256


def _runs(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values of the sorted array ``x`` and how often each occurs."""
    values: list[float] = []
    ends: list[int] = []
    start = 0
    while start < x.size and len(values) < _FEW_DISTINCT:
        value = x[start]
        start = int(np.searchsorted(x, value, side="right"))
        values.append(value)
        ends.append(start)
    if start >= x.size:
        return np.array(values, dtype=np.float64), np.diff(np.r_[0, ends]).astype(np.float64)
    starts = np.flatnonzero(np.r_[True, x[1:] != x[:-1]])
    return x[starts], np.diff(np.r_[starts, x.size]).astype(np.float64)


def _signed_rank_normal_p(d: np.ndarray, buffer: np.ndarray | None = None) -> float:
    """Two-sided Wilcoxon signed-rank p-value, normal approximation, no missing values.

    Zeros are dropped (Wilcoxon's method); ties get average ranks and the variance is
    reduced by :math:`\\sum (t^3 - t) / 48`; no continuity correction. Equals
    ``scipy.stats.wilcoxon(d, method="asymptotic").pvalue`` at the cost of one sort (in
    ``buffer`` when given, at least ``d.size`` floats).
    """
    s = np.empty(d.size) if buffer is None else buffer[: d.size]
    np.copyto(s, d)
    # One sort of the signed differences gives both signs' distinct magnitudes and counts;
    # the zeros form one run in the middle.
    s.sort()
    first_zero = int(np.searchsorted(s, 0.0, side="left"))
    after_zero = int(np.searchsorted(s, 0.0, side="right"))
    n = d.size - (after_zero - first_zero)
    if n == 0:
        return float("nan")
    value_n, count_n = _runs(s[:first_zero])
    value_p, count_p = _runs(s[after_zero:])
    return _signed_rank_normal_counts(value_n, count_n, value_p, count_p, n)


def _signed_rank_normal_counts(
    value_n: np.ndarray, count_n: np.ndarray, value_p: np.ndarray, count_p: np.ndarray, n: int
) -> float:
    """The normal-approximation p-value of :func:`_signed_rank_normal_p` from the distinct
    negative and positive differences and how often each occurs (``n`` non-zero in all)."""
    magnitude, group = np.unique(np.r_[-value_n, value_p], return_inverse=True)
    ties = np.bincount(group, weights=np.r_[count_n, count_p], minlength=magnitude.size)
    plus = np.bincount(group[value_n.size :], weights=count_p, minlength=magnitude.size)
    below = np.cumsum(ties) - ties
    r_plus = float(np.sum(plus * (below + (ties + 1.0) / 2.0)))
    tie_term = float(np.sum(ties**3 - ties))
    mean = n * (n + 1.0) / 4.0
    var = n * (n + 1.0) * (2.0 * n + 1.0) / 24.0 - tie_term / 48.0
    if var <= 0:
        return float("nan")
    z = (r_plus - mean) / np.sqrt(var)
    return float(2.0 * stats.norm.sf(abs(z)))


def _signed_rank_column(x: np.ndarray, buffer: np.ndarray | None = None) -> float:
    """Wilcoxon signed-rank p-value of one column without missing values (see below)."""
    n_nonzero = int(np.count_nonzero(x))
    if n_nonzero == 0:
        return float("nan")
    if n_nonzero > WILCOXON_SCIPY_MAX_N:
        return _signed_rank_normal_p(x, buffer)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)
        return float(stats.wilcoxon(x).pvalue)


def signed_rank_p_counts(differences: Counts) -> float:
    """Two-sided Wilcoxon signed-rank p-value of paired differences given as their value
    counts (one group; e.g. counted by a database on a bounded answer scale).

    The same numbers as :func:`signed_rank_p` on the differences themselves: up to
    :data:`WILCOXON_SCIPY_MAX_N` non-zero differences they are expanded and handed to
    :func:`scipy.stats.wilcoxon`; above, the normal approximation with tie correction
    follows from the counts alone (ranks of tied magnitudes are mid-ranks).

    Example:
        >>> tally = Counts.from_values([1, 1, 2, -1, 0, 3, 2, 1])
        >>> round(signed_rank_p_counts(tally), 4)
        0.0781
    """
    if len(differences.groups) != 1:
        raise DataError(f"differences: counts of {len(differences.groups)} groups; allowed: one")
    values = differences.values
    counts = differences.counts[0].astype(np.float64)
    seen = counts > 0
    values, counts = values[seen], counts[seen]
    n = int(counts[values != 0].sum())
    if n == 0:
        return float("nan")
    if n <= WILCOXON_SCIPY_MAX_N:
        return _signed_rank_column(np.repeat(values, counts.astype(np.int64)))
    negative, positive = values < 0, values > 0
    return _signed_rank_normal_counts(
        values[negative], counts[negative], values[positive], counts[positive], n
    )


def signed_rank_p(values: np.ndarray, *, has_missing: bool = True) -> np.ndarray:
    """Two-sided Wilcoxon signed-rank p-value of each column of ``values`` (NaN = missing).

    Columns with at most :data:`WILCOXON_SCIPY_MAX_N` non-zero values use
    :func:`scipy.stats.wilcoxon` with its defaults; larger ones the normal approximation
    (see :func:`_signed_rank_normal_p`). A column whose values are all zero or missing
    gets ``NaN``.
    """
    out = np.full(values.shape[1], np.nan)
    for j in range(values.shape[1]):
        column = values[:, j]
        out[j] = _signed_rank_column(column[~np.isnan(column)] if has_missing else column)
    return out


def column_moments(x: np.ndarray, buffer: np.ndarray) -> tuple[int, float, float]:
    """Count, mean and sum of squared deviations of a 1-D array without missing values.

    ``buffer`` (at least ``x.size`` floats) receives the deviations, so that a loop over
    many columns allocates nothing of their size.
    """
    n = x.size
    if n == 0:
        return 0, float("nan"), float("nan")
    mean = float(np.add.reduce(x)) / n
    deviation = np.subtract(x, mean, out=buffer[:n])
    # einsum, not np.dot: BLAS threads stall when the cores are busy.
    return n, mean, float(np.einsum("i,i->", deviation, deviation))


#: Relative size of an SD that is rounding error: below it, values count as all equal.
_NO_SPREAD = 1e-12


def t_statistics(
    n: np.ndarray, mean: np.ndarray, squares: np.ndarray, *, confidence: float
) -> dict[str, np.ndarray]:
    """t interval, one-sample t test and :math:`d_z` from each column's count, mean and
    sum of squared deviations (see :func:`describe_columns`)."""
    n = np.asarray(n, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        df = np.where(n > 1, n - 1.0, np.nan)
        sd = np.sqrt(squares / df)
        # Values that all agree (up to rounding, e.g. 3.1 - 3.0) leave the test undefined.
        no_spread = sd <= _NO_SPREAD * np.abs(mean)
        sd = np.where(no_spread, 0.0, sd)
        se = sd / np.sqrt(n)
        half = stats.t.ppf(0.5 + confidence / 2.0, df) * se
        t = np.where(no_spread, np.nan, mean / se)
        p_t = 2.0 * stats.t.sf(np.abs(t), df)
        d_z = np.where(no_spread, np.nan, mean / sd)
    return {
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


def describe_columns(
    values: np.ndarray | Sequence[np.ndarray] | Moments,
    *,
    confidence: float,
    has_missing: bool = True,
    signed_rank: bool = False,
) -> dict[str, np.ndarray]:
    """Mean, SD, SE, t interval and one-sample t test (against 0) of each column.

    ``values`` is a respondents x columns array or a sequence of 1-D columns. NaN is
    missing; each column uses its own values. Returns arrays keyed
    ``n, mean, sd, se, ci_low, ci_high, t, p_t, d_z`` (and ``p_wilcoxon`` when
    ``signed_rank``):

    .. math::

        \\bar x \\pm t_{(1+c)/2,\\,n-1}\\, s/\\sqrt n, \\qquad
        t = \\bar x / (s/\\sqrt n), \\qquad d_z = \\bar x / s

    For paired differences this is the paired t test (``scipy.stats.ttest_rel``) and
    Cohen's :math:`d_z`. Columns with fewer than two values get NaN for the spread-based
    figures. Columns whose values all agree (SD 0, up to rounding) have SD 0 and an
    interval of zero width at the mean, and NaN for ``t``, ``p_t`` and ``d_z``: the test is
    undefined (it would give an infinite ``t`` and ``p`` 0).

    ``values`` may also be the :class:`~cxgap.stats.Moments` of the columns (one group;
    e.g. of paired differences summed by a database): the t figures follow from them
    (``signed_rank`` needs the values themselves, or their counts: :func:`signed_rank_p`).
    """
    if isinstance(values, Moments):
        n_moments = values.count()
        return t_statistics(
            n_moments, values.mean(), values.var() * (n_moments - 1), confidence=confidence
        )
    if isinstance(values, np.ndarray):
        values = [values[:, j] for j in range(values.shape[1])]
    k = len(values)
    n, mean, squares, p_wilcoxon = (np.empty(k) for _ in range(4))
    buffer = np.empty(max((c.shape[0] for c in values), default=0))
    for j, column in enumerate(values):
        if has_missing:
            column = column[~np.isnan(column)]
        n[j], mean[j], squares[j] = column_moments(column, buffer)
        if signed_rank:
            p_wilcoxon[j] = _signed_rank_column(column, buffer)
    out = t_statistics(n, mean, squares, confidence=confidence)
    if signed_rank:
        out["p_wilcoxon"] = p_wilcoxon
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


class _RowMean:
    """Per respondent weighted mean of dimension scores, built one dimension at a time.

    Missing scores (NaN) are skipped and the weights renormalised over the others.
    """

    def __init__(self, n_rows: int, weights: np.ndarray, *, has_missing: bool) -> None:
        self.weights = weights
        self.numerator = np.zeros(n_rows)
        self.denominator = np.zeros(n_rows) if has_missing else None
        self.scratch: np.ndarray | None = None

    def add(self, d: int, column: np.ndarray) -> None:
        weight = self.weights[d]
        if self.denominator is not None:
            usable = ~np.isnan(column)
            np.add(self.numerator, weight * column, out=self.numerator, where=usable)
            self.denominator += weight * usable
        elif weight == 1.0:
            self.numerator += column
        else:
            if self.scratch is None:
                self.scratch = np.empty_like(self.numerator)
            self.numerator += np.multiply(column, weight, out=self.scratch)

    def result(self) -> np.ndarray:
        if self.denominator is None:
            self.numerator /= self.weights.sum()
        else:
            self.denominator[self.denominator == 0] = np.nan
            self.numerator /= self.denominator
        return self.numerator


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
    dimensions: Mapping[Any, Any] | None = None,
    weights: Mapping[Any, float] | pd.Series | None = None,
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
    # Column by column, one dimension at a time: each item's gap and each dimension's
    # respondent scores live in reused vectors, never in respondents x items tables.
    p_values = np.asfortranarray(p_matrix.values)
    e_values = np.asfortranarray(e_matrix.values)
    n_rows, k = p_values.shape
    if dimensions is not None:
        groups = dimension_map(columns, dimensions)
    else:
        groups = {c: np.array([j]) for j, c in enumerate(columns)}
    n_dims = len(groups)
    names: list[Hashable] = ["unweighted"]
    score_weights = [np.ones(n_dims)]
    if weights is not None:
        if dimensions is None:
            raise DataError(
                "weights: given without dimensions; allowed: weights per dimension together "
                "with a dimensions mapping"
            )
        score_weights.append(normalised_weights(weights, list(groups)))
        names.append("weighted")
    scores = [_RowMean(n_rows, v, has_missing=has_missing) for v in score_weights]
    if has_missing:
        scores_p = [_RowMean(n_rows, v, has_missing=True) for v in score_weights]
        scores_e = [_RowMean(n_rows, v, has_missing=True) for v in score_weights]
        level_p, level_e, count = np.empty(n_rows), np.empty(n_rows), np.empty(n_rows)
    n_item, mean_gap, squares, p_item, mean_p, mean_e = (np.empty(k) for _ in range(6))
    n_dim, mean_dim, squares_dim, p_dim, dim_mean_p, dim_mean_e = (
        np.empty(n_dims) for _ in range(6)
    )
    gap, buffer, level = np.empty(n_rows), np.empty(n_rows), np.empty(n_rows)
    for d, positions in enumerate(groups.values()):
        # A respondent's dimension score: sum of the usable item gaps divided last, so that
        # equal means of whole-number answers are bit-identical and tie in the
        # signed-rank test.
        level.fill(0.0)
        if has_missing:
            for v in (level_p, level_e, count):
                v.fill(0.0)
        for j in positions:
            p_column, e_column = p_values[:, j], e_values[:, j]
            np.subtract(p_column, e_column, out=gap)
            used = gap
            if has_missing:
                present = ~np.isnan(gap)
                used = gap[present]
                np.add(level, gap, out=level, where=present)
                np.add(level_p, p_column, out=level_p, where=present)
                np.add(level_e, e_column, out=level_e, where=present)
                count += present
                p_column, e_column = p_column[present], e_column[present]
            else:
                level += gap
            n_item[j], mean_gap[j], squares[j] = column_moments(used, buffer)
            p_item[j] = _signed_rank_column(used, buffer)
            mean_p[j] = np.add.reduce(p_column) / max(used.size, 1)
            mean_e[j] = np.add.reduce(e_column) / max(used.size, 1)
        if has_missing:
            count[count == 0] = np.nan
            for v in (level, level_p, level_e):
                v /= count
            dim_mean_p[d], dim_mean_e[d] = np.nanmean(level_p), np.nanmean(level_e)
            for score_p, score_e in zip(scores_p, scores_e, strict=True):
                score_p.add(d, level_p)
                score_e.add(d, level_e)
            used = level[~np.isnan(level)]
        else:
            level /= float(len(positions))
            # Without missing answers means of respondent means are means of item means.
            dim_mean_p[d], dim_mean_e[d] = mean_p[positions].mean(), mean_e[positions].mean()
            used = level
        if dimensions is not None:
            n_dim[d], mean_dim[d], squares_dim[d] = column_moments(used, buffer)
            p_dim[d] = _signed_rank_column(used, buffer)
        for score in scores:
            score.add(d, level)
    del gap, buffer, level
    item = t_statistics(n_item, mean_gap, squares, confidence=confidence)
    item["p_wilcoxon"] = p_item
    too_few = np.flatnonzero(item["n"] < 2)
    if too_few.size:
        j = int(too_few[0])
        raise DataError(
            f"perceived/expected: item {columns[j]!r} has "
            f"{counted(int(item['n'][j]), 'respondent')} with both answers; at least 2 needed"
        )
    if has_missing:
        overall_mean_p = np.array([np.nanmean(s.result()) for s in scores_p])
        overall_mean_e = np.array([np.nanmean(s.result()) for s in scores_e])
    else:
        overall_mean_p = np.array([v @ dim_mean_p / v.sum() for v in score_weights])
        overall_mean_e = np.array([v @ dim_mean_e / v.sum() for v in score_weights])
    overall_gap = [score.result() for score in scores]

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
        dim_stats = t_statistics(n_dim, mean_dim, squares_dim, confidence=confidence)
        dim_stats["p_wilcoxon"] = p_dim
        frames.append(
            _gap_frame(
                "dimension",
                list(groups),
                list(groups),
                dim_mean_p,
                dim_mean_e,
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
            overall_mean_p,
            overall_mean_e,
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
