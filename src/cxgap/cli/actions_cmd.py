"""``cxgap actions`` (plans aimed at a gap, their tasks and measured effect) and
``cxgap lifecycle import`` (relationships, plan changes, complaints)."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from cxgap.cli.app import app, console
from cxgap.cli.context import cli_actor, state
from cxgap.cli.output import shown
from cxgap.errors import ConfigurationError
from cxgap.text import counted

if TYPE_CHECKING:
    from cxgap.services.actions import PlanEffect, PlanInfo

actions_app = typer.Typer(
    help="Action plans: aimed at a gap, with tasks, and an effect that is measured.",
    no_args_is_help=True,
)
lifecycle_app = typer.Typer(
    help="Customer lifecycle: relationships, plan changes, complaints.", no_args_is_help=True
)
app.add_typer(actions_app, name="actions")
app.add_typer(lifecycle_app, name="lifecycle")

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (see docs/kpi.md).")]


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ConfigurationError(
            f"{option} {value!r} is not a date; allowed: YYYY-MM-DD (e.g. 2026-03-01)"
        ) from None


def _task(value: str, option: str) -> dict[str, Any]:
    """``TITLE`` or ``TITLE@YYYY-MM-DD``."""
    title, sep, due = value.rpartition("@") if "@" in value else (value, "", "")
    task: dict[str, Any] = {"title": title.strip()}
    if sep:
        task["due_on"] = _date(due, option)
    return task


def _task_states(values: list[str]) -> dict[int, str]:
    states: dict[int, str] = {}
    for value in values:
        task, sep, status = value.partition("=")
        if not sep or not task.strip().isdigit():
            raise ConfigurationError(
                f"--task-status {value!r} is not allowed; allowed: TASK_ID=STATUS "
                "(e.g. 3=done; statuses open, doing, done)"
            )
        states[int(task)] = status.strip()
    return states


def _print_json(data: object) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=1))


def _show_plan(plan: PlanInfo) -> None:
    console.print(f"[bold]plan {plan.id}[/]: {shown(plan.title)}", highlight=False)
    lines = [
        ("gap", f"{plan.gap} in survey {plan.survey}"),
        ("segment", plan.segment or "all respondents"),
        ("units", f"{plan.unit_attribute or '-'}: {', '.join(plan.targeted_units) or '-'}"),
        ("owner", plan.owner),
        ("status", plan.status),
        ("starts", str(plan.starts_on)),
        ("due", str(plan.due_on or "-")),
        ("cost", "-" if plan.cost is None else f"{plan.cost:,.2f}"),
        (
            "expected effect",
            "-"
            if plan.expected_effect is None
            else f"{plan.expected_effect:+.2f} by {plan.expected_by or '-'}",
        ),
        ("linked", ", ".join(plan.linked) or "-"),
    ]
    for name, value in lines:
        console.print(f"  {name}: {shown(value)}", highlight=False)
    if plan.tasks:
        table = Table("task", "title", "due", "status", "assignee", "done")
        for t in plan.tasks:
            table.add_row(
                str(t.id), shown(t.title), str(t.due_on or "-"), t.status,
                shown(t.assignee or "-"), str(t.done_on or "-"),
            )  # fmt: skip
        console.print(table)


@actions_app.command("create")
def actions_create(
    title: Annotated[str, typer.Option(help="What the plan does.")],
    survey: Annotated[str, typer.Option(help="A survey whose instrument holds the gap.")],
    gap: Annotated[str, typer.Option(help="dimension:NAME or item:ID.")],
    owner: Annotated[str, typer.Option(help="E-mail of the user who owns the plan.")],
    starts_on: Annotated[str, typer.Option(help="First day the plan acts (YYYY-MM-DD).")],
    unit_attribute: Annotated[
        str | None, typer.Option(help="Attribute whose values are the units (region, district).")
    ] = None,
    unit: Annotated[
        list[str] | None, typer.Option(help="A targeted unit (repeat for several).")
    ] = None,
    segment: Annotated[str | None, typer.Option(help="Only this segment: ATTRIBUTE=VALUE.")] = None,
    due_on: Annotated[str | None, typer.Option(help="Due date (YYYY-MM-DD).")] = None,
    cost: Annotated[float | None, typer.Option(help="Cost of the plan.")] = None,
    expected_effect: Annotated[
        float | None, typer.Option(help="Expected change of the gap (scale points).")
    ] = None,
    expected_by: Annotated[str | None, typer.Option(help="When (YYYY-MM-DD).")] = None,
    link: Annotated[
        list[str] | None, typer.Option(help="Key of a standard or promise (repeatable).")
    ] = None,
    task: Annotated[
        list[str] | None, typer.Option(help="A task: TITLE or TITLE@YYYY-MM-DD (repeatable).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Create an action plan (status planned)."""
    from cxgap.services.actions import create_plan

    start = _date(starts_on, "--starts-on")
    assert start is not None  # a required option
    plan = create_plan(
        state.engine(),
        title=title,
        survey=survey,
        gap=gap,
        owner=owner,
        starts_on=start,
        actor=cli_actor(),
        unit_attribute=unit_attribute,
        targeted_units=unit or [],
        segment=segment,
        due_on=_date(due_on, "--due-on"),
        cost=cost,
        expected_effect=expected_effect,
        expected_by=_date(expected_by, "--expected-by"),
        linked=link or [],
        tasks=[_task(t, "--task") for t in task or []],
    )
    if as_json:
        _print_json(plan.to_dict())
        return
    _show_plan(plan)


