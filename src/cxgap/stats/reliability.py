"""Reliability of multi-item scales: Cronbach's alpha, McDonald's omega, rho_C / rho_A / AVE."""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats

from cxgap.errors import DataError
from cxgap.stats._validate import Matrix, as_matrix, check_choice, check_confidence
from cxgap.stats.moments import Moments
from cxgap.stats.result import StatResult
from cxgap.text import counted

__all__ = [
    "CompositeReliability",
    "CronbachAlpha",
    "McDonaldOmega",
    "composite_reliability",
    "cronbach_alpha",
    "mcdonald_omega",
]

NanPolicy = Literal["pairwise", "listwise", "error"]
_NAN_POLICIES = ("pairwise", "listwise", "error")


@dataclass(frozen=True)
class _Moments:
    cov: np.ndarray
    corr: np.ndarray
    n: int
    mean: np.ndarray
    sd: np.ndarray
    n_item: np.ndarray


def _moments(matrix: Matrix | Moments, nan_policy: str, *, min_items: int) -> _Moments:
    """Covariance and correlation matrices of the items under a missing-value policy.

    ``pairwise`` uses, for each pair of items, the respondents who answered both (as
    ``pandas.DataFrame.cov`` / ``corr``); ``n`` is then the number of respondents with at
    least one answer. ``listwise`` drops respondents with any missing answer. ``error``
    raises on the first missing answer. Pre-aggregated :class:`~cxgap.stats.Moments` are
    read pairwise (moments of complete respondents give the listwise numbers).
    """
    check_choice(nan_policy, _NAN_POLICIES, name="nan_policy")
    if isinstance(matrix, Moments):
        return _from_moments(matrix, "items", min_items=min_items)
    name = matrix.name
    x = matrix.values
    if x.shape[1] >= min_items and matrix.has_missing and nan_policy == "error":
        i, j = (int(v[0]) for v in np.nonzero(np.isnan(x)))
        raise DataError(
            f"{name}: {matrix.where(i, j)} is missing; with "
            "nan_policy='error' every answer must be present (or use 'pairwise'/'listwise')"
        )
    if matrix.has_missing and nan_policy == "listwise":
        x = x[~np.isnan(x).any(axis=1)]
        matrix = dataclasses.replace(matrix, values=x, has_missing=False, index=None)
    return _from_moments(Moments.from_arrays(matrix), name, min_items=min_items)


def _from_moments(moments: Moments, name: str, *, min_items: int) -> _Moments:
    """The item covariance and correlation matrices of one group's moments."""
    k = len(moments.columns)
    if k < min_items:
        raise DataError(f"{name}: has {counted(k, 'item column')}; at least {min_items:,} needed")
    n = int(moments.n_rows[0]) if len(moments.groups) == 1 else 0
    if n < 2:
        raise DataError(f"{name}: {counted(n, 'complete respondent')}; at least 2 needed")
    n_pair = moments.n[0]
    if (n_pair < 2).any():
        i, j = (int(v[0]) for v in np.nonzero(n_pair < 2))
        raise DataError(
            f"{name}: items {moments.columns[i]!r} and {moments.columns[j]!r} are both answered "
            f"by {counted(int(n_pair[i, j]), 'respondent')}; at least 2 needed"
        )
    cov = moments.cov()
    return _Moments(
        cov,
        moments.corr(),
        n,
        moments.mean(),
        np.sqrt(np.diag(cov)),
        moments.count().astype(np.int64),
    )


def _name(matrix: Matrix | Moments) -> str:
    return "items" if isinstance(matrix, Moments) else matrix.name


def _items(items: Any, *, scale: tuple[float, float] | None, min_rows: int) -> Matrix | Moments:
    """Pre-aggregated moments as given, anything else as a validated matrix."""
    if isinstance(items, Moments):
        return items
    return as_matrix(items, name="items", scale=scale, min_rows=min_rows)


