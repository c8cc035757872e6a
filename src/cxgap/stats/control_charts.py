r"""Control charts that flag real shifts, not noise, with a stated false-alarm rate.

A series of per-period figures (a share, a rate, a mean) is in control when each period's
figure is what chance alone gives around a reference level; a chart *signals* a period
when the figure is too far from it. Four charts, each suited to one kind of figure:

* :func:`p_chart`: a share of events among trials per period (complaints among
  customers, visits that met a standard), with sample sizes that vary by period.
* :func:`u_chart`: a count per unit of exposure per period (complaints per 1,000
  customers), exposures varying by period.
* :func:`ewma_chart`: a mean per period (satisfaction, a gap score): the exponentially
  weighted moving average of the standardised means, which sees small lasting shifts.
* :func:`cusum_chart`: a mean per period: the two-sided tabular CUSUM of the
  standardised means, which sees a lasting shift of about ``2 k`` standard errors fastest.

**False alarms.** The p and u charts use *probability limits*: a period signals when the
count it saw is in a tail of the exact binomial (Poisson) distribution of probability at
most ``alpha / 2`` on each side, so the chance that an in-control period signals is at
most ``alpha`` whatever the sample size (the usual 3-sigma limits give far more than
their nominal 0.27% at small samples or small shares). The exact per-period chance is
in the summary; ``false_alarm_rate`` is its largest value. The EWMA and CUSUM charts are
designed for an in-control average run length ``arl0`` (periods until a false alarm), as
computed by the Markov-chain method of Brook and Evans with 201 states; their
``false_alarm_rate`` is ``1 / in_control_arl``. Means are standardised with the standard
error of each period (``sd / sqrt(n)``, or given directly), so sample sizes may vary.
The EWMA chart uses its steady-state limits from the first period on (what the run
length is computed for); signals are reported for every period beyond a limit, without
restarting the statistic.

References: Montgomery, D. C. (2019). *Introduction to Statistical Quality Control*
(8th ed.), chapters 7 (p and u charts, probability limits) and 9 (CUSUM, EWMA; the
average run lengths of tables 9.3 and 9.11 are reproduced in the tests). Brook, D., &
Evans, D. A. (1972). An approach to the probability distribution of CUSUM run length.
*Biometrika*, 59(3), 539-549. Lucas, J. M., & Saccucci, M. S. (1990). Exponentially
weighted moving average control schemes. *Technometrics*, 32(1), 1-12.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Literal

import numpy as np
import pandas as pd
from scipy import optimize
from scipy import stats as sps

from cxgap.errors import DataError
from cxgap.stats.result import StatResult

__all__ = [
    "CHART_COLUMNS",
    "ControlChart",
    "cusum_arl",
    "cusum_chart",
    "ewma_arl",
    "ewma_chart",
    "p_chart",
    "u_chart",
]

ChartKind = Literal["p", "u", "ewma", "cusum"]

CHART_COLUMNS = ("period", "value", "center", "lower", "upper", "signal", "false_alarm")
"""Columns of :attr:`ControlChart.summary`, one row per period. ``false_alarm`` is the
chance that the period signals when the process is in control (exact for p and u charts,
``1 / in_control_arl`` for EWMA and CUSUM)."""

_STATES = 201


@dataclass(frozen=True)
class ControlChart(StatResult):
    """Result of the chart functions of :mod:`cxgap.stats.control_charts`.

    Attributes:
        kind: ``"p"``, ``"u"``, ``"ewma"`` or ``"cusum"``.
        values: the plotted figure per period (a share, a rate, the EWMA of standardised
            means, or the signed CUSUM: the upper sum where it is the larger, else minus
            the lower sum).
        center, lower, upper: the reference level and the limits per period; a period
            signals when its value is below ``lower`` or above ``upper``.
        signals: positions (0-based) of the periods that signal.
        false_alarm_rate: the largest per-period chance of a signal in control.
        in_control_arl: the average number of in-control periods until a false alarm
            (``1 / false_alarm_rate`` for p and u charts: a lower bound there).
        reference: the reference level used (share, rate or target mean) and whether it
            was given (``reference_given``) or estimated from the series itself.
        summary: one row per period, columns :data:`CHART_COLUMNS`.
    """

    kind: ChartKind
    values: tuple[float, ...]
    center: tuple[float, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    signals: tuple[int, ...]
    false_alarm_rate: float
    in_control_arl: float
    reference: float
    reference_given: bool

    @property
    def signalled(self) -> bool:
        """Whether any period signals."""
        return bool(self.signals)


def _series(data: Sequence[float] | np.ndarray | pd.Series, *, name: str) -> np.ndarray:
    try:
        values = np.asarray(data, dtype=float)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name}: not numbers ({exc}); allowed: one number per period") from exc
    if values.ndim != 1:
        raise DataError(f"{name}: got {values.ndim} dimensions; allowed: one number per period")
    if values.size == 0:
        raise DataError(f"{name}: no periods; allowed: at least one period")
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise DataError(
            f"{name}: period {int(bad[0]) + 1} is {values[bad[0]]}; allowed: finite numbers"
        )
    return values


def _per_period(value: float | Sequence[float] | np.ndarray, n: int, *, name: str) -> np.ndarray:
    array = np.asarray(value, dtype=float)
    if array.ndim == 0:
        array = np.full(n, float(array))
    array = _series(array, name=name)
    if array.size != n:
        raise DataError(f"{name}: {array.size} values for {n} periods; allowed: one per period")
    return array


def _counts(data: Sequence[float] | np.ndarray | pd.Series, *, name: str) -> np.ndarray:
    values = _series(data, name=name)
    bad = np.flatnonzero((values < 0) | (values != np.round(values)))
    if bad.size:
        raise DataError(
            f"{name}: period {int(bad[0]) + 1} is {values[bad[0]]:g}; allowed: whole numbers "
            "of at least 0"
        )
    return values


def _floats(values: np.ndarray) -> tuple[float, ...]:
    return tuple(float(v) for v in values)


def _alpha(alpha: float) -> float:
    if not 0 < alpha < 0.5:
        raise DataError(f"alpha: got {alpha}; allowed: a probability between 0 and 0.5")
    return float(alpha)


def _chart(
    kind: ChartKind,
    values: np.ndarray,
    center: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    false_alarm: np.ndarray,
    *,
    in_control_arl: float,
    reference: float,
    reference_given: bool,
) -> ControlChart:
    signal = (values < lower) | (values > upper)
    summary = pd.DataFrame(
        {
            "period": np.arange(1, values.size + 1),
            "value": values,
            "center": center,
            "lower": lower,
            "upper": upper,
            "signal": signal,
            "false_alarm": false_alarm,
        },
        columns=list(CHART_COLUMNS),
    )
    return ControlChart(
        kind=kind,
        values=_floats(values),
        center=_floats(center),
        lower=_floats(lower),
        upper=_floats(upper),
        signals=tuple(int(i) for i in np.flatnonzero(signal)),
        false_alarm_rate=float(false_alarm.max()),
        in_control_arl=float(in_control_arl),
        reference=float(reference),
        reference_given=reference_given,
        summary=summary,
    )


def _probability_chart(
    kind: Literal["p", "u"],
    distribution: sps.rv_discrete,
    counts: np.ndarray,
    scale: np.ndarray,
    *,
    reference: float,
    reference_given: bool,
    alpha: float,
) -> ControlChart:
    """The chart of ``counts / scale`` with probability limits of ``distribution``.

    A count ``x`` signals when ``x < L`` (``P(X < L) <= alpha/2``) or ``x > U``
    (``P(X > U) <= alpha/2``), with ``L = ppf(alpha/2)`` and ``U = isf(alpha/2)``; the
    chance of a signal in control is exact per period.
    """
    low_count = distribution.ppf(alpha / 2)
    high_count = distribution.isf(alpha / 2)
    chance = np.asarray(distribution.cdf(low_count - 1) + distribution.sf(high_count), float)
    return _chart(
        kind,
        counts / scale,
        np.full(counts.size, reference),
        low_count / scale,
        high_count / scale,
        chance,
        in_control_arl=1 / float(chance.max()) if chance.max() > 0 else math.inf,
        reference=reference,
        reference_given=reference_given,
    )


def p_chart(
    events: Sequence[float] | np.ndarray | pd.Series,
    trials: Sequence[float] | np.ndarray | pd.Series,
    *,
    p0: float | None = None,
    alpha: float = 0.0027,
) -> ControlChart:
    """The p chart of ``events`` among ``trials`` per period, with binomial probability limits.

    Args:
        events: events per period (whole numbers).
        trials: trials per period (whole numbers, at least 1, at least ``events``).
        p0: the in-control share; estimated from all periods together when ``None``.
        alpha: the largest chance that an in-control period signals (default 0.0027, the
            nominal rate of 3-sigma limits).

    >>> chart = p_chart([5, 4, 6, 25], [100, 100, 100, 100], p0=0.05)
    >>> chart.signals
    (3,)
    >>> chart.false_alarm_rate <= 0.0027
    True
    """
    alpha = _alpha(alpha)
    x = _counts(events, name="events")
    n = _counts(trials, name="trials")
    if n.size != x.size:
        raise DataError(f"trials: {n.size} values for {x.size} periods; allowed: one per period")
    bad = np.flatnonzero((n < 1) | (x > n))
    if bad.size:
        i = int(bad[0])
        raise DataError(
            f"period {i + 1}: {x[i]:g} events among {n[i]:g} trials; allowed: at least 1 trial "
            "and no more events than trials"
        )
    given = p0 is not None
    share = float(p0) if p0 is not None else float(x.sum() / n.sum())
    if not 0 < share < 1:
        raise DataError(
            f"p0: the in-control share is {share:g}; allowed: strictly between 0 and 1 "
            "(with no events or only events no period can signal on that side)"
        )
    return _probability_chart(
        "p", sps.binom(n, share), x, n, reference=share, reference_given=given, alpha=alpha
    )


def u_chart(
    counts: Sequence[float] | np.ndarray | pd.Series,
    exposure: Sequence[float] | np.ndarray | pd.Series,
    *,
    rate0: float | None = None,
    alpha: float = 0.0027,
) -> ControlChart:
    """The u chart of ``counts`` per unit of ``exposure``, with Poisson probability limits.

    Args:
        counts: events per period (whole numbers).
        exposure: the exposure per period (customers, 1,000s of customers, hours; > 0).
        rate0: the in-control rate per unit of exposure; estimated from all periods
            together when ``None``.
        alpha: the largest chance that an in-control period signals.

    >>> u_chart([3, 2, 4, 15], [1.0, 1.0, 1.0, 1.0], rate0=3.0).signals
    (3,)
    """
    alpha = _alpha(alpha)
    x = _counts(counts, name="counts")
    e = _per_period(_series(exposure, name="exposure"), x.size, name="exposure")
    bad = np.flatnonzero(e <= 0)
    if bad.size:
        raise DataError(
            f"exposure: period {int(bad[0]) + 1} is {e[bad[0]]:g}; allowed: more than 0"
        )
    given = rate0 is not None
    rate = float(rate0) if rate0 is not None else float(x.sum() / e.sum())
    if not rate > 0:
        raise DataError(f"rate0: the in-control rate is {rate:g}; allowed: more than 0")
    return _probability_chart(
        "u", sps.poisson(rate * e), x, e, reference=rate, reference_given=given, alpha=alpha
    )


def _standardised(
    means: Sequence[float] | np.ndarray | pd.Series,
    *,
    target: float,
    sd: float | Sequence[float] | np.ndarray | None,
    n: float | Sequence[float] | np.ndarray | None,
    se: float | Sequence[float] | np.ndarray | None,
) -> np.ndarray:
    m = _series(means, name="means")
    if se is None:
        if sd is None or n is None:
            raise DataError(
                "give the standard error of each period's mean (se), or the standard "
                "deviation of one answer (sd) and each period's sample size (n)"
            )
        sizes = _per_period(n, m.size, name="n")
        if (sizes < 1).any():
            raise DataError("n: every period needs at least 1 answer")
        errors = _per_period(sd, m.size, name="sd") / np.sqrt(sizes)
    else:
        errors = _per_period(se, m.size, name="se")
    if (errors <= 0).any():
        raise DataError("the standard errors must be more than 0")
    if not math.isfinite(target):
        raise DataError(f"target: got {target}; allowed: a finite number")
    return (m - float(target)) / errors


def _standardised_chart(
    kind: Literal["ewma", "cusum"], statistic: np.ndarray, limit: float, arl: float, target: float
) -> ControlChart:
    """A chart of a statistic of standardised means around 0 with limits ``±limit``,
    designed for the in-control run length ``arl``."""
    size = statistic.size
    return _chart(
        kind,
        statistic,
        np.zeros(size),
        np.full(size, -limit),
        np.full(size, limit),
        np.full(size, 1 / arl),
        in_control_arl=arl,
        reference=float(target),
        reference_given=True,
    )


def _check_design(arl0: float, name: str, value: float, low: float, high: float) -> None:
    if not arl0 > 1:
        raise DataError(f"arl0: got {arl0}; allowed: more than 1 period")
    if not low < value <= high:
        raise DataError(f"{name}: got {value}; allowed: more than {low:g} and at most {high:g}")


def ewma_arl(lam: float, limit: float, *, shift: float = 0.0) -> float:
    r"""Average run length of the EWMA chart of standardised means (Brook-Evans chain).

    The chart plots :math:`E_t = \lambda z_t + (1-\lambda) E_{t-1}`, :math:`E_0 = 0`, with
    limits :math:`\pm L \sqrt{\lambda / (2 - \lambda)}`; ``shift`` is the mean of
    :math:`z_t` (0 in control).
    """
    h = limit * math.sqrt(lam / (2 - lam))
    width = 2 * h / _STATES
    centres = -h + width * (np.arange(_STATES) + 0.5)
    carried = (1 - lam) * centres[:, None]
    upper = (centres[None, :] + width / 2 - carried) / lam - shift
    lower = (centres[None, :] - width / 2 - carried) / lam - shift
    transition = sps.norm.cdf(upper) - sps.norm.cdf(lower)
    run = np.linalg.solve(np.eye(_STATES) - transition, np.ones(_STATES))
    return float(run[_STATES // 2])


def cusum_arl(k: float, h: float, *, shift: float = 0.0) -> float:
    r"""Average run length of the two-sided tabular CUSUM of standardised means.

    Each side's run length comes from the Brook-Evans chain; the two sides combine as
    :math:`1/ARL = 1/ARL^+ + 1/ARL^-` (Montgomery, section 9.1).
    """

    def one_sided(delta: float) -> float:
        width = 2 * h / (2 * _STATES - 1)
        level = np.arange(_STATES) * width
        step = level[None, :] - level[:, None] + k - delta
        transition = sps.norm.cdf(step + width / 2) - sps.norm.cdf(step - width / 2)
        transition[:, 0] = sps.norm.cdf(width / 2 - level + k - delta)
        run = np.linalg.solve(np.eye(_STATES) - transition, np.ones(_STATES))
        return float(run[0])

    return 1 / (1 / one_sided(shift) + 1 / one_sided(-shift))


def _design(arl: Callable[[float], float], arl0: float, start: float, stop: float) -> float:
    """The limit at which ``arl(limit)`` equals ``arl0`` (run length grows with the limit)."""
    return float(
        optimize.brentq(lambda v: math.log(arl(v)) - math.log(arl0), start, stop, xtol=1e-9)
    )


@cache
def _ewma_limit(lam: float, arl0: float) -> float:
    return _design(lambda v: ewma_arl(lam, v), arl0, 0.5, 6.0)


@cache
def _cusum_interval(k: float, arl0: float) -> float:
    return _design(lambda v: cusum_arl(k, v), arl0, 0.5, 30.0)


def ewma_chart(
    means: Sequence[float] | np.ndarray | pd.Series,
    *,
    target: float,
    sd: float | Sequence[float] | np.ndarray | None = None,
    n: float | Sequence[float] | np.ndarray | None = None,
    se: float | Sequence[float] | np.ndarray | None = None,
    lam: float = 0.2,
    arl0: float = 370.0,
) -> ControlChart:
    """The EWMA chart of per-period ``means`` around ``target``.

    Args:
        means: one mean per period.
        target: the in-control mean.
        sd, n: the standard deviation of one answer and each period's sample size; or
        se: each period's standard error directly.
        lam: the weight of the newest period (0 < lam <= 1; 0.05-0.25 see small shifts).
        arl0: the in-control average run length the limits are designed for.

    Values are on the standardised scale (standard errors from the target).

    >>> chart = ewma_chart([4.0, 4.02, 3.98, 4.01, 3.6, 3.6], target=4.0, se=0.05)
    >>> chart.signals
    (4, 5)
    """
    _check_design(arl0, "lam", lam, 0.0, 1.0)
    z = _standardised(means, target=target, sd=sd, n=n, se=se)
    limit = _ewma_limit(float(lam), float(arl0))
    statistic = np.empty_like(z)
    level = 0.0
    for t, value in enumerate(z):
        level = lam * value + (1 - lam) * level
        statistic[t] = level
    half_width = limit * math.sqrt(lam / (2 - lam))
    arl = ewma_arl(lam, limit)
    return _standardised_chart("ewma", statistic, half_width, arl, target)


def cusum_chart(
    means: Sequence[float] | np.ndarray | pd.Series,
    *,
    target: float,
    sd: float | Sequence[float] | np.ndarray | None = None,
    n: float | Sequence[float] | np.ndarray | None = None,
    se: float | Sequence[float] | np.ndarray | None = None,
    k: float = 0.5,
    arl0: float = 370.0,
) -> ControlChart:
    """The two-sided tabular CUSUM of per-period ``means`` around ``target``.

    Args:
        means, target, sd, n, se: as :func:`ewma_chart`.
        k: the reference value in standard errors (half the shift to detect fastest).
        arl0: the in-control average run length the decision interval is designed for.

    >>> cusum_chart([4.0, 4.01, 3.99, 3.9, 3.9, 3.9, 3.9], target=4.0, se=0.05).signals
    (6,)
    """
    _check_design(arl0, "k", k, 0.0, 3.0)
    z = _standardised(means, target=target, sd=sd, n=n, se=se)
    h = _cusum_interval(float(k), float(arl0))
    high = low = 0.0
    statistic = np.empty_like(z)
    for t, value in enumerate(z):
        high = max(0.0, high + value - k)
        low = max(0.0, low - value - k)
        statistic[t] = high if high >= low else -low
    arl = cusum_arl(k, h)
    return _standardised_chart("cusum", statistic, h, arl, target)
