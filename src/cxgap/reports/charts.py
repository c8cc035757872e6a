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

ChartSpec = dict[str, Any]
Label = Callable[[str], str]

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
FONT = "Noto Sans, Noto Sans Arabic, Noto Sans CJK SC, sans-serif"
WIDTH = 440
POSITION_COLOURS = {"below": "#c0392b", "within": "#7f8c8d", "above": "#27ae60"}


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


def _spec(title: str, data: list[dict[str, Any]], **body: Any) -> ChartSpec:
    return {
        "$schema": SCHEMA,
        "title": title,
        "data": {"values": data},
        "config": {"font": FONT, "view": {"stroke": "#ccc"}},
        **body,
    }


def gap_chart(
    zone: stats.ToleranceZone | None,
    gaps: stats.GapScores | None,
    *,
    label: Label,
    title: str,
    axis_title: str,
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
        width=WIDTH,
        height={"step": 14},
        layer=[
            {
                "mark": {"type": "bar"},
                "encoding": {
                    "y": y,
                    "x": {"field": "gap", "type": "quantitative", "title": axis_title},
                    "color": {"field": "dimension_label", "type": "nominal", "title": None},
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
    positions = [p for p in POSITION_COLOURS if any(r["position"] == p for r in data)]
    return _spec(
        title,
        data,
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
                            "range": [POSITION_COLOURS[p] for p in positions],
                        },
                    },
                },
            },
        ],
    )


def _quadrant_layers(
    x: dict[str, Any], y: dict[str, Any], x_cut: Any, y_cut: Any, *, colour: str
) -> list[dict[str, Any]]:
    """A labelled scatter split into quadrants by dashed rules at the two cut points."""
    rule = {"type": "rule", "strokeDash": [4, 3], "color": "#888"}
    return [
        {"mark": rule, "encoding": {"x": {"datum": x_cut}}},
        {"mark": rule, "encoding": {"y": {"datum": y_cut}}},
        {
            "mark": {"type": "point", "filled": True, "size": 70},
            "encoding": {
                "x": x,
                "y": y,
                "color": {"field": colour, "type": "nominal", "title": None},
            },
        },
        {
            "mark": {"type": "text", "dy": -9, "fontSize": 10},
            "encoding": {"x": x, "y": y, "text": {"field": "label"}},
        },
    ]


def ipa_chart(
    ipa: stats.IPAResult,
    *,
    label: Label,
    title: str,
    x_title: str,
    y_title: str,
    quadrant: Label,
) -> ChartSpec:
    """Importance (x) against performance (y) per dimension, split into quadrants at
    the cut points the analysis used."""
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
    x = {"field": "importance", "type": "quantitative", "title": x_title, "axis": {"format": ".0%"}}
    y = {"field": "performance", "type": "quantitative", "title": y_title, "scale": {"zero": False}}
    return _spec(
        title,
        data,
        width=WIDTH,
        height=260,
        layer=_quadrant_layers(
            x, y, _clean(ipa.importance_cut), _clean(ipa.performance_cut), colour="quadrant_label"
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
    axis = {"type": "quantitative", "scale": {"domain": [0, 1]}}
    x = {"field": "abs_worse", "title": x_title, **axis}
    y = {"field": "better", "title": y_title, **axis}
    return _spec(
        title,
        data,
        width=300,
        height=300,
        layer=_quadrant_layers(x, y, 0.5, 0.5, colour="category_label"),
    )


def segment_heatmap(
    comparison: stats.SegmentComparison,
    *,
    column_label: Label,
    title: str,
    legend_title: str,
    alpha: float = 0.05,
    min_size: int = 0,
) -> tuple[ChartSpec, int]:
    """Mean expectation per segment (columns) and expectation column (rows); a ``*``
    marks the rows whose segments differ significantly (BH-adjusted Welch p < alpha).

    Groups under ``min_size`` respondents are left out; returns the spec and how many
    groups were left out.
    """
    groups = comparison.groups
    small = groups["n"] < min_size
    shown = groups[~small]
    p_adj = comparison.summary["welch_p_adj"]
    data = _records(shown, {"column": "column", "segment": "segment", "n": "n", "mean": "mean"})
    for row in data:
        p = _clean(p_adj.get(row["column"], float("nan")))
        row["p_adj"] = p
        row["significant"] = bool(p is not None and p < alpha)
        row["column_label"] = column_label(str(row["column"]))
        row["cell"] = f"{row['mean']:.2f}" + ("*" if row["significant"] else "")
    means = [r["mean"] for r in data if r["mean"] is not None]
    # text on the darker half of the colour scale is white
    dark = (min(means) + max(means)) / 2 if means else 0.0
    y = {"field": "column_label", "type": "nominal", "sort": None, "title": None}
    x = {
        "field": "segment",
        "type": "nominal",
        "sort": None,
        "title": None,
        "axis": {"labelAngle": 0},
    }
    spec = _spec(
        title,
        data,
        width={"step": 70},
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
                        "scale": {"scheme": "blues"},
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
) -> ChartSpec:
    """Mean perception per dimension across waves, with its interval as a band."""
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
    x = {"field": "wave", "type": "ordinal", "sort": None, "title": None, "axis": {"labelAngle": 0}}
    colour = {"field": "label", "type": "nominal", "title": None}
    return _spec(
        title,
        data,
        width=WIDTH,
        height=220,
        layer=[
            {
                "mark": {"type": "area", "opacity": 0.15},
                "encoding": {
                    "x": x,
                    "y": {"field": "ci_low", "type": "quantitative"},
                    "y2": {"field": "ci_high"},
                    "fill": {**colour, "legend": None},
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
                        "scale": {"zero": False},
                    },
                    "color": colour,
                },
            },
        ],
    )
