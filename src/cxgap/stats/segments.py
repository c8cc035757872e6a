"""Compare expectation (or perception, gap) scores between customer segments.

For every column: Welch's ANOVA and the Kruskal-Wallis test, effect sizes, and
Games-Howell pairwise comparisons, with Benjamini-Hochberg adjusted p-values across the
family of columns (omnibus tests) and across all pairs of all columns (pairwise tests).
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import special
from scipy import stats as sps

from cxgap.errors import DataError
from cxgap.stats._validate import as_matrix, check_confidence
from cxgap.stats.moments import Counts, Moments
from cxgap.stats.result import StatResult
from cxgap.text import counted

__all__ = ["SegmentComparison", "compare_segments", "fdr_bh", "segment_codes"]


def fdr_bh(p: np.ndarray) -> np.ndarray:
    r"""Benjamini-Hochberg adjusted p-values; ``NaN`` entries stay ``NaN`` and do not count.

    .. math:: \tilde p_{(i)} = \min_{j \ge i} \min\left(1, \frac{m}{j} p_{(j)}\right)

    Reference: Benjamini, Y., & Hochberg, Y. (1995). Controlling the false discovery rate.
    *Journal of the Royal Statistical Society B*, 57(1), 289-300.
    """
    p = np.asarray(p, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0:
        return out
    order = np.argsort(p[ok])
    ranked = p[ok][order] * m / np.arange(1, m + 1)
    adjusted = np.minimum(1.0, np.minimum.accumulate(ranked[::-1])[::-1])
    values = np.empty(m)
    values[order] = adjusted
    out[ok] = values
    return out


def segment_codes(
    segments: Any, *, n_rows: int, index: pd.Index | None, name: str = "segments"
) -> tuple[np.ndarray, list[Hashable]]:
    """Integer code per respondent (-1 = missing label) and the ordered segment labels.

    Labels are sorted (a Categorical keeps its category order); missing labels (``None``,
    ``NaN``) get code -1.
    """
    if isinstance(segments, pd.DataFrame):
        if segments.shape[1] != 1:
            raise DataError(
                f"{name}: got {segments.shape[1]} columns; allowed: one label per respondent"
            )
        segments = segments.iloc[:, 0]
    if not isinstance(segments, pd.Series | pd.Categorical | pd.Index | np.ndarray):
        segments = np.asarray(list(segments), dtype=object)
    if np.ndim(segments) != 1:
        raise DataError(
            f"{name}: got {np.ndim(segments)} dimensions; allowed: a 1-D vector of labels, one "
            "per respondent"
        )
    series = segments if isinstance(segments, pd.Series) else pd.Series(segments)
    if len(series) != n_rows:
        raise DataError(
            f"{name}: has {counted(len(series), 'label')} but the data have "
            f"{counted(n_rows, 'row')}; allowed: one "
            "label per respondent, in the same order"
        )
    if isinstance(segments, pd.Series) and index is not None and not index.equals(series.index):
        raise DataError(
            f"{name}: its index differs from the data's row index; allowed: the same "
            "respondents in the same order"
        )
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy().astype(np.intp)
        used = np.unique(codes[codes >= 0])
        remap = np.full(len(series.cat.categories) + 1, -1, dtype=np.intp)
        remap[used] = np.arange(used.size)
        return remap[codes], [series.cat.categories[c] for c in used]
    try:
        raw_codes, uniques = pd.factorize(series, sort=True)
    except TypeError:  # labels of mixed, unorderable types: keep order of appearance
        raw_codes, uniques = pd.factorize(series, sort=False)
    return np.asarray(raw_codes, dtype=np.intp), list(uniques)


@dataclass(frozen=True)
class SegmentComparison(StatResult):
    """Segment comparison per column.

    ``summary`` (index: column) columns: ``n``, ``n_segments``, ``welch_F``,
    ``welch_df1``, ``welch_df2``, ``welch_p``, ``welch_p_adj``, ``kruskal_H``,
    ``kruskal_p``, ``kruskal_p_adj``, ``eta_sq``, ``epsilon_sq``, then ``n_<segment>``
    and ``mean_<segment>`` per segment. ``*_p_adj``: Benjamini-Hochberg across columns.

    ``pairwise``: one row per column and pair of segments with ``column``, ``A``, ``B``,
    ``mean_A``, ``mean_B``, ``diff`` (A - B), ``se``, ``t``, ``df``, ``p`` (Games-Howell),
    ``p_adj`` (Benjamini-Hochberg across all rows), ``ci_low``, ``ci_high``. Tests that
    need a spread within segments (Welch, Games-Howell) are NaN when a column's answers
    do not vary within any of the segments compared.

    ``groups``: one row per column and segment with ``n``, ``mean``, ``sd``.
    ``small_segments``: labels of segments with fewer than ``min_size`` respondents.
    """

    n: int
    n_segments: int
    confidence: float
    min_size: int
    small_segments: tuple[Hashable, ...]
    pairwise: pd.DataFrame
    groups: pd.DataFrame


def _kruskal(tally: Counts) -> tuple[float, float]:
    """Kruskal-Wallis H (tie-corrected) from the value counts per segment: every value's
    mid-rank follows from how many answers lie below it."""
    ties = tally.counts.sum(axis=0).astype(np.float64)
    n = tally.counts.sum(axis=1).astype(np.float64)
    total = float(ties.sum())
    midrank = np.cumsum(ties) - ties + (ties + 1.0) / 2.0
    rank_sums = tally.counts @ midrank
    h = 12.0 / (total * (total + 1)) * np.sum(rank_sums**2 / n) - 3 * (total + 1)
    correction = 1.0 - np.sum(ties**3 - ties) / (total**3 - total)
    if correction <= 0:
        return np.nan, np.nan
    h /= correction
    return float(h), float(sps.chi2.sf(h, n.size - 1))


def _welch(mean: np.ndarray, var: np.ndarray, n: np.ndarray) -> tuple[float, float, float, float]:
    k = n.size
    with np.errstate(divide="ignore", invalid="ignore"):
        w = n / var
        weight_sum = w.sum()
        grand = np.sum(w * mean) / weight_sum
        lam = np.sum((1 - w / weight_sum) ** 2 / (n - 1))
        f = (np.sum(w * (mean - grand) ** 2) / (k - 1)) / (1 + 2 * (k - 2) * lam / (k**2 - 1))
        df2 = (k**2 - 1) / (3 * lam)
    if not (np.isfinite(f) and np.isfinite(df2)):
        return np.nan, float(k - 1), np.nan, np.nan
    return float(f), float(k - 1), float(df2), float(sps.f.sf(f, k - 1, df2))


_OMNIBUS_COLUMNS = (
    "n",
    "n_segments",
    "welch_F",
    "welch_df1",
    "welch_df2",
    "welch_p",
    "welch_p_adj",
    "kruskal_H",
    "kruskal_p",
    "kruskal_p_adj",
    "eta_sq",
    "epsilon_sq",
)
_QUANTILE_NODES = 10

# Studentized range distribution by fixed Gauss-Legendre rules (SciPy integrates each value
# adaptively, about 5 ms per probability and 0.1 s per quantile). Inner integral: the
# range of k standard normals over z in [-9, 9]; outer: S = sqrt(chi2_df / df) over
# log S, between its 1e-16 and 1 - 1e-16 quantiles. Absolute error below 1e-13 for
# k <= 10 and df >= 1 (checked against SciPy and, for k = 2, the exact t form).
_Z_LIMIT = 9.0
_Z_NODES, _Z_WEIGHTS = (v * _Z_LIMIT for v in np.polynomial.legendre.leggauss(96))
_Z_PHI = _Z_WEIGHTS * np.exp(-(_Z_NODES**2) / 2.0) / math.sqrt(2.0 * math.pi)
_Z_CDF = sps.norm.cdf(_Z_NODES)
_S_NODES, _S_WEIGHTS = np.polynomial.legendre.leggauss(192)
_S_TAIL = 1e-16
_DF_INFINITE = 1e5
_PAIRS_PER_BATCH = 32


def _range_sf_pdf(
    q: np.ndarray, k: int, df: np.ndarray, *, density: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    r"""Survival function (and density) of the studentized range :math:`Q_{k,\nu}`.

    .. math::

        P(Q > q) = \int_0^\infty f_\nu(s)\, k \int \phi(z)\,\Phi(z - qs)
        \sum_{i=0}^{k-2} \Phi(z)^i\,[\Phi(z) - \Phi(z - qs)]^{k-2-i}\,dz\,ds

    (the range's survival function written without cancellation), with :math:`f_\nu` the
    density of :math:`\sqrt{\chi^2_\nu/\nu}`. ``q`` and ``df`` are 1-D arrays of equal
    length, finite and positive. The density is NaN unless ``density``.

    Reference: Lund, R. E., & Lund, J. R. (1983). Algorithm AS 190: probabilities and upper
    quantiles for the studentized range. *Applied Statistics*, 32(2), 204-210.
    """
    sf = np.empty(q.size)
    pdf = np.full(q.size, np.nan)
    # Like SciPy (and so pingouin), df >= 1e5 counts as infinite: S = 1.
    finite = df < _DF_INFINITE
    for start in range(0, q.size, _PAIRS_PER_BATCH):
        part = slice(start, start + _PAIRS_PER_BATCH)
        nu = np.where(finite[part], df[part], 1.0)[:, None]
        # chi2 quantiles: 2 * gamma(df / 2) quantiles, by SciPy's ufuncs.
        low = 0.5 * np.log(2.0 * special.gammaincinv(nu / 2.0, _S_TAIL) / nu)
        high = 0.5 * np.log(2.0 * special.gammainccinv(nu / 2.0, _S_TAIL) / nu)
        half = (high - low) / 2.0
        log_s = np.where(finite[part, None], (high + low) / 2.0 + half * _S_NODES, 0.0)
        s = np.exp(log_s)
        log_f = (
            math.log(2.0)
            + nu / 2.0 * np.log(nu / 2.0)
            - special.gammaln(nu / 2.0)
            + nu * log_s
            - nu * s**2 / 2.0
        )
        # Density of log S times the rule; for infinite df all weight on S = 1.
        weight = np.where(
            finite[part, None], np.exp(log_f) * half * _S_WEIGHTS, 1.0 / _S_NODES.size
        )
        shifted = _Z_NODES - (q[part, None] * s)[..., None]
        below = special.ndtr(shifted)
        inside = _Z_CDF - below  # P(z - qs < Z < z)
        # sum_i Phi(z)^i inside^(k-2-i) by T_m = inside * T_(m-1) + Phi(z)^m, T_0 = 1.
        total = np.ones_like(inside)
        for m in range(1, k - 1):
            total *= inside
            total += _Z_CDF**m
        range_sf = k * np.einsum("z,psz->ps", _Z_PHI, below * total)
        sf[part] = np.einsum("ps,ps->p", weight, range_sf)
        if density:
            phi = np.exp(-(shifted**2) / 2.0) / math.sqrt(2.0 * math.pi)
            range_pdf = k * (k - 1) * np.einsum("z,psz->ps", _Z_PHI, phi * inside ** (k - 2))
            pdf[part] = np.einsum("ps,ps->p", weight * s, range_pdf)
    return sf, pdf


def _range_ppf(confidence: float, k: int, df: np.ndarray) -> np.ndarray:
    """Quantile of the studentized range by Newton's method on :func:`_range_sf_pdf`.

    Starts from the Bonferroni bound :math:`\\sqrt2\\, t_{1-\\alpha/(k(k-1)),\\nu}`
    (exact for k = 2) and stops when the step is below 1e-12 relative.
    """
    alpha = 1.0 - confidence
    q = np.asarray(math.sqrt(2.0) * sps.t.isf(alpha / (k * (k - 1)), df), dtype=np.float64)
    active = np.ones(q.size, dtype=bool)
    for _ in range(50):
        sf, pdf = _range_sf_pdf(q[active], k, df[active], density=True)
        new = q[active] + (sf - alpha) / pdf
        new = np.where(new > 0, new, q[active] / 2.0)  # stay in the support
        done = np.abs(new - q[active]) <= 1e-12 * new
        q[active] = new
        active[np.flatnonzero(active)[done]] = False
        if not active.any():
            break
    return q


@functools.lru_cache(maxsize=64)
def _quantile_curve(confidence: float, k: int, df_floor: float) -> np.ndarray:
    """Chebyshev coefficients of the studentized range quantile as a function of 1/df."""
    j = np.arange(_QUANTILE_NODES)
    u = -np.cos((2 * j + 1) * np.pi / (2 * _QUANTILE_NODES))  # nodes in (-1, 1)
    df = 2.0 * df_floor / (u + 1.0)  # u = 2 * df_floor / df - 1
    q = _range_ppf(confidence, k, df)
    return np.asarray(np.polynomial.chebyshev.chebfit(u, q, _QUANTILE_NODES - 1))


def _range_quantile(confidence: float, k: int, df: np.ndarray) -> np.ndarray:
    """Quantile of the studentized range for many df values.

    Beyond a few values it is solved at Chebyshev nodes in 1/df and interpolated (the
    quantile is smooth in 1/df; relative error below 1e-7 for df >= 1).
    """
    out = np.full(df.shape, np.nan)
    ok = np.isfinite(df) & (df > 0)
    if ok.sum() <= _QUANTILE_NODES:
        out[ok] = _range_ppf(confidence, k, df[ok])
        return out
    df_floor = 2.0 ** math.floor(math.log2(float(df[ok].min())))
    coefs = _quantile_curve(confidence, k, df_floor)
    out[ok] = np.polynomial.chebyshev.chebval(2.0 * df_floor / df[ok] - 1.0, coefs)
    return out


def _games_howell_p(t: np.ndarray, k: int, df: np.ndarray) -> np.ndarray:
    """Games-Howell p-values :math:`P(Q_{k,df} > \\sqrt2 |t|)` (NaN where undefined)."""
    p = np.full(t.shape, np.nan)
    ok = np.isfinite(t) & np.isfinite(df) & (df > 0)
    p[ok] = np.clip(_range_sf_pdf(np.sqrt(2) * np.abs(t[ok]), k, df[ok])[0], 0, 1)
    return p


def _games_howell(mean: np.ndarray, var: np.ndarray, n: np.ndarray) -> dict[str, np.ndarray]:
    k = n.size
    a, b = np.triu_indices(k, 1)
    v = var / n
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(v[a] + v[b])
        diff = mean[a] - mean[b]
        t = np.where(se > 0, diff / se, np.nan)  # no spread in either segment: undefined
        df = (v[a] + v[b]) ** 2 / (v[a] ** 2 / (n[a] - 1) + v[b] ** 2 / (n[b] - 1))
    return {
        "a": a,
        "b": b,
        "diff": diff,
        "se": se,
        "t": t,
        "df": df,
    }


def _segment_sums(
    values: Any, segments: Any, scale: tuple[float, float] | None
) -> tuple[list[Hashable], list[Hashable], np.ndarray, list[tuple[Moments, Counts | None, int]]]:
    """Per column, the segments' moments and value counts of the labelled answers."""
    matrix = as_matrix(values, name="values", scale=scale)
    codes, labels = segment_codes(segments, n_rows=matrix.n_rows, index=matrix.index)
    labelled = codes >= 0
    sizes = np.bincount(codes[labelled], minlength=len(labels))
    per_column: list[tuple[Moments, Counts | None, int]] = []
    for j, column in enumerate(matrix.columns):
        x_all = matrix.values[:, j]
        keep = labelled & ~np.isnan(x_all)
        x, g = x_all[keep], codes[keep]
        # every segment is a group, also one without answers in this column
        by = pd.Categorical.from_codes(g, categories=pd.Index(range(len(labels))))
        moments = Moments.from_arrays(pd.DataFrame({column: x}), by=by)
        tally = Counts.from_values(x, by=by)
        per_column.append((moments, tally, int(labelled.sum())))
    return list(matrix.columns), labels, sizes, per_column


def compare_segments(
    values: Any,
    segments: Any,
    *,
    confidence: float = 0.95,
    min_size: int = 30,
    scale: tuple[float, float] | None = None,
) -> SegmentComparison:
    r"""Compare each column's mean between segments (Welch, Kruskal-Wallis, Games-Howell).

    For segment :math:`g` with :math:`n_g`, mean :math:`\bar x_g`, variance :math:`s_g^2`
    and :math:`w_g = n_g / s_g^2`, :math:`W = \sum w_g`,
    :math:`\tilde x = \sum w_g \bar x_g / W` and
    :math:`\Lambda = \sum (1 - w_g/W)^2/(n_g - 1)`, Welch's (1951) test is

    .. math:: F = \frac{\sum w_g (\bar x_g - \tilde x)^2 / (k-1)}
              {1 + \frac{2(k-2)}{k^2-1}\Lambda}, \quad df_1 = k - 1, \quad
              df_2 = \frac{k^2-1}{3\Lambda}.

    Kruskal-Wallis :math:`H` on mid-ranks with the tie correction; effect sizes
    :math:`\eta^2 = SS_\text{between}/SS_\text{total}` and
    :math:`\varepsilon^2 = H/(N-1)` (Tomczak & Tomczak, 2014). Games-Howell (1976) for
    segments :math:`i, j`: :math:`t = (\bar x_i - \bar x_j)/\sqrt{s_i^2/n_i + s_j^2/n_j}`,
    Welch-Satterthwaite :math:`df`, :math:`p = P(q_{k,df} > \sqrt2 |t|)` from the
    studentized range, and the interval
    :math:`(\bar x_i - \bar x_j) \pm q_{1-\alpha;k,df}/\sqrt2 \cdot SE`.

    Args:
        values: respondents x columns (items, dimensions or components).
        segments: one segment label per respondent (Series, list or array).
        confidence: level of the Games-Howell intervals.
        min_size: segments with fewer respondents are reported in ``small_segments``
            with a warning (results for them are unstable).
        scale: optional ``(low, high)`` scale of ``values``; values outside are rejected.

    Missing values: respondents without a segment label are left out; a missing value
    leaves the respondent out of that column only. Every segment needs at least 2 values
    in every column.

    From sums: ``values`` may be the :class:`~cxgap.stats.Moments` of the columns grouped
    by segment (one column's moments count each answer of that column) and ``segments``
    then a mapping from column to its :class:`~cxgap.stats.Counts` per segment (the same
    groups), from which Kruskal-Wallis follows exactly; a column without counts gets NaN
    for it. The arrays path turns its input into exactly these sums first.

    References:
        Welch, B. L. (1951). *Biometrika*, 38, 330-336. Kruskal, W. H., & Wallis, W. A.
        (1952). *JASA*, 47, 583-621. Games, P. A., & Howell, J. F. (1976). *Journal of
        Educational Statistics*, 1(2), 113-125. Tomczak, M., & Tomczak, E. (2014). The
        need to report effect size estimates revisited. *Trends in Sport Sciences*, 21(1).

    Example:
        >>> rng = np.random.default_rng(0)
        >>> seg = np.repeat(["a", "b", "c"], 40)
        >>> vals = pd.DataFrame({"speed": rng.normal(size=120) + (seg == "c")})
        >>> res = compare_segments(vals, seg)
        >>> res.pairwise[["A", "B"]].values.tolist()
        [['a', 'b'], ['a', 'c'], ['b', 'c']]
    """
    confidence = check_confidence(confidence)
    if isinstance(min_size, bool) or not isinstance(min_size, int) or min_size < 0:
        raise DataError(f"min_size: got {min_size!r}; allowed: a whole number >= 0")
    if isinstance(values, Moments):
        columns, labels, sizes = list(values.columns), list(values.groups), values.n_rows
        tallies = dict(segments or {})
        per_column = [
            (values.select([c]), tallies.get(c), int(values.n_rows.sum())) for c in columns
        ]
    else:
        columns, labels, sizes, per_column = _segment_sums(values, segments, scale)
    k = len(labels)
    if k < 2:
        raise DataError(
            f"segments: found {counted(k, 'segment')} {labels!r}; allowed: at least 2 "
            "segments to compare"
        )
    small = tuple(lab for lab, size in zip(labels, sizes, strict=True) if size < min_size)
    if small:
        warnings.warn(
            f"compare_segments: segment(s) {list(small)!r} have fewer than {min_size} "
            "respondents; their comparisons are unstable",
            UserWarning,
            stacklevel=2,
        )
    rows: list[dict[str, Any]] = []
    pair_frames: list[pd.DataFrame] = []
    group_frames: list[pd.DataFrame] = []
    n_labelled = 0
    for column, (moments, tally, labelled) in zip(columns, per_column, strict=True):
        n_labelled = labelled
        n = moments.n[:, 0, 0]
        if (n < 2).any():
            bad = labels[int(np.flatnonzero(n < 2)[0])]
            raise DataError(
                f"values: column {column!r} has {counted(int(n.min()), 'value')} in segment "
                f"{bad!r}; "
                "allowed: at least 2 values per segment in every column (drop or merge the "
                "segment)"
            )
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = moments.shift[0] + moments.sums[:, 0, 0] / n
            squares = moments.products[:, 0, 0] - moments.sums[:, 0, 0] ** 2 / n
        var = squares / (n - 1)
        ss_within = float(np.sum(squares))
        grand = float(np.sum(n * mean) / n.sum())
        ss_total = ss_within + float(np.sum(n * (mean - grand) ** 2))
        f, df1, df2, p_welch = _welch(mean, var, n)
        h, p_kw = _kruskal(tally) if tally is not None else (np.nan, np.nan)
        total = int(n.sum())
        n = n.astype(np.int64)
        row: dict[str, Any] = {
            "column": column,
            "n": total,
            "n_segments": k,
            "welch_F": f,
            "welch_df1": df1,
            "welch_df2": df2,
            "welch_p": p_welch,
            "kruskal_H": h,
            "kruskal_p": p_kw,
            "eta_sq": (ss_total - ss_within) / ss_total if ss_total > 0 else np.nan,
            "epsilon_sq": h / (total - 1),
        }
        for s, label in enumerate(labels):
            row[f"n_{label}"] = int(n[s])
        for s, label in enumerate(labels):
            row[f"mean_{label}"] = float(mean[s])
        rows.append(row)
        gh = _games_howell(mean, var, n)
        pair_frames.append(
            pd.DataFrame(
                {
                    "column": column,
                    "A": [labels[i] for i in gh["a"]],
                    "B": [labels[i] for i in gh["b"]],
                    "mean_A": mean[gh["a"]],
                    "mean_B": mean[gh["b"]],
                    **{key: gh[key] for key in ("diff", "se", "t", "df")},
                }
            )
        )
        group_frames.append(
            pd.DataFrame(
                {"column": column, "segment": labels, "n": n, "mean": mean, "sd": np.sqrt(var)}
            )
        )
    summary = pd.DataFrame(rows).set_index("column")
    summary["welch_p_adj"] = fdr_bh(summary["welch_p"].to_numpy())
    summary["kruskal_p_adj"] = fdr_bh(summary["kruskal_p"].to_numpy())
    order = [*_OMNIBUS_COLUMNS, *(c for c in summary.columns if c not in _OMNIBUS_COLUMNS)]
    summary = summary[order]
    pairwise = pd.concat(pair_frames, ignore_index=True)
    pairwise["p"] = _games_howell_p(pairwise["t"].to_numpy(), k, pairwise["df"].to_numpy())
    pairwise["p_adj"] = fdr_bh(pairwise["p"].to_numpy())
    half = _range_quantile(confidence, k, pairwise["df"].to_numpy()) / np.sqrt(2)
    pairwise["ci_low"] = pairwise["diff"] - half * pairwise["se"]
    pairwise["ci_high"] = pairwise["diff"] + half * pairwise["se"]
    return SegmentComparison(
        summary,
        n_labelled,
        k,
        confidence,
        min_size,
        small,
        pairwise,
        pd.concat(group_frames, ignore_index=True),
    )
