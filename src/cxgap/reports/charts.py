"""Declarative charts (Vega-Lite specifications) built from analysis results.

Each function takes a result object of :mod:`cxgap.stats` (or a table the analysis
returned) and returns a Vega-Lite v5 specification as a plain dictionary whose inline
``data.values`` are the result's own numbers, so a chart can be checked against the
analysis it came from. The reports render them to SVG; the dashboard can hand the same
specifications to Vega in the browser.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from cxgap import stats
from cxgap.reports import palette
from cxgap.reports.placement import FONT_SIZE, leader_end, place_labels
from cxgap.text.numerals import localised_digits

ChartSpec = dict[str, Any]
Label = Callable[[str], str]

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
FONT = "Noto Sans, Noto Sans Arabic, Noto Sans CJK SC, sans-serif"
WIDTH = 440
SCATTER_WIDTH, SCATTER_HEIGHT = 560, 400
NUMBER_LOCALES: dict[str, dict[str, Any]] = {
    "fa": {
        "decimal": "\u066b",
        "thousands": "\u066c",
        "grouping": [3],
        "currency": ["", ""],
        "numerals": list("\u06f0\u06f1\u06f2\u06f3\u06f4\u06f5\u06f6\u06f7\u06f8\u06f9"),
        "percent": "\u066a",
        "minus": "\u2212",
    },
}
"""Number formats of the chart axes (d3-format locales) where a language does not write
ASCII digits: Persian digits, separators, per cent and minus signs."""


def _clean(value: Any) -> Any:
    """JSON-safe scalar: NaN becomes ``None``, numpy scalars become Python ones."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _records(frame: pd.DataFrame, columns: Mapping[str, str]) -> list[dict[str, Any]]:
    """Rows of ``frame`` as records with the columns renamed (source -> field)."""
    return [
        {field: _clean(row[source]) for source, field in columns.items()}
        for row in frame.to_dict(orient="records")
    ]


def _spec(title: str, data: list[dict[str, Any]], lang: str, **body: Any) -> ChartSpec:
    config: dict[str, Any] = {"font": FONT, "view": {"stroke": "#ccc"}}
    if lang in NUMBER_LOCALES:
        config["locale"] = {"number": NUMBER_LOCALES[lang]}
    return {
        "$schema": SCHEMA,
        "title": title,
        "data": {"values": data},
        "config": config,
        **body,
    }


def _colour(
    data: list[dict[str, Any]], code: str, label: str, colour: Callable[[str], str]
) -> dict[str, Any]:
    """A colour encoding of the labels in ``label`` whose colours follow the stable codes
    in ``code`` (the same colour for a category in every language)."""
    pairs = dict.fromkeys((str(r[code]), str(r[label])) for r in data)
    return {
        "field": label,
        "type": "nominal",
        "title": None,
        "scale": {
            "domain": [shown for _, shown in pairs],
            "range": [colour(code) for code, _ in pairs],
        },
    }


def gap_chart(
    zone: stats.ToleranceZone | None,
    gaps: stats.GapScores | None,
    *,
    label: Label,
    title: str,
    axis_title: str,
    lang: str = "en",
    item_label: Label = str,
) -> ChartSpec | None:
    """Bars of the mean gap per item (MSA for the zone of tolerance, P - E otherwise)
    with their intervals, coloured by dimension."""
    if zone is not None:
        items = zone.summary[zone.summary["level"] == "item"]
        cols = {"name": "item", "dimension": "dimension", "msa": "gap"}
        cols |= {"msa_ci_low": "ci_low", "msa_ci_high": "ci_high"}
    elif gaps is not None:
        items = gaps.summary[gaps.summary["level"] == "item"]
        cols = {"name": "item", "dimension": "dimension", "mean_gap": "gap"}
        cols |= {"ci_low": "ci_low", "ci_high": "ci_high"}
    else:
        return None
    data = _records(items, cols)
    for row in data:
        row["dimension_label"] = label(str(row["dimension"]))
        row["item_label"] = item_label(str(row["item"]))
    y = {"field": "item_label", "type": "nominal", "sort": None, "title": None}
    return _spec(
        title,
        data,
        lang,
        width=WIDTH,
        height={"step": 14},
        layer=[
            {
                "mark": {"type": "bar"},
                "encoding": {
                    "y": y,
                    "x": {"field": "gap", "type": "quantitative", "title": axis_title},
                    "color": _colour(
                        data, "dimension", "dimension_label", palette.dimension_colour
                    ),
                },
            },
            {
                "mark": {"type": "rule", "color": "#333"},
                "encoding": {
                    "y": y,
                    "x": {"field": "ci_low", "type": "quantitative", "title": axis_title},
                    "x2": {"field": "ci_high"},
                },
            },
        ],
    )


