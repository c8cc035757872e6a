"""Lohmöller/Wold PLS path modelling on (batches of) indicator covariance matrices.

Every quantity of a PLS path model estimate - outer weights, inner weights under the
centroid, factorial and path schemes, path coefficients (OLS on construct scores), loadings
and R^2 - depends on the data only through the second moments of the (treated) indicators.
The functions here therefore take a stack of ``B`` covariance matrices ``S`` (``B x p x p``)
and run the iterations for all of them at once with numpy. A single fit is a stack of one;
a bootstrap is a stack of resampled covariance matrices (each resample is a row weighting,
see :func:`weighted_moments`). The steps are the ones of R plspm's ``get_weights``
(Sanchez, Trinchera & Russolillo), written in covariance form:

.. math::

    Y = \\tfrac{m-1}{m} X W D^{-1/2},\\quad D = \\operatorname{diag}(W^\\top S W)

    E_{\\text{centroid}} = \\operatorname{sign}(R_Y \\circ (P + P^\\top)),\\quad
    E_{\\text{factorial}} = R_Y \\circ (P + P^\\top)

    \\operatorname{Cov}(X, Z) = \\tfrac{m-1}{m} S W D^{-1/2} E

    w_{\\text{A}} = \\operatorname{Cov}(X_b, Z_j),\\qquad
    w_{\\text{B}} = S_{bb}^{-1} \\operatorname{Cov}(X_b, Z_j)

with convergence when :math:`\\sum_i (|w_i^{old}| - |w_i^{new}|)^2 < \\text{tol}` (checked
per matrix, so each matrix stops at exactly the iteration a single fit would), then weights
rescaled so each score has unit variance, and the sign of each construct fixed as plspm's
``get_scores`` does: flip the block when the sum of the signs of its indicator-score
correlations is not positive.

References: Lohmöller, J.-B. (1989). *Latent Variable Path Modeling with Partial Least
Squares*. Physica. Tenenhaus, Esposito Vinzi, Chatelin & Lauro (2005). PLS path modeling.
*Computational Statistics & Data Analysis* 48, 159-205.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

Scheme = Literal["path", "centroid", "factorial"]
SCHEMES: tuple[str, ...] = ("path", "centroid", "factorial")


@dataclass(frozen=True)
class Layout:
    """Shape of a model as arrays: which block each indicator is in, modes, paths."""

    block: np.ndarray  # (p,) construct position of each indicator
    mode_b: np.ndarray  # (L,) True for formative blocks
    path: np.ndarray  # (L, L) P[k, j] = 1 when j -> k

    @property
    def odm(self) -> np.ndarray:
        """Outer design matrix: ``odm[i, j] = 1`` when indicator ``i`` is in block ``j``."""
        odm = np.zeros((self.block.size, self.path.shape[0]))
        odm[np.arange(self.block.size), self.block] = 1.0
        return odm


@dataclass(frozen=True)
class BatchEstimate:
    """PLS estimates for a stack of ``B`` covariance matrices (all arrays lead with ``B``)."""

    weights: np.ndarray  # (B, p) outer weights, scores have unit variance, signs fixed
    loadings: np.ndarray  # (B, p) correlation of each indicator with its own score
    crossloadings: np.ndarray  # (B, p, L)
    score_corr: np.ndarray  # (B, L, L) correlations of construct scores
    paths: np.ndarray  # (B, L, L) paths[b, k, j] = coefficient of j -> k
    r2: np.ndarray  # (B, L), 0 for exogenous constructs
    converged: np.ndarray  # (B,) bool
    n_iter: np.ndarray  # (B,) int


def weighted_moments(
    X: np.ndarray, counts: np.ndarray, *, scaled: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Covariance (or correlation) matrices of ``X`` under row weights, for many weightings.

    Row ``b`` of ``counts`` (``B x n``) says how often each observation is drawn in
    resample ``b`` (a bootstrap resample) or is kept (1 - e_i for a jackknife). With
    :math:`m_b = \\sum_i c_{bi}`:

    .. math::

        \\bar x_b = \\frac{1}{m_b} \\sum_i c_{bi} x_i,\\qquad
        S_b = \\frac{1}{m_b} \\sum_i c_{bi} x_i x_i^\\top - \\bar x_b \\bar x_b^\\top

    which is the population (divide-by-m) covariance of the resampled, re-centred data,
    as plspm uses. All ``B`` matrices come from one ``(B x n) @ (n x p(p+1)/2)`` product.
    With ``scaled`` the matrices are turned into correlations (indicators standardised
    within each resample). ``X`` should be centred on the full sample (less rounding).
    Returns ``(S, m)``; a matrix in which an indicator is constant is all NaN.
    """
    p = X.shape[1]
    iu, ju = np.triu_indices(p)
    products = X[:, iu] * X[:, ju]  # (n, p(p+1)/2)
    m = counts.sum(axis=1)
    second = (counts @ products) / m[:, None]
    mean = (counts @ X) / m[:, None]
    S = np.empty((counts.shape[0], p, p))
    S[:, iu, ju] = second - mean[:, iu] * mean[:, ju]
    S[:, ju, iu] = S[:, iu, ju]
    # a resample in which an indicator is constant: its variance is rounding noise
    variance = np.einsum("bii->bi", S)
    flat = (variance <= 1e-10 * (X**2).mean(axis=0)).any(axis=1)
    if scaled:
        with np.errstate(invalid="ignore", divide="ignore"):
            sd = np.sqrt(variance)
            S = S / sd[:, :, None] / sd[:, None, :]
        S[:, np.arange(p), np.arange(p)] = 1.0
    S[flat] = np.nan
    return S, m


