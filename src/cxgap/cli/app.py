"""Typer application: global options and the command groups."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from cxgap import __version__
from cxgap.cli.checks import language, output_file
from cxgap.cli.context import cli_actor, state
from cxgap.cli.output import shown, visible
from cxgap.cli.progress import progress_bar
from cxgap.errors import ConfigurationError
from cxgap.text import counted

if TYPE_CHECKING:
    from sqlalchemy import Engine

console = Console(soft_wrap=True)
console_err = Console(stderr=True, soft_wrap=True)
if not console.is_terminal:  # piped or captured output: no narrow default, no cut tables
    console.width = 160

app = typer.Typer(
    name="cxgap",
    help="Customer expectation management: what customers expect, what they get, the gap.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
instruments_app = typer.Typer(help="The instrument (questionnaire) library.", no_args_is_help=True)
surveys_app = typer.Typer(help="Surveys: instruments fielded in a wave.", no_args_is_help=True)
imports_app = typer.Typer(help="Past imports and their quarantined rows.", no_args_is_help=True)
app.add_typer(instruments_app, name="instruments")
app.add_typer(surveys_app, name="surveys")
app.add_typer(imports_app, name="imports")


def _version(value: bool) -> None:
    if value:
        console.print(f"cxgap {__version__}")
        raise typer.Exit()


@app.callback()
def _global(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Database file or SQLAlchemy URL (default: CXGAP_DATABASE_URL or ./cxgap.db).",
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    state.db = db


@app.command()
def init() -> None:
    """Create the database (or bring its schema up to date)."""
    engine = state.engine()
    console.print(f"database ready: {engine.url.render_as_string(hide_password=True)}")


ANCHOR_HELP = (
    "Date (YYYY-MM-DD) the demo data is dated before: its 8 quarterly waves are the last "
    "whole quarters before it. Default: CXGAP_DEMO_ANCHOR, else today."
)


@app.command()
def start(
    seed: Annotated[
        int, typer.Option(help="Seed of the demo data loaded into an empty database.")
    ] = 7,
    anchor: Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"], help=ANCHOR_HELP)] = None,
) -> None:
    """The main job: prepare the database, load the demo organisation if it is empty, and
    show what is there."""
    from cxgap.services.demo import load_demo

    engine = state.engine()
    console.print(f"database: {engine.url.render_as_string(hide_password=True)}")
    with progress_bar(console) as progress:
        loaded = load_demo(
            engine,
            seed=seed,
            if_empty=True,
            progress=progress,
            actor=cli_actor(),
            anchor=anchor.date() if anchor else None,
        )
    if loaded is not None:
        console.print(
            "empty database: loaded the demo organisation "
            f"({counted(loaded.responses, 'response')} "
            f"from {counted(loaded.customers, 'customer')})"
        )
    surveys_list()
    _latest_findings(engine)
    first_admin(engine, actor="cxgap start")
    survey_link(engine)
    _pdf_requirements()


def _pdf_requirements() -> None:
    """Say what PDF reports lack on this machine, and the command that installs it."""
    from cxgap.reports.system import INSTALL_COMMAND, missing_pdf_parts

    missing = missing_pdf_parts()
    if missing:
        console.print(
            f"PDF reports need system fonts and the Pango text libraries; missing here: "
            f"{', '.join(missing)}. On Debian or Ubuntu install them with:\n"
            f"  {INSTALL_COMMAND}\n(HTML reports and everything else work without them.)",
            highlight=False,
            markup=False,
        )


DEMO_ADMIN = "admin@cxgap.demo"


def first_admin(engine: Engine, *, actor: str) -> None:
    """On a database without active accounts, create an administrator so the dashboard opens,
    and print its sign-in (once: only the password's hash is kept)."""
    import secrets

    from cxgap.services.accounts import any_users, create_account

    if any_users(engine):
        return
    password = secrets.token_urlsafe(12)
    create_account(engine, DEMO_ADMIN, password, role="admin", name="Administrator", actor=actor)
    console.print(
        f"dashboard sign-in (shown once): {DEMO_ADMIN} / {password}  "
        f"(change it: cxgap users set-password {DEMO_ADMIN})",
        highlight=False,
        markup=False,
    )


def survey_link(engine: Engine, base_url: str | None = None) -> None:
    """Print a link to try the newest customer survey (a shared link, one answer per
    browser), when there is one."""
    from cxgap.services.collection import create_invitations, signing_secret
    from cxgap.services.surveys import list_surveys
    from cxgap.settings import get_settings
    from cxgap.web.main import DEFAULT_BASE_URL

    customer = [s for s in list_surveys(engine) if s.audience == "customers"]
    if not customer:
        return
    key = customer[-1].key
    link = create_invitations(engine, signing_secret(state.url), key, anonymous=1)[0]
    base = (base_url or get_settings().web.base_url or DEFAULT_BASE_URL).rstrip("/")
    console.print(f"try the survey {shown(key)}: {base}/s/{link.token}", highlight=False)


def _latest_findings(engine: Engine) -> None:
    """Headline findings of the newest customer survey (what ``cxgap analyze`` would say)."""
    from cxgap.cli.analyze_cmd import describe_finding
    from cxgap.services.analysis import MIN_RESPONSES, analyze_survey
    from cxgap.services.surveys import list_surveys

    surveys = [
        s
        for s in list_surveys(engine)
        if s.audience == "customers" and s.responses >= MIN_RESPONSES
    ]
    if not surveys:
        return
    latest = surveys[-1]
    with console.status(f"analysing {latest.key}..."):
        result = analyze_survey(engine, latest.key)
    console.print(
        f"[bold]Findings for {shown(latest.key)}[/] (details: cxgap analyze --survey "
        f"{shown(latest.key)})"
    )
    for finding in result.findings:
        console.print("  - " + describe_finding(finding, result), highlight=False)


@app.command()
def demo(
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same data.")] = 7,
    customers: Annotated[
        int, typer.Option(min=100, max=200_000, help="Number of customers.")
    ] = 5000,
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Do nothing when the database has surveys.")
    ] = False,
    anchor: Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"], help=ANCHOR_HELP)] = None,
) -> None:
    """Load the demo organisation (a district-heating utility) with planted truths, dated
    in the two years before today (or ``--anchor``)."""
    from cxgap.services.demo import SURVEY_PREFIX, load_demo
    from cxgap.services.surveys import list_surveys

    engine = state.engine()
    present = [s.key for s in list_surveys(engine) if s.key.startswith(SURVEY_PREFIX)]
    if present:
        console.print(
            f"the demo organisation is already loaded ({len(present)} surveys, "
            f"{shown(present[0])} to {shown(present[-1])}); nothing to do. To load it afresh, "
            "give a new database: cxgap --db demo-2.db demo",
            highlight=False,
        )
        return
    with progress_bar(console) as progress:
        result = load_demo(
            engine,
            seed=seed,
            customers=customers,
            if_empty=if_empty,
            progress=progress,
            actor=cli_actor(),
            anchor=anchor.date() if anchor else None,
        )
    if result is None:
        console.print("the database already has surveys; demo data not loaded (--if-empty)")
        return
    console.print(
        f"demo organisation loaded: {result.customers:,} customers, {result.surveys} surveys, "
        f"{result.responses:,} responses, {result.encounters:,} encounters, "
        f"{result.feedback:,} feedback messages, dated before {result.anchor.isoformat()}"
    )
    if result.truths_file:
        console.print(f"planted truths written to {result.truths_file}")


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="CSV, XLSX or Parquet file of responses.")],
    survey: Annotated[str, typer.Option(help="Survey the responses belong to.")],
    instrument: Annotated[
        str | None,
        typer.Option(
            help="Create the survey with this instrument (id or YAML file) if it does not exist."
        ),
    ] = None,
    mapping: Annotated[
        Path | None, typer.Option(help="YAML or CSV file mapping file columns to answer names.")
    ] = None,
    encoding: Annotated[str | None, typer.Option(help="Text encoding (default: detect).")] = None,
    sheet: Annotated[str | None, typer.Option(help="Worksheet of an XLSX file.")] = None,
    missing: Annotated[
        list[str] | None,
        typer.Option(
            help="A cell value that means 'no answer' (repeatable; default: blank, N/A, NA, -, .)."
        ),
    ] = None,
    show: Annotated[int, typer.Option(help="Rejected rows to list.")] = 10,
) -> None:
    """Import responses into a survey; rejected rows go to the quarantine with reasons."""
    from cxgap.services.imports import DEFAULT_MISSING_CODES, import_file
    from cxgap.services.surveys import ensure_survey

    engine = state.engine()
    if instrument:
        ensure_survey(engine, survey, instrument=instrument, actor=cli_actor())
    codes = [*DEFAULT_MISSING_CODES, *missing] if missing else list(DEFAULT_MISSING_CODES)
    with progress_bar(console) as progress:
        summary = import_file(
            engine,
            file,
            survey=survey,
            mapping=mapping,
            encoding=encoding,
            sheet=sheet,
            missing_codes=codes,
            progress=progress,
            actor=cli_actor(),
        )
    how = "detected" if summary.encoding_detected else "given"
    enc = f", encoding {summary.encoding} ({how})" if summary.encoding else ""
    console.print(
        f"{shown(summary.file)}: {summary.file_format.upper()}, {summary.layout} "
        f"layout{enc}, {counted(summary.rows, 'row')}"
    )
    table = Table(show_header=True)
    for name in ("accepted", "rejected", "duplicate"):
        table.add_column(name, justify="right")
    table.add_row(f"{summary.accepted:,}", f"{summary.rejected:,}", f"{summary.duplicates:,}")
    console.print(table)
    if summary.ignored_columns:
        console.print(f"ignored columns: {shown(', '.join(summary.ignored_columns))}")
    if summary.rejections:
        console.print(
            f"rejected rows (first {min(show, len(summary.rejections))}; all are in "
            f"the quarantine of import batch {summary.batch_id}):"
        )
        for rejection in summary.rejections[:show]:
            column = f", column {rejection.column}" if rejection.column else ""
            console.print(
                visible(f"  row {rejection.row_number}{column}: {rejection.reason}"),
                highlight=False,
                markup=False,
            )


