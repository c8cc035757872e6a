"""How the charts look: one colour per category in every language, labels that never
overprint, a heatmap legend that survives PDF, honest trend axes, numbers in the
language's digits."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import Engine

from cxgap import stats
from cxgap.reports import build_report, charts, palette
from cxgap.reports.document import ReportDocument
from cxgap.reports.html import chart_svg
from cxgap.reports.placement import FONT_SIZE, MARKER_RADIUS, Box, text_width

SURVEY = "heating-2026q4"
LANGS = ("en", "zh", "fa")


@pytest.fixture(scope="module")
def documents(demo_engine: Engine) -> dict[str, ReportDocument]:
    return {
        lang: build_report(demo_engine, SURVEY, by="gender", lang=lang, format="html").document  # type: ignore[arg-type]
        for lang in LANGS
    }


def _colours(spec: dict[str, Any], code: str, label: str) -> dict[str, str]:
    """code -> colour of every layer's colour scale in ``spec``."""
    rows = spec["data"]["values"]
    found: dict[str, str] = {}
    for layer in spec["layer"]:
        colour = layer["encoding"].get("color") or layer["encoding"].get("fill")
        if not colour or "scale" not in colour or "range" not in colour["scale"]:
            continue
        by_label = dict(zip(colour["scale"]["domain"], colour["scale"]["range"], strict=True))
        for row in rows:
            found[str(row[code])] = by_label[row[label]]
    return found


@pytest.mark.parametrize(
    ("chart", "code", "label", "fixed"),
    [
        ("gaps", "dimension", "dimension_label", palette.DIMENSION_COLOURS),
        ("trend", "dimension", "label", palette.DIMENSION_COLOURS),
        ("ipa", "quadrant", "quadrant_label", palette.QUADRANT_COLOURS),
        ("kano", "category", "category_label", palette.KANO_COLOURS),
    ],
)
def test_a_category_has_one_colour_in_every_language(
    documents: dict[str, ReportDocument], chart: str, code: str, label: str, fixed: Any
) -> None:
    by_lang = {lang: _colours(documents[lang].chart(chart), code, label) for lang in LANGS}
    assert by_lang["en"], chart
    assert by_lang["en"] == by_lang["zh"] == by_lang["fa"]
    # and it is the palette's colour of that code, whatever the label
    for key, colour in by_lang["en"].items():
        assert colour == palette.colour_of(key, fixed)
    labels = {
        lang: {r[label] for r in documents[lang].chart(chart)["data"]["values"]} for lang in LANGS
    }
    assert labels["en"] != labels["zh"]  # the labels did change with the language


def test_rendered_svgs_paint_a_dimension_alike_in_every_language(
    documents: dict[str, ReportDocument],
) -> None:
    fills = {
        lang: set(re.findall(r'fill="(#[0-9a-fA-F]{6})"', chart_svg(documents[lang].chart("gaps"))))
        for lang in LANGS
    }
    expected = {palette.DIMENSION_COLOURS[d] for d in ("reliability", "responsiveness", "empathy")}
    for lang in LANGS:
        assert {c.upper() for c in fills[lang]} >= {c.upper() for c in expected}, lang


def _label_boxes(spec: dict[str, Any]) -> tuple[list[Box], list[Box]]:
    """The pixel boxes of the labels and of the markers of a labelled scatter spec."""
    layer = next(lyr for lyr in spec["layer"] if lyr["mark"]["type"] == "point")
    x_field, y_field = layer["encoding"]["x"]["field"], layer["encoding"]["y"]["field"]
    (x0, x1) = layer["encoding"]["x"]["scale"]["domain"]
    (y0, y1) = layer["encoding"]["y"]["scale"]["domain"]
    w, h = spec["width"], spec["height"]

    def px(x: float, y: float) -> tuple[float, float]:
        return (x - x0) / (x1 - x0) * w, (y1 - y) / (y1 - y0) * h

    labels, markers = [], []
    for row in spec["data"]["values"]:
        cx, cy = px(row["label_x"], row["label_y"])
        width, line = text_width(row["label"]), FONT_SIZE * 1.3
        labels.append(Box(cx - width / 2, cy - line / 2, cx + width / 2, cy + line / 2))
        mx, my = px(row[x_field], row[y_field])
        markers.append(
            Box(mx - MARKER_RADIUS, my - MARKER_RADIUS, mx + MARKER_RADIUS, my + MARKER_RADIUS)
        )
        # inside the plot
        assert labels[-1].left >= 0 and labels[-1].right <= w
        assert labels[-1].top >= 0 and labels[-1].bottom <= h
    return labels, markers


def _assert_apart(labels: list[Box], markers: list[Box]) -> None:
    for i, a in enumerate(labels):
        for b in labels[i + 1 :]:
            assert not a.overlaps(b), (a, b)
        for m in markers:
            assert not a.overlaps(m), (a, m)


