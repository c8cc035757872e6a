"""``cxgap gaps``, ``cxgap standards``, ``cxgap promises`` and ``cxgap delivery``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from cxgap.cli.app import app, console
from cxgap.cli.checks import output_file
from cxgap.cli.context import cli_actor, state
from cxgap.errors import ConfigurationError
from cxgap.segments import SEGMENT_HELP
from cxgap.text import counted

standards_app = typer.Typer(
    help="Service standards: propose from expectations, approve, edit, retire.",
    no_args_is_help=True,
)
promises_app = typer.Typer(help="The register of promises made outside.", no_args_is_help=True)
delivery_app = typer.Typer(help="Delivery units and measurements.", no_args_is_help=True)
units_app = typer.Typer(help="Units that deliver service (sites, teams, districts, channels).")
app.add_typer(standards_app, name="standards")
app.add_typer(promises_app, name="promises")
app.add_typer(delivery_app, name="delivery")
delivery_app.add_typer(units_app, name="units", no_args_is_help=True)

JsonOption = Annotated[
    Path | None, typer.Option("--json", help="Also write the result as JSON to this file.")
]


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ConfigurationError(f"{option} {value!r}: not a date; allowed: YYYY-MM-DD") from None


def _write_json(path: Path | None, document: Any) -> None:
    if path is None:
        return
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False), encoding="utf-8")
    console.print(f"JSON written to {path}", highlight=False, markup=False)


@app.command()
def gaps(
    survey: Annotated[str, typer.Option(help="The customer survey (Gap 5 and expectations).")],
    management: Annotated[str | None, typer.Option(help="The management survey (Gap 1).")] = None,
    employees: Annotated[
        str | None,
        typer.Option(help="The employee survey (instrument employee-factors) for the factors."),
    ] = None,
    json_file: Annotated[
        Path | None,
        typer.Option("--json", help="Also write the result as JSON (schema cxgap.gaps/1)."),
    ] = None,
) -> None:
    """The five gaps: knowledge, standards, delivery, communication and the customer gap."""
    from cxgap.reports.five_gaps import gap_sections
    from cxgap.reports.i18n import Texts
    from cxgap.services.five_gaps import five_gaps

    if json_file is not None:
        output_file(json_file, "--json", suffixes=(".json",))
    with console.status(f"measuring the five gaps of {survey}..."):
        result = five_gaps(state.engine(), survey, management=management, employees=employees)
    for section in gap_sections(result, Texts("en")):
        console.print(f"[bold]{section.title}[/]", highlight=False)
        for line in section.lines:
            console.print("  - " + line, highlight=False, markup=False)
    for note in result.notes:
        console.print(f"note: {note}", highlight=False, markup=False)
    _write_json(json_file, result.to_dict())


def _standards_table(records: list[Any]) -> None:
    table = Table("key", "v", "status", "item", "segment", "metric", "floor", "target", "owner")
    for r in records:
        table.add_row(
            r.key,
            str(r.version),
            r.status,
            r.item or r.dimension or "",
            r.segment or "",
            f"{r.metric} ({r.measure_unit})",
            f"{r.floor:g}",
            f"{r.target:g}",
            r.owner,
        )
    console.print(table)


@standards_app.command("propose")
def standards_propose(
    survey: Annotated[str, typer.Option(help="Customer survey with adequate and desired levels.")],
    by: Annotated[
        str | None,
        typer.Option(help=f"Separate standards per segment where they differ: {SEGMENT_HELP}."),
    ] = None,
    floor_share: Annotated[
        float, typer.Option(help="Share of customers who must find the floor adequate.")
    ] = 0.8,
    target_share: Annotated[
        float, typer.Option(help="Share of customers whose desired level the target meets.")
    ] = 0.5,
    owner: Annotated[str, typer.Option(help="Who owns the proposed standards.")] = (
        "service manager"
    ),
    json_file: JsonOption = None,
) -> None:
    """Propose a floor and a target per item from customers' adequate and desired levels."""
    from cxgap.services.standards import propose_standards

    if json_file is not None:
        output_file(json_file, "--json", suffixes=(".json",))
    proposal = propose_standards(
        state.engine(),
        survey,
        by=by,
        floor_share=floor_share,
        target_share=target_share,
        owner=owner,
        actor=cli_actor(),
    )
    console.print(f"rule: {proposal.rule}", highlight=False, markup=False)
    table = Table(
        "key", "segment", "n", "floor", "target", "perceived now", "below floor", "below target"
    )
    for row in proposal.levels.to_dict(orient="records"):
        table.add_row(
            str(row["key"]),
            str(row["segment"]),
            str(row["n"]),
            f"{row['floor']:g} [{row['floor_ci_low']:g}, {row['floor_ci_high']:g}]",
            f"{row['target']:g} [{row['target_ci_low']:g}, {row['target_ci_high']:g}]",
            f"{row['perceived_mean']:.2f}",
            f"{row['share_below_floor']:.0%}",
            f"{row['share_below_target']:.0%}",
        )
    console.print(table)
    console.print(
        f"stored {counted(len(proposal.keys), 'proposed standard')}; approve with "
        "cxgap standards approve KEY",
        highlight=False,
    )
    from cxgap.stats.result import to_jsonable

    _write_json(
        json_file,
        {"rule": proposal.rule, "survey": survey, "by": by, "levels": to_jsonable(proposal.levels)},
    )


