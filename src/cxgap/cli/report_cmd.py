"""``cxgap report``: the satisfaction report of a survey as HTML or PDF."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from cxgap.cli.app import app, console
from cxgap.cli.context import state
from cxgap.segments import SEGMENT_HELP


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
    lang: Annotated[Literal["en", "zh", "fa"], typer.Option(help="Language: en, zh or fa.")] = "en",
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
) -> None:
    """Write the satisfaction report of a survey (charts, tables, methods) as HTML or PDF."""
    from cxgap.reports import build_report

    chosen = format or ("pdf" if out.suffix.lower() == ".pdf" else "html")
    with console.status(f"building the report of {survey}..."):
        result = build_report(
            state.engine(),
            survey,
            compare=compare,
            by=by,
            lang=lang,
            format=chosen,
            out=out,
            public=public,
            min_cell=min_cell,
        )
    console.print(
        f"{chosen.upper()} report ({lang}, {len(result.document.sections)} sections, "
        f"{len(result.content):,} bytes) written to {out}",
        highlight=False,
    )
