r"""Gap 3, the delivery gap: delivered service against the standard, per unit and period.

Each delivery measurement counts the cases of a period at a unit (a site, team, district or
channel) and how many of them met the standard's floor. The compliance share
:math:`\hat p = m / n` has a Wilson score interval. A p chart
(:func:`cxgap.stats.control_charts.p_chart`) per unit, centred on the organisation's pooled
compliance :math:`p_0 = \sum m / \sum n` unless a reference is given, flags the periods
whose count of met cases lies in a tail of the binomial :math:`(n_t, p_0)` distribution of
probability at most :math:`\alpha/2` (probability limits): with the usual
:math:`\alpha = 0.0027` an in-control unit is flagged in at most about one period in 370,
whatever the number of cases, so a flag is a real shift rather than noise.

A unit's finding is ``shift_down`` when at least ``min_signals`` periods (default 2) fall
below the lower limit (the unit misses the standard), ``shift_up`` when as many rise above
the upper limit, else ``none``; ``first_signal`` names the first flagged period on the
side of the finding (or the first flagged period at all when there is no finding). A lone
flagged period is shown in the period table but is not a finding: across many units and
periods a few lone false alarms are expected (``alpha`` per period), two on the same side
within a year of an in-control unit are not (about :math:`\binom{12}{2}(\alpha/2)^2`).

References: Montgomery, D. C. (2019). *Introduction to Statistical Quality Control*
(8th ed.), section 7.2 (the p chart). Wilson, E. B. (1927). *JASA*, 22, 209-212.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cxgap.errors import DataError
from cxgap.stats._validate import check_confidence
from cxgap.stats.control_charts import p_chart
from cxgap.stats.loyalty import wilson_interval
from cxgap.stats.result import StatResult

__all__ = ["COMPLIANCE_COLUMNS", "UNIT_COLUMNS", "DeliveryCompliance", "delivery_compliance"]

COMPLIANCE_COLUMNS = (
    "unit",
    "period",
    "cases",
    "met",
    "share",
    "ci_low",
    "ci_high",
    "center",
    "lower",
    "upper",
    "signal",
)
"""Columns of :attr:`DeliveryCompliance.summary`, one row per unit and period (in order)."""

UNIT_COLUMNS = (
    "unit",
    "cases",
    "met",
    "share",
    "ci_low",
    "ci_high",
    "signals_below",
    "signals_above",
    "first_signal",
    "finding",
)
"""Columns of :attr:`DeliveryCompliance.units`, one row per unit."""


@dataclass(frozen=True)
class DeliveryCompliance(StatResult):
    """Result of :func:`delivery_compliance`.

    ``summary`` has :data:`COMPLIANCE_COLUMNS`, ``units`` has :data:`UNIT_COLUMNS`.
    Scalars: ``reference`` (the chart's centre :math:`p_0`), ``alpha`` and
    ``false_alarm_rate`` (the chance that an in-control period is flagged).
    """

    units: pd.DataFrame
    reference: float
    alpha: float
    false_alarm_rate: float


def _check(frame: pd.DataFrame) -> pd.DataFrame:
    needed = ["unit", "period", "cases", "met"]
    lacking = [c for c in needed if c not in frame.columns]
    if lacking:
        raise DataError(f"measurements: lacks column(s) {lacking!r}; allowed columns: {needed!r}")
    data = frame[needed].copy()
    for column in ("cases", "met"):
        values = pd.to_numeric(data[column], errors="coerce")
        bad = values.isna() | (values < 0) | (values != np.round(values))
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataError(
                f"measurements: row {row}, column {column!r}: {frame[column].iloc[row]!r}; "
                "allowed: a whole number >= 0"
            )
        data[column] = values.astype(np.int64)
    over = data["met"] > data["cases"]
    if over.any():
        row = int(np.flatnonzero(over.to_numpy())[0])
        raise DataError(
            f"measurements: row {row}: met {int(data['met'].iloc[row])} exceeds cases "
            f"{int(data['cases'].iloc[row])}; allowed: met <= cases"
        )
    if data.duplicated(["unit", "period"]).any():
        row = int(np.flatnonzero(data.duplicated(["unit", "period"]).to_numpy())[0])
        raise DataError(
            f"measurements: row {row}: unit {data['unit'].iloc[row]!r} and period "
            f"{data['period'].iloc[row]!r} appear twice; allowed: one row per unit and period"
        )
    return data[data["cases"] > 0]


def delivery_compliance(
    measurements: pd.DataFrame,
    *,
    reference: float | None = None,
    alpha: float = 0.0027,
    min_signals: int = 2,
    confidence: float = 0.95,
) -> DeliveryCompliance:
    """Compliance with a standard per unit and period, with intervals and a p chart.

    Args:
        measurements: columns ``unit``, ``period`` (sortable labels, e.g. ``2026-03``),
            ``cases`` and ``met`` (cases meeting the standard's floor).
        reference: the in-control compliance share; default the pooled share of all units.
        alpha: the chart's false-alarm probability per period (two-sided).
        min_signals: flagged periods on one side that make a finding.
        confidence: level of the Wilson intervals.

    >>> m = pd.DataFrame({"unit": ["a"] * 4 + ["b"] * 4, "period": ["1", "2", "3", "4"] * 2,
    ...                   "cases": [200] * 8, "met": [180, 182, 179, 181, 181, 178, 120, 118]})
    >>> r = delivery_compliance(m, reference=0.9)
    >>> r.units.set_index("unit")["finding"].to_dict()
    {'a': 'none', 'b': 'shift_down'}
    >>> r.units.set_index("unit").loc["b", "first_signal"]
    '3'
    """
    check_confidence(confidence)
    if not isinstance(min_signals, int) or min_signals < 1:
        raise DataError(f"min_signals: got {min_signals!r}; allowed: a whole number >= 1")
    data = _check(measurements)
    if data.empty:
        raise DataError("measurements: no unit has a period with cases; at least one needed")
    p0 = float(data["met"].sum() / data["cases"].sum()) if reference is None else float(reference)
    if not 0 < p0 < 1:
        raise DataError(
            f"reference: the in-control compliance is {p0:g}; allowed: a share strictly between "
            "0 and 1 (a chart needs some cases that miss and some that meet)"
        )
    frames: list[pd.DataFrame] = []
    units: list[dict[str, Any]] = []
    false_alarm = math.nan
    for unit, rows in data.groupby("unit", sort=True):
        rows = rows.sort_values("period", kind="stable")
        cases = rows["cases"].to_numpy(dtype=np.float64)
        met = rows["met"].to_numpy(dtype=np.float64)
        chart = p_chart(met, cases, p0=p0, alpha=alpha)
        false_alarm = float(chart.false_alarm_rate)
        low, high = wilson_interval(met, cases, confidence=confidence)
        signal = np.zeros(len(rows), dtype=bool)
        signal[list(chart.signals)] = True
        frame = pd.DataFrame(
            {
                "unit": str(unit),
                "period": rows["period"].astype(str).to_numpy(),
                "cases": rows["cases"].to_numpy(),
                "met": rows["met"].to_numpy(),
                "share": met / cases,
                "ci_low": low,
                "ci_high": high,
                "center": np.broadcast_to(np.asarray(chart.center, dtype=float), len(rows)),
                "lower": np.broadcast_to(np.asarray(chart.lower, dtype=float), len(rows)),
                "upper": np.broadcast_to(np.asarray(chart.upper, dtype=float), len(rows)),
                "signal": signal,
            }
        )
        frames.append(frame)
        total_low, total_high = wilson_interval(met.sum(), cases.sum(), confidence=confidence)
        flagged = frame[frame["signal"]]
        below = flagged[flagged["share"] < flagged["lower"]]
        above = flagged[flagged["share"] > flagged["upper"]]
        finding, first = "none", flagged
        if len(below) >= min_signals:
            finding, first = "shift_down", below
        elif len(above) >= min_signals:
            finding, first = "shift_up", above
        units.append(
            {
                "unit": str(unit),
                "cases": int(cases.sum()),
                "met": int(met.sum()),
                "share": float(met.sum() / cases.sum()),
                "ci_low": float(total_low),
                "ci_high": float(total_high),
                "signals_below": len(below),
                "signals_above": len(above),
                "first_signal": None if first.empty else str(first["period"].iloc[0]),
                "finding": finding,
            }
        )
    return DeliveryCompliance(
        summary=pd.concat(frames, ignore_index=True)[list(COMPLIANCE_COLUMNS)],
        units=pd.DataFrame(units, columns=list(UNIT_COLUMNS)),
        reference=p0,
        alpha=alpha,
        false_alarm_rate=false_alarm,
    )