@app.command()
def export(
    survey: Annotated[str | None, typer.Option(help="Survey to export.")] = None,
    out: Annotated[Path | None, typer.Option(help="Output file: .csv, .xlsx or .parquet.")] = None,
    lake: Annotated[
        Path | None,
        typer.Option(
            help="Write a Parquet dataset to this folder instead (partitioned by survey and "
            "wave, see docs/scaling.md), for cxgap analyze --source."
        ),
    ] = None,
    all_surveys: Annotated[
        bool, typer.Option("--all", help="With --lake: export every survey.")
    ] = False,
) -> None:
    """Export a survey's responses (re-importable, canonical column names), or surveys as
    a Parquet dataset (--lake)."""
    if lake is not None:
        from cxgap.services.lake import export_lake

        if out is not None or (survey is None) == (not all_surveys):
            raise ConfigurationError(
                "export --lake: give either --survey S or --all (and no --out)"
            )
        written = export_lake(state.engine(), lake, survey=survey, actor=cli_actor())
        for key, rows in written.rows.items():
            console.print(f"{shown(key)}: {counted(rows, 'answer row')}", highlight=False)
        console.print(f"Parquet dataset written to {shown(lake)}")
        return
    from cxgap.services.response_browser import EXPORT_FORMATS, export_survey

    if survey is None or out is None or all_surveys:
        raise ConfigurationError(
            "export: give --survey S and --out FILE (or --lake DIR with --survey S or --all)"
        )
    output_file(out, suffixes=[f".{f}" for f in EXPORT_FORMATS])
    rows = export_survey(state.engine(), survey, out, actor=cli_actor())
    console.print(f"{counted(rows, 'response')} written to {shown(out)}")


