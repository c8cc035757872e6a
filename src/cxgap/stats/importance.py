"""Attribute importance: derived (relative weights, Shapley / LMG), stated, and IPA.

Derived importance asks how much each attribute's performance rating explains of an
overall outcome (e.g. overall satisfaction). Both methods split the model :math:`R^2`
among correlated predictors and work on the correlation matrix only, so their cost does
not grow with the number of respondents beyond one pass to form that matrix.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats as sps

from cxgap.errors import DataError
from cxgap.stats._validate import (
    as_matrix,
    as_vector,
    check_choice,
    check_confidence,
)
from cxgap.stats.moments import Moments
from cxgap.stats.result import StatResult
from cxgap.text import counted

__all__ = [
    "IPA_QUADRANTS",
    "MAX_SHAPLEY_PREDICTORS",
    "IPAResult",
    "ImportanceResult",
    "StatedImportanceResult",
    "importance",
    "ipa",
    "stated_importance",
]

MAX_SHAPLEY_PREDICTORS = 15
"""Largest number of predictors for the exact Shapley / LMG decomposition (2^15 subsets)."""

ImportanceMethod = Literal["relative_weights", "shapley"]
_METHODS = ("relative_weights", "shapley")


@dataclass(frozen=True)
class ImportanceResult(StatResult):
    """Derived importance of each attribute for an outcome.

    ``summary`` (index: attribute) has columns ``raw`` (the attribute's part of
    :math:`R^2`; the column sums to ``r2``), ``share`` (``raw / r2``; sums to 1) and
    ``rank`` (1 = most important).
    """

    r2: float
    method: str
    n: int
    n_excluded: int


def _correlations(
    performance: Any, outcome: Any, scale: tuple[float, float] | None
) -> tuple[np.ndarray, list[Hashable], int, int]:
    """Correlation matrix of [predictors, outcome] after listwise deletion."""
    if isinstance(performance, Moments):
        return _moment_correlations(performance, outcome, n_excluded=0)
    x = as_matrix(performance, name="performance", scale=scale)
    y = as_vector(outcome, name="outcome")  # may use another scale than the attributes
    if y.n_rows != x.n_rows:
        raise DataError(
            f"outcome: has {counted(y.n_rows, 'value')} but performance has "
            f"{counted(x.n_rows, 'row')}; allowed: "
            "one outcome value per respondent, in the same order"
        )
    if x.index is not None and y.index is not None and not x.index.equals(y.index):
        raise DataError(
            "outcome: its index differs from the row index of performance; allowed: the same "
            "respondents in the same order"
        )
    data = np.column_stack([x.values, y.values])
    n_total = data.shape[0]
    if x.has_missing or y.has_missing:
        data = data[~np.isnan(data).any(axis=1)]
    n, p = data.shape[0], x.values.shape[1]
    if n < p + 2:
        raise DataError(
            f"performance: {counted(n, 'complete respondent')} (of {n_total:,}) for "
            f"{counted(p, 'attribute')}; at least {counted(p + 2, 'complete respondent')} "
            "needed (rows with a missing value are excluded)"
        )
    outcome_label = ("outcome",)  # a label no attribute column has
    table = pd.DataFrame(data, columns=pd.Index([*x.columns, outcome_label], dtype=object))
    moments = Moments.from_arrays(table)
    corr, _, _, _ = _moment_correlations(moments, outcome_label, n_excluded=n_total - n)
    return corr, x.columns, n, n_total - n


def _moment_correlations(
    moments: Moments, outcome: Hashable, *, n_excluded: int
) -> tuple[np.ndarray, list[Hashable], int, int]:
    """Correlation matrix of [predictors, outcome] from the moments of complete rows."""
    if outcome not in moments.columns:
        raise DataError(
            f"outcome: {outcome!r} is not a column of the moments; allowed: one of "
            f"{list(moments.columns)!r}"
        )
    if len(moments.groups) != 1 or not moments.complete():
        raise DataError(
            "performance: moments of one group of complete respondents are needed (listwise "
            "deletion: sum only the rows where every attribute and the outcome are present)"
        )
    columns = [c for c in moments.columns if c != outcome]
    ordered = moments.select([*columns, outcome])
    n, p = int(ordered.n_rows[0]), len(columns)
    if n < p + 2:
        raise DataError(
            f"performance: {n} complete respondents for {p} attributes; at least {p + 2} "
            "complete respondents are needed"
        )
    mean = ordered.mean()
    sd = np.sqrt(ordered.var() * (n - 1))
    constant = np.flatnonzero(~(sd > 1e-12 * math.sqrt(n) * np.maximum(1.0, np.abs(mean))))
    if constant.size:
        names = [*columns, "outcome"]
        bad = [names[j] for j in constant]
        raise DataError(
            f"performance/outcome: column(s) {bad!r} do not vary across respondents; allowed: "
            "variables with a non-zero variance"
        )
    return ordered.corr(), columns, n, n_excluded


def _relative_weights(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    eigval, eigvec = np.linalg.eigh(rxx)
    lam = (eigvec * np.sqrt(eigval)) @ eigvec.T  # Rxx^(1/2): predictors on orthogonal Z
    beta = np.linalg.solve(lam, rxy)  # outcome regressed on Z
    return np.asarray((lam**2) @ (beta**2))


def _subset_r2(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """R^2 of every predictor subset, indexed by bit mask (bit j = predictor j)."""
    p = rxx.shape[0]
    masks = np.arange(1 << p)
    bits = ((masks[:, None] >> np.arange(p)) & 1).astype(bool)
    size = bits.sum(axis=1)
    r2 = np.zeros(1 << p)
    for k in range(1, p + 1):
        rows = np.flatnonzero(size == k)
        cols = np.nonzero(bits[rows])[1].reshape(rows.size, k)
        r_ss = rxx[cols[:, :, None], cols[:, None, :]]
        r_s = rxy[cols]
        coef = np.linalg.solve(r_ss, r_s[:, :, None])[:, :, 0]
        r2[rows] = np.einsum("ij,ij->i", r_s, coef)
    return r2


def _shapley(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    p = rxx.shape[0]
    r2 = _subset_r2(rxx, rxy)
    masks = np.arange(1 << p)
    size = ((masks[:, None] >> np.arange(p)) & 1).sum(axis=1)
    # Weight of a subset S not containing j: |S|! (p - |S| - 1)! / p!
    weight = np.array([math.factorial(k) * math.factorial(p - k - 1) for k in range(p)])
    weight = weight / math.factorial(p)
    out = np.empty(p)
    for j in range(p):
        without = masks[(masks >> j) & 1 == 0]
        out[j] = np.sum(weight[size[without]] * (r2[without | (1 << j)] - r2[without]))
    return out


def importance(
    performance: Any,
    outcome: Any,
    *,
    method: ImportanceMethod = "relative_weights",
    scale: tuple[float, float] | None = None,
) -> ImportanceResult:
    r"""Derived importance of attributes for an outcome, as parts of :math:`R^2`.

    ``relative_weights`` (Johnson, 2000): with :math:`R_{xx} = V \Lambda V^\top`, the
    predictors are replaced by their closest orthogonal counterparts
    :math:`Z`, :math:`\Lambda^* = R_{xx}^{1/2} = V \Lambda^{1/2} V^\top`, the outcome is
    regressed on them, :math:`\beta^* = (\Lambda^*)^{-1} r_{xy}`, and

    .. math:: \varepsilon_j = \sum_k \lambda^{*2}_{jk} \beta^{*2}_k, \qquad
              \sum_j \varepsilon_j = R^2 .

    ``shapley`` (LMG; Lindeman, Merenda & Gold, 1980; Grömping, 2006): the average gain in
    :math:`R^2` from adding predictor :math:`j` over all orderings, computed exactly over
    all :math:`2^p` subsets, :math:`R^2(S) = r_S^\top R_{SS}^{-1} r_S`:

    .. math:: \phi_j = \sum_{S \subseteq P \setminus \{j\}}
              \frac{|S|!\,(p-|S|-1)!}{p!} \left[R^2(S \cup \{j\}) - R^2(S)\right].

    Limited to :data:`MAX_SHAPLEY_PREDICTORS` predictors; use relative weights (which agree
    closely with LMG) for more.

    Args:
        performance: respondents x attributes ratings (DataFrame or 2-D array).
        outcome: one outcome value per respondent (e.g. overall satisfaction).
        method: ``"relative_weights"`` or ``"shapley"``.
        scale: optional ``(low, high)`` rating scale of ``performance``; values outside it
            are rejected.

    Missing values: listwise deletion (a respondent with any missing attribute or outcome
    is left out; their number is ``n_excluded``).

    From sums: ``performance`` may be the :class:`~cxgap.stats.Moments` of the complete
    respondents (attributes and outcome), ``outcome`` then the label of the outcome's
    column; the same correlations and weights follow (``n_excluded`` is then 0).

    References:
        Johnson, J. W. (2000). A heuristic method for estimating the relative weight of
        predictor variables in multiple regression. *Multivariate Behavioral Research*,
        35(1), 1-19. Grömping, U. (2006). Relative importance for linear regression in R:
        the package relaimpo. *Journal of Statistical Software*, 17(1).

    Example:
        >>> rng = np.random.default_rng(1)
        >>> x = pd.DataFrame(rng.normal(size=(200, 3)), columns=["speed", "price", "staff"])
        >>> y = x["speed"] + 0.5 * x["staff"] + rng.normal(size=200)
        >>> res = importance(x, y)
        >>> res.summary["rank"].idxmin()
        'speed'
    """
    check_choice(method, _METHODS, name="method")
    corr, columns, n, n_excluded = _correlations(performance, outcome, scale)
    p = len(columns)
    rxx, rxy = corr[:p, :p], corr[:p, p]
    if np.linalg.eigvalsh(rxx)[0] <= 1e-10:
        raise DataError(
            "performance: the attributes are perfectly collinear (one is a linear combination "
            "of others); allowed: attributes that are not exact linear combinations; drop "
            "redundant columns"
        )
    if method == "shapley":
        if p > MAX_SHAPLEY_PREDICTORS:
            raise DataError(
                f"method: 'shapley' with {p} attributes needs 2^{p} regressions; allowed: at "
                f"most {MAX_SHAPLEY_PREDICTORS} attributes, or method='relative_weights'"
            )
        raw = _shapley(rxx, rxy)
    else:
        raw = _relative_weights(rxx, rxy)
    r2 = float(rxy @ np.linalg.solve(rxx, rxy))
    share = raw / r2 if r2 > 0 else np.full(p, np.nan)
    summary = pd.DataFrame(
        {"raw": raw, "share": share},
        index=pd.Index(columns, name="attribute"),
    )
    summary["rank"] = summary["raw"].rank(ascending=False, method="min").astype(int)
    return ImportanceResult(summary, r2, method, n, n_excluded)


@dataclass(frozen=True)
class StatedImportanceResult(StatResult):
    """Stated importance from constant-sum (points) allocations.

    ``summary`` (index: dimension) has columns ``mean_points``, ``sd_points``, ``share``
    (``mean_points / total``; sums to 1), ``ci_low``, ``ci_high`` (confidence interval of
    the mean points) and ``rank`` (1 = most important). ``off_total_rows`` lists the
    positions of rows whose points did not add up to ``total``.
    """

    n: int
    total: float
    policy: str
    confidence: float
    n_off_total: int
    n_excluded: int
    off_total_rows: tuple[int, ...]


def stated_importance(
    points: Any,
    *,
    total: float = 100.0,
    policy: Literal["rescale", "exclude"] = "rescale",
    confidence: float = 0.95,
    tolerance: float = 1e-6,
) -> StatedImportanceResult:
    r"""Mean points, share and confidence interval per dimension from point allocations.

    Each respondent distributes ``total`` points over the dimensions. A row whose points
    add up to something else (beyond ``tolerance``) is counted in ``n_off_total`` and
    either rescaled to ``total`` (``policy="rescale"``) or left out
    (``policy="exclude"``). Rows with no points at all, or entirely missing, are always
    left out (``n_excluded`` counts every row left out). A missing cell in an otherwise
    answered row counts as 0 points. Then, with :math:`x_{ij}` the (rescaled) points,

    .. math:: \bar x_j = \frac1n \sum_i x_{ij}, \qquad
              \text{share}_j = \bar x_j / T, \qquad
              \bar x_j \pm t_{1-\alpha/2,\,n-1}\, s_j / \sqrt n ,

    the interval kept within 0..``total`` (the only possible means; with few respondents
    the t interval reaches beyond them).

    Reference: the constant-sum scale, e.g. Malhotra, N. K. (2010). *Marketing Research:
    An Applied Orientation*, 6th ed., ch. 9.

    Example:
        >>> pts = pd.DataFrame({"price": [50, 30, 40], "speed": [50, 70, 50]})
        >>> res = stated_importance(pts)
        >>> res.n_off_total, round(float(res.summary.loc["speed", "share"]), 3)
        (1, 0.585)
    """
    check_choice(policy, ("rescale", "exclude"), name="policy")
    confidence = check_confidence(confidence)
    if not isinstance(total, int | float) or not math.isfinite(total) or total <= 0:
        raise DataError(f"total: got {total!r}; allowed: a positive number of points")
    matrix = as_matrix(points, name="points")
    values = matrix.values
    with np.errstate(invalid="ignore"):
        negative = np.argwhere(values < 0)
    if negative.size:
        i, j = (int(v) for v in negative[0])
        raise DataError(
            f"points: {matrix.where(i, j)}: value "
            f"{values[i, j]!r} is negative; allowed: points >= 0, or NaN for none"
        )
    answered = ~np.isnan(values).all(axis=1)
    values = np.where(np.isnan(values), 0.0, values)
    sums = values.sum(axis=1)
    off = answered & (np.abs(sums - total) > tolerance * max(1.0, total))
    keep = answered & (sums > 0)
    if policy == "exclude":
        keep &= ~off
    with np.errstate(invalid="ignore", divide="ignore"):
        scaled = values[keep] * (total / sums[keep])[:, None]
    n = scaled.shape[0]
    if n < 2:
        raise DataError(
            f"points: {n} usable rows after excluding empty rows"
            + (" and rows off the total" if policy == "exclude" else "")
            + "; at least 2 respondents are needed"
        )
    mean = scaled.mean(axis=0)
    sd = scaled.std(axis=0, ddof=1)
    half = sps.t.ppf(0.5 + confidence / 2, n - 1) * sd / math.sqrt(n)
    summary = pd.DataFrame(
        {
            "mean_points": mean,
            "sd_points": sd,
            "share": mean / total,
            "ci_low": np.maximum(mean - half, 0.0),
            "ci_high": np.minimum(mean + half, float(total)),
        },
        index=pd.Index(matrix.columns, name="dimension"),
    )
    summary["rank"] = summary["mean_points"].rank(ascending=False, method="min").astype(int)
    return StatedImportanceResult(
        summary,
        n,
        float(total),
        policy,
        confidence,
        int(off.sum()),
        int(values.shape[0] - n),
        tuple(int(i) for i in np.flatnonzero(off)),
    )


IPA_QUADRANTS = (
    "keep up the good work",
    "concentrate here",
    "low priority",
    "possible overkill",
)
"""Quadrant names: high/high, high importance & low performance, low/low, low/high."""


@dataclass(frozen=True)
class IPAResult(StatResult):
    """Importance-performance analysis.

    ``summary`` (index: attribute) has columns ``importance``, ``performance`` and
    ``quadrant`` (one of :data:`IPA_QUADRANTS`).
    """

    importance_cut: float
    performance_cut: float
    cut: str


def _per_attribute(values: Any, name: str) -> pd.Series:
    if isinstance(values, ImportanceResult):
        return values.summary["share"].rename(name)
    if isinstance(values, Mapping) and not isinstance(values, pd.Series):
        values = pd.Series(dict(values))
    matrix = as_vector(values, name=name, min_rows=2)
    if matrix.has_missing:
        row = int(np.flatnonzero(np.isnan(matrix.values[:, 0]))[0])
        raise DataError(
            f"{name}: {matrix.row_label(row)} is missing; allowed: a value for every attribute"
        )
    index = matrix.index if matrix.index is not None else pd.RangeIndex(matrix.n_rows)
    return pd.Series(matrix.values[:, 0], index=index, name=name)


def _cut_value(values: np.ndarray, how: str | float, name: str) -> float:
    if how == "mean":
        return float(values.mean())
    if how == "median":
        return float(np.median(values))
    if isinstance(how, int | float) and not isinstance(how, bool) and math.isfinite(how):
        return float(how)
    raise DataError(f"cut: {name} cut {how!r} is not allowed; allowed: a finite number")


def ipa(
    importance: Any,
    performance: Any,
    *,
    cut: Literal["mean", "median"] | tuple[float, float] = "mean",
) -> IPAResult:
    r"""Importance-performance analysis (Martilla & James, 1977).

    Each attribute is placed by its importance :math:`I_j` and performance :math:`P_j`
    relative to cut points :math:`(c_I, c_P)` (the mean or median over attributes, or a
    given ``(importance_cut, performance_cut)`` pair). "High" means at or above the cut:

    .. math:: \text{quadrant}_j = \begin{cases}
              \text{keep up the good work} & I_j \ge c_I,\ P_j \ge c_P \\
              \text{concentrate here} & I_j \ge c_I,\ P_j < c_P \\
              \text{low priority} & I_j < c_I,\ P_j < c_P \\
              \text{possible overkill} & I_j < c_I,\ P_j \ge c_P
              \end{cases}

    Args:
        importance: one value per attribute (Series, mapping, 1-D array, or an
            :class:`ImportanceResult`, whose ``share`` is used).
        performance: one value per attribute (e.g. mean perception). Series are aligned
            by attribute label; arrays by position.
        cut: ``"mean"``, ``"median"`` or an ``(importance_cut, performance_cut)`` tuple.

    Missing values are not allowed (every attribute needs both coordinates).

    Reference: Martilla, J. A., & James, J. C. (1977). Importance-performance analysis.
    *Journal of Marketing*, 41(1), 77-79.

    Example:
        >>> res = ipa(pd.Series({"a": 0.4, "b": 0.1}), pd.Series({"a": 3.0, "b": 4.5}))
        >>> res.summary.loc["a", "quadrant"]
        'concentrate here'
    """
    imp = _per_attribute(importance, "importance")
    perf = _per_attribute(performance, "performance")
    if len(imp) != len(perf):
        raise DataError(
            f"performance: has {len(perf)} attributes but importance has {len(imp)}; allowed: "
            "one value per attribute in both"
        )
    positional = isinstance(imp.index, pd.RangeIndex) and isinstance(perf.index, pd.RangeIndex)
    if not positional:
        if not imp.index.is_unique or not perf.index.is_unique:
            raise DataError("importance/performance: attribute labels must be unique")
        missing = [a for a in imp.index if a not in perf.index]
        if missing:
            raise DataError(
                f"performance: lacks attribute(s) {missing!r} that importance has; allowed: "
                "the same attribute labels in both"
            )
        perf = perf.reindex(imp.index)
    else:
        perf.index = imp.index
    how_i: str | float
    how_p: str | float
    if isinstance(cut, tuple):
        if len(cut) != 2:
            raise DataError(f"cut: got {cut!r}; allowed: 'mean', 'median' or (x, y) numbers")
        how_i, how_p = cut
        label = "given"
    else:
        check_choice(cut, ("mean", "median"), name="cut")
        how_i = how_p = cut
        label = cut
    ci = _cut_value(imp.to_numpy(), how_i, "importance")
    cp = _cut_value(perf.to_numpy(), how_p, "performance")
    high_i = imp.to_numpy() >= ci
    high_p = perf.to_numpy() >= cp
    quadrant = np.select(
        [high_i & high_p, high_i & ~high_p, ~high_i & ~high_p],
        list(IPA_QUADRANTS[:3]),
        default=IPA_QUADRANTS[3],
    )
    summary = pd.DataFrame(
        {"importance": imp.to_numpy(), "performance": perf.to_numpy(), "quadrant": quadrant},
        index=pd.Index(imp.index, name="attribute"),
    )
    return IPAResult(summary, ci, cp, label)