@actions_app.command("list")
def actions_list(
    status: Annotated[
        str | None,
        typer.Option(help="Only plans of this status: planned, active, done, cancelled."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """List action plans, newest first."""
    from cxgap.services.actions import list_plans

    plans = list_plans(state.engine(), status=status)
    if as_json:
        _print_json([p.to_dict() for p in plans])
        return
    if not plans:
        console.print("no action plans")
        return
    table = Table("id", "title", "gap", "units", "owner", "status", "starts", "tasks done")
    for p in plans:
        done = sum(t.status == "done" for t in p.tasks)
        table.add_row(
            str(p.id), shown(p.title), p.gap, shown(", ".join(p.targeted_units) or "-"),
            p.owner, p.status, str(p.starts_on), f"{done}/{len(p.tasks)}",
        )  # fmt: skip
    console.print(table)


@actions_app.command("show")
def actions_show(
    plan_id: Annotated[int, typer.Argument(help="The plan's id.")],
    as_json: JsonOption = False,
) -> None:
    """Show one plan with its tasks."""
    from cxgap.services.actions import get_plan

    plan = get_plan(state.engine(), plan_id)
    if as_json:
        _print_json(plan.to_dict())
        return
    _show_plan(plan)


@actions_app.command("update")
def actions_update(
    plan_id: Annotated[int, typer.Argument(help="The plan's id.")],
    status: Annotated[str | None, typer.Option(help="planned, active, done or cancelled.")] = None,
    due_on: Annotated[str | None, typer.Option(help="Due date (YYYY-MM-DD).")] = None,
    cost: Annotated[float | None, typer.Option(help="Cost of the plan.")] = None,
    expected_effect: Annotated[float | None, typer.Option(help="Expected change.")] = None,
    expected_by: Annotated[str | None, typer.Option(help="When (YYYY-MM-DD).")] = None,
    add_task: Annotated[
        list[str] | None, typer.Option(help="A new task: TITLE or TITLE@YYYY-MM-DD.")
    ] = None,
    task_status: Annotated[
        list[str] | None, typer.Option(help="TASK_ID=STATUS (open, doing, done; repeatable).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Change a plan's status, dates, cost or expected effect; add tasks; set task states."""
    from cxgap.services.actions import update_plan

    plan = update_plan(
        state.engine(),
        plan_id,
        actor=cli_actor(),
        status=status,
        due_on=_date(due_on, "--due-on"),
        cost=cost,
        expected_effect=expected_effect,
        expected_by=_date(expected_by, "--expected-by"),
        add_tasks=[_task(t, "--add-task") for t in add_task or []],
        task_status=_task_states(task_status or []),
    )
    if as_json:
        _print_json(plan.to_dict())
        return
    _show_plan(plan)


def _number(value: float, digits: int = 3) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:+.{digits}f}"


def _show_effect(measured: PlanEffect) -> None:
    plan, result = measured.plan, measured.result
    console.print(
        f"[bold]plan {plan.id}[/]: {shown(plan.title)} — {plan.gap}, {measured.outcome} "
        f"per respondent; waves {', '.join(measured.waves)}; starts in "
        f"{measured.start_wave or 'a wave not yet surveyed'}",
        highlight=False,
    )
    if result is None:
        console.print("  no wave from the start has answers yet: nothing to measure")
    else:
        method = {"did": "difference-in-differences", "its": "interrupted time series"}
        console.print(
            f"  effect {_number(result.effect)} "
            f"[{_number(result.ci_low)}, {_number(result.ci_high)}] "
            f"({result.confidence:.0%} interval), p = {result.p_value:.3g}; "
            f"{method[result.method]}, {result.inference.replace('_', ' ')} inference; "
            f"{counted(result.n_units, 'unit')} ({result.n_treated_units:,} targeted), "
            f"{counted(result.n_rows, 'response')}",
            highlight=False,
        )
        if not math.isnan(result.pre_trend_p_value):
            console.print(
                f"  pre-trends: p = {result.pre_trend_p_value:.3g} (small values mean the "
                "targeted units already moved differently before the start)"
            )
        console.print(
            f"  minimum detectable effect (80% power): ±{result.min_detectable_effect:.3f}"
        )
        for warning in result.warnings:
            console.print(f"  [yellow]warning[/]: {WARNINGS.get(warning, warning)}")
    if measured.power is not None:
        power = measured.power
        needed = power.responses_needed
        console.print(
            f"  design before the start: detectable effect ±{power.min_detectable_effect:.3f}"
            + (
                ""
                if math.isnan(needed)
                else f"; the expected {power.expected_effect:+.2f} needs "
                + ("more units or waves" if math.isinf(needed) else f"{math.ceil(needed)}")
                + " responses per unit and wave"
            )
        )


WARNINGS = {
    "regression_to_the_mean": (
        "the targeted units were the worst ones just before the start: part of any "
        "improvement may be regression to the mean. Remedy: compare with untargeted units "
        "that were as bad, use several waves before the start, or judge against the "
        "units' longer-run level."
    ),
    "few_treated_units": (
        "one targeted (or one control) unit: the interval treats each unit x wave mean as "
        "independent over waves; target or compare more units for a sturdier answer."
    ),
}


@actions_app.command("effect")
def actions_effect(
    plan_id: Annotated[int, typer.Argument(help="The plan's id.")],
    method: Annotated[
        str, typer.Option(help="auto (did with untargeted units, else its), did or its.")
    ] = "auto",
    confidence: Annotated[float, typer.Option(help="Confidence of the interval.")] = 0.95,
    as_json: JsonOption = False,
) -> None:
    """Measure a plan's effect on its gap (and its detectable effect before it starts)."""
    from cxgap.services.actions import measure_effect

    if not 0 < confidence < 1:
        raise ConfigurationError(
            f"--confidence {confidence} is not allowed; allowed: between 0 and 1 (e.g. 0.95)"
        )
    measured = measure_effect(state.engine(), plan_id, method=method, confidence=confidence)
    if as_json:
        _print_json(measured.to_dict())
        return
    _show_effect(measured)


@lifecycle_app.command("import")
def lifecycle_import(
    file: Annotated[Path, typer.Argument(help="CSV or XLSX file.")],
    kind: Annotated[str, typer.Option(help="relationships, plan_changes or complaints.")],
    as_json: JsonOption = False,
) -> None:
    """Import lifecycle records (all rows or none; the first problem is named)."""
    from cxgap.services.lifecycle import KINDS, import_lifecycle

    if kind not in KINDS:
        raise ConfigurationError(f"--kind {kind!r} is not allowed; allowed: {', '.join(KINDS)}")
    done = import_lifecycle(state.engine(), file, kind, actor=cli_actor())
    if as_json:
        _print_json(
            {"kind": done.kind, "rows": done.rows, "customers_created": done.customers_created}
        )
        return
    console.print(
        f"stored {done.rows} {kind.replace('_', ' ')} rows from {shown(str(file))}; "
        f"{done.customers_created} new customers",
        highlight=False,
    )