@pytest.mark.parametrize("lang", LANGS)
def test_ipa_labels_of_the_demo_do_not_overlap(
    documents: dict[str, ReportDocument], lang: str
) -> None:
    spec = documents[lang].chart("ipa")
    # the demo's Assurance, Tangibles and Empathy sit within a few pixels of each other
    _assert_apart(*_label_boxes(spec))
    assert spec["width"] >= 560 and spec["height"] >= 400


def test_labels_of_coincident_points_are_set_apart_with_leader_lines() -> None:
    names = ["reliability", "responsiveness", "assurance", "empathy", "tangibles", "price"]
    result = stats.ipa(
        {n: 0.2 for n in names[:5]} | {"price": 0.3},
        {n: 5.5 for n in names[:5]} | {"price": 6.0},
    )
    spec = charts.ipa_chart(
        result,
        label=lambda d: d.capitalize() + " of service",
        title="",
        x_title="",
        y_title="",
        quadrant=str,
    )
    labels, markers = _label_boxes(spec)
    _assert_apart(labels, markers)
    leaders = next(lyr for lyr in spec["layer"] if lyr.get("data"))["data"]["values"]
    # five labels around one point: four fit beside it, the fifth is led back to it
    assert len(leaders) >= 1
    assert all((lf["from_x"], lf["from_y"]) == (0.2, 5.5) for lf in leaders)


def test_kano_labels_do_not_overlap(documents: dict[str, ReportDocument]) -> None:
    _assert_apart(*_label_boxes(documents["en"].chart("kano")))


def test_heatmap_legend_is_swatches_not_a_gradient(documents: dict[str, ReportDocument]) -> None:
    spec = documents["en"].chart("segments_gender")
    svg = chart_svg(spec)
    # WeasyPrint does not paint the gradient of a Vega gradient legend; swatches it does
    assert "linearGradient" not in svg
    legend = spec["layer"][0]["encoding"]["color"]["legend"]
    assert legend["type"] == "symbol"
    assert svg.count('class="mark-symbol role-legend-symbol') >= 1


def test_heatmap_shows_each_segment_with_its_size_and_label(
    documents: dict[str, ReportDocument], demo_engine: Engine
) -> None:
    from cxgap.services.analysis import analyze_survey

    groups = analyze_survey(demo_engine, SURVEY, by="gender").segments["gender"].groups
    sizes = groups.groupby("segment")["n"].max()
    en = {r["segment_label"] for r in documents["en"].chart("segments_gender")["data"]["values"]}
    assert en == {f"{g} (n={n:,})" for g, n in sizes.items()}
    fa = {r["segment_label"] for r in documents["fa"].chart("segments_gender")["data"]["values"]}
    assert any(label.startswith("مرد (n=") for label in fa)  # male, translated
    assert not any(re.search(r"[0-9]", label) for label in fa)  # Persian digits only


def test_trend_axis_spans_the_intervals_and_at_least_one_point(
    documents: dict[str, ReportDocument],
) -> None:
    spec = documents["en"].chart("trend")
    low, high = spec["layer"][1]["encoding"]["y"]["scale"]["domain"]
    rows = spec["data"]["values"]
    assert high - low >= 1.0
    assert low <= min(r["ci_low"] for r in rows)
    assert high >= max(r["ci_high"] for r in rows)


def test_persian_chart_numbers_use_persian_digits_and_minus(
    documents: dict[str, ReportDocument],
) -> None:
    svg = chart_svg(documents["fa"].chart("gaps"))
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    ticks = [t for t in texts if re.fullmatch(r"[−۰-۹٫٬٪]+", t)]
    assert ticks, texts
    assert not any(re.fullmatch(r"-?[0-9.,]+", t) for t in texts)  # no Latin tick labels
    assert any(t.startswith("−") for t in ticks)  # the demo has negative gaps: U+2212


def test_chinese_findings_have_no_spaces_beside_inserted_labels(
    documents: dict[str, ReportDocument],
) -> None:
    findings = next(s for s in documents["zh"].sections if s.id == "findings").bullets
    assert findings
    for sentence in findings:
        assert not re.search(r"[\u4e00-\u9fff] [\u4e00-\u9fff]", sentence), sentence


def test_reports_explain_msa_and_mss(documents: dict[str, ReportDocument]) -> None:
    gaps = next(s for s in documents["en"].sections if s.id == "gaps")
    text = [*gaps.intro, *gaps.paragraphs]
    assert any(p.startswith("MSA (measure of service adequacy)") for p in text)
    assert any(p.startswith("MSS (measure of service superiority)") for p in text)


def test_trend_chart_keeps_its_legend(documents: dict[str, ReportDocument]) -> None:
    spec = documents["zh"].chart("trend")
    svg = chart_svg(spec)
    dimensions = {r["label"] for r in spec["data"]["values"]}
    # one legend (lines and bands share the colour scale), an entry per dimension
    assert svg.count('class="mark-group role-legend"') == 1
    for name in dimensions:
        assert f">{name}</text>" in svg
