"""Dashboard pages built from analyses: overview, dimension drill-down, segments, Kano,
importance-performance. Charts come from :mod:`cxgap.reports.charts`."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import Engine

from cxgap.errors import ValidationError
from cxgap.reports import charts, palette
from cxgap.reports.document import Labels, cell, kano_label, survey_title
from cxgap.reports.headline import Measure
from cxgap.reports.i18n import Texts
from cxgap.segments import label, segment_name
from cxgap.services.accounts import User, allowed
from cxgap.services.analysis import (
    ALPHA,
    SEGMENT_ATTRIBUTES,
    SurveyAnalysis,
    cached_analysis,
    cached_for_analysis,
)
from cxgap.services.analysis import warm_up as warm_up_sums
from cxgap.services.response_browser import survey_segments
from cxgap.services.sections import Table, analysis_sections, section
from cxgap.services.surveys import SurveyInfo, survey_titles
from cxgap.web.auth import requires
from cxgap.web.dashboard.common import (
    CHART_THREADS,
    PERMISSION,
    analysable_surveys,
    choose_survey,
    message_page,
    page_lang,
    show_page,
    svg,
    svgs,
)
from cxgap.web.dashboard.summary import CONFIDENCE, WaveSummary, waves_until
from cxgap.web.deps import compile_templates, get_engine
from cxgap.web.i18n import LANGUAGE_NAMES

router = APIRouter(prefix="/dashboard", include_in_schema=False)

OverviewUser = Annotated[User, Depends(requires(PERMISSION["overview"]))]
AnalysisUser = Annotated[User, Depends(requires(PERMISSION["segments"]))]
TILE_WIDTH = 250
TILE_HEIGHT = 110
DRILL_WIDTH = 560


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def measure_texts(m: Measure, rt: Texts) -> dict[str, Any]:
    """A headline measure's value, interval and change, written in ``rt``'s language."""
    if m.unit == "share":
        value, low, high = (rt.percent(v, 1) for v in (m.value, m.ci_low, m.ci_high))
        change = None
        if m.change is not None:
            change = f"{rt.number(m.change * 100, 1, signed=True)} {rt('pp')}"
    else:
        places = 1 if m.unit == "points" else 2
        value, low, high = (rt.number(v, places) for v in (m.value, m.ci_low, m.ci_high))
        change = None
        if m.change is not None:
            change = rt.number(m.change, places, signed=True)
    label = rt(m.key, reference=rt(m.reference)) if m.reference else rt(m.key)
    return {
        "key": m.key,
        "label": label,
        "value": value,
        "interval": f"{low} – {high}",
        "change": change,
        "direction": None if m.change is None else ("up" if m.change > 0 else "down"),
        "significant": m.significant,
        "n": rt.count(m.n),
    }


GAP_TREND = ""
"""The overview's gap trend among its charts (the headline measures' are keyed by measure)."""
MIN_SPAN = {"nps": 10.0, "csat": 5.0, "share_below": 5.0}
"""The least range of a headline measure's trend axis (points of NPS, percentage points);
gaps and means span at least one scale point."""


def _series_chart(
    rows: list[dict[str, Any]],
    *,
    label: Any,
    y_title: str,
    width: int,
    height: int,
    lang: str,
    min_span: float = 1.0,
) -> charts.ChartSpec:
    """A trend chart (:func:`cxgap.reports.charts.trend_chart`) of any series per wave:
    ``rows`` give survey, wave, dimension (the series), n, value and interval."""
    frame = pd.DataFrame(rows).rename(columns={"value": "mean_perceived"})
    single = frame["dimension"].nunique() == 1
    spec = charts.trend_chart(
        frame,
        label=label,
        title="",
        y_title=y_title,
        min_span=min_span,
        legend=not single,
        lang=lang,
    )
    spec["width"], spec["height"] = width, height
    for layer in spec["layer"]:  # wave names: leave out those that would overlap
        layer["encoding"]["x"]["axis"] = {"labelAngle": 0, "labelOverlap": "greedy"}
    if single:  # a headline measure: one colour for all of them
        for layer in spec["layer"]:
            for channel in ("color", "fill"):
                if channel in layer["encoding"]:
                    layer["encoding"][channel]["scale"]["range"] = [palette.OKABE_ITO[0]]
    return spec


def _measure_trends(waves: list[WaveSummary], rt: Texts) -> dict[str, charts.ChartSpec]:
    """The trend chart of each headline measure with two waves or more."""
    series: dict[str, list[dict[str, Any]]] = {}
    for wave in waves:
        for m in wave.measures:
            scale = 100.0 if m.unit == "share" else 1.0
            series.setdefault(m.key, []).append(
                {
                    "survey": wave.survey,
                    "wave": rt.digits(wave.wave),
                    "dimension": m.key,
                    "n": m.n,
                    "value": m.value * scale,
                    "ci_low": m.ci_low * scale,
                    "ci_high": m.ci_high * scale,
                }
            )
    return {
        key: _series_chart(
            rows,
            label=lambda k: rt(k, reference="") if k == "overall_gap" else rt(k),
            y_title="%" if key in ("csat", "share_below") else "",
            width=TILE_WIDTH,
            height=TILE_HEIGHT,
            lang=rt.lang,
            min_span=MIN_SPAN.get(key, 1.0),
        )
        for key, rows in series.items()
        if len(rows) >= 2
    }


def _gap_trend(
    waves: list[WaveSummary], labels: Labels, rt: Texts, title: str
) -> charts.ChartSpec | None:
    """The trend chart of the gap per dimension (``None`` before a second wave)."""
    rows = [
        {
            "survey": wave.survey,
            "wave": rt.digits(wave.wave),
            "dimension": str(r["dimension"]),
            "n": int(r["n"]),
            "value": r["gap"],
            "ci_low": r["ci_low"],
            "ci_high": r["ci_high"],
        }
        for wave in waves
        for r in wave.dimensions.to_dict(orient="records")
    ]
    if len(waves) < 2 or not rows:
        return None
    return _series_chart(
        rows, label=labels.dimension, y_title=title, width=520, height=220, lang=rt.lang
    )


def _picked(request: Request) -> tuple[list[SurveyInfo], SurveyInfo | None]:
    surveys = analysable_surveys(get_engine(request))
    return surveys, choose_survey(surveys, request.query_params.get("survey"))


def _analysis(request: Request, survey: str) -> SurveyAnalysis:
    return cached_analysis(get_engine(request), survey, confidence=CONFIDENCE)


def _table_of(analysis: SurveyAnalysis, section_id: str) -> Table | None:
    """The first table of one of the analysis' sections, if it has that section."""
    found = section(analysis_sections(analysis), section_id)
    return found.tables[0] if found is not None and found.tables else None


