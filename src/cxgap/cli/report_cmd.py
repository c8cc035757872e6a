"""``cxgap report``: the satisfaction report of a survey as HTML or PDF."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, cast

import typer

from cxgap.cli.app import app, console
from cxgap.cli.checks import language, output_file
from cxgap.cli.context import state
from cxgap.segments import SEGMENT_HELP

REPORT_SUFFIXES = (".html", ".htm", ".pdf")
"""File name endings `cxgap report --out` writes."""


@app.command()
def report(
    survey: Annotated[str, typer.Option(help="Survey to report on.")],
    out: Annotated[Path, typer.Option(help="Output file (.html or .pdf).")],
    compare: Annotated[
        str | None,
        typer.Option(help="Earlier wave (survey key) to compare the headline measures with."),
    ] = None,
    by: Annotated[
        list[str] | None,
        typer.Option(
            help="Respondent attribute for the expectations-by-segment heatmap (repeatable): "
            f"{SEGMENT_HELP}."
        ),
    ] = None,
    lang: Annotated[str, typer.Option(help="Language: en, zh or fa.")] = "en",
    format: Annotated[
        Literal["html", "pdf"] | None,
        typer.Option("--format", help="html or pdf (default: from the --out suffix)."),
    ] = None,
    public: Annotated[
        bool,
        typer.Option("--public", help="Public edition: aggregates only, small groups left out."),
    ] = False,
    min_cell: Annotated[
        int | None,
        typer.Option(min=1, help="Smallest group shown (default: CXGAP_MIN_SEGMENT_SIZE)."),
    ] = None,
    gaps: Annotated[
        bool, typer.Option("--gaps", help="Add the five gaps (standards, delivery, promises).")
    ] = False,
    management: Annotated[
        str | None, typer.Option(help="Management survey for Gap 1 (with --gaps).")
    ] = None,
    kpis: Annotated[
        bool, typer.Option("--kpis", help="Add the KPI scorecard (values, targets, alerts).")
    ] = False,
    actions: Annotated[
        bool,
        typer.Option("--actions", help="Add the action plans with their measured effects."),
    ] = False,
    kpi_file: Annotated[
        Path | None,
        typer.Option(help="KPI file (YAML) for --kpis; default: the built-in KPIs."),
    ] = None,
) -> None:
    """Write the satisfaction report of a survey (charts, tables, methods) as HTML or PDF."""
    from cxgap.services.surveys import require_surveys

    code = cast(Literal["en", "zh", "fa"], language(lang))
    output_file(out, suffixes=REPORT_SUFFIXES)
    chosen = format or ("pdf" if out.suffix.lower() == ".pdf" else "html")
    engine = state.engine()
    require_surveys(engine, survey, compare)
    definitions = None
    if kpi_file is not None:
        from cxgap.services.kpi_definitions import load_kpis

        definitions = load_kpis(kpi_file)
    from cxgap.reports import build_report

    with console.status(f"building the report of {survey}..."):
        result = build_report(
            engine,
            survey,
            compare=compare,
            by=by,
            lang=code,
            format=chosen,
            out=out,
            public=public,
            min_cell=min_cell,
            gaps=gaps,
            management=management,
            kpis=kpis or kpi_file is not None,
            actions=actions,
            kpi_definitions=definitions,
        )
    console.print(
        f"{chosen.upper()} report ({code}, {len(result.document.sections)} sections, "
        f"{len(result.content):,} bytes) written to {out}",
        highlight=False,
    )