def tolerance_zone_chart(
    zone: stats.ToleranceZone,
    *,
    label: Label,
    title: str,
    axis_title: str,
    legend: Label,
    lang: str = "en",
    item_label: Label = str,
) -> ChartSpec:
    """The classic zone-of-tolerance picture: per item the band from the adequate to the
    desired level, with the perceived mean marked and coloured by its position."""
    items = zone.summary[zone.summary["level"] == "item"]
    data = _records(
        items,
        {
            "name": "item",
            "dimension": "dimension",
            "mean_adequate": "adequate",
            "mean_desired": "desired",
            "mean_perceived": "perceived",
            "position": "position",
        },
    )
    for row in data:
        row["dimension_label"] = label(str(row["dimension"]))
        row["position_label"] = legend(str(row["position"]))
        row["item_label"] = item_label(str(row["item"]))
    y = {"field": "item_label", "type": "nominal", "sort": None, "title": None}
    positions = [p for p in palette.POSITION_COLOURS if any(r["position"] == p for r in data)]
    return _spec(
        title,
        data,
        lang,
        width=WIDTH,
        height={"step": 14},
        layer=[
            {
                "mark": {"type": "bar", "color": "#d6e4f0", "height": 10},
                "encoding": {
                    "y": y,
                    "x": {
                        "field": "adequate",
                        "type": "quantitative",
                        "title": axis_title,
                        "scale": {"zero": False},
                    },
                    "x2": {"field": "desired"},
                },
            },
            {
                "mark": {"type": "point", "filled": True, "size": 45},
                "encoding": {
                    "y": y,
                    "x": {"field": "perceived", "type": "quantitative"},
                    "color": {
                        "field": "position_label",
                        "type": "nominal",
                        "title": None,
                        "scale": {
                            "domain": [legend(p) for p in positions],
                            "range": [palette.POSITION_COLOURS[p] for p in positions],
                        },
                    },
                },
            },
        ],
    )


def _domain(values: list[float], *, pad: float = 0.08, min_span: float = 0.0) -> list[float]:
    """An axis range holding ``values`` with some room at both ends, at least ``min_span``
    wide (so that a small difference does not fill the whole chart)."""
    low, high = min(values), max(values)
    if high - low < min_span:
        middle = (low + high) / 2
        low, high = middle - min_span / 2, middle + min_span / 2
    room = (high - low) * pad if high > low else 0.5
    return [low - room, high + room]


def _labelled_scatter(
    data: list[dict[str, Any]],
    *,
    x: dict[str, Any],
    y: dict[str, Any],
    cuts: tuple[float, float],
    colour: dict[str, Any],
    width: int,
    height: int,
) -> list[dict[str, Any]]:
    """A scatter split into quadrants by dashed rules at ``cuts``, each point labelled
    without overprinting (:func:`cxgap.reports.placement.place_labels`): the labels'
    places are worked out in pixels of the plot, whose axes have fixed ranges, and stored
    as data coordinates (``label_x``, ``label_y``); a label set apart gets a leader line."""
    (x_low, x_high), (y_low, y_high) = x["scale"]["domain"], y["scale"]["domain"]

    def pixels(vx: float, vy: float) -> tuple[float, float]:
        return (
            (vx - x_low) / (x_high - x_low) * width,
            (y_high - vy) / (y_high - y_low) * height,
        )

    def value(px: float, py: float) -> tuple[float, float]:
        return x_low + px / width * (x_high - x_low), y_high - py / height * (y_high - y_low)

    shown = [r for r in data if r[x["field"]] is not None and r[y["field"]] is not None]
    points = [pixels(r[x["field"]], r[y["field"]]) for r in shown]
    places = place_labels(points, [str(r["label"]) for r in shown], width=width, height=height)
    leaders = []
    for row, point, place in zip(shown, points, places, strict=True):
        row["label_x"], row["label_y"] = value(*place.box.centre)
        if place.leader:
            end_x, end_y = value(*leader_end(place.box, point))
            leaders.append(
                {"from_x": row[x["field"]], "from_y": row[y["field"]], "to_x": end_x, "to_y": end_y}
            )
    rule = {"type": "rule", "strokeDash": [4, 3], "color": "#888"}
    fixed = {"scale": x["scale"], "type": "quantitative"}
    fixed_y = {"scale": y["scale"], "type": "quantitative"}
    layers: list[dict[str, Any]] = [
        {"mark": rule, "encoding": {"x": {"datum": cuts[0], **fixed}}},
        {"mark": rule, "encoding": {"y": {"datum": cuts[1], **fixed_y}}},
        {
            "mark": {"type": "point", "filled": True, "size": 70, "opacity": 1},
            # the legend below the plot keeps the chart narrow enough for a phone
            "encoding": {
                "x": x,
                "y": y,
                "color": {**colour, "legend": {"orient": "bottom", "direction": "horizontal"}},
            },
        },
        {
            "mark": {
                "type": "text",
                "fontSize": FONT_SIZE,
                "align": "center",
                "baseline": "middle",
            },
            "encoding": {
                "x": {"field": "label_x", **fixed},
                "y": {"field": "label_y", **fixed_y},
                "text": {"field": "label"},
            },
        },
    ]
    if leaders:
        layers.insert(
            2,
            {
                "data": {"values": leaders},
                "mark": {"type": "rule", "color": "#777", "strokeWidth": 0.8},
                "encoding": {
                    "x": {"field": "from_x", **fixed},
                    "y": {"field": "from_y", **fixed_y},
                    "x2": {"field": "to_x"},
                    "y2": {"field": "to_y"},
                },
            },
        )
    return layers


