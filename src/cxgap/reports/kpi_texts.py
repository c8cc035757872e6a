"""The words of KPI alerts (``kpi.po``, ``kpiweb.po``, context ``report``), shared by the
command line, the dashboard and the messages to KPI owners."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

from cxgap.locale import messages, text

if TYPE_CHECKING:
    from cxgap.errors import CxgapError
    from cxgap.services.kpis import KpiAlert, KpiSeries


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


def _coded(key: str, params: Mapping[str, str], lang: str) -> str | None:
    """The catalogue text ``key`` (context ``report``) in ``lang``, ``None`` if unknown."""
    if key not in messages("report")["en"]:
        return None
    return text("report", lang, key, **params)


def unavailable_reason(series: KpiSeries, lang: str = "en") -> str | None:
    """Why the series has no values, in ``lang`` (``kpi_measures.po``), else ``None``."""
    reason = series.unavailable
    if reason is None:
        return None
    worded = _coded(f"kpi_unavailable_{reason.code}", reason.params, lang)
    return reason.text if worded is None else worded


def effect_unavailable_reason(error: CxgapError, lang: str = "en") -> tuple[str, str]:
    """``(text, language of the text)``: why a plan's effect cannot be measured, in
    ``lang`` when the error has a known code, else the error's own English words."""
    worded = None if error.code is None else _coded(f"kpi_effect_{error.code}", error.params, lang)
    return (error.message, "en") if worded is None else (worded, lang)


def partial_mark(lang: str = "en") -> str:
    """The word that marks a period that has not ended (``kpi_measures.po``)."""
    return text("report", lang, "kpi_partial_mark")
