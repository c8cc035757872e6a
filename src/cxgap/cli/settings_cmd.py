"""``cxgap settings``: every setting with its value and where the value came from."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from cxgap.cli.app import app, console
from cxgap.cli.context import state
from cxgap.cli.output import shown

GLOBAL_OPTIONS = {"database_url": "--db"}
"""Settings that global command-line options override, with the option's name."""


def _text(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@app.command("settings")
def settings_command(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON list instead of a table.")
    ] = False,
) -> None:
    """Print every setting: its environment variable, value and source (default,
    environment variable or command-line option). Secrets are masked."""
    from cxgap.settings import describe, get_settings

    settings = get_settings()
    options: dict[str, str] = {}
    if state.db:
        settings = settings.model_copy(update={"database_url": state.url})
        options["database_url"] = GLOBAL_OPTIONS["database_url"]
    rows = describe(settings, options=options)
    if as_json:
        listed = [
            {
                "setting": row.path,
                "variable": row.env,
                "value": row.shown_value,
                "default": row.default if not row.secret else None,
                "source": row.source,
                "option": row.option,
                "description": row.description,
            }
            for row in rows
        ]
        console.print_json(json.dumps(listed, ensure_ascii=False))
        return
    table = Table("setting", "variable", "value", "source", title="cxgap settings")
    for row in rows:
        source = f"{row.source} ({row.option})" if row.option else row.source
        table.add_row(row.path, row.env, shown(_text(row.shown_value)), source)
    console.print(table)
    console.print("`cxgap settings --json` adds each setting's default and description.")
