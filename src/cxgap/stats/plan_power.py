r"""Before an action plan starts: the effect it can detect and the responses it needs.

For a difference-in-differences design with :math:`n_T` targeted and :math:`n_C` control
units, :math:`P` waves before and :math:`Q` waves from the start, :math:`m` responses per
unit and wave, a response standard deviation :math:`\sigma` and a unit-by-wave standard
deviation :math:`\tau` (how much a unit's wave mean moves beyond its sampling error), each
unit x wave mean has variance :math:`\sigma_c^2 = \tau^2 + \sigma^2/m` and the two-way
fixed-effects estimate has

.. math:: \operatorname{Var}(\hat\beta) = \sigma_c^2
   \left(\frac{1}{n_T}+\frac{1}{n_C}\right)\left(\frac{1}{P}+\frac{1}{Q}\right).

The minimum detectable effect at level :math:`\alpha` and power :math:`1-\beta` is
:math:`(z_{1-\alpha/2} + z_{1-\beta})\sqrt{\operatorname{Var}(\hat\beta)}` (Bloom 1995),
and the responses per unit and wave that an expected effect :math:`\delta` needs solve
:math:`\delta = (z_{1-\alpha/2}+z_{1-\beta})\,\sigma_c(m)\sqrt{k}`:

.. math:: m = \frac{\sigma^2}{\delta^2 / ((z_{1-\alpha/2}+z_{1-\beta})^2 k) - \tau^2},

infinite when :math:`\tau` alone already hides the effect (then more units or waves help,
more responses do not).

References: Bloom, H. S. (1995). Minimum detectable effects. *Evaluation Review* 19(5),
547-556; Frison, L., & Pocock, S. J. (1992). Repeated measures in clinical trials.
*Statistics in Medicine* 11, 1685-1704.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
from scipy import stats as sps

from cxgap.errors import DataError
from cxgap.stats.result import StatResult

__all__ = ["PlanPower", "plan_power"]


@dataclass(frozen=True)
class PlanPower(StatResult):
    """Result of :func:`plan_power`.

    Attributes:
        min_detectable_effect: at the planned responses per unit and wave.
        se: the standard error of the effect estimate at that plan.
        expected_effect: the effect the plan expects (NaN when not given).
        responses_needed: responses per unit and wave for ``expected_effect`` (``inf``
            when unreachable by more responses; NaN without an expected effect).
        summary: one row with every input and output.
    """

    min_detectable_effect: float
    se: float
    expected_effect: float
    responses_needed: float


def plan_power(
    *,
    sd: float,
    responses_per_wave: float,
    treated_units: int,
    control_units: int,
    pre_periods: int,
    post_periods: int,
    unit_wave_sd: float = 0.0,
    expected_effect: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
) -> PlanPower:
    """Minimum detectable effect and responses needed for a planned action (see module).

    >>> r = plan_power(sd=1.0, responses_per_wave=50, treated_units=1, control_units=5,
    ...                pre_periods=4, post_periods=4, expected_effect=0.5)
    >>> round(r.min_detectable_effect, 3), math.ceil(r.responses_needed)
    (0.307, 19)
    """
    for name, value in (("sd", sd), ("responses_per_wave", responses_per_wave)):
        if not isinstance(value, int | float) or not value > 0 or math.isinf(value):
            raise DataError(f"{name}: got {value!r}; allowed: a positive number")
    if not isinstance(unit_wave_sd, int | float) or not unit_wave_sd >= 0:
        raise DataError(f"unit_wave_sd: got {unit_wave_sd!r}; allowed: a number of 0 or more")
    for name, count in (
        ("treated_units", treated_units),
        ("control_units", control_units),
        ("pre_periods", pre_periods),
        ("post_periods", post_periods),
    ):
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise DataError(f"{name}: got {count!r}; allowed: a whole number of at least 1")
    for name, share in (("alpha", alpha), ("power", power)):
        if not isinstance(share, int | float) or not 0 < share < 1:
            raise DataError(f"{name}: got {share!r}; allowed: a number between 0 and 1")
    if expected_effect is not None and (
        not isinstance(expected_effect, int | float) or expected_effect == 0
    ):
        raise DataError(
            f"expected_effect: got {expected_effect!r}; allowed: a non-zero number or None"
        )
    design = (1 / treated_units + 1 / control_units) * (1 / pre_periods + 1 / post_periods)
    multiplier = float(sps.norm.ppf(1 - alpha / 2) + sps.norm.ppf(power))
    se = math.sqrt((unit_wave_sd**2 + sd**2 / responses_per_wave) * design)
    needed = math.nan
    if expected_effect is not None:
        room = expected_effect**2 / (multiplier**2 * design) - unit_wave_sd**2
        needed = sd**2 / room if room > 0 else math.inf
    summary = pd.DataFrame(
        [
            {
                "sd": sd,
                "unit_wave_sd": unit_wave_sd,
                "responses_per_wave": responses_per_wave,
                "treated_units": treated_units,
                "control_units": control_units,
                "pre_periods": pre_periods,
                "post_periods": post_periods,
                "alpha": alpha,
                "power": power,
                "se": se,
                "min_detectable_effect": multiplier * se,
                "expected_effect": math.nan if expected_effect is None else expected_effect,
                "responses_needed": needed,
            }
        ]
    )
    return PlanPower(
        summary=summary,
        min_detectable_effect=multiplier * se,
        se=se,
        expected_effect=math.nan if expected_effect is None else float(expected_effect),
        responses_needed=needed,
    )