@instruments_app.command("list")
def instruments_list() -> None:
    """List the built-in instruments."""
    from cxgap.instruments import builtin_instruments

    table = Table("id", "version", "audience", "items", "title")
    for inst in builtin_instruments().values():
        table.add_row(
            inst.id,
            str(inst.version),
            inst.audience,
            str(len(inst.items)),
            inst.title.get("en", ""),
        )
    console.print(table)


@instruments_app.command("show")
def instruments_show(
    instrument: Annotated[str, typer.Argument(help="Instrument id or YAML file.")],
    lang: Annotated[str, typer.Option(help="Language of the texts: en, zh or fa.")] = "en",
) -> None:
    """Show an instrument's items and answer columns."""
    from cxgap.instruments import get_instrument

    lang = language(lang) or "en"
    inst = get_instrument(instrument)
    console.print(
        f"[bold]{shown(inst.title.get(lang, inst.id))}[/] "
        f"({shown(inst.id)} v{inst.version}, {inst.audience})"
    )
    table = Table("item", "format", "required", "dimension", "scale", "text")
    for item in inst.items:
        table.add_row(
            *map(
                shown,
                (
                    item.id,
                    item.format,
                    "yes" if item.required else "no",
                    item.dimension or "",
                    item.scale or "",
                    item.text.get(lang, ""),
                ),
            )
        )
    console.print(table)
    console.print("answer columns: " + shown(", ".join(c.name for c in inst.answer_columns())))