def _block_variances(S: np.ndarray, w: np.ndarray, odm: np.ndarray) -> tuple[np.ndarray, ...]:
    """``SW`` (``B x p x L``, Cov(x_i, X_b w_b)) and block score variances (``B x L``)."""
    SW = (S * w[:, None, :]) @ odm
    var = np.einsum("ij,bij->bj", odm * 1.0, w[:, :, None] * SW)
    return SW, var


def _inner_weights(R: np.ndarray, layout: Layout, scheme: Scheme) -> np.ndarray:
    """Inner weight matrices ``E`` (``B x L x L``) from score correlations ``R``."""
    P = layout.path
    if scheme == "centroid":
        return np.sign(R * (P + P.T))
    if scheme == "factorial":
        return R * (P + P.T)
    E = np.zeros_like(R)
    for k in range(P.shape[0]):
        preds = np.flatnonzero(P[k])
        if preds.size:
            sub = R[:, preds[:, None], preds[None, :]]
            E[:, preds, k] = np.linalg.solve(sub, R[:, preds, k][:, :, None])[:, :, 0]
        succ = np.flatnonzero(P[:, k])
        if succ.size:
            E[:, succ, k] = R[:, succ, k]
    return E


def _outer_update(S: np.ndarray, CXZ: np.ndarray, layout: Layout) -> np.ndarray:
    """New outer weights: Mode A covariances, Mode B multiple regression per block."""
    p = layout.block.size
    w = CXZ[:, np.arange(p), layout.block]
    for j in np.flatnonzero(layout.mode_b):
        idx = np.flatnonzero(layout.block == j)
        sub = S[:, idx[:, None], idx[None, :]]
        w[:, idx] = np.linalg.solve(sub, w[:, idx][:, :, None])[:, :, 0]
    return w


