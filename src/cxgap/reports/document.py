"""What a report says: its sections, tables and chart specifications, in one language.

:func:`compose` puts the sections of an analysis
(:func:`cxgap.services.sections.analysis_sections`) into words, adds the headline
measures and the methods, and gives a :class:`ReportDocument` that the HTML and PDF
renderers and the terminal lay out; nothing here knows about markup.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, assert_never

from cxgap import __version__
from cxgap.instruments import Instrument, Scale
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
    priority_ranks,
)
from cxgap.services.sections import (
    Section as AnalysisSection,
)
from cxgap.stats.priority import PriorityEntry, PriorityReason
from cxgap.text.numerals import localised_digits

__all__ = ["SECTION_ORDER", "Labels", "ReportDocument", "Section", "compose"]


@dataclass
class Section:
    """One section: a title, paragraphs, tables (header + rows) and charts. ``level`` 3
    is a part of the section before it; ``numbered`` bullets are cited by number
    (findings); ``references`` are the publications a section cites."""

    id: str
    title: str
    intro: list[str] = field(default_factory=list)
    """Paragraphs before the tables and charts (what they show, how to read them)."""
    paragraphs: list[str] = field(default_factory=list)
    tables: list[dict[str, Any]] = field(default_factory=list)
    charts: list[tuple[str, charts.ChartSpec]] = field(default_factory=list)
    bullets: list[str] = field(default_factory=list)
    level: int = 2
    numbered: bool = False
    references: list[str] = field(default_factory=list)
    references_title: str = ""


@dataclass
class ReportDocument:
    lang: str
    rtl: bool
    title: str
    subtitle: str
    notes: list[str]
    sections: list[Section]
    cover: list[tuple[str, str]] = field(default_factory=list)
    """Label and value of each line of the cover (organisation, survey, period, sample)."""
    footer: str = ""
    """What made the report, on the cover."""
    contents_title: str = ""
    page_label: tuple[str, str, str] = ("", " / ", "")
    """The page footer around the page number and the page count (``Page x of y``)."""

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
        self.instrument = instrument
        dimensions = [] if instrument is None else instrument.dimensions
        self.dimensions = {d.id: d.label.get(texts.lang, d.id) for d in dimensions}

    def dimension(self, key: str) -> str:
        return self.dimensions.get(key, key.replace("_", " "))

    def column(self, key: str) -> str:
        dim, _, level = key.rpartition("_")
        if dim and level in ("adequate", "desired", "expected"):
            return f"{self.dimension(dim)} · {self.texts(level)}"
        return key

    def item(self, key: str) -> str:
        """An item by its short label (else its wording) in this language."""
        if self.instrument is None:
            return key
        return self.instrument.item_label(key, self.texts.lang)

    def feature(self, key: str) -> str:
        """A Kano feature by the short label of the item that asks about it."""
        if self.instrument is None:
            return key.replace("_", " ")
        return self.instrument.feature_label(key, self.texts.lang)

    def area(self, value: tuple[str, str]) -> str:
        """A place of the priority list: a ``(kind, id)`` pair."""
        kind, key = value
        return self.dimension(key) if kind == "dimension" else self.feature(key)


Align = Literal["text", "short", "num"]
"""How a column is laid out: words (aligned to where the language starts reading, may
wrap), a short term that stays on one line, or numbers (aligned to the end, narrow)."""
TEXT_KINDS = frozenset({"dimension", "feature", "area", "reasons"})
SHORT_KINDS = frozenset({"term", "kano_category"})


def laid_out_table(
    header: list[str], rows: list[list[str]], align: Sequence[Align] | None = None
) -> dict[str, Any]:
    """A written table; ``align`` per column (default: the first is text, the rest numbers)."""
    kinds = list(align) if align is not None else ["text"] + ["num"] * (len(header) - 1)
    return {"header": header, "rows": rows, "align": kinds}


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
        laid_out_table([t("measure"), t("value"), t("interval", level=level), t("change")], rows)
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
    if kind == "area":
        return labels.area(value)
    if kind == "reasons":
        return reasons_text(value, t)
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
    return laid_out_table(
        [words(c.header, t) for c in table.columns],
        [
            [cell(v, c, t, labels) for v, c in zip(row, table.columns, strict=True)]
            for row in table.rows
        ],
        [
            "text" if c.kind in TEXT_KINDS else "short" if c.kind in SHORT_KINDS else "num"
            for c in table.columns
        ],
    )


def reason_text(reason: PriorityReason, t: Texts) -> str:
    """One reason of the priority list in ``t``'s language."""
    value = reason.value
    if value is None:
        return t(f"pr_{reason.code}")
    if reason.code in ("below_zone", "within_zone", "above_zone", "worsening"):
        written = t.number(value, signed=True)
    elif reason.code == "items_below":
        written = t.count(int(value))
    else:
        written = t.percent(value)
    return t(f"pr_{reason.code}", value=written)