@standards_app.command("add")
def standards_add(
    key: Annotated[str, typer.Argument(help="Key of the new standard.")],
    metric: Annotated[str, typer.Option(help="What is measured, in words.")],
    unit: Annotated[
        str, typer.Option(help="scale, hours, minutes, days, percent, share or count.")
    ],
    floor: Annotated[float, typer.Option(help="The least acceptable level.")],
    target: Annotated[float, typer.Option(help="The level aimed at.")],
    owner: Annotated[str, typer.Option(help="Who is responsible.")],
    instrument: Annotated[str, typer.Option(help="Instrument of the item or dimension.")],
    item: Annotated[str | None, typer.Option(help="Item the standard serves.")] = None,
    dimension: Annotated[str | None, typer.Option(help="Dimension the standard serves.")] = None,
    segment: Annotated[str | None, typer.Option(help="ATTRIBUTE=VALUE for one segment.")] = None,
    lower_is_better: Annotated[
        bool, typer.Option("--lower-is-better", help="A lower value is better (e.g. hours).")
    ] = False,
    start: Annotated[
        str | None, typer.Option("--from", help="Effective from (YYYY-MM-DD).")
    ] = None,
    end: Annotated[str | None, typer.Option("--to", help="Effective until (YYYY-MM-DD).")] = None,
    rationale: Annotated[str | None, typer.Option(help="Why these levels.")] = None,
) -> None:
    """Propose a standard by hand (version 1, status proposed)."""
    from cxgap.services.standards import create_standard

    record = create_standard(
        state.engine(),
        key,
        actor=cli_actor(),
        instrument=instrument,
        item=item,
        dimension=dimension,
        segment=segment,
        metric=metric,
        measure_unit=unit,
        higher_is_better=not lower_is_better,
        floor=floor,
        target=target,
        owner=owner,
        effective_from=_date(start, "--from") or dt.date.today(),
        effective_to=_date(end, "--to"),
        rationale=rationale,
    )
    console.print(f"proposed {record.key} version {record.version}", highlight=False)


