"""What a report says: its sections, tables and chart specifications, in one language.

:func:`compose` puts the sections of an analysis
(:func:`cxgap.services.sections.analysis_sections`) into words, adds the headline
measures and the methods, and gives a :class:`ReportDocument` that the HTML and PDF
renderers and the terminal lay out; nothing here knows about markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, assert_never

from cxgap import __version__
from cxgap.instruments import Instrument
from cxgap.reports import charts
from cxgap.reports.headline import Measure
from cxgap.reports.i18n import Texts
from cxgap.segments import label
from cxgap.services.analysis import (
    ALPHA,
    AttractiveFeature,
    BelowAdequate,
    Finding,
    KeyDriver,
    SegmentDifference,
    SurveyAnalysis,
    WorseningDimension,
)
from cxgap.services.sections import (
    SECTION_ORDER,
    Chart,
    Column,
    GapChart,
    IPAChart,
    KanoChart,
    Phrase,
    SegmentChart,
    Table,
    TrendChart,
    ZoneChart,
    analysis_sections,
)
from cxgap.text.numerals import localised_digits

__all__ = ["SECTION_ORDER", "Labels", "ReportDocument", "Section", "compose"]


@dataclass
class Section:
    """One section: a title, paragraphs, tables (header + rows) and charts."""

    id: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[dict[str, Any]] = field(default_factory=list)
    charts: list[tuple[str, charts.ChartSpec]] = field(default_factory=list)
    bullets: list[str] = field(default_factory=list)


@dataclass
class ReportDocument:
    lang: str
    rtl: bool
    title: str
    subtitle: str
    notes: list[str]
    sections: list[Section]

    def chart(self, name: str) -> charts.ChartSpec:
        """The chart specification called ``name`` (e.g. ``zone``, ``segments_age_band``)."""
        for section in self.sections:
            for chart_name, spec in section.charts:
                if chart_name == name:
                    return spec
        raise KeyError(name)


class Labels:
    """Display names of dimensions, expectation columns and features in one language."""

    def __init__(self, instrument: Instrument | None, texts: Texts) -> None:
        self.texts = texts
        dimensions = [] if instrument is None else instrument.dimensions
        self.dimensions = {d.id: d.label.get(texts.lang, d.id) for d in dimensions}

    def dimension(self, key: str) -> str:
        return self.dimensions.get(key, key.replace("_", " "))

    def column(self, key: str) -> str:
        dim, _, level = key.rpartition("_")
        if dim and level in ("adequate", "desired", "expected"):
            return f"{self.dimension(dim)} · {self.texts(level)}"
        return key

    @staticmethod
    def feature(key: str) -> str:
        return key.replace("_", " ")


def _table(header: list[str], rows: list[list[str]], *, numeric_from: int = 1) -> dict[str, Any]:
    return {"header": header, "rows": rows, "numeric_from": numeric_from}


def _summary(measures: list[Measure], t: Texts, confidence: float) -> Section:
    section = Section("summary", t("sec_summary"))
    level = t.percent(confidence)
    rows = []
    for m in measures:
        if m.unit == "share":
            value, ci = (
                t.percent(m.value, 1),
                f"{t.percent(m.ci_low, 1)} – {t.percent(m.ci_high, 1)}",
            )
            change = (
                None
                if m.change is None
                else t.number(m.change * 100, 1, signed=True) + " " + t("pp")
            )
        else:
            digits = 1 if m.unit == "points" else 2
            value = t.number(m.value, digits)
            ci = f"{t.number(m.ci_low, digits)} – {t.number(m.ci_high, digits)}"
            change = None if m.change is None else t.number(m.change, digits, signed=True)
        if change is not None:
            change += f" ({t('significant') if m.significant else t('not_significant')})"
        label = t(m.key, reference=t(m.reference)) if m.reference else t(m.key)
        rows.append([label, value, ci, change or "–"])
    section.tables.append(
        _table([t("measure"), t("value"), t("interval", level=level), t("change")], rows)
    )
    return section


def words(phrase: Phrase, t: Texts) -> str:
    """A :class:`~cxgap.services.sections.Phrase` in ``t``'s language."""
    values = {
        key: words(value, t)
        if isinstance(value, Phrase)
        else t.percent(value)
        if key == "level"
        else value
        for key, value in phrase.values.items()
    }
    return t(phrase.key, **values)


