"""``cxgap cases award`` (the quarterly service award: recovery and delight rankings) and
``cxgap contacts import`` (encounters and feedback files with staff and team).
``docs/cases.md`` documents the files and the JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from cxgap.cli.app import app, console
from cxgap.cli.cases_cmd import JsonFlag, cases_app
from cxgap.cli.context import cli_actor, state
from cxgap.cli.output import shown
from cxgap.errors import ConfigurationError

if TYPE_CHECKING:  # the services load lazily: `cxgap --help` stays light
    from cxgap.services.accounts import User
    from cxgap.services.cases.recognition import RecognitionBoard

contacts_app = typer.Typer(
    help="Encounters and feedback messages from files (with staff and team).",
    no_args_is_help=True,
)
app.add_typer(contacts_app, name="contacts")
LANGS = ("en", "zh", "fa")


def print_rankings(board: RecognitionBoard) -> None:
    """The recovery and delight rankings (people, then teams) as terminal tables."""
    for what, pairs in (
        ("recovered", (("people", board.people), ("teams", board.teams))),
        ("delighted", (("people", board.delight_people), ("teams", board.delight_teams))),
    ):
        for title, rows in pairs:
            trials = "resolved" if what == "recovered" else "contacts"
            table = Table("rank", title, what, trials, "raw", "shrunk")
            for r in rows:
                won, tried = r.__dict__[what], r.__dict__[trials]
                table.add_row(
                    str(r.rank),
                    shown(r.name),
                    f"{won:,}",
                    f"{tried:,}",
                    f"{r.raw:.0%}",
                    f"{r.shrunk:.1%}",
                )
            console.print(table)


def _viewer(email: str | None) -> User | str:
    if email is None:
        return cli_actor()
    from cxgap.services.accounts import user_by_id, user_id_of

    engine = state.engine()
    return user_by_id(engine, user_id_of(engine, email))


@cases_app.command("award")
def cases_award(
    quarter: Annotated[str, typer.Option("--quarter", help="The quarter, e.g. 2026Q3.")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the award as an HTML file.")
    ] = None,
    lang: Annotated[str, typer.Option("--lang", help="en, zh or fa (the HTML file).")] = "en",
    top: Annotated[int, typer.Option("--top", min=1, help="People and teams named.")] = 3,
    item: Annotated[str, typer.Option("--item", help="The 0..10 recommendation item.")] = "nps",
    as_user: Annotated[
        str | None,
        typer.Option("--as", help="See it as this account (an agent sees their own figures)."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """The quarter's service award: top people and teams for recovery and delight."""
    from cxgap.reports.award import award_html
    from cxgap.services.cases.recognition import sees_everyone, service_award

    if lang not in LANGS:
        raise ConfigurationError(f"--lang {lang!r} is not allowed; allowed: {', '.join(LANGS)}")
    if out is not None and out.suffix.lower() not in (".html", ".htm"):
        raise ConfigurationError(f"--out {shown(str(out))}: allowed: a file ending in .html")
    viewer = _viewer(as_user)
    board = service_award(state.engine(), viewer=viewer, quarter=quarter, item=item, top=top)
    if out is not None:
        page = award_html(board, lang=lang, own_only=not sees_everyone(viewer))  # type: ignore[arg-type]
        out.write_text(page, encoding="utf-8")
        console.print(f"wrote {shown(str(out))}", highlight=False)
        return
    if as_json:
        typer.echo(json.dumps(board.to_dict(), indent=1, ensure_ascii=False))
        return
    console.print(f"service award {quarter}", highlight=False)
    print_rankings(board)


@contacts_app.command("import")
def contacts_import(
    file: Annotated[Path, typer.Argument(help="CSV or XLSX file.")],
    kind: Annotated[str, typer.Option(help="encounters or feedback.")],
    as_json: JsonFlag = False,
) -> None:
    """Import encounters or feedback messages (all rows or none; the first problem is named)."""
    from cxgap.services.staff_contacts import KINDS, import_contacts

    if kind not in KINDS:
        raise ConfigurationError(f"--kind {kind!r} is not allowed; allowed: {', '.join(KINDS)}")
    done = import_contacts(state.engine(), file, kind, actor=cli_actor())
    if as_json:
        typer.echo(json.dumps(done.__dict__))
        return
    console.print(
        f"stored {done.rows:,} {kind} rows from {shown(str(file))} ({done.with_staff:,} naming "
        f"staff); {done.customers_created:,} new customers",
        highlight=False,
    )