def _written_rows(table: Table, rt: Texts, labels: Labels) -> list[dict[str, Any]]:
    """A section table's rows in ``rt``'s language, keyed by column heading key."""
    keys = [c.header.key for c in table.columns]
    return [
        {
            key: cell(value, column, rt, labels)
            for key, value, column in zip(keys, row, table.columns, strict=True)
        }
        for row in table.rows
    ]


def _priority_rows(analysis: SurveyAnalysis, rt: Texts, labels: Labels) -> list[dict[str, Any]]:
    """The priority list in ``rt``'s language (empty when the analysis has none)."""
    table = _table_of(analysis, "priorities")
    if table is None:
        return []
    return [
        {
            "rank": written["priority_rank"],
            "area": written["priority_area"],
            "tier": written["priority_tier"],
            "tier_key": str(raw[2]).removeprefix("tier_"),
            "reasons": written["priority_reasons"],
        }
        for raw, written in zip(table.rows, _written_rows(table, rt, labels), strict=True)
    ]


def warm_up(engine: Engine) -> None:
    """Make a new process's first overview as fast as the next: the database sums'
    first use (:func:`cxgap.services.analysis.warm_up`, which also brings every wave's
    kept sums up to date), the chart renderer's (one small trend chart, its threads
    started), the page templates compiled, and the default overview's figures in each
    language. ``cxgap serve`` calls it before it accepts requests."""
    warm_up_sums(engine)
    row = {"survey": "", "wave": "", "dimension": "", "n": 2, "ci_low": 0.0, "ci_high": 1.0}
    rows = [{**row, "wave": w, "value": v} for w, v in (("1", 0.5), ("2", 0.6))]
    spec = _series_chart(rows, label=str, y_title="", width=100, height=50, lang="en")
    svgs(dict.fromkeys(range(CHART_THREADS), spec))  # the renderer's threads started too
    compile_templates()
    surveys = analysable_surveys(engine)
    chosen = choose_survey(surveys, None)
    if chosen is not None:  # the default overview in each language, ready for its readers
        for lang in LANGUAGE_NAMES:
            overview_figures(engine, chosen.key, tuple(s.key for s in surveys), lang)


