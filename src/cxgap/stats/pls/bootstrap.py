"""Vectorised bootstrap of a PLS path model (percentile and BCa intervals).

A bootstrap resample is a row weighting of the data: observation ``i`` is drawn ``c_i``
times. The covariance matrices of all resamples come from one matrix product of the
``(B x n)`` count matrix with the ``(n x p(p+1)/2)`` matrix of indicator cross-products
(:func:`~cxgap.stats.pls.algorithm.weighted_moments`), and the PLS iterations then run on
the stack of tiny ``p x p`` matrices at once (:func:`~cxgap.stats.pls.algorithm.estimate_batch`).
This gives the same estimates as refitting the model on each resampled data set, without a
Python-level loop over resamples. The BCa acceleration uses the jackknife, done the same
way (leave-one-out is the weighting ``1 - e_i``).

Conventions:

* Resamples are drawn with :func:`resample_indices` (``numpy.random.default_rng(seed)``);
  ``PLSBootstrap.indices`` keeps them, so any resample can be refitted on its own.
* Missing values are imputed (``missing="mean"``) or rows dropped (``"listwise"``) once,
  on the full data, before resampling; resamples are not imputed again.
* Indicators are re-centred (and, when ``scaled``, re-standardised) within each resample,
  as plspm and seminr do.
* Signs are fixed within each resample by the same rule as the original fit (plspm's
  ``get_scores``: a block is flipped when the sum of the signs of its indicator-score
  correlations is not positive); no further alignment to the original estimate is made
  (no construct-level sign change), like seminr's ``bootstrap_model``.
* Resamples that do not converge within ``max_iter``, or in which an indicator has zero
  variance, are dropped (plspm redraws them); ``n_valid`` says how many were kept.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd
from scipy import stats as sps

from cxgap.errors import DataError
from cxgap.stats.pls.algorithm import BatchEstimate, estimate_batch, total_effects, weighted_moments
from cxgap.stats.pls.results import _HIDDEN, SerialiseMixin
from cxgap.stats.result import StatResult

if TYPE_CHECKING:
    from cxgap.stats.pls.results import PLSFit


@dataclasses.dataclass(frozen=True)
class PLSBootstrap(SerialiseMixin, StatResult):
    """Bootstrap of a PLS path model.

    ``summary`` is indexed by ``(kind, parameter)`` with kind one of ``path``, ``weight``,
    ``loading``, ``total_effect``, ``indirect_effect``, ``r2`` and has columns
    ``original``, ``mean``, ``bias`` (mean - original), ``se`` (bootstrap SD),
    ``t`` (original / se), ``p`` (two-sided, t distribution with n - 1 df),
    ``perc_lower``, ``perc_upper`` (percentile interval) and ``bca_lower``, ``bca_upper``.
    ``replicates`` holds one row per kept resample, ``indices`` the drawn row indices.
    """

    n_resamples: int
    n_valid: int
    confidence: float
    seed: int | None
    replicates: pd.DataFrame = dataclasses.field(repr=False, metadata=_HIDDEN)
    indices: np.ndarray = dataclasses.field(repr=False, metadata=_HIDDEN)

    def table(self, kind: str) -> pd.DataFrame:
        """The summary rows of one kind, e.g. ``boot.table("path")``."""
        return cast(pd.DataFrame, self.summary.xs(kind, level="kind"))


def resample_indices(n_obs: int, n_resamples: int, seed: int | None) -> np.ndarray:
    """Row indices of ``n_resamples`` bootstrap resamples (``B x n``), reproducible by seed."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, n_obs, size=(n_resamples, n_obs))


def _counts(indices: np.ndarray, n_obs: int) -> np.ndarray:
    """How often each observation appears in each resample (``B x n`` floats)."""
    B = indices.shape[0]
    flat = (indices + n_obs * np.arange(B)[:, None]).ravel()
    return np.bincount(flat, minlength=B * n_obs).reshape(B, n_obs).astype(float)


def _leave_one_out(start: int, stop: int, n_obs: int) -> np.ndarray:
    """Jackknife weightings for observations ``start..stop-1`` (each row drops one)."""
    counts = np.ones((stop - start, n_obs))
    counts[np.arange(stop - start), np.arange(start, stop)] = 0.0
    return counts