@standards_app.command("edit")
def standards_edit(
    key: Annotated[str, typer.Argument(help="Key of the standard.")],
    floor: Annotated[float | None, typer.Option(help="New floor.")] = None,
    target: Annotated[float | None, typer.Option(help="New target.")] = None,
    metric: Annotated[str | None, typer.Option(help="New metric text.")] = None,
    owner: Annotated[str | None, typer.Option(help="New owner.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Effective until (YYYY-MM-DD).")] = None,
    rationale: Annotated[str | None, typer.Option(help="Why the change.")] = None,
) -> None:
    """Change a standard: stores a new proposed version (the old ones stay)."""
    from cxgap.services.standards import edit_standard

    record = edit_standard(
        state.engine(),
        key,
        actor=cli_actor(),
        floor=floor,
        target=target,
        metric=metric,
        owner=owner,
        effective_to=_date(end, "--to"),
        rationale=rationale,
    )
    console.print(f"proposed {record.key} version {record.version}", highlight=False)


@standards_app.command("approve")
def standards_approve(
    key: Annotated[str, typer.Argument(help="Key of the standard.")],
    version: Annotated[
        int | None, typer.Option(help="Version (default: the latest proposed).")
    ] = None,
) -> None:
    """Approve a proposed version; the version approved before is retired."""
    from cxgap.services.standards import approve_standard

    record = approve_standard(state.engine(), key, actor=cli_actor(), version=version)
    console.print(f"approved {record.key} version {record.version}", highlight=False)


@standards_app.command("retire")
def standards_retire(key: Annotated[str, typer.Argument(help="Key of the standard.")]) -> None:
    """Retire the approved version (or reject the latest proposal)."""
    from cxgap.services.standards import retire_standard

    record = retire_standard(state.engine(), key, actor=cli_actor())
    console.print(f"retired {record.key} version {record.version}", highlight=False)


@standards_app.command("list")
def standards_list(
    status: Annotated[str | None, typer.Option(help="proposed, approved or retired.")] = None,
    all_versions: Annotated[bool, typer.Option("--all-versions", help="Every version.")] = False,
    json_file: JsonOption = None,
) -> None:
    """The standards (latest version of each, or every version)."""
    from cxgap.services.standards import list_standards

    if json_file is not None:
        output_file(json_file, "--json", suffixes=(".json",))
    records = list_standards(state.engine(), status=status, all_versions=all_versions)
    _standards_table(records)
    _write_json(json_file, {"standards": [r.to_dict() for r in records]})


@promises_app.command("add")
def promises_add(
    key: Annotated[str, typer.Argument(help="Key of the promise.")],
    channel: Annotated[
        str,
        typer.Option(help="advertisement, brochure, website, contract, sla or sales_script."),
    ],
    start: Annotated[str, typer.Option("--from", help="Valid from (YYYY-MM-DD).")],
    text_en: Annotated[str | None, typer.Option("--text-en", help="The text in English.")] = None,
    text_zh: Annotated[str | None, typer.Option("--text-zh", help="The text in Chinese.")] = None,
    text_fa: Annotated[str | None, typer.Option("--text-fa", help="The text in Persian.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Valid until (YYYY-MM-DD).")] = None,
    audience: Annotated[
        str | None, typer.Option(help="ATTRIBUTE=VALUE of who sees it (default: everyone).")
    ] = None,
    instrument: Annotated[str | None, typer.Option(help="Instrument of the item.")] = None,
    item: Annotated[str | None, typer.Option(help="Item the promise touches.")] = None,
    dimension: Annotated[str | None, typer.Option(help="Dimension it touches.")] = None,
    standard: Annotated[str | None, typer.Option(help="Standard whose metric it promises.")] = None,
    level: Annotated[float | None, typer.Option(help="The promised level of that metric.")] = None,
) -> None:
    """Register a promise."""
    from cxgap.services.promises import add_promise

    record = add_promise(
        state.engine(),
        actor=cli_actor(),
        key=key,
        channel=channel,
        texts={"en": text_en, "zh": text_zh, "fa": text_fa},
        audience=audience,
        valid_from=_date(start, "--from"),
        valid_to=_date(end, "--to"),
        instrument=instrument,
        item=item,
        dimension=dimension,
        standard_key=standard,
        promised_level=level,
    )
    console.print(f"registered promise {record.key}", highlight=False)