@router.get("")
def overview(request: Request, user: OverviewUser) -> Response:
    """Headline measures of a survey wave with their trends, and the gap per dimension."""
    surveys, chosen = _picked(request)
    if chosen is None:
        key = "not_found" if request.query_params.get("survey") else "no_data"
        return message_page(request, user, key, 404 if key == "not_found" else 200)
    engine = get_engine(request)
    lang = page_lang(request, user)
    figures = overview_figures(engine, chosen.key, tuple(s.key for s in surveys), lang)
    return show_page(
        request,
        "overview",
        user,
        {
            "surveys": surveys,
            "chosen": chosen,
            **figures,
            "can_drill": allowed(user.role, PERMISSION["dimension"]),
        },
        active="overview",
    )


def overview_figures(engine: Engine, survey: str, analysable: tuple[str, ...], lang: str) -> Any:
    """:func:`_overview_figures`, kept while the data are unchanged
    (:func:`cxgap.services.analysis.cached_for_analysis`)."""
    return cached_for_analysis(
        engine,
        survey,
        ("overview", lang, analysable),
        lambda: _overview_figures(engine, survey, set(analysable), lang),
    )


def _overview_figures(engine: Engine, survey: str, analysable: set[str], lang: str) -> Any:
    """What the overview shows of ``survey`` in ``lang`` (kept while its data are unchanged:
    :func:`cxgap.services.analysis.cached_for_analysis`). Every figure comes from sums in
    the database; the priority list, which needs the whole analysis, is a part of its own
    (:func:`priorities`)."""
    rt = Texts(lang)  # type: ignore[arg-type]
    analysis, waves = waves_until(engine, survey, analysable=analysable)
    labels = Labels(analysis.instrument, rt)
    current = waves[-1]
    previous = waves[-2].wave if len(waves) > 1 else None
    gap_trend = _gap_trend(waves, labels, rt, rt("msa"))
    drawn = svgs({**_measure_trends(waves, rt), GAP_TREND: gap_trend})
    trends = {key: chart for key, chart in drawn.items() if key != GAP_TREND}
    tiles = [{**measure_texts(m, rt), "chart": trends.get(m.key)} for m in current.measures]
    dimensions = [
        {
            "key": str(r["dimension"]),
            "label": labels.dimension(str(r["dimension"])),
            "gap": rt.number(r["gap"], signed=True),
            "negative": _finite(r["gap"]) and r["gap"] < 0,
            "interval": f"{rt.number(r['ci_low'])} – {rt.number(r['ci_high'])}",
            "share_below": rt.percent(r["share_below"]),
            "position": rt(str(r["position"])) if r["position"] else "–",
            "position_key": r["position"],
        }
        for r in current.dimensions.to_dict(orient="records")
    ]
    return {
        "title": survey_title(analysis, lang, survey_titles(engine, survey)),
        "wave": current,
        "previous": previous,
        "tiles": tiles,
        "dimensions": dimensions,
        "gap_trend": drawn[GAP_TREND],
    }


@router.get("/priorities")
def priorities(request: Request, user: OverviewUser) -> Response:
    """The overview's priority list, drawn from the chosen wave's whole analysis: a page of
    its own, or with ``part=1`` only its card, which the overview's script puts in place
    (the overview itself comes from sums and does not wait for the analysis)."""
    surveys, chosen = _picked(request)
    if chosen is None:
        key = "not_found" if request.query_params.get("survey") else "no_data"
        return message_page(request, user, key, 404 if key == "not_found" else 200)
    part = request.query_params.get("part")
    if part not in (None, "1"):
        raise ValidationError(f"part={part!r}: only part=1 (the priority card alone) is allowed")
    engine = get_engine(request)
    lang = page_lang(request, user)

    def compute() -> dict[str, Any]:
        rt = Texts(lang)  # type: ignore[arg-type]
        analysis = cached_analysis(engine, chosen.key, confidence=CONFIDENCE)
        return {
            "title": survey_title(analysis, lang, survey_titles(engine, chosen.key)),
            "priorities": _priority_rows(analysis, rt, Labels(analysis.instrument, rt)),
        }

    figures = cached_for_analysis(engine, chosen.key, ("priorities", lang), compute)
    return show_page(
        request,
        "_priorities" if part == "1" else "priorities",
        user,
        {"surveys": surveys, "chosen": chosen, **figures},
        active="overview",
    )