@instruments_app.command("validate")
def instruments_validate(
    file: Annotated[Path, typer.Argument(help="Instrument YAML file.")],
) -> None:
    """Validate a custom instrument file."""
    from cxgap.instruments import load_instrument

    inst = load_instrument(file)
    console.print(
        f"{shown(file)}: valid instrument {shown(repr(inst.id))} version {inst.version} with "
        f"{counted(len(inst.items), 'item')} in {', '.join(inst.languages)}"
    )


@surveys_app.command("list")
def surveys_list() -> None:
    """List surveys with their number of responses."""
    from cxgap.services.surveys import list_surveys

    surveys = list_surveys(state.engine())
    if not surveys:
        console.print("no surveys yet: run `cxgap demo` or `cxgap surveys create`")
        return
    table = Table("survey", "wave", "instrument", "audience", "responses")
    for s in surveys:
        table.add_row(
            shown(s.key),
            shown(s.wave or ""),
            shown(f"{s.instrument} v{s.version}"),
            s.audience,
            f"{s.responses:,}",
        )
    console.print(table)


@surveys_app.command("create")
def surveys_create(
    key: Annotated[str, typer.Argument(help="Survey key, e.g. heating-2026q1.")],
    instrument: Annotated[str, typer.Option(help="Instrument id or YAML file.")],
    wave: Annotated[str | None, typer.Option(help="Wave or period label.")] = None,
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
) -> None:
    """Field an instrument as a new survey."""
    from cxgap.services.surveys import ensure_survey

    engine, actor = state.engine(), cli_actor()
    ensure_survey(
        engine, key, instrument=instrument, wave=wave, name=name, must_be_new=True, actor=actor
    )
    console.print(f"survey {shown(repr(key))} created with instrument {shown(repr(instrument))}")


@surveys_app.command("title")
def surveys_title(
    survey: Annotated[str, typer.Option(help="Survey key.")],
    lang: Annotated[str, typer.Option(help="Language of the title: en, zh or fa.")],
    title: Annotated[
        str,
        typer.Option(help="The survey's title in that language; empty to use the instrument's."),
    ],
) -> None:
    """Name a survey in one language (reports and the dashboard show it to its readers)."""
    from cxgap.services.surveys import set_survey_title

    set_survey_title(state.engine(), survey, lang, title, actor=cli_actor())
    if title.strip():
        console.print(
            f"survey {shown(repr(survey))} is titled {shown(repr(title.strip()))} in {lang}"
        )
    else:
        console.print(f"survey {shown(repr(survey))} takes its instrument's title in {lang}")


@imports_app.command("list")
def imports_list(
    survey: Annotated[str | None, typer.Option(help="Only imports into this survey.")] = None,
) -> None:
    """List import batches with their counts, newest first."""
    from cxgap.services.imports import list_batches

    batches = list_batches(state.engine(), survey=survey)
    if not batches:
        console.print("no imports yet")
        return
    table = Table("batch", "survey")
    table.add_column("file", overflow="fold")
    for name in ("format", "rows", "accepted", "rejected", "duplicate"):
        table.add_column(name, justify="right")
    for b in batches:
        table.add_row(
            str(b.id),
            shown(b.survey),
            shown(Path(b.file_name).name),
            b.file_format,
            f"{b.rows_total:,}",
            f"{b.accepted:,}",
            f"{b.rejected:,}",
            f"{b.duplicates:,}",
        )
    console.print(table)


@imports_app.command("quarantine")
def imports_quarantine(
    batch: Annotated[int, typer.Argument(help="Import batch number (see `imports list`).")],
    out: Annotated[
        Path | None,
        typer.Option(help="Write the rejected rows (row, column, reason, cells) to this CSV file."),
    ] = None,
) -> None:
    """Show the rejected rows of an import, or write them to a CSV file to fix and re-import."""
    import json

    from cxgap.services.imports import quarantined_rows
    from cxgap.services.response_browser import write_csv

    if out is not None:
        output_file(out, suffixes=(".csv",))
    rows = quarantined_rows(state.engine(), batch)
    if out is not None:
        write_csv(
            out,
            ["row", "column", "reason", "cells"],
            (
                [
                    r.row_number,
                    r.column or "",
                    r.reason,
                    json.dumps(r.raw, ensure_ascii=False) if r.raw else "",
                ]
                for r in rows
            ),
        )
        console.print(f"{counted(len(rows), 'rejected row')} written to {shown(out)}")
        return
    if not rows:
        console.print(f"import batch {batch} has no rejected rows")
        return
    for r in rows:
        column = f", column {r.column}" if r.column else ""
        console.print(
            visible(f"row {r.row_number}{column}: {r.reason}"), highlight=False, markup=False
        )