def kano_label(t: Texts, category: Any) -> str:
    """A Kano category in words; a feature nobody answered has none ("–")."""
    known = isinstance(category, str) and len(category) == 1 and category in "AOMIRQ"
    return t(f"kano_{category}") if known else "–"


def cell(value: Any, column: Column, t: Texts, labels: Labels) -> str:
    """One table value written as ``column`` says."""
    kind, digits = column.kind, column.digits
    if kind == "dimension":
        return labels.dimension(str(value))
    if kind == "feature":
        return labels.feature(str(value))
    if kind == "term":
        return t(str(value))
    if kind == "kano_category":
        return kano_label(t, value)
    if kind == "number":
        return t.number(value, digits)
    if kind == "signed":
        return t.number(value, digits, signed=True)
    if kind == "percent":
        return t.percent(value, digits)
    if kind == "count":
        return t.count(int(value))
    if kind == "interval":
        low, high = value
        return f"{t.number(low, digits)} – {t.number(high, digits)}"
    assert_never(kind)


def written_table(table: Table, t: Texts, labels: Labels) -> dict[str, Any]:
    """A section table in words: header and rows of text."""
    return _table(
        [words(c.header, t) for c in table.columns],
        [
            [cell(v, c, t, labels) for v, c in zip(row, table.columns, strict=True)]
            for row in table.rows
        ],
    )


def finding_text(finding: Finding, t: Texts, labels: Labels) -> str:
    """One sentence for a finding in ``t``'s language."""
    match finding:
        case BelowAdequate():
            return t(
                "f_below_adequate",
                item=finding.item,
                dimension=labels.dimension(finding.dimension),
                msa=t.number(finding.msa),
            )
        case KeyDriver():
            return t(
                "f_key_driver",
                dimension=labels.dimension(finding.dimension),
                share=t.percent(finding.share),
            )
        case AttractiveFeature():
            return t("f_attractive_feature", feature=labels.feature(finding.feature))
        case SegmentDifference():
            return t(
                "f_segment_difference",
                column=labels.column(finding.column),
                attribute=label(finding.attribute, t),
                highest=t.segment_value(finding.attribute, finding.highest),
            )
        case WorseningDimension():
            return t(
                "f_worsening_dimension",
                dimension=labels.dimension(finding.dimension),
                first=localised_digits(finding.waves[0], t.lang),
                last=localised_digits(finding.waves[-1], t.lang),
            )
        case _:
            assert_never(finding)


def chart_spec(
    chart: Chart, title: str, t: Texts, labels: Labels, *, min_shown: int = 0
) -> tuple[charts.ChartSpec | None, int]:
    """The Vega-Lite specification of a section chart, and how many groups below
    ``min_shown`` respondents it leaves out."""
    match chart:
        case GapChart():
            spec = charts.gap_chart(
                chart.zone,
                chart.gaps,
                label=labels.dimension,
                title=title,
                axis_title=t("msa") if chart.zone else t("gap"),
                lang=t.lang,
            )
            return spec, 0
        case ZoneChart():
            return charts.tolerance_zone_chart(
                chart.zone,
                label=labels.dimension,
                title=title,
                axis_title=t("mean_perceived"),
                legend=t,
                lang=t.lang,
            ), 0
        case IPAChart():
            return charts.ipa_chart(
                chart.ipa,
                label=labels.dimension,
                title=title,
                x_title=t("importance"),
                y_title=t("performance"),
                quadrant=t,
                lang=t.lang,
            ), 0
        case KanoChart():
            kano = chart.kano
            if min_shown:
                kano = replace(kano, summary=kano.summary[kano.summary["n"] >= min_shown])
            return charts.kano_chart(
                kano,
                label=labels.feature,
                title=title,
                x_title=t("worse"),
                y_title=t("better"),
                category=lambda c: kano_label(t, c),
                lang=t.lang,
            ), 0
        case SegmentChart():
            return charts.segment_heatmap(
                chart.comparison,
                column_label=labels.column,
                title=title,
                legend_title=t("mean_expectation"),
                alpha=ALPHA,
                min_size=min_shown,
                segment_label=lambda value, n: t.segment_size(chart.attribute, value, n),
                lang=t.lang,
            )
        case TrendChart():
            return charts.trend_chart(
                chart.trend,
                label=labels.dimension,
                title=title,
                y_title=t("mean_perceived"),
                min_size=min_shown,
                lang=t.lang,
            ), 0
        case _:
            assert_never(chart)