def estimate_batch(
    S: np.ndarray,
    m: np.ndarray,
    layout: Layout,
    *,
    scheme: Scheme,
    tol: float,
    max_iter: int,
) -> BatchEstimate:
    """Run the PLS iterations on each covariance matrix of the stack ``S``.

    ``m`` (``B``,) is the number of observations behind each matrix; it enters only the
    scale plspm gives the scores inside the loop, and so the convergence check.
    """
    B, p, _ = S.shape
    odm = layout.odm
    factor = (m - 1.0) / m
    # initial weights: a unit-weighted sum of each block, scaled to unit variance
    w = np.ones((B, p))
    _, var = _block_variances(S, w, odm)
    w = w / np.sqrt(var[:, layout.block])
    converged = np.zeros(B, dtype=bool)
    n_iter = np.zeros(B, dtype=np.intp)
    active = np.flatnonzero(np.isfinite(S).all(axis=(1, 2)))
    for iteration in range(1, max_iter + 1):
        if active.size == 0:
            break
        Sa, wa = S[active], w[active]
        SW, var = _block_variances(Sa, wa, odm)
        sd = np.sqrt(var)
        R = np.einsum("ij,bik->bjk", odm, wa[:, :, None] * SW) / sd[:, :, None] / sd[:, None, :]
        E = _inner_weights(R, layout, scheme)
        CXZ = (factor[active, None, None] * SW / sd[:, None, :]) @ E
        w_new = _outer_update(Sa, CXZ, layout)
        diff = ((np.abs(wa) - np.abs(w_new)) ** 2).sum(axis=1)
        w[active] = w_new
        n_iter[active] = iteration
        done = diff < tol
        converged[active[done]] = True
        active = active[~done]
    return _finish(S, w, converged, n_iter, layout)


def _finish(
    S: np.ndarray, w: np.ndarray, converged: np.ndarray, n_iter: np.ndarray, layout: Layout
) -> BatchEstimate:
    """Unit-variance scores, sign fixing, then loadings, paths and R^2."""
    odm = layout.odm
    with np.errstate(invalid="ignore", divide="ignore"):
        _, var = _block_variances(S, w, odm)
        w = w / np.sqrt(var[:, layout.block])
        SW, _ = _block_variances(S, w, odm)
        sd_x = np.sqrt(np.einsum("bii->bi", S))
        cross = SW / sd_x[:, :, None]
    own = cross[:, np.arange(w.shape[1]), layout.block]
    sign_sum = np.sign(own)[:, :, None] * odm  # (B, p, L)
    flip = np.where(np.sign(sign_sum.sum(axis=1)) <= 0, -1.0, 1.0)  # (B, L)
    w = w * flip[:, layout.block]
    cross = cross * flip[:, None, :]
    own = own * flip[:, layout.block]
    SW = SW * flip[:, None, :]
    R = np.einsum("ij,bik->bjk", odm, w[:, :, None] * SW)
    paths = np.zeros_like(R)
    r2 = np.zeros(R.shape[:2])
    P = layout.path
    for k in range(P.shape[0]):
        preds = np.flatnonzero(P[k])
        if preds.size == 0:
            continue
        sub = R[:, preds[:, None], preds[None, :]]
        rhs = R[:, preds, k]
        ok = np.isfinite(sub).all(axis=(1, 2))
        beta = np.full(rhs.shape, np.nan)
        if ok.any():
            beta[ok] = np.linalg.solve(sub[ok], rhs[ok][:, :, None])[:, :, 0]
        paths[:, k, preds] = beta
        r2[:, k] = (beta * rhs).sum(axis=1)
    return BatchEstimate(
        weights=w,
        loadings=own,
        crossloadings=cross,
        score_corr=R,
        paths=paths,
        r2=r2,
        converged=converged,
        n_iter=n_iter,
    )


def total_effects(paths: np.ndarray) -> np.ndarray:
    """Total effects ``T = B + B^2 + ... = (I - B)^{-1} - I`` for ``paths[..., k, j]``.

    The structural model is acyclic, so the power series ends and the inverse exists.
    """
    L = paths.shape[-1]
    eye = np.eye(L)
    return np.linalg.inv(eye - paths) - eye