def _require_variance(matrix: Matrix | Moments, moments: _Moments) -> None:
    """Raise unless every item varies (correlations need a nonzero standard deviation)."""
    constant = ~(moments.sd > 0)
    if constant.any():
        label = matrix.columns[int(np.flatnonzero(constant)[0])]
        raise DataError(
            f"{_name(matrix)}: column {label!r} has no variance (every answer is the same); "
            "allowed: items whose answers vary (drop constant items)"
        )


def _require_regular(matrix: Matrix | Moments, moments: _Moments) -> None:
    """Raise unless the item correlation matrix can be inverted (a factor model needs it)."""
    k = moments.corr.shape[0]
    if moments.n <= k:
        raise DataError(
            f"{_name(matrix)}: {counted(k, 'item')} need at least "
            f"{counted(k + 1, 'respondent')} for a factor model; "
            f"got {moments.n} (the item correlation matrix is singular)"
        )
    values = np.linalg.eigvalsh(moments.corr)
    if values[0] <= 1e-10 * values[-1]:
        raise DataError(
            f"{_name(matrix)}: the item correlation matrix is singular (an item is a linear "
            "combination of others, or pairwise answers are inconsistent); drop redundant items"
        )


@dataclass(frozen=True)
class CronbachAlpha(StatResult):
    """Result of :func:`cronbach_alpha`.

    ``summary`` has one row per item: ``item``, ``n`` (answers), ``mean``, ``sd``,
    ``item_rest_r`` (correlation of the item with the sum of the other items, from the
    covariance matrix used), ``alpha_if_deleted`` (NaN with fewer than three items); a last
    row ``(all items)`` holds the scale's ``alpha`` with its interval ``ci_low``/``ci_high``
    and ``n`` (respondents), the columns that are empty on the item rows.
    """

    alpha: float
    ci_low: float
    ci_high: float
    n: int
    k: int
    standardized: bool
    nan_policy: str
    confidence: float


def cronbach_alpha(
    items: Any,
    *,
    standardized: bool = False,
    confidence: float = 0.95,
    nan_policy: NanPolicy = "pairwise",
    scale: tuple[float, float] | None = None,
) -> CronbachAlpha:
    """Cronbach's alpha with Feldt's interval, alpha if item deleted and item-rest correlations.

    .. math::

        \\alpha = \\frac{k}{k-1}\\Bigl(1 - \\frac{\\operatorname{tr} C}{\\mathbf 1' C \\mathbf 1}
        \\Bigr), \\qquad
        \\bigl[1 - (1-\\alpha) F_{1-a/2},\\; 1 - (1-\\alpha) F_{a/2}\\bigr]

    with :math:`C` the item covariance matrix (the correlation matrix when
    ``standardized``), :math:`F_q` the upper-:math:`q` quantile of
    :math:`F(n-1, (n-1)(k-1))` and :math:`a = 1 -` ``confidence`` (Feldt).

    A sum score without variance (e.g. two items that always add up to the same total)
    leaves alpha undefined and raises :class:`~cxgap.errors.DataError`; so does a constant
    item with ``standardized=True``.

    Missing answers: ``nan_policy="pairwise"`` (default) computes each covariance from the
    respondents answering both items and uses for the interval the number of respondents
    with at least one answer; ``"listwise"`` keeps complete respondents only; ``"error"``
    raises :class:`~cxgap.errors.DataError`. ``items`` may also be the
    :class:`~cxgap.stats.Moments` of the items (one group), e.g. summed by a database:
    the same computation then runs on them (read pairwise).

    References:
        Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
        *Psychometrika*, 16, 297-334. Feldt, L. S., Woodruff, D. J., & Salih, F. A. (1987).
        Statistical inference for coefficient alpha. *Applied Psychological Measurement*,
        11, 93-103.

    Example:
        >>> res = cronbach_alpha([[3, 4, 3], [5, 5, 4], [1, 2, 2], [4, 4, 5]])
        >>> round(res.alpha, 3)
        0.934
    """
    confidence = check_confidence(confidence)
    matrix = _items(items, scale=scale, min_rows=2)
    moments = _moments(matrix, nan_policy, min_items=2)
    if standardized:
        _require_variance(matrix, moments)
    c = moments.corr if standardized else moments.cov
    k = c.shape[0]
    total = c.sum()
    trace = np.trace(c)
    if not total > 1e-12 * trace:
        raise DataError(
            f"{_name(matrix)}: the sum score has no variance (every respondent has the same "
            "total), so alpha is undefined; allowed: items whose sum varies between respondents"
        )
    alpha = k / (k - 1) * (1.0 - trace / total)
    df1 = moments.n - 1
    df2 = df1 * (k - 1)
    tail = (1.0 - confidence) / 2.0
    ci_low = 1.0 - (1.0 - alpha) * stats.f.isf(tail, df1, df2)
    ci_high = 1.0 - (1.0 - alpha) * stats.f.isf(1.0 - tail, df1, df2)
    row_sum = c.sum(axis=1)
    diag = np.diag(c)
    rest_total = total - 2.0 * row_sum + diag
    with np.errstate(invalid="ignore", divide="ignore"):
        item_rest = (row_sum - diag) / np.sqrt(diag * rest_total)
        if k >= 3:
            if_deleted = (k - 1) / (k - 2) * (1.0 - (trace - diag) / rest_total)
        else:
            if_deleted = np.full(k, np.nan)
    summary = pd.DataFrame(
        {
            "item": pd.Series(matrix.columns, dtype=object),
            "n": moments.n_item.astype(np.int64),
            "mean": moments.mean,
            "sd": moments.sd,
            "item_rest_r": item_rest,
            "alpha_if_deleted": if_deleted,
        }
    )
    total_row = pd.DataFrame(
        {"item": ["(all items)"], "n": [moments.n], "alpha": [alpha]}
        | {"ci_low": [ci_low], "ci_high": [ci_high]}
    )
    summary = pd.concat([summary, total_row], ignore_index=True)
    return CronbachAlpha(
        summary=summary,
        alpha=float(alpha),
        ci_low=float(ci_low),
        ci_high=float(ci_high),
        n=moments.n,
        k=k,
        standardized=standardized,
        nan_policy=nan_policy,
        confidence=confidence,
    )


