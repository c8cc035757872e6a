"""What an analysis shows, section by section, in no language and no markup.

:func:`analysis_sections` turns a :class:`~cxgap.services.analysis.SurveyAnalysis` into
:class:`Section` objects: a title, explanations, tables (typed columns over raw values),
charts (which statistic to draw) and findings. The terminal (``cxgap analyze``), the
HTML/PDF report and the dashboard all draw these sections; each only decides how a
:class:`Phrase` becomes words in its language and how a chart is drawn.

Adding a statistic: compute it in :func:`cxgap.services.analysis.analyze_survey` (a field
of :class:`~cxgap.services.analysis.SurveyAnalysis`), add its section here, and, for a new
chart kind, a member of :data:`Chart` that the report's chart builder then has to handle
(the type checker names the place).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from cxgap import stats
from cxgap.segments import label
from cxgap.services.analysis import Finding, SurveyAnalysis

SECTION_ORDER = (
    "summary",
    "priorities",
    "recommendations",
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
"""Order of the sections of a report; ``summary``, ``recommendations`` and ``methods``
come from the report."""


@dataclass(frozen=True)
class Phrase:
    """A text by catalogue key, with values; a value that is itself a :class:`Phrase`
    is put into words first, and ``level`` values are confidence levels (percent)."""

    key: str
    values: Mapping[str, Any] = field(default_factory=dict)


CellKind = Literal[
    "dimension",  # a dimension id, shown by its label
    "feature",  # a Kano feature id
    "area",  # a (kind, id) pair: kind "dimension" or "feature"
    "reasons",  # a tuple of :class:`cxgap.stats.priority.PriorityReason`
    "term",  # a catalogue key (position, quadrant)
    "kano_category",  # A, O, M, I, R, Q
    "number",
    "signed",  # a number with its sign
    "percent",
    "count",
    "interval",  # a (low, high) pair
]


@dataclass(frozen=True)
class Column:
    """A table column: its heading and how its values are written."""

    header: Phrase
    kind: CellKind
    digits: int = 2


@dataclass(frozen=True)
class Table:
    """Rows of raw values under typed columns. ``size_column`` is the index of the
    column that counts respondents (a public edition hides small groups by it)."""

    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]
    size_column: int | None = None

    def records(self) -> list[dict[str, Any]]:
        """Rows as mappings of column heading key to raw value."""
        keys = [c.header.key for c in self.columns]
        return [dict(zip(keys, row, strict=True)) for row in self.rows]


@dataclass(frozen=True)
class GapChart:
    """Gap (or MSA) per dimension with its interval."""

    zone: stats.ToleranceZone | None
    gaps: stats.GapScores | None
    name: str = "gaps"


@dataclass(frozen=True)
class ZoneChart:
    """Adequate-desired band and perception per dimension."""

    zone: stats.ToleranceZone
    name: str = "zone"


@dataclass(frozen=True)
class IPAChart:
    """Importance against performance, by quadrant."""

    ipa: stats.IPAResult
    name: str = "ipa"


@dataclass(frozen=True)
class KanoChart:
    """Better against Worse coefficient of each feature."""

    kano: stats.KanoResult
    name: str = "kano"


@dataclass(frozen=True)
class SegmentChart:
    """Heatmap of expectation means by segment."""

    attribute: str
    comparison: stats.SegmentComparison

    @property
    def name(self) -> str:
        return f"segments_{self.attribute}"


@dataclass(frozen=True)
class TrendChart:
    """Mean perception per dimension across waves (columns of
    :data:`cxgap.stats.waves.TREND_COLUMNS`)."""

    trend: pd.DataFrame
    name: str = "trend"


Chart = GapChart | ZoneChart | IPAChart | KanoChart | SegmentChart | TrendChart


@dataclass(frozen=True)
class Section:
    """One part of what an analysis shows."""

    id: str
    title: Phrase
    explanations: tuple[Phrase, ...] = ()
    tables: tuple[Table, ...] = ()
    charts: tuple[Chart, ...] = ()
    findings: tuple[Finding, ...] = ()


def _interval_header(confidence: float) -> Phrase:
    return Phrase("interval", {"level": confidence})


def _gaps(analysis: SurveyAnalysis) -> Section | None:
    zone, gaps = analysis.tolerance_zone, analysis.gaps
    interval = _interval_header(analysis.confidence)
    if zone is not None:
        dims = zone.summary[zone.summary["level"] == "dimension"]
        table = Table(
            (
                Column(Phrase("dimension"), "dimension"),
                Column(Phrase("adequate"), "number"),
                Column(Phrase("desired"), "number"),
                Column(Phrase("perceived"), "number"),
                Column(Phrase("msa"), "signed"),
                Column(interval, "interval"),
                Column(Phrase("share_below"), "percent", 0),
                Column(Phrase("position"), "term"),
            ),
            tuple(
                (
                    str(r["name"]),
                    r["mean_adequate"],
                    r["mean_desired"],
                    r["mean_perceived"],
                    r["msa"],
                    (r["msa_ci_low"], r["msa_ci_high"]),
                    r["share_below_adequate"],
                    str(r["position"]),
                )
                for r in dims.to_dict(orient="records")
            ),
        )
    elif gaps is not None:
        dims = gaps.summary[gaps.summary["level"] == "dimension"]
        table = Table(
            (
                Column(Phrase("dimension"), "dimension"),
                Column(Phrase("expected"), "number"),
                Column(Phrase("perceived"), "number"),
                Column(Phrase("gap"), "signed"),
                Column(interval, "interval"),
            ),
            tuple(
                (
                    str(r["name"]),
                    r["mean_expected"],
                    r["mean_perceived"],
                    r["mean_gap"],
                    (r["ci_low"], r["ci_high"]),
                )
                for r in dims.to_dict(orient="records")
            ),
        )
    else:
        return None
    # the abbreviations explained where they are shown
    legend = (Phrase("msa_explained"), Phrase("mss_explained")) if zone is not None else ()
    return Section(
        "gaps",
        Phrase("sec_gaps"),
        explanations=legend,
        tables=(table,),
        charts=(GapChart(zone, gaps),),
    )


def _ipa(analysis: SurveyAnalysis) -> Section | None:
    if analysis.ipa is None or analysis.importance is None:
        return None
    ranks = priority_ranks(analysis)
    columns = [
        Column(Phrase("dimension"), "dimension"),
        Column(Phrase("importance"), "percent", 0),
        Column(Phrase("performance"), "number"),
        Column(Phrase("ipa_quadrant"), "term"),
    ]
    if ranks:
        columns.append(Column(Phrase("priority_rank_col"), "count"))
    table = Table(
        tuple(columns),
        tuple(
            (str(d), r["importance"], r["performance"], str(r["quadrant"]))
            + ((ranks.get(str(d), 0),) if ranks else ())
            for d, r in analysis.ipa.summary.iterrows()
        ),
    )
    return Section(
        "ipa",
        Phrase("sec_ipa"),
        explanations=(Phrase("ipa_not_priority", {"rank": Phrase("priority_rank_col")}),)
        if ranks
        else (),
        tables=(table,),
        charts=(IPAChart(analysis.ipa),),
    )


def _kano(analysis: SurveyAnalysis) -> Section | None:
    if analysis.kano is None:
        return None
    table = Table(
        (
            Column(Phrase("feature"), "feature"),
            Column(Phrase("category"), "kano_category"),
            Column(Phrase("better"), "number"),
            Column(Phrase("worse"), "number"),
            Column(Phrase("respondents"), "count"),
        ),
        tuple(
            (str(f), str(r["category"]), r["better"], r["worse"], int(r["n"]))
            for f, r in analysis.kano.summary.iterrows()
        ),
        size_column=4,
    )
    return Section("kano", Phrase("sec_kano"), tables=(table,), charts=(KanoChart(analysis.kano),))


def _priorities(analysis: SurveyAnalysis) -> Section | None:
    ranking = analysis.priorities
    if ranking is None:
        return None
    table = Table(
        (
            Column(Phrase("priority_rank"), "count"),
            Column(Phrase("priority_area"), "area"),
            Column(Phrase("priority_tier"), "term"),
            Column(Phrase("priority_reasons"), "reasons"),
        ),
        tuple((e.rank, (e.kind, e.area), f"tier_{e.tier}", e.reasons) for e in ranking.entries),
    )
    return Section(
        "priorities",
        Phrase("sec_priorities"),
        explanations=(Phrase("priority_explain"),),
        tables=(table,),
    )


def priority_ranks(analysis: SurveyAnalysis) -> dict[str, int]:
    """The rank of each dimension and feature in the priority list (empty without one)."""
    ranking = analysis.priorities
    return {} if ranking is None else {e.area: e.rank for e in ranking.entries}


def _reliability(analysis: SurveyAnalysis) -> Section | None:
    if not analysis.reliability:
        return None
    table = Table(
        (
            Column(Phrase("dimension"), "dimension"),
            Column(Phrase("alpha"), "number", 3),
            Column(_interval_header(analysis.confidence), "interval", 3),
            Column(Phrase("items"), "count"),
            Column(Phrase("respondents"), "count"),
        ),
        tuple(
            (d, a.alpha, (a.ci_low, a.ci_high), a.k, a.n) for d, a in analysis.reliability.items()
        ),
    )
    return Section("reliability", Phrase("sec_reliability"), tables=(table,))


def analysis_sections(analysis: SurveyAnalysis) -> tuple[Section, ...]:
    """Every section ``analysis`` supports, in :data:`SECTION_ORDER`."""
    found: list[Section | None] = [_priorities(analysis)]
    if analysis.findings:
        found.append(Section("findings", Phrase("sec_findings"), findings=analysis.findings))
    found.append(_gaps(analysis))
    if (zone := analysis.tolerance_zone) is not None:
        found.append(Section("zone", Phrase("sec_zone"), charts=(ZoneChart(zone),)))
    found += [_ipa(analysis), _kano(analysis)]
    for by, comparison in analysis.segments.items():
        found.append(
            Section(
                f"segments_{by}",
                Phrase("sec_segments", {"attribute": label(by, Phrase)}),
                explanations=(Phrase("significant_cell"),),
                charts=(SegmentChart(by, comparison),),
            )
        )
    if analysis.trend is not None:
        found.append(Section("trend", Phrase("sec_trend"), charts=(TrendChart(analysis.trend),)))
    found.append(_reliability(analysis))
    return tuple(s for s in found if s is not None)


def section(sections: tuple[Section, ...], id: str) -> Section | None:
    """The section called ``id``, if the analysis has it."""
    return next((s for s in sections if s.id == id), None)