@router.get("/dimensions/{dimension}")
def dimension(request: Request, dimension: str, user: AnalysisUser) -> Response:
    """One dimension: its items' zone of tolerance (or gaps), and its trend."""
    surveys, chosen = _picked(request)
    if chosen is None:
        return message_page(request, user, "not_found", 404)
    lang = page_lang(request, user)
    rt = Texts(lang)  # type: ignore[arg-type]
    analysis = _analysis(request, chosen.key)
    instrument = analysis.instrument
    labels = Labels(instrument, rt)
    zone, gaps = analysis.tolerance_zone, analysis.gaps
    source = zone.summary if zone is not None else gaps.summary if gaps is not None else None
    if source is None or dimension not in set(source["dimension"].dropna().astype(str)):
        return message_page(request, user, "not_found", 404)
    items = source[(source["level"] == "item") & (source["dimension"] == dimension)]
    title = labels.dimension(dimension)
    chart = None
    if zone is not None:
        chart = charts.tolerance_zone_chart(
            dataclasses.replace(zone, summary=items),
            label=labels.dimension,
            title=rt("sec_zone"),
            axis_title=rt("mean_perceived"),
            legend=rt,
            lang=lang,
            item_label=labels.item,
        )
        chart["width"], chart["height"] = DRILL_WIDTH, {"step": 30}
    else:
        chart = charts.gap_chart(
            None,
            dataclasses.replace(gaps, summary=items),  # type: ignore[type-var]
            label=labels.dimension,
            title=rt("sec_gaps"),
            axis_title=rt("gap"),
            lang=lang,
            item_label=labels.item,
        )
        if chart is not None:
            chart["width"], chart["height"] = DRILL_WIDTH, {"step": 30}
    rows = []
    for r in items.to_dict(orient="records"):
        item = instrument.item(str(r["name"]))
        row: dict[str, Any] = {
            "id": item.id,
            "text": item.text.get(lang) or item.text.get("en", item.id),
        }
        if zone is not None:
            row |= {
                "adequate": rt.number(r["mean_adequate"]),
                "desired": rt.number(r["mean_desired"]),
                "perceived": rt.number(r["mean_perceived"]),
                "gap": rt.number(r["msa"], signed=True),
                "negative": _finite(r["msa"]) and r["msa"] < 0,
                "interval": f"{rt.number(r['msa_ci_low'])} – {rt.number(r['msa_ci_high'])}",
                "mss": rt.number(r["mss"], signed=True),
                "share_below": rt.percent(r["share_below_adequate"]),
                "position": rt(str(r["position"])),
                "position_key": r["position"],
            }
        else:
            row |= {
                "expected": rt.number(r["mean_expected"]),
                "perceived": rt.number(r["mean_perceived"]),
                "gap": rt.number(r["mean_gap"], signed=True),
                "negative": _finite(r["mean_gap"]) and r["mean_gap"] < 0,
                "interval": f"{rt.number(r['ci_low'])} – {rt.number(r['ci_high'])}",
            }
        rows.append(row)
    trend = None
    if analysis.trend is not None:
        own = analysis.trend[analysis.trend["dimension"] == dimension].copy()
        own["wave"] = own["wave"].map(lambda w: rt.digits(str(w)))
        spec = charts.trend_chart(
            own,
            label=labels.dimension,
            title="",
            y_title=rt("mean_perceived"),
            legend=False,
            lang=lang,
        )
        trend = svg(spec)
    reliability = analysis.reliability.get(dimension)
    return show_page(
        request,
        "dimension",
        user,
        {
            "surveys": surveys,
            "chosen": chosen,
            "dimension": dimension,
            "title": title,
            "zone": zone is not None,
            "chart": svg(chart),
            "rows": rows,
            "trend": trend,
            "alpha": None if reliability is None else rt.number(reliability.alpha, 2),
        },
        active="overview",
    )


def _segment_asked(asked: str | None, available: list[str]) -> str:
    """The segment ``asked`` for (``plan`` or ``attribute:plan`` for one of the
    organisation's own attributes) when the survey has it; else the age band."""
    try:
        wanted = segment_name(asked or "")
    except ValidationError:
        wanted = ""
    return wanted if wanted in available else SEGMENT_ATTRIBUTES[1]