@promises_app.command("import")
def promises_import(
    file: Annotated[Path, typer.Argument(help="CSV or XLSX file of promises.")],
) -> None:
    """Import promises from a file (all rows or none)."""
    from cxgap.services.promises import import_promises

    count = import_promises(state.engine(), file, actor=cli_actor())
    console.print(f"imported {counted(count, 'promise')}", highlight=False)


@promises_app.command("list")
def promises_list(json_file: JsonOption = None) -> None:
    """The register of promises."""
    from cxgap.services.promises import list_promises

    if json_file is not None:
        output_file(json_file, "--json", suffixes=(".json",))
    records = list_promises(state.engine())
    table = Table("key", "channel", "item", "standard", "level", "audience", "valid", "text")
    for r in records:
        table.add_row(
            r.key,
            r.channel,
            r.item or r.dimension or "",
            r.standard_key or "",
            "" if r.promised_level is None else f"{r.promised_level:g}",
            r.audience or "",
            f"{r.valid_from} – {r.valid_to or ''}",
            r.texts.get("en") or next(iter(r.texts.values())),
        )
    console.print(table)
    _write_json(json_file, {"promises": [r.to_dict() for r in records]})


@delivery_app.command("import")
def delivery_import(
    file: Annotated[Path, typer.Argument(help="CSV or XLSX: standard, unit, period, value...")],
    standard: Annotated[
        str | None, typer.Option(help="The standard of every row (no standard column).")
    ] = None,
) -> None:
    """Import delivery measurements (all rows or none)."""
    from cxgap.services.delivery import import_delivery

    count = import_delivery(state.engine(), file, actor=cli_actor(), standard=standard)
    console.print(f"imported {counted(count, 'measurement')}", highlight=False)


@delivery_app.command("compute")
def delivery_compute(
    standard: Annotated[str, typer.Argument(help="The standard to compute delivery for.")],
    touchpoint: Annotated[str | None, typer.Option(help="Only encounters at it.")] = None,
) -> None:
    """Compute monthly delivery per region from stored encounters (share resolved)."""
    from cxgap.services.delivery import delivery_from_encounters

    count = delivery_from_encounters(
        state.engine(), standard, touchpoint=touchpoint, actor=cli_actor()
    )
    console.print(f"stored {counted(count, 'measurement')}", highlight=False)


@delivery_app.command("list")
def delivery_list(
    standard: Annotated[str | None, typer.Option(help="Only this standard.")] = None,
) -> None:
    """Stored delivery measurements."""
    from cxgap.services.delivery import delivery_table

    frame = delivery_table(state.engine(), standard)
    table = Table("standard", "unit", "period", "value", "cases", "met")
    for row in frame.to_dict(orient="records"):
        table.add_row(
            row["standard"],
            row["unit"],
            row["period"],
            f"{row['value']:g}",
            "" if row["cases"] is None else str(row["cases"]),
            "" if row["met"] is None else str(row["met"]),
        )
    console.print(table)


@units_app.command("add")
def units_add(
    key: Annotated[str, typer.Argument(help="Key of the unit.")],
    kind: Annotated[str, typer.Option(help="site, team, district or channel.")],
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
) -> None:
    """Register a unit that delivers service."""
    from cxgap.services.delivery import add_units

    added = add_units(state.engine(), [(key, kind, name)], actor=cli_actor())
    console.print(f"unit {key}: {'added' if added else 'exists already'}", highlight=False)


@units_app.command("list")
def units_list() -> None:
    """The registered units."""
    from cxgap.services.delivery import list_units

    table = Table("key", "kind", "name")
    for unit in list_units(state.engine()):
        table.add_row(unit.key, unit.kind, unit.name or "")
    console.print(table)
