"""``cxgap cases`` (close-the-loop cases, SLA calendars, the sweep) and ``cxgap notify``
(the outbox's notifier). ``docs/cases.md`` documents the files and the JSON."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from cxgap.cli.app import app, console
from cxgap.cli.context import cli_actor, state
from cxgap.cli.output import shown
from cxgap.errors import ValidationError
from cxgap.text import counted

cases_app = typer.Typer(help="Close-the-loop cases with owners and SLAs.", no_args_is_help=True)
calendar_app = typer.Typer(
    help="Business calendars (opening hours, holidays).", no_args_is_help=True
)
rules_app = typer.Typer(help="Case rules files.", no_args_is_help=True)
notify_app = typer.Typer(help="Notifications waiting in the outbox.", no_args_is_help=True)
app.add_typer(cases_app, name="cases")
app.add_typer(notify_app, name="notify")
cases_app.add_typer(calendar_app, name="calendar")
cases_app.add_typer(rules_app, name="rules")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON (docs/cases.md).")]
IfVersion = Annotated[
    int | None,
    typer.Option(
        "--if-version",
        min=1,
        help="Change only if the case is still at this version (as shown by cases show); "
        "otherwise exit with code 5 and change nothing.",
    ),
]
CaseId = Annotated[int, typer.Argument(min=1, help="Case number.")]


def _wording() -> Any:
    """Notification texts from the catalogue, in each recipient's language."""
    from cxgap.web.notices import catalogue_wording

    return catalogue_wording


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=1, ensure_ascii=False))


def _time(text: str, option: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            f"{option} {text!r}: expected an ISO 8601 time such as 2026-12-04T14:00 or "
            "2026-12-04T14:00:00+01:00 (without an offset: local time of the calendar)"
        ) from None


@cases_app.command("due")
def cases_due(
    calendar: Annotated[Path, typer.Option("--calendar", help="Calendar YAML file.")],
    from_: Annotated[
        str, typer.Option("--from", help="Start, ISO 8601 (no offset: the calendar's zone).")
    ],
    minutes: Annotated[int, typer.Option("--minutes", min=0, help="Working minutes.")],
) -> None:
    """Print when MINUTES working minutes after --from have passed (ISO 8601 with offset)."""
    from cxgap.calendars import due_time
    from cxgap.services.cases.config import load_calendar

    start = _time(from_, "--from")
    typer.echo(due_time(load_calendar(calendar), start, minutes).isoformat())


@calendar_app.command("validate")
def calendar_validate(file: Annotated[Path, typer.Argument(help="Calendar YAML file.")]) -> None:
    """Check a calendar file."""
    from cxgap.services.cases.config import load_calendar

    cal = load_calendar(file)
    console.print(f"{shown(file)}: valid calendar: {shown(cal.summary)}", highlight=False)


@rules_app.command("validate")
def rules_validate(file: Annotated[Path, typer.Argument(help="Rules YAML file.")]) -> None:
    """Check a case rules file (and the calendar it names)."""
    from cxgap.services.cases.config import load_rules

    rules = load_rules(file)
    names = ", ".join(f"{r.name} ({r.condition.kind}, {r.priority})" for r in rules.rules)
    console.print(
        f"{shown(file)}: valid rules: {shown(names)}; {counted(len(rules.teams), 'team')}, "
        f"{len(rules.sla)} SLA polic{'y' if len(rules.sla) == 1 else 'ies'}; "
        f"calendar {shown(rules.calendar.summary)}",
        highlight=False,
    )


@cases_app.command("sweep")
def cases_sweep(
    rules: Annotated[Path, typer.Option("--rules", help="Rules YAML file.")],
    as_json: JsonFlag = False,
) -> None:
    """Apply the rules to new data and escalate cases near or past due (safe from cron)."""
    from cxgap.services.cases.config import load_rules
    from cxgap.services.cases.sweep import sweep

    loaded = load_rules(rules)
    result = sweep(state.engine(), loaded, actor=cli_actor(), wording=_wording())
    if as_json:
        _print_json(
            {
                "opened": result.opened,
                "added": result.added,
                "held_out": result.held_out,
                "escalated": result.escalated,
            }
        )
        return
    console.print(result.summary)


