r"""Fair rankings of teams and people: empirical-Bayes shrinkage.

Three delighted customers out of three do not beat 290 out of 300. Each unit's raw
figure is pulled towards what all units together show, the more the fewer answers it
has, and units are ranked by the shrunk figure.

* :func:`shrunk_rates`: shares (compliments among feedback, recovered among cases)
  under a beta-binomial model: the prior :math:`\mathrm{Beta}(a, b)` is fitted to all
  units by maximum marginal likelihood; each unit's posterior is
  :math:`\mathrm{Beta}(a + x_i, b + n_i - x_i)`, its mean
  :math:`(a + x_i)/(a + b + n_i)` and an equal-tailed credible interval.
* :func:`shrunk_means`: means with standard errors (scores after encounters) under a
  normal-normal model: the between-unit variance :math:`\tau^2` by the DerSimonian-Laird
  moment estimator, the posterior mean
  :math:`\hat\mu + \tau^2/(\tau^2 + s_i^2)\,(\bar y_i - \hat\mu)`.

References: Efron, B., & Morris, C. (1975). Data analysis using Stein's estimator and
its generalizations. *JASA*, 70, 311-319. Carlin, B. P., & Louis, T. A. (2009). *Bayesian
Methods for Data Analysis* (3rd ed.), section 5.4. DerSimonian, R., & Laird, N. (1986).
Meta-analysis in clinical trials. *Controlled Clinical Trials*, 7, 177-188.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, special
from scipy import stats as sps

from cxgap.errors import DataError
from cxgap.stats._validate import check_confidence
from cxgap.stats.result import StatResult

__all__ = ["SHRUNK_COLUMNS", "ShrunkEstimates", "shrunk_means", "shrunk_rates"]

SHRUNK_COLUMNS = ("unit", "n", "raw", "shrunk", "ci_low", "ci_high", "weight", "rank")
"""Columns of :attr:`ShrunkEstimates.summary`, best unit first. ``weight`` is the share of
the unit's own data in its shrunk figure (0: all prior, 1: all own)."""


@dataclass(frozen=True)
class ShrunkEstimates(StatResult):
    """Result of :func:`shrunk_rates` and :func:`shrunk_means`.

    ``prior_mean`` and ``prior_spread`` describe what all units together show (for rates
    the prior mean and the prior's "sample size" :math:`a + b`; for means the overall mean
    and :math:`\\tau`). ``higher_is_better`` is how the rank was taken.
    """

    prior_mean: float
    prior_spread: float
    higher_is_better: bool
    confidence: float


def _units(labels: Sequence[Hashable] | None, size: int) -> list[Hashable]:
    units: list[Hashable] = list(labels) if labels is not None else list(range(size))
    if len(units) != size:
        raise DataError(f"labels: {len(units)} labels for {size} units; allowed: one per unit")
    if len(set(units)) != len(units):
        raise DataError("labels: a unit appears twice; allowed: one row per unit")
    return units


def _vector(data: Any, *, name: str) -> np.ndarray:
    try:
        array = np.asarray(data, dtype=float).ravel()
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name}: not numbers ({exc})") from exc
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        raise DataError(f"{name}: unit {int(bad[0]) + 1} is {array[bad[0]]}; allowed: numbers")
    return array


def _ranked(frame: pd.DataFrame, higher_is_better: bool) -> pd.DataFrame:
    order = frame.sort_values(
        ["shrunk", "n"], ascending=[not higher_is_better, False], kind="mergesort"
    )
    order["rank"] = np.arange(1, len(order) + 1)
    return order.reset_index(drop=True)[list(SHRUNK_COLUMNS)]


def _beta_binomial_fit(x: np.ndarray, n: np.ndarray) -> tuple[float, float]:
    """Maximum marginal likelihood of ``Beta(a, b)`` (parameters on the log scale)."""

    def negative_log_likelihood(theta: np.ndarray) -> float:
        a, b = np.exp(theta)
        return -float(np.sum(special.betaln(a + x, b + n - x) - special.betaln(a, b)))

    share = (x.sum() + 0.5) / (n.sum() + 1)
    start = np.log([share * 10, (1 - share) * 10])
    fit = optimize.minimize(
        negative_log_likelihood,
        start,
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 4000},
    )
    a, b = np.exp(fit.x)
    # cap the prior's weight: units that agree perfectly would push a + b to infinity
    total = min(a + b, 1e6)
    mean = a / (a + b)
    return mean * total, (1 - mean) * total