@dataclass(frozen=True)
class McDonaldOmega(StatResult):
    """Result of :func:`mcdonald_omega`.

    ``summary`` has one row per item: ``item``, ``loading`` (standardised loading on the
    common factor) and ``uniqueness`` (:math:`1 - \\lambda^2`).
    """

    omega: float
    n: int
    k: int
    converged: bool


_MIN_UNIQUENESS = 0.005  # as R's factanal: keeps Heywood cases finite


def _one_factor_ml(corr: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """Maximum-likelihood one-factor model of a correlation matrix (Joreskog's method).

    Minimises :math:`\\log|\\Sigma| + \\operatorname{tr}(\\Sigma^{-1}R)` over the
    uniquenesses with the loadings profiled out, as R's ``factanal``.
    """
    k = corr.shape[0]

    def loadings_for(psi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        root = np.sqrt(psi)
        values, vectors = np.linalg.eigh(corr / np.outer(root, root))
        return values, root * vectors[:, -1] * np.sqrt(max(values[-1] - 1.0, 0.0))

    def objective(psi: np.ndarray) -> float:
        values, _ = loadings_for(psi)
        rest = values[:-1]
        return float(-np.sum(np.log(rest) - rest) - 1.0 + k)

    def gradient(psi: np.ndarray) -> np.ndarray:
        _, loading = loadings_for(psi)
        return (loading**2 + psi - np.diag(corr)) / psi**2

    start = (1.0 - 0.5 / k) / np.diag(np.linalg.inv(corr))
    fit = optimize.minimize(
        objective,
        np.clip(start, _MIN_UNIQUENESS, 1.0),
        jac=gradient,
        method="L-BFGS-B",
        bounds=[(_MIN_UNIQUENESS, 1.0)] * k,
        options={"ftol": 1e-14, "gtol": 1e-10, "maxiter": 1000},
    )
    _, loading = loadings_for(fit.x)
    if loading.sum() < 0:
        loading = -loading
    return loading, 1.0 - loading**2, bool(fit.success)


def mcdonald_omega(
    items: Any,
    *,
    nan_policy: NanPolicy = "pairwise",
    scale: tuple[float, float] | None = None,
) -> McDonaldOmega:
    """McDonald's omega total from a one-factor model fitted by maximum likelihood.

    .. math::

        \\omega = \\frac{(\\sum_j \\lambda_j)^2}{(\\sum_j \\lambda_j)^2 + \\sum_j \\psi_j}

    with standardised loadings :math:`\\lambda_j` and uniquenesses :math:`\\psi_j` of the
    one-factor model of the item correlation matrix (as R's ``factanal``, uniquenesses
    bounded below by 0.005). Missing answers: as :func:`cronbach_alpha`.

    The model needs an invertible item correlation matrix: a constant item, fewer
    respondents than items plus one, or an item that is a linear combination of others
    raise :class:`~cxgap.errors.DataError`.

    References:
        McDonald, R. P. (1999). *Test theory: A unified treatment*. Erlbaum.
        Joreskog, K. G. (1967). Some contributions to maximum likelihood factor analysis.
        *Psychometrika*, 32, 443-482.

    Example:
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> f = rng.normal(size=(500, 1))
        >>> x = f @ [[0.8, 0.7, 0.6, 0.7]] + rng.normal(scale=0.6, size=(500, 4))
        >>> res = mcdonald_omega(x)
        >>> 0.8 < res.omega < 0.95
        True
    """
    matrix = _items(items, scale=scale, min_rows=3)
    moments = _moments(matrix, nan_policy, min_items=3)
    _require_variance(matrix, moments)
    _require_regular(matrix, moments)
    loading, uniqueness, converged = _one_factor_ml(moments.corr)
    total = loading.sum() ** 2
    summary = pd.DataFrame(
        {
            "item": pd.Series(matrix.columns, dtype=object),
            "loading": loading,
            "uniqueness": uniqueness,
        }
    )
    return McDonaldOmega(
        summary=summary,
        omega=float(total / (total + uniqueness.sum())),
        n=moments.n,
        k=len(loading),
        converged=converged,
    )


@dataclass(frozen=True)
class CompositeReliability(StatResult):
    """Result of :func:`composite_reliability`.

    ``summary`` has one row per indicator: ``item``, ``loading`` (standardised) and
    ``weight`` (standardised weight scaled so that the composite has unit variance; NaN
    when not available). ``n`` is ``None`` when computed from loadings alone; ``rho_a`` is
    NaN when neither data nor weights were given.
    """

    rho_c: float
    rho_a: float
    ave: float
    k: int
    n: int | None


def _as_block_vector(values: Any, *, name: str, k: int | None) -> tuple[np.ndarray, list[Hashable]]:
    matrix = as_matrix(values, name=name)
    vector = matrix.values.ravel()
    if matrix.has_missing:
        raise DataError(f"{name}: has missing values; allowed: one finite number per indicator")
    if k is not None and vector.size != k:
        raise DataError(
            f"{name}: has {counted(vector.size, 'value')} for {counted(k, 'indicator')}; "
            f"allowed: {k:,}"
        )
    labels = list(matrix.index) if matrix.index is not None else list(range(vector.size))
    return vector, labels


def _rho_a(weight: np.ndarray) -> float:
    """Dijkstra-Henseler rho_A for weights scaled to a unit-variance composite."""
    ww = weight @ weight
    return float(ww**2 * (1.0 - ww) / (ww**2 - np.sum(weight**4)))


def composite_reliability(
    items: Any = None,
    *,
    loadings: Sequence[float] | pd.Series | np.ndarray | None = None,
    weights: Sequence[float] | pd.Series | np.ndarray | None = None,
    nan_policy: NanPolicy = "listwise",
) -> CompositeReliability:
    """Composite reliability rho_C, Dijkstra-Henseler rho_A and AVE of one reflective block.

    .. math::

        \\rho_C = \\frac{(\\sum_j\\lambda_j)^2}{(\\sum_j\\lambda_j)^2 + \\sum_j(1-\\lambda_j^2)},
        \\quad
        \\rho_A = (\\hat w'\\hat w)^2
        \\frac{\\hat w'(S - \\operatorname{diag} S)\\hat w}
        {\\hat w'(\\hat w\\hat w' - \\operatorname{diag}(\\hat w\\hat w'))\\hat w},
        \\quad
        \\mathrm{AVE} = \\frac1k\\sum_j \\lambda_j^2

    Give either the raw ``items`` (respondents x indicators) or standardised ``loadings``.
    From data, :math:`S` is the indicator correlation matrix; without ``weights`` the
    weights are the Mode A PLS weights of the single block, i.e. the first principal
    component (:math:`\\hat w = v_1/\\sqrt{\\theta_1}`, :math:`\\lambda = \\sqrt{\\theta_1}
    v_1`, as R plspm's Dillon-Goldstein rho); with ``weights`` (for standardised
    indicators) :math:`\\lambda = S\\hat w`. From loadings, rho_A needs the ``weights``
    of the same composite; since then :math:`S\\hat w = \\lambda`, the weights are scaled
    so that :math:`\\hat w'\\lambda = 1` and :math:`\\operatorname{diag} S = 1`.
    ``nan_policy`` applies to ``items`` as in :func:`cronbach_alpha`.

    References:
        Dijkstra, T. K., & Henseler, J. (2015). Consistent partial least squares path
        modeling. *MIS Quarterly*, 39(2), 297-316. Fornell, C., & Larcker, D. F. (1981).
        Evaluating structural equation models with unobservable variables and measurement
        error. *Journal of Marketing Research*, 18(1), 39-50.

    Example:
        >>> res = composite_reliability(loadings=[0.8, 0.7, 0.9])
        >>> round(res.rho_c, 4), round(res.ave, 4)
        (0.8446, 0.6467)
    """
    if (items is None) == (loadings is None):
        raise DataError("items/loadings: give exactly one of them (raw data or loadings)")
    n: int | None = None
    if items is not None:
        matrix = as_matrix(items, name="items", min_rows=3)
        moments = _moments(matrix, nan_policy, min_items=2)
        _require_variance(matrix, moments)
        corr = moments.corr
        labels: list[Hashable] = matrix.columns
        n = moments.n
        if weights is None:
            values, vectors = np.linalg.eigh(corr)
            weight = vectors[:, -1] / np.sqrt(values[-1])
        else:
            weight, _ = _as_block_vector(weights, name="weights", k=len(labels))
            weight = weight / np.sqrt(weight @ corr @ weight)
        loading = corr @ weight
        rho_a = _rho_a(weight)
    else:
        loading, labels = _as_block_vector(loadings, name="loadings", k=None)
        if loading.size < 2 or (np.abs(loading) > 1).any():
            raise DataError(
                f"loadings: got {loading.tolist()!r}; allowed: at least two standardised "
                "loadings between -1 and 1"
            )
        if weights is None:
            weight = np.full(loading.size, np.nan)
            rho_a = float("nan")
        else:
            weight, _ = _as_block_vector(weights, name="weights", k=loading.size)
            # w = a * w_hat for an unknown a > 0, and w_hat' lambda = w_hat' S w_hat = 1.
            composite_scale = weight @ loading
            if composite_scale <= 0:
                raise DataError("weights: the weighted sum of the loadings is not positive")
            weight = weight / composite_scale
            rho_a = _rho_a(weight)
    if loading.sum() < 0:
        loading, weight = -loading, -weight
    squared_sum = loading.sum() ** 2
    summary = pd.DataFrame(
        {"item": pd.Series(labels, dtype=object), "loading": loading, "weight": weight}
    )
    return CompositeReliability(
        summary=summary,
        rho_c=float(squared_sum / (squared_sum + np.sum(1.0 - loading**2))),
        rho_a=rho_a,
        ave=float(np.mean(loading**2)),
        k=int(loading.size),
        n=n,
    )
