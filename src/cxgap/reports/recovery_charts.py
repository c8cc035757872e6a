"""The chart of the recovery page: Kaplan-Meier curves of the time to resolution by team
(the share of cases still open after so many hours, a step line per team with its
interval as a band), a Vega-Lite specification rendered like the other charts."""

from __future__ import annotations

from typing import Any

from cxgap.reports.charts import WIDTH, ChartSpec, _records, _spec
from cxgap.stats.recovery import ResolutionTimes


def resolution_chart(
    times: ResolutionTimes, *, title: str, x_title: str, y_title: str, lang: str = "en"
) -> ChartSpec:
    """Every team's curve from :attr:`ResolutionTimes.curves` (the numbers as computed)."""
    data = _records(
        times.curves,
        {c: c for c in ("group", "time", "survival", "ci_low", "ci_high", "at_risk")},
    )
    for row in data:
        row["group"] = str(row["group"])
    x: dict[str, Any] = {"field": "time", "type": "quantitative", "title": x_title}
    colour = {"field": "group", "type": "nominal", "title": None}
    scale = {"domain": [0, 1]}
    return _spec(
        title,
        data,
        lang,
        width=WIDTH,
        height=240,
        layer=[
            {
                "mark": {"type": "area", "opacity": 0.12, "interpolate": "step-after"},
                "encoding": {
                    "x": x,
                    "y": {"field": "ci_low", "type": "quantitative", "scale": scale},
                    "y2": {"field": "ci_high"},
                    "fill": colour,
                },
            },
            {
                "mark": {"type": "line", "interpolate": "step-after"},
                "encoding": {
                    "x": x,
                    "y": {
                        "field": "survival",
                        "type": "quantitative",
                        "title": y_title,
                        "scale": scale,
                        "axis": {"format": "%"},
                    },
                    "color": colour,
                },
            },
        ],
    )