@cases_app.command("open")
def cases_open(
    customer: Annotated[str, typer.Option("--customer", help="The customer's id.")],
    cause: Annotated[str, typer.Option("--cause", help="Cause code, e.g. complaint.")],
    priority: Annotated[str, typer.Option("--priority", help="high, normal or low.")] = "normal",
    owner: Annotated[str | None, typer.Option("--owner", help="Owner's e-mail.")] = None,
    team: Annotated[str | None, typer.Option("--team", help="Team name.")] = None,
    rules: Annotated[
        Path | None, typer.Option("--rules", help="Rules file whose SLA policies apply.")
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help="Why the case is opened.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Open a case by hand."""
    from cxgap.services.cases.config import load_rules
    from cxgap.services.cases.work import case_json, create_case

    loaded = load_rules(rules) if rules is not None else None
    info = create_case(
        state.engine(),
        customer=customer,
        cause=cause,
        priority=priority,
        actor=cli_actor(),
        rules=loaded,
        owner=owner,
        team=team,
        note=note,
        wording=_wording(),
    )
    if as_json:
        _print_json(case_json(info))
        return
    console.print(f"case {info.id} opened for customer {shown(info.customer)}", highlight=False)


def _due(value: dt.datetime | None) -> str:
    return value.isoformat(timespec="minutes") if value else "-"


@cases_app.command("list")
def cases_list(
    owner: Annotated[str | None, typer.Option("--owner", help="Owner's e-mail.")] = None,
    team: Annotated[str | None, typer.Option("--team", help="Team name.")] = None,
    state_: Annotated[str | None, typer.Option("--state", help="One state.")] = None,
    open_only: Annotated[bool, typer.Option("--open", help="Open cases only.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=10000, help="Most cases listed.")] = 50,
    as_json: JsonFlag = False,
) -> None:
    """List cases, soonest resolution due first."""
    from cxgap.services.cases.work import case_json, list_cases

    cases, total = list_cases(
        state.engine(), owner=owner, team=team, state=state_, open_only=open_only, limit=limit
    )
    if as_json:
        _print_json({"items": [case_json(c) for c in cases], "total": total})
        return
    table = Table("case", "customer", "cause", "priority", "team", "owner", "state", "due")
    for c in cases:
        table.add_row(
            str(c.id),
            shown(c.customer),
            shown(c.cause),
            c.priority,
            shown(c.team or "-"),
            shown(c.owner or "-"),
            c.state + (" (hold-out)" if c.holdout else ""),
            _due(c.resolution_due_at),
        )
    console.print(table)
    console.print(f"{len(cases):,} of {counted(total, 'case')}")


@cases_app.command("show")
def cases_show(case: CaseId, as_json: JsonFlag = False) -> None:
    """One case with its history."""
    from cxgap.services.cases.work import case_detail, case_json

    detail = case_detail(state.engine(), case)
    if as_json:
        _print_json(case_json(detail))
        return
    c = detail.case
    console.print(
        f"case {c.id} (version {c.version}): {shown(c.cause)} for customer "
        f"{shown(c.customer)}, {c.priority}, {c.state}; team {shown(c.team or '-')}, owner "
        f"{shown(c.owner or '-')}; first response due {_due(c.first_response_due_at)}, "
        f"resolution due {_due(c.resolution_due_at)}",
        highlight=False,
    )
    for e in detail.events:
        text = f": {e.text}" if e.text else ""
        details = f" {json.dumps(e.details, ensure_ascii=False)}" if e.details else ""
        console.print(shown(f"{_due(e.at)} {e.actor} {e.kind}{details}{text}"), highlight=False)


def _change(case: int, if_version: int | None, **fields: Any) -> None:
    from cxgap.services.cases.work import CaseChange, case_detail, update_case

    engine = state.engine()
    version = if_version if if_version is not None else case_detail(engine, case).case.version
    info = update_case(
        engine,
        case,
        version=version,
        change=CaseChange(**fields),
        actor=cli_actor(),
        wording=_wording(),
    )
    console.print(f"case {info.id} is {info.state} (version {info.version})")


@cases_app.command("assign")
def cases_assign(
    case: CaseId,
    owner: Annotated[str, typer.Option("--owner", help="New owner's e-mail ('' for none).")],
    team: Annotated[str | None, typer.Option("--team", help="New team.")] = None,
    if_version: IfVersion = None,
) -> None:
    """Give a case to an owner (and team); the owner is notified."""
    _change(case, if_version, owner=owner, team=team)


@cases_app.command("note")
def cases_note(
    case: CaseId,
    text: Annotated[str, typer.Argument(help="The note.")],
    contact: Annotated[
        bool, typer.Option("--contact", help="Log a contact with the customer.")
    ] = False,
    if_version: IfVersion = None,
) -> None:
    """Add a note, or log a contact with the customer."""
    _change(case, if_version, **({"contact": text} if contact else {"note": text}))


@cases_app.command("move")
def cases_move(
    case: CaseId,
    to: Annotated[str, typer.Argument(help="acknowledged, in_progress, waiting_on_customer, ...")],
    if_version: IfVersion = None,
) -> None:
    """Move a case to another state (in_progress on a resolved or closed case reopens it)."""
    _change(case, if_version, state=to)


@cases_app.command("resolve")
def cases_resolve(
    case: CaseId,
    action: Annotated[str, typer.Option("--action", help="The recovery action taken.")],
    apology: Annotated[bool, typer.Option("--apology", help="An apology was made.")] = False,
    cause_code: Annotated[str | None, typer.Option("--cause-code", help="Root cause code.")] = None,
    cause_text: Annotated[str | None, typer.Option("--cause-text", help="Root cause.")] = None,
    item: Annotated[str | None, typer.Option("--item", help="Root-cause item.")] = None,
    dimension: Annotated[
        str | None, typer.Option("--dimension", help="Root-cause dimension.")
    ] = None,
    if_version: IfVersion = None,
) -> None:
    """Resolve a case with its recovery action and root cause."""
    _change(
        case,
        if_version,
        state="resolved",
        recovery_action=action,
        apology=apology or None,
        cause_code=cause_code,
        cause_text=cause_text,
        root_item=item,
        root_dimension=dimension,
    )


@cases_app.command("stats")
def cases_stats(
    item: Annotated[str, typer.Option("--item", help="The 0..10 recommendation item.")] = "nps",
    as_json: JsonFlag = False,
) -> None:
    """Recovery measured: SLA compliance, recovery, paradox, hold-out, resolution times."""
    from cxgap.services.cases.recovery import recovery_figures

    figures = recovery_figures(state.engine(), item=item)
    if as_json:
        _print_json(figures.to_dict())
        return
    console.print(counted(figures.cases, "case"))

    lines = [
        ("SLA compliance", figures.sla_compliance),
        ("recovery rate", figures.recovery_rate),
        ("before/after", figures.before_after),
        ("recovery paradox (recovered - never a case)", figures.paradox),
        ("calling back (contacted - held out)", figures.holdout),
    ]
    for label, value in lines:
        console.print(f"{label}: {_figure(value)}", highlight=False)
    times = figures.time_to_resolution
    for row in [] if times is None else times.summary.to_dict(orient="records"):
        console.print(
            f"median hours to resolution, team {shown(str(row['group']))}: "
            f"{row['median']:.1f} ({row['resolved']} of {row['n']} resolved)",
            highlight=False,
        )


def _figure(value: Any) -> str:
    """One recovery figure as a line of text (see ``cxgap.stats.recovery``)."""
    from cxgap.stats.recovery import HoldoutEffect, PairedChange, RecoveryParadox, RecoveryRate

    if isinstance(value, RecoveryRate):
        return f"{value.rate:.1%} ({value.ci_low:.1%} to {value.ci_high:.1%}, n = {value.cases})"
    if isinstance(value, PairedChange):
        middle, extra = value.mean_change, f", n = {value.n}"
    elif isinstance(value, RecoveryParadox):
        middle, extra = value.difference, ""
    elif isinstance(value, HoldoutEffect):
        middle, extra = value.effect, ""
    else:
        return "not enough data"
    return (
        f"{middle:+.2f} ({value.ci_low:+.2f} to {value.ci_high:+.2f}, "
        f"p = {value.p_value:.3g}{extra})"
    )


@cases_app.command("board")
def cases_board(
    quarter: Annotated[
        str | None, typer.Option("--quarter", help="Only cases resolved in it, e.g. 2026Q4.")
    ] = None,
    item: Annotated[str, typer.Option("--item", help="The 0..10 recommendation item.")] = "nps",
    as_json: JsonFlag = False,
) -> None:
    """The recognition board (shrunk recovery and delight rates); --quarter: the service
    award."""
    from cxgap.cli.recognition_cmd import print_rankings
    from cxgap.services.cases.recognition import recognition_board

    board = recognition_board(state.engine(), viewer=cli_actor(), item=item, quarter=quarter)
    if as_json:
        _print_json(board.to_dict())
        return
    print_rankings(board)
    if board.people:
        award = board.people[0]
        console.print(
            f"service award{f' {quarter}' if quarter else ''}: {shown(award.name)} "
            f"({award.recovered} of {award.resolved} recovered)",
            highlight=False,
        )


@cases_app.command("follow-up")
def cases_follow_up(
    survey: Annotated[str, typer.Option("--survey", help="The follow-up survey's key.")],
    days: Annotated[
        int, typer.Option("--days", min=1, help="At most one invitation per customer per DAYS.")
    ] = 90,
    as_json: JsonFlag = False,
) -> None:
    """Invite the customers of resolved cases to a follow-up survey (personal links)."""
    from cxgap.services.cases.follow_up import follow_up
    from cxgap.services.collection import signing_secret
    from cxgap.settings import get_settings
    from cxgap.web.main import DEFAULT_BASE_URL

    engine = state.engine()
    done = follow_up(engine, signing_secret(state.url), survey=survey, days=days, actor=cli_actor())
    base = (get_settings().web.base_url or DEFAULT_BASE_URL).rstrip("/")
    links = [
        {
            "customer": link.customer,
            "url": f"{base}/s/{link.token}",
            "expires_at": link.expires_at.isoformat(),
        }
        for link in done.links
    ]
    if as_json:
        _print_json({"cases": done.cases, "suppressed": done.suppressed, "links": links})
        return
    for link in links:
        console.print(f"{shown(link['customer'])}: {link['url']}", highlight=False)
    console.print(
        f"{counted(len(links), 'link')} for {counted(len(done.cases), 'case')}; "
        f"{counted(done.suppressed, 'customer')} invited within the suppression window left out"
    )


@notify_app.command("deliver")
def notify_deliver(
    watch: Annotated[bool, typer.Option("--watch", help="Keep delivering.")] = False,
    interval: Annotated[
        float, typer.Option(min=0.1, help="Seconds between passes with --watch.")
    ] = 10.0,
    as_json: JsonFlag = False,
) -> None:
    """Deliver waiting notifications (e-mail needs CXGAP_SMTP_HOST; in-app always)."""
    from cxgap.services.outbox import Delivery, Smtp, run_notifier
    from cxgap.settings import get_settings

    settings = get_settings().notify

    def report(result: Delivery) -> None:
        if as_json:
            _print_json({"sent": result.sent, "failed": result.failed, "waiting": result.waiting})
        else:
            console.print(f"{result.sent} sent, {result.failed} failed, {result.waiting} waiting")

    run_notifier(
        state.engine(),
        smtp=Smtp.from_settings(settings),
        lease_seconds=settings.outbox_lease_seconds,
        interval=interval,
        passes=None if watch else 1,
        report=report,
    )