def ipa_chart(
    ipa: stats.IPAResult,
    *,
    label: Label,
    title: str,
    x_title: str,
    y_title: str,
    quadrant: Label,
    lang: str = "en",
) -> ChartSpec:
    """Importance (x) against performance (y) per dimension, split into quadrants at
    the cut points the analysis used; every label readable (no two overprint)."""
    frame = ipa.summary.rename_axis("dimension").reset_index()
    data = _records(
        frame,
        {
            "dimension": "dimension",
            "importance": "importance",
            "performance": "performance",
            "quadrant": "quadrant",
        },
    )
    for row in data:
        row["label"] = label(str(row["dimension"]))
        row["quadrant_label"] = quadrant(str(row["quadrant"]))
    cuts = (_clean(ipa.importance_cut), _clean(ipa.performance_cut))
    known = [r for r in data if r["importance"] is not None and r["performance"] is not None]
    x_domain = _domain([0.0, *(r["importance"] for r in known), cuts[0] or 0.0], pad=0.1)
    x_domain[0] = 0.0  # shares start at nothing
    y_domain = _domain([*(r["performance"] for r in known), cuts[1] or 0.0], min_span=1.0)
    x = {
        "field": "importance",
        "type": "quantitative",
        "title": x_title,
        "axis": {"format": ".0%", "tickCount": 8},
        "scale": {"domain": x_domain, "nice": False, "zero": False},
    }
    y = {
        "field": "performance",
        "type": "quantitative",
        "title": y_title,
        "scale": {"domain": y_domain, "nice": False, "zero": False},
    }
    colour = _colour(
        data, "quadrant", "quadrant_label", lambda c: palette.colour_of(c, palette.QUADRANT_COLOURS)
    )
    return _spec(
        title,
        data,
        lang,
        width=SCATTER_WIDTH,
        height=SCATTER_HEIGHT,
        layer=_labelled_scatter(
            data,
            x=x,
            y=y,
            cuts=cuts,
            colour=colour,
            width=SCATTER_WIDTH,
            height=SCATTER_HEIGHT,
        ),
    )


def kano_chart(
    kano: stats.KanoResult,
    *,
    label: Label,
    title: str,
    x_title: str,
    y_title: str,
    category: Label,
    lang: str = "en",
) -> ChartSpec:
    """Better against |Worse| per feature (the customer-satisfaction coefficients)."""
    frame = kano.summary.rename_axis("feature").reset_index()
    data = _records(
        frame, {"feature": "feature", "better": "better", "worse": "worse", "category": "category"}
    )
    for row in data:
        row["abs_worse"] = None if row["worse"] is None else abs(row["worse"])
        row["label"] = label(str(row["feature"]))
        row["category_label"] = category(str(row["category"]))
    scale = {"domain": [0.0, 1.0], "nice": False}
    x = {"field": "abs_worse", "type": "quantitative", "title": x_title, "scale": scale}
    y = {"field": "better", "type": "quantitative", "title": y_title, "scale": scale}
    colour = _colour(
        data, "category", "category_label", lambda c: palette.colour_of(c, palette.KANO_COLOURS)
    )
    side = 420
    return _spec(
        title,
        data,
        lang,
        width=side,
        height=side,
        layer=_labelled_scatter(
            data, x=x, y=y, cuts=(0.5, 0.5), colour=colour, width=side, height=side
        ),
    )


