"""The words of KPI alerts (``kpi.po``, ``kpiweb.po``, context ``report``), shared by the
command line, the dashboard and the messages to KPI owners."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from cxgap.locale import text

if TYPE_CHECKING:
    from cxgap.services.kpis import KpiAlert


def short_number(value: object) -> str:
    """A number in three significant digits (``-`` when missing)."""
    if not isinstance(value, int | float) or math.isnan(value):
        return "-"
    return f"{value:.3g}"


def alert_reason(alert: KpiAlert, lang: str = "en") -> str:
    """Why the alert fired, in plain language (``kpi.po``, context ``report``)."""
    params = {"kpi": alert.series, "period": alert.period, "value": short_number(alert.value),
              "low": short_number(alert.ci_low), "high": short_number(alert.ci_high)}  # fmt: skip
    if alert.kind == "shift":
        rate = f"{(alert.false_alarm_rate or 0) * 100:.2g}"
        return text("report", lang, "kpi_alert_shift", chart=alert.chart or "", rate=rate,
                    **params)  # fmt: skip
    key = "kpi_alert_below_target" if alert.direction == "higher" else "kpi_alert_above_target"
    return text("report", lang, key, target=short_number(alert.target),
                tolerance=short_number(alert.tolerance), **params)  # fmt: skip


def alert_message(alert: KpiAlert, lang: str) -> tuple[str, str]:
    """``(subject, body)`` of the message telling a KPI's owner about an alert."""
    subject = text("report", lang, "kpi_alert_subject", kpi=alert.series, period=alert.period)
    return subject, alert_reason(alert, lang)