def compose(
    analysis: SurveyAnalysis,
    measures: list[Measure],
    *,
    texts: Texts,
    compared_wave: str | None,
    public: bool,
    min_cell: int,
    excluded: dict[str, int],
) -> ReportDocument:
    """The report of ``analysis`` in ``texts.lang``; ``public`` drops small groups."""
    t, labels = texts, Labels(analysis.instrument, texts)
    confidence = analysis.confidence
    info = analysis.survey
    min_shown = min_cell if public else 0
    notes: list[str] = []
    if compared_wave:
        notes.append(t("compared_with", wave=compared_wave))
    if public:
        notes.append(t("public_note", min=t.count(min_cell)))
    sections = [_summary(measures, t, confidence)]
    for part in analysis_sections(analysis):
        findings = [f for f in part.findings if not (public and isinstance(f, SegmentDifference))]
        if part.findings and not findings:
            continue
        title = words(part.title, t)
        section = Section(part.id, title, paragraphs=[words(p, t) for p in part.explanations])
        section.bullets = [finding_text(f, t, labels) for f in findings]
        for table in part.tables:
            if min_shown and table.size_column is not None:
                size = table.size_column
                table = replace(table, rows=tuple(r for r in table.rows if r[size] >= min_shown))
            section.tables.append(written_table(table, t, labels))
        for chart in part.charts:
            spec, left_out = chart_spec(chart, title, t, labels, min_shown=min_shown)
            if spec is not None:
                section.charts.append((chart.name, spec))
            if left_out:
                section.paragraphs.append(t("suppressed", count=t.count(left_out)))
        sections.append(section)
    sections.append(_methods(analysis, t, confidence, min_cell, excluded))
    sections.sort(key=lambda s: SECTION_ORDER.index(s.id.split("_")[0]))
    return ReportDocument(
        lang=t.lang,
        rtl=t.rtl,
        title=t("public_title" if public else "report_title"),
        subtitle=t(
            "subtitle",
            name=info.name,
            wave=info.wave_name,
            n=t.count(info.n_responses),
        ),
        notes=notes,
        sections=sections,
    )


def _methods(
    analysis: SurveyAnalysis, t: Texts, confidence: float, min_cell: int, excluded: dict[str, int]
) -> Section:
    waves = 1 if analysis.trend is None else int(analysis.trend["survey"].nunique())
    inverted = 0 if analysis.tolerance_zone is None else int(analysis.tolerance_zone.n_inverted)
    section = Section("methods", t("sec_methods"))
    section.paragraphs += [
        t("m_sample", n=t.count(analysis.survey.n_responses), waves=t.count(waves)),
        t(
            "m_response_rate_known",
            invited=t.count(excluded["invited"]),
            completed=t.count(excluded["completed"]),
            rate=t.percent(excluded["completed"] / excluded["invited"]),
        )
        if excluded.get("invited")
        else t("m_response_rate"),
        t(
            "m_excluded",
            rejected=t.count(excluded.get("rejected", 0)),
            duplicates=t.count(excluded.get("duplicates", 0)),
            inverted=t.count(inverted),
        ),
        t("m_gap", level=t.percent(confidence)),
        t("m_loyalty"),
        t("m_change"),
    ]
    if analysis.importance is not None:
        section.paragraphs.append(t("m_drivers", r2=t.number(analysis.importance.r2)))
    if analysis.kano is not None:
        section.paragraphs.append(t("m_kano"))
    if analysis.segments:
        section.paragraphs.append(t("m_segments", min=t.count(min_cell)))
    if analysis.reliability:
        section.paragraphs.append(t("m_reliability"))
    section.paragraphs.append(t("generated", version=__version__))
    return section
