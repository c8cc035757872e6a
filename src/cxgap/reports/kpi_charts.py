"""Charts of the KPI scorecard and the action-plan page: a small sparkline per KPI
series (SVG written here, numbers only), the report's small chart per KPI series and the
event study of a plan's effect (Vega-Lite specifications, rendered like the other
charts)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
from markupsafe import Markup

from cxgap.reports.charts import WIDTH, ChartSpec, _clean, _records, _spec
from cxgap.reports.kpi_texts import partial_mark

SPARK_WIDTH, SPARK_HEIGHT, SPARK_PAD = 120, 32, 3


def _finite(values: Sequence[float | None]) -> list[float]:
    return [float(v) for v in values if v is not None and math.isfinite(float(v))]


def sparkline_svg(
    periods: pd.DataFrame,
    *,
    target: float | None,
    label: str,
    signals: Sequence[int] = (),
    lang: str = "en",
) -> Markup:
    """The series' values (line), their intervals (band), the target (dashed line) and
    the periods whose chart signals (red dots), in a small inline SVG.

    Periods marked ``partial`` (not yet ended; a ``partial`` column of ``periods``) are
    drawn apart: a hollow point with a tooltip naming the period and
    :func:`cxgap.reports.kpi_texts.partial_mark` in ``lang``, joined to the whole periods
    by a dashed segment (a ``path``; the ``polyline`` holds the whole periods only).

    Only numbers and the escaped ``label`` and period names reach the markup.
    """
    rows = periods[["value", "ci_low", "ci_high"]].astype("float64")
    partial = (
        periods["partial"].astype(bool).tolist() if "partial" in periods else [False] * len(rows)
    )
    known = _finite([*rows.value, *rows.ci_low, *rows.ci_high, target])
    title = Markup("<title>{}</title>").format(label)
    box = Markup(
        '<svg class="sparkline" role="img" width="{w}" height="{h}" viewBox="0 0 {w} {h}">'
    ).format(w=SPARK_WIDTH, h=SPARK_HEIGHT)
    if not known or rows.value.isna().all():
        return box + title + Markup("</svg>")
    low, high = min(known), max(known)
    span = (high - low) or 1.0
    count = len(rows)

    def x(i: int) -> float:
        inner = SPARK_WIDTH - 2 * SPARK_PAD
        return SPARK_PAD + (inner * i / (count - 1) if count > 1 else inner / 2)

    def y(v: float) -> float:
        return SPARK_PAD + (SPARK_HEIGHT - 2 * SPARK_PAD) * (high - v) / span

    parts = [box, title]
    bounds = zip(rows.ci_low.tolist(), rows.ci_high.tolist(), strict=True)
    band = [(i, float(lo), float(hi)) for i, (lo, hi) in enumerate(bounds)
            if math.isfinite(lo) and math.isfinite(hi)]  # fmt: skip
    if len(band) > 1:
        upper = " ".join(f"{x(i):.1f},{y(h):.1f}" for i, _, h in band)
        lower = " ".join(f"{x(i):.1f},{y(lo):.1f}" for i, lo, _ in reversed(band))
        parts.append(Markup('<polygon class="band" points="{} {}"/>').format(upper, lower))
    if target is not None and math.isfinite(target):
        parts.append(Markup('<line class="target" x1="0" x2="{}" y1="{:.1f}" y2="{:.1f}"/>')
                     .format(SPARK_WIDTH, y(target), y(target)))  # fmt: skip
    points = [(i, float(v)) for i, v in enumerate(rows.value.tolist()) if math.isfinite(v)]
    whole = [(i, v) for i, v in points if not partial[i]]
    line = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in whole)
    parts.append(Markup('<polyline class="line" points="{}"/>').format(line))
    unfinished = [(i, v) for i, v in points if partial[i]]
    dashed = whole[-1:] + unfinished
    if unfinished and len(dashed) > 1:
        steps = " L ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in dashed)
        parts.append(Markup('<path class="partial-line" d="M {}"/>').format(steps))
    latest = whole[-1][0] if whole else None
    periods_named = periods["period"].astype(str).tolist() if "period" in periods else None
    for i, v in points:
        if partial[i] and i not in set(signals):
            name = periods_named[i] if periods_named else ""
            tip = f"{name}: {partial_mark(lang)}" if name else partial_mark(lang)
            parts.append(Markup('<circle class="partial-point" cx="{:.1f}" cy="{:.1f}" r="2.5">'
                                "<title>{}</title></circle>").format(x(i), y(v), tip))  # fmt: skip
            continue
        kind = "signal" if i in set(signals) else ("last" if i == latest else "")
        if kind:
            parts.append(Markup('<circle class="{}" cx="{:.1f}" cy="{:.1f}" r="2.5"/>')
                         .format(kind, x(i), y(v)))  # fmt: skip
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


KPI_WIDTH, KPI_HEIGHT = 250, 110
SIGNAL_COLOUR, LINE_COLOUR, LIMIT_COLOUR = "#d55e00", "#1f6fb4", "#7a7a7a"


def kpi_series_chart(
    periods: pd.DataFrame,
    *,
    target: float | None,
    limits: tuple[Sequence[float], Sequence[float]] | None,
    signals: Sequence[int] = (),
    share: bool = False,
    title: str,
    x_title: str,
    y_title: str,
    lang: str = "en",
) -> ChartSpec:
    """One KPI series for the report: the value per period (line), its interval (band),
    the target (dashed line), the control limits (dotted lines; ``limits`` = lower and
    upper per period, on the value's scale) and the periods the chart flags (points in
    :data:`SIGNAL_COLOUR`). ``share`` writes the value axis in per cent."""
    data = _records(periods, {"period": "period", "value": "value", "ci_low": "ci_low",
                              "ci_high": "ci_high"})  # fmt: skip
    flagged = set(signals)
    for i, row in enumerate(data):
        row["period"] = str(row["period"])
        row["signal"] = i in flagged
        if limits is not None:
            row["lower"], row["upper"] = _clean(limits[0][i]), _clean(limits[1][i])
    x = {"field": "period", "type": "ordinal", "sort": None, "title": x_title,
         "axis": {"labelAngle": -45}}  # fmt: skip
    y: dict[str, object] = {"type": "quantitative", "title": y_title,
                            "scale": {"zero": False}}  # fmt: skip
    if share:
        y["axis"] = {"format": ".0%"}
    layers: list[dict[str, object]] = [
        {"mark": {"type": "area", "opacity": 0.2, "color": LINE_COLOUR},
         "encoding": {"x": x, "y": {**y, "field": "ci_low"}, "y2": {"field": "ci_high"}}},
        {"mark": {"type": "line", "color": LINE_COLOUR, "point": {"color": LINE_COLOUR}},
         "encoding": {"x": x, "y": {**y, "field": "value"}}},
    ]  # fmt: skip
    if limits is not None:
        layers += [
            {"mark": {"type": "line", "strokeDash": [1, 2], "color": LIMIT_COLOUR},
             "encoding": {"x": x, "y": {**y, "field": bound}}}
            for bound in ("lower", "upper")
        ]  # fmt: skip
    if target is not None and math.isfinite(target):
        layers.append({"mark": {"type": "rule", "strokeDash": [5, 3], "color": "#000"},
                       "encoding": {"y": {**y, "datum": target}}})  # fmt: skip
    if flagged:
        layers.append({"transform": [{"filter": "datum.signal"}],
                       "mark": {"type": "point", "filled": True, "size": 50,
                                "color": SIGNAL_COLOUR},
                       "encoding": {"x": x, "y": {**y, "field": "value"}}})  # fmt: skip
    return _spec(title, data, lang, width=KPI_WIDTH, height=KPI_HEIGHT, layer=layers)


def event_study_chart(
    event_study: pd.DataFrame,
    *,
    title: str,
    x_title: str,
    y_title: str,
    lang: str = "en",
    start: str | None = None,
) -> ChartSpec:
    """The plan's effect per wave with its interval (the last wave before the start is
    the reference, at zero), and a zero line; ``start`` (the first wave of the plan)
    is marked with a vertical line."""
    data = _records(event_study, {"period": "period", "relative_period": "relative",
                                  "estimate": "estimate", "ci_low": "ci_low",
                                  "ci_high": "ci_high"})  # fmt: skip
    for row in data:
        row["period"] = str(row["period"])
        row["after"] = (row["relative"] or 0) >= 0
    x = {"field": "period", "type": "ordinal", "sort": None, "title": x_title,
         "axis": {"labelAngle": 0}}  # fmt: skip
    colour = {"field": "after", "type": "nominal", "legend": None,
              "scale": {"domain": [False, True], "range": ["#7a7a7a", "#1f6fb4"]}}  # fmt: skip
    layers = [
        {"mark": {"type": "rule", "strokeDash": [4, 3], "color": "#999"},
         "encoding": {"y": {"datum": 0}}},
        {"mark": {"type": "rule", "strokeWidth": 2},
         "encoding": {"x": x, "y": {"field": "ci_low", "type": "quantitative"},
                      "y2": {"field": "ci_high"}, "color": colour}},
        {"mark": {"type": "point", "filled": True, "size": 60},
         "encoding": {"x": x, "y": {"field": "estimate", "type": "quantitative",
                                    "title": y_title}, "color": colour}},
    ]  # fmt: skip
    if start is not None:
        layers.append({"mark": {"type": "rule", "strokeDash": [2, 2], "color": "#1f6fb4"},
                       "encoding": {"x": {**x, "datum": start}}})  # fmt: skip
    return _spec(title, data, lang, width=WIDTH, height=220, layer=layers)
