"""``build_report``: the use case behind ``cxgap report`` and :mod:`cxgap.reports`."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from sqlalchemy import Engine

from cxgap.errors import DataError, ValidationError
from cxgap.reports.document import ReportDocument, SurveyFacts, compose
from cxgap.reports.headline import headline, with_changes
from cxgap.reports.i18n import LANGUAGES, Language, Texts
from cxgap.services.analysis import ALPHA, analyze_survey, sample_exclusions
from cxgap.services.surveys import survey_counts, survey_titles
from cxgap.settings import get_settings
from cxgap.text import counted
from cxgap.times import now

if TYPE_CHECKING:
    from cxgap.services.kpi_definitions import KpiDefinition

Format = Literal["html", "pdf"]
FORMATS: tuple[Format, ...] = ("html", "pdf")


@dataclass(frozen=True)
class Report:
    """A rendered report: its bytes, the document it shows, and where the time went."""

    content: bytes
    format: Format
    document: ReportDocument
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds spent in ``analysis`` (both waves), ``headline``, ``render`` and, with KPIs
    or action plans, ``management`` (evaluating the KPIs, measuring the plans' effects)."""


def _facts(engine: Engine, survey: str) -> SurveyFacts:
    """Organisation, fieldwork period (the survey's, else its first and last response)
    and today's date, for the cover and the appendix."""
    counts = survey_counts(engine, survey)
    start, end = counts.period_start, counts.period_end
    if start is None or end is None:
        start = end = None
        if counts.last_response_at is not None:
            end = counts.last_response_at.date()
            start = counts.period_start or end
    period = (start, end) if start is not None and end is not None else None
    return SurveyFacts(
        organisation=get_settings().organisation,
        period=period,
        produced=now().date(),
        titles=survey_titles(engine, survey),
    )


def build_report(
    engine: Engine,
    survey: str,
    *,
    compare: str | None = None,
    by: str | list[str] | None = None,
    lang: Language = "en",
    format: Format = "html",
    out: str | Path | None = None,
    public: bool = False,
    min_cell: int | None = None,
    confidence: float = 0.95,
    gaps: bool = False,
    management: str | None = None,
    kpis: bool = False,
    actions: bool = False,
    kpi_definitions: Sequence[KpiDefinition] | None = None,
) -> Report:
    """The satisfaction report of a survey as HTML or PDF.

    Args:
        survey: key of the stored survey to report on.
        compare: key of an earlier wave; headline changes against it are tested and
            flagged when significant.
        by: respondent attribute(s) for the expectations-by-segment heatmap.
        lang: ``en``, ``zh`` or ``fa`` (right-to-left).
        format: ``html`` (one self-contained file) or ``pdf``.
        out: write the report to this file as well.
        public: the public edition: aggregates only, groups under ``min_cell``
            respondents left out.
        min_cell: smallest group shown (default: setting ``CXGAP_MIN_SEGMENT_SIZE``).
        gaps: add the five gaps (:mod:`cxgap.reports.five_gaps`) before the methods.
        management: the management survey for Gap 1 (with ``gaps``).
        kpis: add the KPI scorecard (:mod:`cxgap.reports.management`) before the methods.
        kpi_definitions: the KPIs of the scorecard (default: the built-in KPIs).
        actions: add the action plans with their measured effects before the methods
            (not in the public edition: plans name their owners and assignees).

    Example:
        >>> report = build_report(engine, "heating-2026q3", lang="fa", format="pdf")
        >>> Path("report.pdf").write_bytes(report.content)
    """
    if format not in FORMATS:
        raise ValidationError(f"format must be one of {', '.join(FORMATS)}; got {format!r}")
    if lang not in LANGUAGES:
        raise ValidationError(f"lang must be one of {', '.join(LANGUAGES)}; got {lang!r}")
    if public and actions:
        raise ValidationError(
            "actions cannot be added to the public edition: action plans name their owners "
            "and assignees; allowed: actions without public, or public without actions"
        )
    minimum = get_settings().analysis.min_segment_size if min_cell is None else min_cell
    if minimum < 1:
        raise ValidationError(f"min_cell must be at least 1; got {minimum}")
    timings: dict[str, float] = {}
    start = time.perf_counter()
    analysis = analyze_survey(
        engine, survey, by=by, confidence=confidence, min_segment_size=minimum
    )
    previous = analyze_survey(engine, compare, confidence=confidence) if compare else None
    timings["analysis"] = time.perf_counter() - start
    n = analysis.survey.n_responses
    if public and n < minimum:
        raise DataError(
            f"survey {survey!r} has {counted(n, 'response')}; the public edition needs at least "
            f"{minimum} (min_cell)"
        )
    start = time.perf_counter()
    measures = headline(analysis)
    if previous is not None:
        measures = with_changes(measures, headline(previous), alpha=ALPHA)
    document = compose(
        analysis,
        measures,
        texts=Texts(lang),
        compared_wave=None if previous is None else previous.survey.wave_name,
        public=public,
        min_cell=minimum,
        excluded=sample_exclusions(engine, survey),
        facts=_facts(engine, survey),
    )
    if gaps:
        from cxgap.reports.five_gaps import report_sections
        from cxgap.services.five_gaps import five_gaps

        result = five_gaps(engine, survey, management=management)
        document.sections[-1:-1] = report_sections(result, Texts(lang))
    timings["headline"] = time.perf_counter() - start
    if kpis or actions:
        from cxgap.reports.management import action_sections, kpi_sections

        start = time.perf_counter()
        if kpis:
            from cxgap.services.kpis import evaluate_kpis

            found = evaluate_kpis(engine, kpi_definitions, confidence=confidence)
            document.sections[-1:-1] = kpi_sections(found, Texts(lang), confidence=confidence)
        if actions:
            from cxgap.services.actions import measured_plans

            plans = measured_plans(engine, confidence=confidence)
            document.sections[-1:-1] = action_sections(plans, Texts(lang))
        timings["management"] = time.perf_counter() - start
    start = time.perf_counter()
    if format == "pdf":
        from cxgap.reports.pdf import render_pdf

        content = render_pdf(document)
    else:
        from cxgap.reports.html import render_html

        content = render_html(document).encode("utf-8")
    timings["render"] = time.perf_counter() - start
    if out is not None:
        Path(out).write_bytes(content)
    return Report(content=content, format=format, document=document, timings=timings)
