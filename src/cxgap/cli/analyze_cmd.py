"""``cxgap analyze``: every analysis of a survey, as readable tables or documented JSON.

The terminal draws the same sections as the report (:func:`cxgap.reports.document.compose`
in English): headline measures, findings and every table; charts are left to the report
and the dashboard.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from cxgap.cli.app import app, console
from cxgap.cli.checks import output_file
from cxgap.cli.context import state
from cxgap.errors import ConfigurationError
from cxgap.segments import SEGMENT_HELP
from cxgap.text import counted

if TYPE_CHECKING:
    from cxgap.services.analysis import Finding, SurveyAnalysis

TERMINAL_SECTIONS_LEFT_OUT = ("methods",)
"""Report sections the terminal does not print."""


@app.command()
def analyze(
    survey: Annotated[str, typer.Option(help="Survey to analyse.")],
    by: Annotated[
        list[str] | None,
        typer.Option(
            help=f"Compare expectations across this respondent attribute (repeatable): "
            f"{SEGMENT_HELP}."
        ),
    ] = None,
    json_file: Annotated[
        Path | None,
        typer.Option(
            "--json", help="Also write the full result as JSON (schema cxgap.analysis/1)."
        ),
    ] = None,
    confidence: Annotated[
        float, typer.Option(min=0.5, max=0.999, help="Level of every interval.")
    ] = 0.95,
    source: Annotated[
        Path | None,
        typer.Option(
            help="Analyse a Parquet dataset (written by cxgap export --lake) instead of the "
            "database."
        ),
    ] = None,
    engine: Annotated[
        str | None,
        typer.Option(help="With --source: where the work runs, duckdb (default) or spark."),
    ] = None,
    spark_master: Annotated[
        str,
        typer.Option(
            help="With --engine spark: local[*] (default), local[N], spark://HOST:PORT or a "
            "Spark Connect address sc://HOST:PORT."
        ),
    ] = "local[*]",
) -> None:
    """Run every analysis the survey's instrument supports and print a summary."""
    from cxgap.services.analysis import analyze_survey
    from cxgap.services.lake import ENGINES, analyze_source

    if json_file is not None:
        output_file(json_file, "--json", suffixes=(".json",))
    if engine is not None and engine not in ENGINES:
        raise ConfigurationError(f"--engine: got {engine!r}; allowed: {', '.join(ENGINES)}")
    if source is None and engine is not None:
        raise ConfigurationError("--engine needs --source DIR (a Parquet dataset)")
    with console.status(f"analysing {survey}..."):
        if source is not None:
            result = analyze_source(
                source,
                survey,
                engine=engine or "duckdb",
                spark_master=spark_master,
                by=by,
                confidence=confidence,
            )
        else:
            result = analyze_survey(state.engine(), survey, by=by, confidence=confidence)
    info = result.survey
    console.print(
        f"[bold]{info.name}[/] ({info.key}, {info.instrument} "
        f"v{info.version}): {counted(info.n_responses, 'response')}",
        highlight=False,
    )
    print_sections(result)
    for note in result.notes:
        console.print(f"note: {note}", highlight=False, markup=False)
    if json_file is not None:
        json_file.write_text(
            json.dumps(result.to_dict(), indent=1, ensure_ascii=False), encoding="utf-8"
        )
        console.print(f"JSON written to {json_file}")


def print_sections(analysis: SurveyAnalysis) -> None:
    """The report's sections of ``analysis`` as terminal tables and bullet lists."""
    from cxgap.reports.document import compose
    from cxgap.reports.headline import headline
    from cxgap.reports.i18n import Texts

    document = compose(
        analysis,
        headline(analysis),
        texts=Texts("en"),
        compared_wave=None,
        public=False,
        min_cell=0,
        excluded={},
    )
    for section in document.sections:
        if section.id in TERMINAL_SECTIONS_LEFT_OUT:
            continue
        if section.bullets:
            console.print(f"[bold]{section.title}[/]")
            for number, bullet in enumerate(section.bullets, start=1):
                mark = f"{number}." if section.numbered else "-"  # recommendations cite them
                console.print(f"  {mark} {bullet}", highlight=False, markup=False)
        for spec in section.tables:
            table = Table(*spec["header"], title=section.title)
            for row in spec["rows"]:
                table.add_row(*row)
            console.print(table)


def describe_finding(finding: Finding, analysis: SurveyAnalysis | None = None) -> str:
    """One line of plain English for a finding (dimension names from the analysed
    instrument when ``analysis`` is given)."""
    from cxgap.reports.document import Labels, finding_text
    from cxgap.reports.i18n import Texts

    texts = Texts("en")
    return finding_text(
        finding, texts, Labels(None if analysis is None else analysis.instrument, texts)
    )
