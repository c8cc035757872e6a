r"""The measured effect of an action plan: difference-in-differences or interrupted time series.

:func:`action_effect` takes one row per observation (a response, or a unit x period mean)
with the outcome, the unit it belongs to (district, site, team), the period (survey wave)
and whether the unit is targeted by the plan, and the first period of the plan.

**Difference-in-differences** (``method="did"``), with untargeted units as controls, fits
the two-way fixed-effects regression

.. math:: y_{iut} = \alpha_u + \gamma_t + \beta\,D_{ut} + \varepsilon_{iut},
   \qquad D_{ut} = \text{treated}_u \cdot 1[t \ge \text{start}]

by least squares; :math:`\beta` is the effect. Its standard error is clustered by unit
(CR1: :math:`\hat V = \frac{G}{G-1}\frac{N-1}{N-K}(X'X)^{-1}\sum_g X_g'e_ge_g'X_g(X'X)^{-1}`,
where :math:`K` leaves out the unit effects, which lie within the clusters, as Stata's
``xtreg, fe vce(cluster)`` does) with :math:`t_{G-1}` quantiles. With
fewer than :data:`FEW_CLUSTERS` units the p-value and interval come from the restricted
wild-cluster bootstrap (WCR, Webb's six-point weights; the interval inverts the test),
which keeps its size with few clusters where the cluster-robust t does not. With a
single targeted unit (or a single control unit) no clustered inference is possible
(MacKinnon & Webb 2017): the regression then runs on the unit x period means with the
classical covariance and :math:`t` quantiles on the cells' residual degrees of freedom
(``inference="cells"``), which is exact when each cell's deviation (sampling error plus a
unit x period shock) is independent over periods; ``warnings`` says so
(``"few_treated_units"``).

The pre-trends are checked with an event study: the same regression with one coefficient
per period for the targeted units (the last period before the start is the reference);
``pre_trend_p_value`` is the cluster-robust Wald test (:math:`F_{q,\,G-1}`) that every
pre-start coefficient is zero.

**Interrupted time series** (``method="its"``), without controls, regresses the targeted
units' period means on time (period positions 0, 1, ...), a step at the start and a slope
change after it (segmented regression),

.. math:: \bar y_t = b_0 + b_1 t + b_2\,1[t\ge s] + b_3 (t-s)\,1[t\ge s] + e_t ,

with Newey-West (Bartlett kernel) standard errors robust to autocorrelation; ``effect`` is
the level change :math:`b_2` and the interval uses :math:`t_{T-4}` quantiles.

``min_detectable_effect`` is :math:`(t_{1-\alpha/2} + t_{0.8})\,SE` (Bloom 1995): the
effect this design detects with 80% power. When the targeted units were the worst ones
in the last period before the start, ``warnings`` holds ``"regression_to_the_mean"``:
part of any improvement may be the return of an unusually bad value towards its mean.

References: Angrist, J. D., & Pischke, J.-S. (2009). *Mostly Harmless Econometrics*, ch. 5;
Cameron, A. C., Gelbach, J. B., & Miller, D. L. (2008). Bootstrap-based improvements for
inference with clustered errors. *Review of Economics and Statistics* 90(3), 414-427;
Cameron, A. C., & Miller, D. L. (2015). A practitioner's guide to cluster-robust
inference. *Journal of Human Resources* 50(2), 317-372;
Webb, M. D. (2023). Reworking wild bootstrap-based inference for clustered errors.
*Canadian Journal of Economics* 56(3), 839-858; MacKinnon, J. G., & Webb, M. D. (2017).
Wild bootstrap inference for wildly different cluster sizes. *Journal of Applied
Econometrics* 32(2), 233-254; Wagner, A. K., et al. (2002). Segmented
regression analysis of interrupted time series studies in medication use research.
*Journal of Clinical Pharmacy and Therapeutics* 27, 299-309; Newey, W. K., & West, K. D.
(1987). *Econometrica* 55(3), 703-708; Bloom, H. S. (1995). Minimum detectable effects.
*Evaluation Review* 19(5), 547-556; Barnett, A. G., et al. (2005). Regression to the mean.
*International Journal of Epidemiology* 34, 215-220.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import linalg
from scipy import stats as sps

from cxgap.errors import DataError
from cxgap.stats._validate import check_choice, check_confidence
from cxgap.stats.result import StatResult

__all__ = [
    "EFFECT_COLUMNS",
    "EVENT_STUDY_COLUMNS",
    "FEW_CLUSTERS",
    "ActionEffect",
    "action_effect",
]

FEW_CLUSTERS = 30
"""Below this many units, ``inference="auto"`` uses the wild-cluster bootstrap."""

POWER = 0.8
"""Power behind ``min_detectable_effect``."""

EFFECT_COLUMNS = ("term", "estimate", "se", "ci_low", "ci_high", "p_value")
"""Columns of :attr:`ActionEffect.summary`, one row per model term (``effect`` first)."""

EVENT_STUDY_COLUMNS = ("period", "relative_period", "estimate", "se", "ci_low", "ci_high")
"""Columns of :attr:`ActionEffect.event_study`; the reference period has estimate 0."""

_WEBB = np.array([-math.sqrt(1.5), -1.0, -math.sqrt(0.5), math.sqrt(0.5), 1.0, math.sqrt(1.5)])


@dataclass(frozen=True)
class ActionEffect(StatResult):
    """Result of :func:`action_effect`.

    Attributes:
        method: ``"did"`` or ``"its"``.
        inference: ``"cluster"`` (CR1, :math:`t_{G-1}`), ``"wild_cluster_bootstrap"``,
            ``"cells"`` (unit x period means, classical errors) or ``"hac"``
            (Newey-West, :math:`t_{T-4}`).
        effect, se, ci_low, ci_high, p_value: the effect (outcome units) with its
            interval at ``confidence`` and the two-sided p-value of "no effect".
        pre_trend_p_value: the event-study test of parallel pre-trends (NaN with one
            period before the start, and for ``"its"``).
        min_detectable_effect: the effect detected with 80% power at this design.
        n_rows, n_units, n_treated_units, n_periods, n_pre_periods: the sample behind it.
        warnings: codes: ``"regression_to_the_mean"``, ``"few_treated_units"``.
        event_study: ``did`` only, columns :data:`EVENT_STUDY_COLUMNS`; for ``its`` the
            period means with the fitted segmented line (``period``, ``relative_period``,
            ``mean``, ``n``, ``fitted``, ``counterfactual``).
        summary: columns :data:`EFFECT_COLUMNS`.
    """

    method: str
    inference: str
    confidence: float
    effect: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    pre_trend_p_value: float
    min_detectable_effect: float
    n_rows: int
    n_units: int
    n_treated_units: int
    n_periods: int
    n_pre_periods: int
    warnings: tuple[str, ...]
    event_study: pd.DataFrame


@dataclass(frozen=True)
class _Panel:
    y: np.ndarray
    unit: np.ndarray  # codes 0..G-1
    time: np.ndarray  # codes 0..T-1 (sorted periods)
    treated_unit: np.ndarray  # bool per unit
    periods: list[Any]
    start: int  # position of the first period of the plan


def action_effect(
    frame: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    period: str,
    treated: str,
    start: Any,
    method: Literal["did", "its"] = "did",
    confidence: float = 0.95,
    inference: Literal["auto", "cluster", "wild", "cells"] = "auto",
    higher_is_better: bool = True,
    n_boot: int = 1999,
    seed: int = 0,
    maxlags: int | None = None,
) -> ActionEffect:
    """Measure the effect of an action plan that starts at period ``start``.

    Args:
        frame: one row per observation; rows with a missing outcome are left out.
        outcome, unit, period, treated: column names. ``treated`` is true (1) for every
            row of a targeted unit, false (0) otherwise; it must not vary within a unit.
            Periods must sort in time order (wave labels such as ``2025Q1`` do).
        start: the first period in which the plan acts (need not be observed: the first
            observed period at or after it is used).
        method: ``"did"`` (targeted vs untargeted units) or ``"its"`` (targeted units
            alone, segmented regression).
        inference: ``"auto"`` picks ``"cells"`` with one targeted or one control unit,
            the wild-cluster bootstrap (``"wild"``) below :data:`FEW_CLUSTERS` units,
            else clustered standard errors (``"cluster"``).
        higher_is_better: direction of the outcome (for the regression-to-the-mean check).
        n_boot, seed: the wild-cluster bootstrap's replicates and random seed.
        maxlags: Newey-West lags for ``"its"`` (default :math:`\\lfloor 4(T/100)^{2/9}\\rfloor`,
            at least 1).

    >>> rng = np.random.default_rng(1)
    >>> rows = [(u, t, u < 20, 0.5 * (u < 20) * (t >= 3) + 0.1 * u + 0.2 * t)
    ...         for u in range(40) for t in range(6)]
    >>> df = pd.DataFrame(rows, columns=["unit", "wave", "treated", "y"])
    >>> df["y"] += rng.normal(scale=0.3, size=len(df))
    >>> r = action_effect(df, outcome="y", unit="unit", period="wave", treated="treated", start=3)
    >>> r.inference, round(r.effect, 2), r.ci_low > 0
    ('cluster', 0.37, True)
    """
    check_choice(method, ("did", "its"), name="method")
    check_choice(inference, ("auto", "cluster", "wild", "cells"), name="inference")
    confidence = check_confidence(confidence)
    if not isinstance(n_boot, int) or n_boot < 99:
        raise DataError(f"n_boot: got {n_boot!r}; allowed: a whole number of at least 99")
    panel = _panel(frame, outcome=outcome, unit=unit, period=period, treated=treated, start=start)
    if method == "did":
        return _did(
            panel,
            confidence=confidence,
            inference=inference,
            higher_is_better=higher_is_better,
            n_boot=n_boot,
            seed=seed,
        )
    return _its(panel, confidence=confidence, maxlags=maxlags, higher_is_better=higher_is_better)


# ---------------------------------------------------------------------------- input


def _panel(
    frame: pd.DataFrame, *, outcome: str, unit: str, period: str, treated: str, start: Any
) -> _Panel:
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"frame: got {type(frame).__name__}; allowed: a pandas DataFrame")
    for role, column in (("outcome", outcome), ("unit", unit), ("period", period)):
        if column not in frame.columns:
            raise DataError(
                f"{role}: column {column!r} is not in the frame; "
                f"allowed: one of {', '.join(map(repr, frame.columns))}"
            )
    if treated not in frame.columns:
        raise DataError(
            f"treated: column {treated!r} is not in the frame; "
            f"allowed: one of {', '.join(map(repr, frame.columns))}"
        )
    y = pd.to_numeric(frame[outcome], errors="coerce").astype("float64")
    bad = frame[outcome].notna() & y.isna()
    if bad.any():
        row = bad.to_numpy().nonzero()[0][0]
        raise DataError(
            f"outcome: column {outcome!r}, row {frame.index[row]!r}: value "
            f"{frame[outcome].iloc[row]!r} is not a number; allowed: numbers, or NaN for missing"
        )
    if np.isinf(y.to_numpy()).any():
        raise DataError(f"outcome: column {outcome!r} holds an infinite value; allowed: numbers")
    keep = y.notna().to_numpy()
    for role, column in (("unit", unit), ("period", period), ("treated", treated)):
        if frame[column][keep].isna().any():
            raise DataError(f"{role}: column {column!r} has missing values; allowed: no gaps")
    data = frame.loc[keep, [unit, period, treated]]
    flag = _treated_flags(data[treated], column=treated)
    try:
        periods = sorted(pd.unique(data[period]).tolist())
        position = next((k for k, p in enumerate(periods) if p >= start), len(periods))
    except TypeError as error:
        raise DataError(
            f"start: got {start!r}; periods in column {period!r} and start must compare "
            f"(e.g. all wave labels or all numbers): {error}"
        ) from None
    unit_codes, unit_labels = pd.factorize(data[unit], sort=True)
    by_unit = pd.Series(flag).groupby(unit_codes).agg(["min", "max"])
    mixed = by_unit.index[by_unit["min"] != by_unit["max"]]
    if len(mixed):
        raise DataError(
            f"treated: column {treated!r} varies within unit {unit_labels[mixed[0]]!r}; "
            "allowed: one value per unit (true for every row of a targeted unit)"
        )
    time_codes = np.searchsorted(np.array(periods, dtype=object), data[period].to_numpy())
    if not 0 < position < len(periods):
        raise DataError(
            f"start: got {start!r}; allowed: a period after the first observed period "
            f"({periods[0]!r}) and not after the last ({periods[-1]!r}), so that periods "
            "before and after the start are observed"
        )
    return _Panel(
        y=y.to_numpy()[keep],
        unit=unit_codes.astype(np.intp),
        time=time_codes.astype(np.intp),
        treated_unit=by_unit["max"].to_numpy().astype(bool),
        periods=periods,
        start=position,
    )


def _treated_flags(values: pd.Series, *, column: str) -> np.ndarray:
    if values.dtype == bool:
        return values.to_numpy()
    numeric = pd.to_numeric(values, errors="coerce")
    wrong = numeric.isna() | ~numeric.isin([0, 1])
    if wrong.any():
        raise DataError(
            f"treated: column {column!r} holds {values[wrong].iloc[0]!r}; "
            "allowed: true/false or 1/0"
        )
    return numeric.to_numpy().astype(bool)


# ---------------------------------------------------------------------------- regression


@dataclass(frozen=True)
class _Fit:
    coef: np.ndarray
    cov: np.ndarray  # CR1 cluster-robust covariance
    correction: float  # G/(G-1) * (N-1)/(N-K)


def _cluster_ols(X: np.ndarray, y: np.ndarray, clusters: np.ndarray, *, nested: int) -> _Fit:
    """Least squares with the CR1 cluster-robust covariance (``clusters``: n x G one-hot).

    The ``nested`` columns (unit effects) lie within clusters and are not counted in the
    small-sample factor's K (Cameron & Miller 2015, section VI.B; Stata's ``xtreg, fe``):
    counting them inflates the standard errors when units have few periods.
    """
    n, g = y.size, clusters.shape[1]
    bread = _inverse_cross(X)
    coef = bread @ (X.T @ y)
    resid = y - X @ coef
    rank = X.shape[1] - nested
    if n <= rank:
        raise DataError(
            f"frame: {n} observations for {rank} model terms; allowed: more observations "
            "than unit and period effects (add waves, units or responses)"
        )
    scores = (X * resid[:, None]).T @ clusters
    correction = g / (g - 1) * (n - 1) / (n - rank)
    return _Fit(coef, correction * bread @ scores @ scores.T @ bread, correction)


def _classical_ols(X: np.ndarray, y: np.ndarray) -> _Fit:
    """Least squares with the classical covariance :math:`s^2 (X'X)^{-1}`."""
    n, k = X.shape
    if n <= k:
        raise DataError(
            f"frame: {n} unit x period cells for {k} model terms; allowed: more cells "
            "than unit and period effects (add waves or units)"
        )
    bread = _inverse_cross(X)
    coef = bread @ (X.T @ y)
    resid = y - X @ coef
    return _Fit(coef, float(resid @ resid) / (n - k) * bread, 1.0)


def _cell_means(panel: _Panel) -> _Panel:
    """One row per observed unit x period: the mean outcome."""
    n_periods = len(panel.periods)
    cell = panel.unit * n_periods + panel.time
    codes, index = np.unique(cell, return_inverse=True)
    means = np.bincount(index, weights=panel.y) / np.bincount(index)
    return _Panel(
        y=means,
        unit=(codes // n_periods).astype(np.intp),
        time=(codes % n_periods).astype(np.intp),
        treated_unit=panel.treated_unit,
        periods=panel.periods,
        start=panel.start,
    )


def _fixed_effects(panel: _Panel) -> np.ndarray:
    """Intercept, unit dummies and period dummies (first of each left out)."""
    n, g = panel.y.size, panel.treated_unit.size
    design = np.zeros((n, g + len(panel.periods) - 1))
    design[:, 0] = 1.0
    rows = np.arange(n)
    has_unit = panel.unit > 0
    design[rows[has_unit], panel.unit[has_unit]] = 1.0
    has_time = panel.time > 0
    design[rows[has_time], g - 1 + panel.time[has_time]] = 1.0
    return design


def _inverse_cross(design: np.ndarray) -> np.ndarray:
    """:math:`(X'X)^{-1}` through a Cholesky factor of the small terms x terms matrix
    (an SVD of X costs a hundred times more and gains nothing on a full-rank design)."""
    cross = design.T @ design
    try:
        linalg.cho_factor(cross)  # positive definite: the design has full rank
    except linalg.LinAlgError:
        raise DataError(
            "frame: the unit, period and plan effects cannot be told apart (a period or "
            "unit without the observations that separate them); allowed: every unit "
            "observed before and after the start, targeted and untargeted units in each period"
        ) from None
    return np.linalg.inv(cross)


def _residualise(design: np.ndarray, values: np.ndarray) -> np.ndarray:
    return values - design @ (_inverse_cross(design) @ (design.T @ values))


# ---------------------------------------------------------------------------- DiD


def _did(
    panel: _Panel,
    *,
    confidence: float,
    inference: str,
    higher_is_better: bool,
    n_boot: int,
    seed: int,
) -> ActionEffect:
    g = panel.treated_unit.size
    n_treated = int(panel.treated_unit.sum())
    if n_treated in (0, g):
        raise DataError(
            f"treated: {n_treated} of {g} units are targeted; allowed: some targeted and "
            "some untargeted units (without untargeted units use method='its')"
        )
    mode = inference
    if mode == "auto":
        few_treated = min(n_treated, g - n_treated) < 2
        mode = "cells" if few_treated else "wild" if g < FEW_CLUSTERS else "cluster"
    n_rows = int(panel.y.size)
    if mode == "cells":
        panel = _cell_means(panel)
    clusters = np.zeros((panel.y.size, g))
    clusters[np.arange(panel.y.size), panel.unit] = 1.0
    fixed = _fixed_effects(panel)

    def estimate(X: np.ndarray) -> tuple[_Fit, int]:
        if mode == "cells":
            return _classical_ols(X, panel.y), panel.y.size - X.shape[1]
        return _cluster_ols(X, panel.y, clusters, nested=g - 1), g - 1

    treated_row = panel.treated_unit[panel.unit]
    d = (treated_row & (panel.time >= panel.start)).astype("float64")
    fit, df = estimate(np.column_stack([d, fixed]))
    effect, se = float(fit.coef[0]), math.sqrt(max(float(fit.cov[0, 0]), 0.0))
    if not se > 0:
        raise DataError(
            "outcome: no variation is left once unit and period effects are removed; "
            "allowed: data with noise (several units per group or several responses per cell)"
        )
    alpha = 1.0 - confidence
    if mode == "wild":
        wild = _WildCluster(panel.y, d, fixed, clusters, fit, n_boot=n_boot, seed=seed)
        p_value = wild.p_value(0.0)
        ci_low, ci_high = wild.interval(alpha)
    else:
        p_value = float(2 * sps.t.sf(abs(effect / se), df))
        crit = float(sps.t.ppf(1 - alpha / 2, df))
        ci_low, ci_high = effect - crit * se, effect + crit * se
    events, pre_p = _event_study(panel, fixed, estimate, confidence=confidence)
    warnings = []
    if _chosen_for_being_worst(panel, higher_is_better=higher_is_better):
        warnings.append("regression_to_the_mean")
    if min(n_treated, g - n_treated) < 2:
        warnings.append("few_treated_units")
    return ActionEffect(
        summary=pd.DataFrame(
            [("effect", effect, se, ci_low, ci_high, p_value)], columns=list(EFFECT_COLUMNS)
        ),
        method="did",
        inference={"wild": "wild_cluster_bootstrap"}.get(mode, mode),
        confidence=confidence,
        effect=effect,
        se=se,
        ci_low=float(ci_low),
        ci_high=float(ci_high),
        p_value=float(p_value),
        pre_trend_p_value=pre_p,
        min_detectable_effect=_mde(se, df, alpha),
        n_rows=n_rows,
        n_units=g,
        n_treated_units=n_treated,
        n_periods=len(panel.periods),
        n_pre_periods=panel.start,
        warnings=tuple(warnings),
        event_study=events,
    )


def _mde(se: float, df: float, alpha: float) -> float:
    return float((sps.t.ppf(1 - alpha / 2, df) + sps.t.ppf(POWER, df)) * se)


class _WildCluster:
    r"""Restricted wild-cluster bootstrap-t of :math:`\beta = b_0`, vectorised over replicates.

    With :math:`\tilde d` the treatment indicator net of the fixed effects, the restricted
    residuals are :math:`\tilde e(b_0) = M_F y - b_0 \tilde d`; the bootstrap coefficient is
    :math:`b_0 + \sum_g w_g \tilde d_g'\tilde e_g / \tilde d'\tilde d` and each cluster's
    score of the refitted model is linear in the weights, so every replicate is one
    matrix product (no refit).
    """

    def __init__(
        self,
        y: np.ndarray,
        d: np.ndarray,
        fixed: np.ndarray,
        clusters: np.ndarray,
        fit: _Fit,
        *,
        n_boot: int,
        seed: int,
    ) -> None:
        d_net = _residualise(fixed, d)
        y_net = _residualise(fixed, y)
        design = np.column_stack([d, fixed])
        bread = _inverse_cross(design)
        link = ((design * d_net[:, None]).T @ clusters).T @ bread  # G x K
        self.dd = float(d_net @ d_net)
        self.a0 = (d_net * y_net) @ clusters
        self.a1 = (d_net * d_net) @ clusters
        self.c0 = link @ ((design * y_net[:, None]).T @ clusters)
        self.c1 = link @ ((design * d_net[:, None]).T @ clusters)
        self.correction = fit.correction
        self.effect = float(fit.coef[0])
        self.se = math.sqrt(float(fit.cov[0, 0]))
        rng = np.random.default_rng(seed)
        self.weights = rng.choice(_WEBB, size=(clusters.shape[1], n_boot))

    def p_value(self, b0: float) -> float:
        a = self.a0 - b0 * self.a1
        c = self.c0 - b0 * self.c1
        shift = (a @ self.weights) / self.dd
        scores = a[:, None] * self.weights - c @ self.weights
        se_star = np.sqrt(self.correction * (scores**2).sum(axis=0)) / self.dd
        with np.errstate(divide="ignore", invalid="ignore"):
            t_star = np.abs(shift / se_star)
        t_hat = abs(self.effect - b0) / self.se
        return float(np.mean(np.where(np.isnan(t_star), 0.0, t_star) >= t_hat - 1e-12))

    def interval(self, alpha: float) -> tuple[float, float]:
        return self._bound(-1.0, alpha), self._bound(1.0, alpha)

    def _bound(self, direction: float, alpha: float) -> float:
        step = self.se * float(sps.norm.ppf(1 - alpha / 2))
        inner, outer = self.effect, self.effect + direction * step
        for _ in range(40):
            if self.p_value(outer) <= alpha:
                break
            inner, step = outer, step * 2
            outer = self.effect + direction * step
        else:
            return direction * math.inf
        for _ in range(30):
            middle = (inner + outer) / 2
            if self.p_value(middle) > alpha:
                inner = middle
            else:
                outer = middle
        return (inner + outer) / 2


def _event_study(
    panel: _Panel,
    fixed: np.ndarray,
    estimate: Callable[[np.ndarray], tuple[_Fit, int]],
    *,
    confidence: float,
) -> tuple[pd.DataFrame, float]:
    """Coefficients of the targeted units per period (reference: the last one before
    the start) and the Wald test that the pre-start ones are all zero."""
    n_periods, reference = len(panel.periods), panel.start - 1
    treated_row = panel.treated_unit[panel.unit]
    observed = set(np.unique(panel.time[treated_row]).tolist())
    kept = [k for k in range(n_periods) if k != reference and k in observed]
    events = np.column_stack([(treated_row & (panel.time == k)).astype("float64") for k in kept])
    fit, df = estimate(np.column_stack([events, fixed]))
    crit = float(sps.t.ppf(0.5 + confidence / 2, df))
    rows = []
    for k in range(n_periods):
        if k == reference:
            value, se = 0.0, 0.0
        elif k not in kept:
            value, se = math.nan, math.nan
        else:
            j = kept.index(k)
            value, se = float(fit.coef[j]), math.sqrt(max(float(fit.cov[j, j]), 0.0))
        rows.append(
            (panel.periods[k], k - panel.start, value, se, value - crit * se,
             value + crit * se)
        )  # fmt: skip
    leads = [j for j, k in enumerate(kept) if k < reference]
    pre_p = math.nan
    if leads and len(leads) <= df:
        b = fit.coef[leads]
        wald = float(b @ np.linalg.pinv(fit.cov[np.ix_(leads, leads)]) @ b)
        pre_p = float(sps.f.sf(wald / len(leads), len(leads), df))
    return pd.DataFrame(rows, columns=list(EVENT_STUDY_COLUMNS)), pre_p


def _chosen_for_being_worst(panel: _Panel, *, higher_is_better: bool) -> bool:
    """Whether the targeted units were the worst ones in the last period before the start."""
    last = panel.time == panel.start - 1
    g = panel.treated_unit.size
    sums = np.bincount(panel.unit[last], weights=panel.y[last], minlength=g)
    counts = np.bincount(panel.unit[last], minlength=g)
    seen = counts > 0
    means = np.where(seen, sums / np.maximum(counts, 1), np.nan)
    if not higher_is_better:
        means = -means
    treated, control = means[panel.treated_unit & seen], means[~panel.treated_unit & seen]
    return bool(treated.size and control.size and treated.max() < control.min())


# ---------------------------------------------------------------------------- ITS


def _its(
    panel: _Panel, *, confidence: float, maxlags: int | None, higher_is_better: bool
) -> ActionEffect:
    targeted = panel.treated_unit[panel.unit]
    if not targeted.any():
        raise DataError(
            "treated: no row belongs to a targeted unit; allowed: the targeted units' rows "
            "marked true (interrupted time series measures them alone)"
        )
    n_periods = len(panel.periods)
    counts = np.bincount(panel.time[targeted], minlength=n_periods)
    sums = np.bincount(panel.time[targeted], weights=panel.y[targeted], minlength=n_periods)
    seen = counts > 0
    time = np.arange(n_periods)[seen].astype("float64")
    means = sums[seen] / counts[seen]
    post = (time >= panel.start).astype("float64")
    n_pre, n_post = int((post == 0).sum()), int(post.sum())
    if n_pre < 2 or n_post < 2 or time.size < 6:
        raise DataError(
            f"period: the targeted units have {n_pre} periods before the start and {n_post} "
            "from it; allowed: at least 2 before, 2 from the start and 6 in all for a "
            "segmented regression"
        )
    design = np.column_stack([np.ones_like(time), time, post, (time - panel.start) * post])
    coef, cov = _newey_west(design, means, maxlags=maxlags)
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    df = time.size - design.shape[1]
    alpha = 1.0 - confidence
    crit = float(sps.t.ppf(1 - alpha / 2, df))
    with np.errstate(divide="ignore", invalid="ignore"):
        p_values = 2 * sps.t.sf(np.abs(coef / se), df)
    terms = ("level_change", "slope_change", "pre_slope")
    rows = [(name, coef[j], se[j], coef[j] - crit * se[j], coef[j] + crit * se[j], p_values[j])
            for name, j in zip(terms, (2, 3, 1), strict=True)]  # fmt: skip
    series = pd.DataFrame(
        {
            "period": [panel.periods[int(k)] for k in time],
            "relative_period": (time - panel.start).astype(int),
            "mean": means,
            "n": counts[seen],
            "fitted": design @ coef,
            "counterfactual": coef[0] + coef[1] * time,
        }
    )
    pre_means = means[post == 0] * (1 if higher_is_better else -1)
    warnings = ("regression_to_the_mean",) if n_pre >= 3 and pre_means.argmin() == n_pre - 1 else ()
    return ActionEffect(
        summary=pd.DataFrame(rows, columns=list(EFFECT_COLUMNS)),
        method="its",
        inference="hac",
        confidence=confidence,
        effect=float(coef[2]),
        se=float(se[2]),
        ci_low=float(coef[2] - crit * se[2]),
        ci_high=float(coef[2] + crit * se[2]),
        p_value=float(p_values[2]),
        pre_trend_p_value=math.nan,
        min_detectable_effect=_mde(float(se[2]), df, alpha),
        n_rows=int(targeted.sum()),
        n_units=int(panel.treated_unit.sum()),
        n_treated_units=int(panel.treated_unit.sum()),
        n_periods=int(time.size),
        n_pre_periods=n_pre,
        warnings=warnings,
        event_study=series,
    )


def _newey_west(
    design: np.ndarray, y: np.ndarray, *, maxlags: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """OLS with the Newey-West covariance (Bartlett weights, small-sample factor n/(n-k))."""
    n, k = design.shape
    if maxlags is None:
        maxlags = max(1, math.floor(4 * (n / 100) ** (2 / 9)))
    if not isinstance(maxlags, int) or not 0 <= maxlags < n:
        raise DataError(f"maxlags: got {maxlags!r}; allowed: a whole number from 0 to {n - 1}")
    bread = np.linalg.pinv(design.T @ design)
    coef = bread @ design.T @ y
    scores = design * (y - design @ coef)[:, None]
    meat = scores.T @ scores
    for lag in range(1, maxlags + 1):
        cross = scores[lag:].T @ scores[:-lag]
        meat += (1 - lag / (maxlags + 1)) * (cross + cross.T)
    return coef, n / (n - k) * bread @ meat @ bread