def parameter_labels(fit: PLSFit) -> tuple[list[tuple[str, str]], list[tuple[int, int]]]:
    """``(kind, parameter)`` labels of the bootstrapped vector, and the indirect pairs."""
    spec = fit.model_.spec
    names = list(spec.constructs)
    P = spec.path_matrix()
    labels: list[tuple[str, str]] = []
    path_pairs = [(k, j) for k in range(len(names)) for j in range(len(names)) if P[k, j]]
    labels += [("path", f"{names[j]} -> {names[k]}") for k, j in path_pairs]
    labels += [("weight", i) for i in spec.indicators]
    labels += [("loading", i) for i in spec.indicators]
    reach = total_effects(P) != 0
    indirect = (total_effects(P) - P) != 0
    total_pairs = [(k, j) for k in range(len(names)) for j in range(len(names)) if reach[k, j]]
    ind_pairs = [(k, j) for k in range(len(names)) for j in range(len(names)) if indirect[k, j]]
    labels += [("total_effect", f"{names[j]} -> {names[k]}") for k, j in total_pairs]
    labels += [("indirect_effect", f"{names[j]} -> {names[k]}") for k, j in ind_pairs]
    labels += [("r2", c) for c in spec.endogenous]
    return labels, path_pairs + total_pairs + ind_pairs


def parameter_vector(est: BatchEstimate, fit: PLSFit) -> np.ndarray:
    """Stack the estimates of a batch into ``B x K`` rows (NaN rows for failed resamples)."""
    spec = fit.model_.spec
    names = list(spec.constructs)
    P = spec.path_matrix()
    T = total_effects(np.nan_to_num(est.paths))
    reach = total_effects(P) != 0
    indirect = (total_effects(P) - P) != 0
    endo = [names.index(c) for c in spec.endogenous]
    Pb = P.astype(bool)
    parts = [
        est.paths[:, Pb],
        est.weights,
        est.loadings,
        T[:, reach],
        (T - est.paths)[:, indirect],
        est.r2[:, endo],
    ]
    theta = np.concatenate(parts, axis=1)
    theta[~est.converged | ~np.isfinite(theta).all(axis=1)] = np.nan
    return theta


def _estimate(
    fit: PLSFit, n_rows: int, counts: Callable[[int, int], np.ndarray], batch_size: int
) -> np.ndarray:
    """Parameter vectors for ``n_rows`` row weightings; ``counts(start, stop)`` makes a batch."""
    model = fit.model_
    out = []
    for start in range(0, n_rows, batch_size):
        weights = counts(start, min(start + batch_size, n_rows))
        S, m = weighted_moments(fit.data_, weights, scaled=model.scaled)
        est = estimate_batch(
            S, m, model.layout, scheme=model.scheme, tol=model.tol, max_iter=model.max_iter
        )
        out.append(parameter_vector(est, fit))
    return np.concatenate(out, axis=0)