def reasons_text(reasons: Sequence[PriorityReason], t: Texts) -> str:
    """The reasons of one rank as one phrase list."""
    return t.join([reason_text(r, t) for r in reasons]) if reasons else "–"


def finding_text(finding: Finding, t: Texts, labels: Labels) -> str:
    """One sentence for a finding in ``t``'s language."""
    match finding:
        case BelowAdequate():
            return t(
                "f_below_adequate",
                item=labels.item(finding.item),
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
                item_label=labels.item,
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
                item_label=labels.item,
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


REFERENCES = (
    "Parasuraman, A., Zeithaml, V. A., & Berry, L. L. (1988). SERVQUAL: A multiple-item scale "
    "for measuring consumer perceptions of service quality. Journal of Retailing, 64(1), 12-40.",
    "Zeithaml, V. A., Berry, L. L., & Parasuraman, A. (1993). The nature and determinants of "
    "customer expectations of service. Journal of the Academy of Marketing Science, 21(1), 1-12.",
    "Martilla, J. A., & James, J. C. (1977). Importance-performance analysis. Journal of "
    "Marketing, 41(1), 77-79.",
    "Johnson, J. W. (2000). A heuristic method for estimating the relative weight of predictor "
    "variables in multiple regression. Multivariate Behavioral Research, 35(1), 1-19.",
    "Berger, C., et al. (1993). Kano's methods for understanding customer-defined quality. "
    "Center for Quality Management Journal, 2(4), 3-36.",
    "Matzler, K., Hinterhuber, H. H., Bailom, F., & Sauerwein, E. (1996). How to delight your "
    "customers. Journal of Product & Brand Management, 5(2), 6-18.",
    "Reichheld, F. F. (2003). The one number you need to grow. Harvard Business Review, 81(12), "
    "46-54.",
    "Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests. "
    "Psychometrika, 16(3), 297-334.",
    "Benjamini, Y., & Hochberg, Y. (1995). Controlling the false discovery rate. Journal of the "
    "Royal Statistical Society B, 57(1), 289-300.",
)
"""Publications behind the methods, cited in the appendix (the same in every language)."""

RECOMMENDED_TIERS = ("act_now", "act_soon", "protect", "opportunity")
MAX_RECOMMENDATIONS = 5
MAX_NAMED_ITEMS = 3


@dataclass(frozen=True)
class SurveyFacts:
    """What the cover and the appendix tell about the survey beyond the analysis."""

    organisation: str | None = None
    period: tuple[dt.date, dt.date] | None = None
    produced: dt.date | None = None
    titles: dict[str, str] = field(default_factory=dict)
    """The survey's own titles by language (``cxgap surveys title``)."""


def _related_findings(entry: PriorityEntry, findings: Sequence[Finding]) -> list[int]:
    """Numbers (from 1) of the findings about the area of ``entry``."""
    return [n for n, f in enumerate(findings, start=1) if _finding_area(f) == entry.area]


def _items_below(entry: PriorityEntry, findings: Sequence[Finding], labels: Labels) -> str:
    below = sorted(
        (f for f in findings if isinstance(f, BelowAdequate) and f.dimension == entry.area),
        key=lambda f: (f.msa, f.item),
    )
    named = [labels.item(f.item) for f in below[:MAX_NAMED_ITEMS]]
    return labels.texts.join(named, clauses=False)


def _recommendation(
    entry: PriorityEntry, findings: Sequence[Finding], t: Texts, labels: Labels, kano_title: str
) -> str | None:
    area = labels.area((entry.kind, entry.area))
    if entry.tier == "opportunity":
        category = next(r.code for r in entry.reasons if r.code.startswith("kano_"))
        text = t(f"rec_opportunity_{category[-1]}", area=area)
    elif entry.tier in ("act_now", "act_soon"):
        items = _items_below(entry, findings, labels)
        share = next(
            (r.value for r in entry.reasons if r.code in ("majority_below", "share_below")), None
        )
        key = f"rec_{entry.tier}" if items else f"rec_{entry.tier}_plain"
        if entry.tier == "act_soon" and not any(r.code == "worsening" for r in entry.reasons):
            key = "rec_fix_items"  # not falling: only some of its items are below adequate
        text = t(key, area=area, share=t.percent(share), items=items)
    elif entry.tier == "protect":
        text = t("rec_protect", area=area)
    else:
        return None
    cited = _related_findings(entry, findings)
    if cited:
        cites = t("rec_cites", refs=t.join([t.count(n) for n in cited], clauses=False))
    else:
        section = kano_title if entry.kind == "feature" else t("sec_priorities")
        cites = t("rec_cites_section", section=section)
    return f"{text} {cites}"


def _recommendations(
    analysis: SurveyAnalysis, findings: Sequence[Finding], t: Texts, labels: Labels
) -> Section | None:
    if analysis.priorities is None:
        return None
    section = Section("recommendations", t("sec_recommendations"), level=3, numbered=True)
    protected = False
    for entry in analysis.priorities.entries:
        if entry.tier not in RECOMMENDED_TIERS or len(section.bullets) >= MAX_RECOMMENDATIONS:
            continue
        if entry.tier == "protect":
            if protected:
                continue  # the most important one; the others show in the list
            protected = True
        text = _recommendation(entry, findings, t, labels, t("sec_kano"))
        if text is not None:
            section.bullets.append(text)
    if not section.bullets:
        section.bullets.append(t("rec_none"))
        section.numbered = False
    return section


def _cover(
    analysis: SurveyAnalysis, t: Texts, facts: SurveyFacts, survey_title: str
) -> list[tuple[str, str]]:
    info, inst = analysis.survey, analysis.instrument
    lines = []
    if facts.organisation:
        lines.append((t("cover_organisation"), facts.organisation))
    own = analysis.survey.name
    lines.append(
        (t("cover_survey"), survey_title if own in survey_title else f"{survey_title} ({own})")
    )
    title = inst.title.get(t.lang) or inst.title.get("en") or inst.id
    lines.append((t("cover_instrument"), f"{title} ({inst.id} v{t.count(inst.version)})"))
    period = (
        f"{t.iso_date(facts.period[0])} – {t.iso_date(facts.period[1])}"
        if facts.period
        else t("period_unknown")
    )
    lines.append((t("cover_period"), period))
    lines.append((t("cover_sample"), t.count(info.n_responses)))
    if facts.produced:
        lines.append((t("cover_date"), t.iso_date(facts.produced)))
    return lines


def survey_title(analysis: SurveyAnalysis, lang: str, titles: dict[str, str]) -> str:
    """The survey's name for a reader of ``lang``: its title in that language, else (in
    English) its name, else the instrument's title in that language."""
    if lang in titles:
        return titles[lang]
    if lang == "en":
        return analysis.survey.name
    return analysis.instrument.title.get(lang) or analysis.survey.name


def compose(
    analysis: SurveyAnalysis,
    measures: list[Measure],
    *,
    texts: Texts,
    compared_wave: str | None,
    public: bool,
    min_cell: int,
    excluded: dict[str, int],
    facts: SurveyFacts | None = None,
) -> ReportDocument:
    """The report of ``analysis`` in ``texts.lang``; ``public`` drops small groups."""
    t, labels = texts, Labels(analysis.instrument, texts)
    facts = facts or SurveyFacts()
    confidence = analysis.confidence
    info = analysis.survey
    min_shown = min_cell if public else 0
    notes: list[str] = []
    if compared_wave:
        notes.append(t("compared_with", wave=compared_wave))
    if public:
        notes.append(t("public_note", min=t.count(min_cell)))
    shown_findings = [
        f for f in analysis.findings if not (public and isinstance(f, SegmentDifference))
    ]
    ranks = priority_ranks(analysis)
    sections = [_summary(measures, t, confidence)]
    for part in analysis_sections(analysis):
        if part.findings and not shown_findings:
            continue
        sections.append(_written_section(part, shown_findings, ranks, t, labels, min_shown))
    recommendations = _recommendations(analysis, shown_findings, t, labels)
    if recommendations is not None:
        sections.append(recommendations)
    sections.append(_methods(analysis, t, confidence, min_cell, excluded, facts))
    sections.sort(key=lambda s: SECTION_ORDER.index(s.id.split("_")[0]))
    title = survey_title(analysis, t.lang, facts.titles)
    before, _, rest = t("page_of_pages").partition("{page}")
    middle, _, after = rest.partition("{pages}")
    return ReportDocument(
        lang=t.lang,
        rtl=t.rtl,
        title=t("public_title" if public else "report_title"),
        subtitle=t("subtitle", name=title, wave=info.wave_name, n=t.count(info.n_responses)),
        notes=notes,
        sections=sections,
        cover=_cover(analysis, t, facts, title),
        footer=t("generated", version=__version__),
        contents_title=t("sec_contents"),
        page_label=(before, middle, after),
    )


def _written_section(
    part: AnalysisSection,
    findings: Sequence[Finding],
    ranks: dict[str, int],
    t: Texts,
    labels: Labels,
    min_shown: int,
) -> Section:
    """One analysis section in words (findings numbered, with their priority rank)."""
    title = words(part.title, t)
    section = Section(part.id, title, intro=[words(p, t) for p in part.explanations])
    if part.id == "priorities":
        section.level = 3
    if part.findings:
        section.numbered = True
        for finding in findings:
            text = finding_text(finding, t, labels)
            area = _finding_area(finding)
            if area in ranks:
                text += f" ({t('priority_rank_col')}: {t.count(ranks[area])})"
            section.bullets.append(text)
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
    return section


def _finding_area(finding: Finding) -> str | None:
    match finding:
        case BelowAdequate() | KeyDriver() | WorseningDimension():
            return finding.dimension
        case AttractiveFeature():
            return finding.feature
        case _:
            return None


def _items_table(analysis: SurveyAnalysis, t: Texts) -> dict[str, Any]:
    inst, lang = analysis.instrument, t.lang
    scored = inst.items_of_format("tolerance_zone", "expectation_perception", "disconfirmation")
    items = [*scored, *inst.items_of_format("kano")]
    return laid_out_table(
        [t("a_item_code"), t("a_item_label"), t("a_item_text")],
        [
            [i.id, inst.item_label(i.id, lang), i.text.get(lang) or i.text.get("en", "")]
            for i in items
        ],
        ["text", "text", "text"],
    )


def _scale_text(scale: Scale, t: Texts) -> str:
    """An answer scale as its range and the words of its two ends, if it labels them."""
    ends = {p.value: p.label.get(t.lang) or p.label.get("en", "") for p in scale.points}
    low, high = ends.get(scale.min), ends.get(scale.max)
    text = t("a_scale_one", min=t.count(scale.min), max=t.count(scale.max))
    return f"{text} ({low} … {high})" if low and high else text


def _methods(
    analysis: SurveyAnalysis,
    t: Texts,
    confidence: float,
    min_cell: int,
    excluded: dict[str, int],
    facts: SurveyFacts,
) -> Section:
    waves = 1 if analysis.trend is None else int(analysis.trend["survey"].nunique())
    inverted = 0 if analysis.tolerance_zone is None else int(analysis.tolerance_zone.n_inverted)
    inst = analysis.instrument
    section = Section("methods", t("sec_appendix"))
    scales = list(dict.fromkeys(_scale_text(scale, t) for scale in inst.scales))
    section.intro += [
        t(
            "a_instrument",
            title=inst.title.get(t.lang) or inst.id,
            id=inst.id,
            version=t.count(inst.version),
            items=t.count(len(inst.items)),
            dimensions=t.count(len(inst.dimensions)),
        ),
    ]
    if scales:
        section.intro.append(t("a_scale", scales=t.join(scales)))
    if facts.period:
        start, end = facts.period
        section.intro.append(t("a_period", start=t.iso_date(start), end=t.iso_date(end)))
    section.intro += [
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
        t("a_handling"),
        t("m_gap", level=t.percent(confidence)),
        t("m_loyalty"),
        t("m_change"),
    ]
    if analysis.importance is not None:
        section.intro.append(t("m_drivers", r2=t.number(analysis.importance.r2)))
    if analysis.kano is not None:
        section.intro.append(t("m_kano"))
    if analysis.segments:
        section.intro.append(t("m_segments", min=t.count(min_cell)))
    if analysis.reliability:
        section.intro.append(t("m_reliability"))
    if analysis.priorities is not None:
        section.intro.append(t("a_priority", title=t("sec_priorities")))
    section.tables.append(_items_table(analysis, t))
    section.references = list(REFERENCES)
    section.references_title = t("a_references")
    return section