def shrunk_rates(
    successes: Any,
    trials: Any,
    labels: Sequence[Hashable] | None = None,
    *,
    higher_is_better: bool = True,
    confidence: float = 0.95,
) -> ShrunkEstimates:
    """Each unit's share shrunk towards all units' (beta-binomial empirical Bayes).

    >>> result = shrunk_rates([3, 290, 40], [3, 300, 50], ["new", "north", "south"])
    >>> list(result.summary["unit"])
    ['north', 'new', 'south']
    >>> round(float(result.summary["shrunk"].iloc[1]), 3)  # 3 of 3, shrunk below north's
    0.918
    """
    check_confidence(confidence)
    x = _vector(successes, name="successes")
    n = _vector(trials, name="trials")
    if x.size != n.size:
        raise DataError(f"trials: {n.size} values for {x.size} units; allowed: one per unit")
    if x.size < 2:
        raise DataError(f"{x.size} unit; allowed: at least 2 units to learn from each other")
    bad = np.flatnonzero((x < 0) | (n < 1) | (x > n) | (x != np.round(x)) | (n != np.round(n)))
    if bad.size:
        i = int(bad[0])
        raise DataError(
            f"unit {i + 1}: {x[i]:g} successes of {n[i]:g} trials; allowed: whole numbers, "
            "at least 1 trial, no more successes than trials"
        )
    units = _units(labels, x.size)
    a, b = _beta_binomial_fit(x, n)
    post_a, post_b = a + x, b + n - x
    tail = (1 - confidence) / 2
    frame = pd.DataFrame(
        {
            "unit": units,
            "n": n.astype(int),
            "raw": x / n,
            "shrunk": post_a / (post_a + post_b),
            "ci_low": sps.beta.ppf(tail, post_a, post_b),
            "ci_high": sps.beta.ppf(1 - tail, post_a, post_b),
            "weight": n / (n + a + b),
        }
    )
    return ShrunkEstimates(
        summary=_ranked(frame, higher_is_better),
        prior_mean=float(a / (a + b)),
        prior_spread=float(a + b),
        higher_is_better=higher_is_better,
        confidence=confidence,
    )


def shrunk_means(
    means: Any,
    standard_errors: Any,
    labels: Sequence[Hashable] | None = None,
    *,
    sizes: Any = None,
    higher_is_better: bool = True,
    confidence: float = 0.95,
) -> ShrunkEstimates:
    """Each unit's mean shrunk towards all units' (normal-normal empirical Bayes).

    ``sizes`` (answers per unit) are reported in the summary's ``n``; they do not enter
    the estimate, which the standard errors carry.
    """
    check_confidence(confidence)
    y = _vector(means, name="means")
    se = _vector(standard_errors, name="standard_errors")
    if se.size != y.size:
        raise DataError(
            f"standard_errors: {se.size} values for {y.size} units; allowed: one per unit"
        )
    if y.size < 2:
        raise DataError(f"{y.size} unit; allowed: at least 2 units to learn from each other")
    if (se <= 0).any():
        raise DataError(
            f"standard_errors: unit {int(np.flatnonzero(se <= 0)[0]) + 1} has none; allowed: "
            "more than 0 (a unit with one answer has no standard error: leave it out)"
        )
    units = _units(labels, y.size)
    counts = np.full(y.size, -1) if sizes is None else _vector(sizes, name="sizes").astype(int)
    w = 1 / se**2
    fixed = float((w * y).sum() / w.sum())
    q = float((w * (y - fixed) ** 2).sum())
    tau2 = max(0.0, (q - (y.size - 1)) / (w.sum() - (w**2).sum() / w.sum()))
    w_star = 1 / (se**2 + tau2)
    mu = float((w_star * y).sum() / w_star.sum())
    weight = tau2 / (tau2 + se**2)
    shrunk = mu + weight * (y - mu)
    # the posterior variance given tau, plus the uncertainty of the overall mean (Morris)
    spread = np.sqrt(weight * se**2 + (1 - weight) ** 2 / w_star.sum())
    z = float(sps.norm.ppf(0.5 + confidence / 2))
    frame = pd.DataFrame(
        {
            "unit": units,
            "n": counts,
            "raw": y,
            "shrunk": shrunk,
            "ci_low": shrunk - z * spread,
            "ci_high": shrunk + z * spread,
            "weight": weight,
        }
    )
    return ShrunkEstimates(
        summary=_ranked(frame, higher_is_better),
        prior_mean=mu,
        prior_spread=math.sqrt(tau2),
        higher_is_better=higher_is_better,
        confidence=confidence,
    )
