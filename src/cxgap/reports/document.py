"""What a report says: its sections, tables and chart specifications, in one language.

:func:`compose` turns an analysis (and the compared wave's headline) into a
:class:`ReportDocument` that the HTML and PDF renderers lay out; nothing here knows about
markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from cxgap import __version__
from cxgap.instruments import Instrument
from cxgap.reports import charts
from cxgap.reports.headline import Measure
from cxgap.reports.i18n import Texts
from cxgap.services.analysis import ALPHA, SurveyAnalysis

SECTION_ORDER = (
    "summary",
    "findings",
    "gaps",
    "zone",
    "ipa",
    "kano",
    "segments",
    "trend",
    "reliability",
    "methods",
)


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

    def __init__(self, instrument: Instrument, texts: Texts) -> None:
        self.texts = texts
        self.dimensions = {d.id: d.label.get(texts.lang, d.id) for d in instrument.dimensions}

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


def _finding(f: dict[str, Any], t: Texts, labels: Labels) -> str:
    kind = f["kind"]
    if kind == "below_adequate":
        return t(
            "f_below_adequate",
            item=f["item"],
            dimension=labels.dimension(f["dimension"]),
            msa=t.number(f["msa"]),
        )
    if kind == "key_driver":
        return t(
            "f_key_driver", dimension=labels.dimension(f["dimension"]), share=t.percent(f["share"])
        )
    if kind == "attractive_feature":
        return t("f_attractive_feature", feature=labels.feature(f["feature"]))
    if kind == "segment_difference":
        return t(
            "f_segment_difference",
            column=labels.column(f["column"]),
            attribute=t(f"attr_{f['attribute']}"),
            highest=f["highest"],
        )
    if kind == "worsening_dimension":
        return t(
            "f_worsening_dimension",
            dimension=labels.dimension(f["dimension"]),
            first=f["waves"][0],
            last=f["waves"][-1],
        )
    return str(f)


def compose(
    analysis: SurveyAnalysis,
    instrument: Instrument,
    measures: list[Measure],
    *,
    texts: Texts,
    compared_wave: str | None,
    public: bool,
    min_cell: int,
    confidence: float,
    excluded: dict[str, int],
) -> ReportDocument:
    """The report of ``analysis`` in ``texts.lang``; ``public`` drops small groups."""
    t, labels = texts, Labels(instrument, texts)
    info = analysis.survey
    min_shown = min_cell if public else 0
    notes: list[str] = []
    if compared_wave:
        notes.append(t("compared_with", wave=compared_wave))
    if public:
        notes.append(t("public_note", min=t.count(min_cell)))
    sections = [_summary(measures, t, confidence)]
    findings = [f for f in analysis.findings if not (public and f["kind"] == "segment_difference")]
    if findings:
        sections.append(
            Section(
                "findings", t("sec_findings"), bullets=[_finding(f, t, labels) for f in findings]
            )
        )
    zone, gaps = analysis.tolerance_zone, analysis.gaps
    gap_spec = charts.gap_chart(
        zone,
        gaps,
        label=labels.dimension,
        title=t("sec_gaps"),
        axis_title=t("msa") if zone else t("gap"),
    )
    if gap_spec is not None:
        section = Section("gaps", t("sec_gaps"))
        if zone is not None:
            dims = zone.summary[zone.summary["level"] == "dimension"]
            rows = [
                [
                    labels.dimension(str(r["name"])),
                    t.number(r["mean_adequate"]),
                    t.number(r["mean_desired"]),
                    t.number(r["mean_perceived"]),
                    t.number(r["msa"], signed=True),
                    f"{t.number(r['msa_ci_low'])} – {t.number(r['msa_ci_high'])}",
                    t.percent(r["share_below_adequate"]),
                    t(str(r["position"])),
                ]
                for r in dims.to_dict(orient="records")
            ]
            header = [
                t("dimension"),
                t("adequate"),
                t("desired"),
                t("perceived"),
                t("msa"),
                t("interval", level=t.percent(confidence)),
                t("share_below"),
                t("position"),
            ]
        else:
            assert gaps is not None
            dims = gaps.summary[gaps.summary["level"] == "dimension"]
            rows = [
                [
                    labels.dimension(str(r["name"])),
                    t.number(r["mean_expected"]),
                    t.number(r["mean_perceived"]),
                    t.number(r["mean_gap"], signed=True),
                    f"{t.number(r['ci_low'])} – {t.number(r['ci_high'])}",
                ]
                for r in dims.to_dict(orient="records")
            ]
            header = [
                t("dimension"),
                t("expected"),
                t("perceived"),
                t("gap"),
                t("interval", level=t.percent(confidence)),
            ]
        section.tables.append(_table(header, rows))
        section.charts.append(("gaps", gap_spec))
        sections.append(section)
    if zone is not None:
        section = Section("zone", t("sec_zone"))
        section.charts.append(
            (
                "zone",
                charts.tolerance_zone_chart(
                    zone,
                    label=labels.dimension,
                    title=t("sec_zone"),
                    axis_title=t("mean_perceived"),
                    legend=t,
                ),
            )
        )
        sections.append(section)
    if analysis.ipa is not None and analysis.importance is not None:
        section = Section("ipa", t("sec_ipa"))
        section.charts.append(
            (
                "ipa",
                charts.ipa_chart(
                    analysis.ipa,
                    label=labels.dimension,
                    title=t("sec_ipa"),
                    x_title=t("importance"),
                    y_title=t("performance"),
                    quadrant=t,
                ),
            )
        )
        rows = [
            [
                labels.dimension(str(d)),
                t.percent(r["importance"]),
                t.number(r["performance"]),
                t(str(r["quadrant"])),
            ]
            for d, r in analysis.ipa.summary.iterrows()
        ]
        section.tables.append(
            _table([t("dimension"), t("importance"), t("performance"), t("quadrant")], rows)
        )
        sections.append(section)
    if analysis.kano is not None:
        kano = analysis.kano
        if public:
            kano = replace(kano, summary=kano.summary[kano.summary["n"] >= min_cell])
        section = Section("kano", t("sec_kano"))
        section.charts.append(
            (
                "kano",
                charts.kano_chart(
                    kano,
                    label=labels.feature,
                    title=t("sec_kano"),
                    x_title=t("worse"),
                    y_title=t("better"),
                    category=lambda c: t(f"kano_{c}"),
                ),
            )
        )
        rows = [
            [
                labels.feature(str(f)),
                t(f"kano_{r['category']}"),
                t.number(r["better"]),
                t.number(r["worse"]),
                t.count(int(r["n"])),
            ]
            for f, r in kano.summary.iterrows()
        ]
        section.tables.append(
            _table([t("feature"), t("category"), t("better"), t("worse"), t("respondents")], rows)
        )
        sections.append(section)
    for by, comparison in analysis.segments.items():
        title = t("sec_segments", attribute=t(f"attr_{by}"))
        section = Section(f"segments_{by}", title)
        spec, left_out = charts.segment_heatmap(
            comparison,
            column_label=labels.column,
            title=title,
            legend_title=t("mean_expectation"),
            alpha=ALPHA,
            min_size=min_shown,
        )
        section.charts.append((f"segments_{by}", spec))
        section.paragraphs.append(t("significant_cell"))
        if left_out:
            section.paragraphs.append(t("suppressed", count=t.count(left_out)))
        sections.append(section)
    if analysis.trend is not None:
        section = Section("trend", t("sec_trend"))
        section.charts.append(
            (
                "trend",
                charts.trend_chart(
                    analysis.trend,
                    label=labels.dimension,
                    title=t("sec_trend"),
                    y_title=t("mean_perceived"),
                    min_size=min_shown,
                ),
            )
        )
        sections.append(section)
    if analysis.reliability:
        rows = [
            [
                labels.dimension(d),
                t.number(a.alpha, 3),
                f"{t.number(a.ci_low, 3)} – {t.number(a.ci_high, 3)}",
                t.count(a.k),
                t.count(a.n),
            ]
            for d, a in analysis.reliability.items()
        ]
        section = Section("reliability", t("sec_reliability"))
        section.tables.append(
            _table(
                [
                    t("dimension"),
                    t("alpha"),
                    t("interval", level=t.percent(confidence)),
                    t("items"),
                    t("respondents"),
                ],
                rows,
            )
        )
        sections.append(section)
    sections.append(_methods(analysis, t, confidence, min_cell, excluded))
    sections.sort(key=lambda s: SECTION_ORDER.index(s.id.split("_")[0]))
    return ReportDocument(
        lang=t.lang,
        rtl=t.rtl,
        title=t("public_title" if public else "report_title"),
        subtitle=t(
            "subtitle",
            name=info["name"],
            wave=str(info["wave"] or info["key"]),
            n=t.count(int(info["n_responses"])),
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
        t("m_sample", n=t.count(int(analysis.survey["n_responses"])), waves=t.count(waves)),
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