def bootstrap(
    fit: PLSFit,
    *,
    n: int = 5000,
    seed: int | None = None,
    confidence: float = 0.95,
    batch_size: int = 1000,
    bca: bool = True,
) -> PLSBootstrap:
    """Bootstrap a fitted PLS path model: SE, t, p, percentile and BCa intervals.

    Percentile interval: the :math:`\\alpha/2` and :math:`1-\\alpha/2` quantiles of the
    bootstrap estimates :math:`\\hat\\theta^*_b` (linear interpolation, R's type 7). BCa:

    .. math::

        z_0 = \\Phi^{-1}\\Big(\\frac{\\#\\{\\hat\\theta^*_b < \\hat\\theta\\}
              + \\tfrac12 \\#\\{\\hat\\theta^*_b = \\hat\\theta\\}}{B}\\Big),\\quad
        a = \\frac{\\sum_i (\\bar\\theta_{(\\cdot)} - \\hat\\theta_{(i)})^3}
                  {6 \\big[\\sum_i (\\bar\\theta_{(\\cdot)} - \\hat\\theta_{(i)})^2\\big]^{3/2}}

        \\alpha_{1,2} = \\Phi\\Big(z_0 + \\frac{z_0 + z_{\\alpha/2, 1-\\alpha/2}}
                                       {1 - a (z_0 + z_{\\alpha/2, 1-\\alpha/2})}\\Big)

    with :math:`\\hat\\theta_{(i)}` the jackknife (leave-one-out) estimates.
    Reference: Efron, B. & Tibshirani, R. (1993). *An Introduction to the Bootstrap*,
    ch. 14. Chapman & Hall. Example: ``fit.bootstrap(n=5000, seed=1).table("path")``.
    """
    if not (isinstance(n, int | np.integer) and n >= 2):
        raise DataError(f"n (number of resamples) must be an integer >= 2, got {n!r}")
    if not (0.0 < confidence < 1.0):
        raise DataError(f"confidence must be between 0 and 1, got {confidence!r}")
    if not (isinstance(batch_size, int | np.integer) and batch_size >= 1):
        raise DataError(f"batch_size must be a positive integer, got {batch_size!r}")
    n_obs = fit.data_.shape[0]
    labels, _ = parameter_labels(fit)
    original = _estimate(fit, 1, lambda a, b: np.ones((1, n_obs)), 1)[0]
    indices = resample_indices(n_obs, int(n), seed)
    theta = _estimate(fit, int(n), lambda a, b: _counts(indices[a:b], n_obs), int(batch_size))
    valid = np.isfinite(theta).all(axis=1)
    kept = theta[valid]
    if kept.shape[0] < theta.shape[0]:
        warnings.warn(
            f"{theta.shape[0] - kept.shape[0]} of {n} bootstrap resamples were dropped "
            "(no convergence, or an indicator without variance in the resample)",
            RuntimeWarning,
            stacklevel=3,
        )
    if kept.shape[0] < 2:
        raise DataError(f"only {kept.shape[0]} of {n} bootstrap resamples could be estimated")
    alpha = 1.0 - confidence
    se = kept.std(axis=0, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(se > 0, original / se, np.nan)
    p = 2.0 * sps.t.sf(np.abs(t), df=n_obs - 1)
    perc = np.quantile(kept, [alpha / 2, 1 - alpha / 2], axis=0)
    if bca:
        jack = _estimate(fit, n_obs, lambda a, b: _leave_one_out(a, b, n_obs), int(batch_size))
        bca_bounds = _bca(kept, original, jack, alpha)
    else:
        bca_bounds = np.full((2, kept.shape[1]), np.nan)
    summary = pd.DataFrame(
        {
            "original": original,
            "mean": kept.mean(axis=0),
            "bias": kept.mean(axis=0) - original,
            "se": se,
            "t": t,
            "p": p,
            "perc_lower": perc[0],
            "perc_upper": perc[1],
            "bca_lower": bca_bounds[0],
            "bca_upper": bca_bounds[1],
        },
        index=pd.MultiIndex.from_tuples(labels, names=["kind", "parameter"]),
    )
    return PLSBootstrap(
        summary=summary,
        n_resamples=int(n),
        n_valid=int(valid.sum()),
        confidence=float(confidence),
        seed=seed,
        replicates=pd.DataFrame(kept, columns=summary.index),
        indices=indices,
    )


def _bca(kept: np.ndarray, original: np.ndarray, jack: np.ndarray, alpha: float) -> np.ndarray:
    """BCa bounds (2 x K); NaN where the bootstrap distribution is degenerate."""
    B = kept.shape[0]
    below = (kept < original).sum(axis=0) + 0.5 * (kept == original).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        z0 = sps.norm.ppf(below / B)
        jack = jack[np.isfinite(jack).all(axis=1)]
        dev = jack.mean(axis=0) - jack
        a = (dev**3).sum(axis=0) / (6.0 * ((dev**2).sum(axis=0)) ** 1.5)
        ordered = np.sort(kept, axis=0)
        columns = np.arange(kept.shape[1])
        out = np.full((2, kept.shape[1]), np.nan)
        for row, q in enumerate((alpha / 2, 1 - alpha / 2)):
            zq = sps.norm.ppf(q)
            level = sps.norm.cdf(z0 + (z0 + zq) / (1 - a * (z0 + zq)))
            ok = np.isfinite(level)
            # quantile with linear interpolation (numpy's default, R's type 7)
            pos = np.where(ok, level, 0.0) * (B - 1)
            lo = np.floor(pos).astype(np.intp)
            hi = np.minimum(lo + 1, B - 1)
            frac = pos - lo
            value = ordered[lo, columns] + frac * (ordered[hi, columns] - ordered[lo, columns])
            out[row] = np.where(ok, value, np.nan)
    return out