def segment_heatmap(
    comparison: stats.SegmentComparison,
    *,
    column_label: Label,
    title: str,
    legend_title: str,
    alpha: float = 0.05,
    min_size: int = 0,
    segment_label: Callable[[str, int], str] | None = None,
    lang: str = "en",
) -> tuple[ChartSpec, int]:
    """Mean expectation per segment (columns) and expectation column (rows); a ``*``
    marks the rows whose segments differ significantly (BH-adjusted Welch p < alpha).
    Each segment is shown with its size (``segment_label(value, n)``, by default
    ``value (n=…)``).

    Groups under ``min_size`` respondents are left out; returns the spec and how many
    groups were left out.
    """
    groups = comparison.groups
    small = groups["n"] < min_size
    shown = groups[~small]
    p_adj = comparison.summary["welch_p_adj"]
    data = _records(shown, {"column": "column", "segment": "segment", "n": "n", "mean": "mean"})
    sizes = shown.groupby("segment", sort=False)["n"].max()
    for row in data:
        p = _clean(p_adj.get(row["column"], float("nan")))
        row["p_adj"] = p
        row["significant"] = bool(p is not None and p < alpha)
        row["column_label"] = column_label(str(row["column"]))
        n = int(sizes[row["segment"]])
        row["segment_label"] = (
            segment_label(str(row["segment"]), n)
            if segment_label is not None
            else f"{row['segment']} (n={n:,})"
        )
        row["cell"] = localised_digits(
            f"{row['mean']:.2f}" + ("*" if row["significant"] else ""), lang, marks=True
        )
    means = [r["mean"] for r in data if r["mean"] is not None]
    # text on the darker half of the colour scale is white
    dark = (min(means) + max(means)) / 2 if means else 0.0
    y = {"field": "column_label", "type": "nominal", "sort": None, "title": None}
    x = {
        "field": "segment_label",
        "type": "nominal",
        "sort": None,
        "title": None,
        "axis": {"labelAngle": 0},
    }
    spec = _spec(
        title,
        data,
        lang,
        width={"step": 84},
        height={"step": 20},
        layer=[
            {
                "mark": {"type": "rect"},
                "encoding": {
                    "x": x,
                    "y": y,
                    "color": {
                        "field": "mean",
                        "type": "quantitative",
                        "title": legend_title,
                        "scale": {"scheme": palette.SEQUENTIAL_SCHEME},
                        # swatches, not a gradient: a gradient legend is lost in PDF
                        "legend": {"type": "symbol", "symbolType": "square", "symbolSize": 150},
                    },
                },
            },
            {
                "mark": {"type": "text", "fontSize": 10},
                "encoding": {
                    "x": x,
                    "y": y,
                    "text": {"field": "cell"},
                    "color": {
                        "condition": {"test": f"datum.mean > {dark}", "value": "white"},
                        "value": "#222",
                    },
                },
            },
        ],
    )
    return spec, int(small.sum())


def trend_chart(
    trend: pd.DataFrame,
    *,
    label: Label,
    title: str,
    y_title: str,
    min_size: int = 0,
    min_span: float = 1.0,
    legend: bool = True,
    lang: str = "en",
) -> ChartSpec:
    """Mean perception per dimension across waves, with its interval as a band.

    The value axis spans every interval and at least ``min_span`` (one scale point by
    default), so a change of a few hundredths does not look dramatic. ``legend=False``
    leaves out the legend (a chart of one series).
    """
    rows = trend[trend["n"] >= min_size]
    data = _records(
        rows,
        {
            "survey": "survey",
            "wave": "wave",
            "dimension": "dimension",
            "n": "n",
            "mean_perceived": "mean_perceived",
            "ci_low": "ci_low",
            "ci_high": "ci_high",
        },
    )
    for row in data:
        row["wave"] = str(row["wave"])
        row["label"] = label(str(row["dimension"]))
    values = [
        v for r in data for v in (r["mean_perceived"], r["ci_low"], r["ci_high"]) if v is not None
    ]
    scale: dict[str, Any] = {"zero": False}
    if values:
        scale["domain"] = _domain(values, pad=0.0, min_span=min_span)
    x = {"field": "wave", "type": "ordinal", "sort": None, "title": None, "axis": {"labelAngle": 0}}
    colour = _colour(data, "dimension", "label", palette.dimension_colour)
    # the legend's symbols are drawn solid, not as faint as the interval bands
    colour["legend"] = {"symbolOpacity": 1, "symbolFillColor": None} if legend else None
    return _spec(
        title,
        data,
        lang,
        width=WIDTH,
        height=220,
        layer=[
            {
                "mark": {"type": "area", "opacity": 0.15},
                "encoding": {
                    "x": x,
                    "y": {"field": "ci_low", "type": "quantitative", "scale": scale},
                    "y2": {"field": "ci_high"},
                    "fill": colour,  # the same scale as the lines: one legend
                },
            },
            {
                "mark": {"type": "line", "point": True},
                "encoding": {
                    "x": x,
                    "y": {
                        "field": "mean_perceived",
                        "type": "quantitative",
                        "title": y_title,
                        "scale": scale,
                    },
                    "color": colour,
                },
            },
        ],
    )