@router.get("/segments")
def segments(request: Request, user: AnalysisUser) -> Response:
    """Expectations compared across the segments of one respondent attribute."""
    surveys, chosen = _picked(request)
    if chosen is None:
        return message_page(request, user, "not_found", 404)
    available = survey_segments(get_engine(request), chosen.key)
    by = _segment_asked(request.query_params.get("by"), available)
    lang = page_lang(request, user)
    rt = Texts(lang)  # type: ignore[arg-type]
    labels = Labels(_analysis(request, chosen.key).instrument, rt)
    context: dict[str, Any] = {
        "surveys": surveys,
        "chosen": chosen,
        "by": by,
        "attributes": [(a, label(a, rt)) for a in available],
        "chart": None,
        "rows": [],
        "problem": None,
    }
    try:
        analysis = cached_analysis(get_engine(request), chosen.key, by=by, confidence=CONFIDENCE)
    except ValueError as exc:  # nobody has the attribute, or a segment is too small
        analysis, context["problem"] = None, str(exc)
    comparison = None if analysis is None else analysis.segments.get(by)
    if comparison is not None:
        spec, _ = charts.segment_heatmap(
            comparison,
            column_label=labels.column,
            title=rt("sec_segments", attribute=label(by, rt)),
            legend_title=rt("mean_expectation"),
            alpha=ALPHA,
            segment_label=lambda value, n: rt.segment_size(by, value, n),
            lang=lang,
        )
        context["chart"] = svg(spec)
        context["rows"] = [
            {
                "column": labels.column(str(column)),
                "p_adj": rt.p_value(r["welch_p_adj"]),
                "eta_sq": rt.number(r["eta_sq"], 3),
                "significant": _finite(r["welch_p_adj"]) and r["welch_p_adj"] < ALPHA,
            }
            for column, r in comparison.summary.iterrows()
        ]
    return show_page(request, "segments", user, context, active="segments")


_ChartRows = tuple[charts.ChartSpec, list[dict[str, Any]]]
"""A page's chart and the rows of its table."""


def _section_page(
    request: Request,
    user: User,
    page: str,
    section_id: str,
    build: Callable[[SurveyAnalysis, Table, Texts], _ChartRows | None],
) -> Response:
    """A page showing one section of the chosen survey's analysis: ``build`` gives its
    chart and table rows from the section's first table, or ``None`` when the analysis
    lacks that statistic."""
    surveys, chosen = _picked(request)
    if chosen is None:
        return message_page(request, user, "not_found", 404)
    rt = Texts(page_lang(request, user))  # type: ignore[arg-type]
    analysis = _analysis(request, chosen.key)
    context: dict[str, Any] = {"surveys": surveys, "chosen": chosen, "chart": None, "rows": []}
    table = _table_of(analysis, section_id)
    built = None if table is None else build(analysis, table, rt)
    if built is not None:
        context["chart"], context["rows"] = svg(built[0]), built[1]
    return show_page(request, page, user, context, active=page)


def _kano_page(analysis: SurveyAnalysis, table: Table, rt: Texts) -> _ChartRows | None:
    if analysis.kano is None:
        return None
    labels = Labels(analysis.instrument, rt)
    chart = charts.kano_chart(
        analysis.kano,
        label=labels.feature,
        title=rt("sec_kano"),
        x_title=rt("worse"),
        y_title=rt("better"),
        category=lambda c: kano_label(rt, c),
        lang=rt.lang,
    )
    rows = [
        {
            "feature": r["feature"],
            "category": r["category"],
            "better": r["better"],
            "worse": r["worse"],
            "n": r["respondents"],
        }
        for r in _written_rows(table, rt, labels)
    ]
    return chart, rows


def _importance_page(analysis: SurveyAnalysis, table: Table, rt: Texts) -> _ChartRows | None:
    if analysis.ipa is None:
        return None
    labels = Labels(analysis.instrument, rt)
    chart = charts.ipa_chart(
        analysis.ipa,
        label=labels.dimension,
        title=rt("sec_ipa"),
        x_title=rt("importance"),
        y_title=rt("performance"),
        quadrant=rt,
        lang=rt.lang,
    )
    stated = (
        analysis.stated_importance.summary["share"]
        if analysis.stated_importance is not None
        else pd.Series(dtype="float64")
    )
    rows = [
        {
            "dimension": written["dimension"],
            "importance": written["importance"],
            "stated": rt.percent(stated.get(raw[0])) if raw[0] in stated.index else "–",
            "performance": written["performance"],
            "quadrant": written["ipa_quadrant"],
            "rank": written.get("priority_rank_col", "–"),
        }
        for raw, written in zip(table.rows, _written_rows(table, rt, labels), strict=True)
    ]
    return chart, rows


@router.get("/kano")
def kano(request: Request, user: AnalysisUser) -> Response:
    """Kano categories and the Better/Worse coefficients of each feature."""
    return _section_page(request, user, "kano", "kano", _kano_page)


@router.get("/importance")
def importance(request: Request, user: AnalysisUser) -> Response:
    """Derived (and stated) importance against performance, by quadrant."""
    return _section_page(request, user, "importance", "ipa", _importance_page)
