"""``cxgap kpi list|show|validate|check``: KPI definitions, their series and alerts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from cxgap.cli.app import app, console
from cxgap.cli.checks import language
from cxgap.cli.context import state
from cxgap.cli.output import shown

if TYPE_CHECKING:
    import pandas as pd

    from cxgap.services.kpi_definitions import KpiDefinition
    from cxgap.services.kpis import KpiSeries

kpi_app = typer.Typer(help="KPIs with targets, intervals and honest alerts.", no_args_is_help=True)
app.add_typer(kpi_app, name="kpi")

FileOption = Annotated[
    Path | None, typer.Option("--file", help="A KPI file (YAML); default: the built-in KPIs.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (see docs/kpi.md).")]
LangOption = Annotated[
    str, typer.Option("--lang", help="Language of the alerts and reasons: en, zh, fa.")
]


def _definitions(file: Path | None) -> list[KpiDefinition]:
    from cxgap.services.kpi_definitions import builtin_kpis, load_kpis

    return builtin_kpis() if file is None else load_kpis(file)


def _number(value: object) -> str:
    from cxgap.reports.kpi_texts import short_number

    return short_number(value)


@kpi_app.command("list")
def kpi_list(file: FileOption = None, as_json: JsonOption = False) -> None:
    """List the KPI definitions."""
    kpis = _definitions(file)
    if as_json:
        typer.echo(json.dumps([k.model_dump(mode="json") for k in kpis], ensure_ascii=False))
        return
    table = Table("id", "measure", "better", "target", "tolerance", "chart", "owner")
    for k in kpis:
        table.add_row(k.id, k.measure, k.direction, _number(k.target), _number(k.tolerance),
                      k.chart_kind(), shown(k.owner or "-"))  # fmt: skip
    console.print(table)


@kpi_app.command("validate")
def kpi_validate(file: Annotated[Path, typer.Argument(help="The KPI file (YAML).")]) -> None:
    """Check a KPI file; the first mistake is named with its place and what is allowed."""
    from cxgap.services.kpi_definitions import load_kpis

    kpis = load_kpis(file)
    console.print(f"{shown(str(file))}: {len(kpis)} KPIs, valid", highlight=False)


@kpi_app.command("show")
def kpi_show(
    kpi_id: Annotated[str, typer.Argument(help="The KPI's id.")],
    file: FileOption = None,
    lang: LangOption = "en",
    as_json: JsonOption = False,
) -> None:
    """One KPI: its definition and every period of its series (a period that has not
    ended is marked partial and raises no alert)."""
    from cxgap.errors import NotFoundError
    from cxgap.reports.kpi_texts import partial_mark, unavailable_reason
    from cxgap.services.kpis import evaluate_kpis

    lang = language(lang) or "en"

    kpis = [k for k in _definitions(file) if k.id == kpi_id]
    if not kpis:
        known = ", ".join(k.id for k in _definitions(file))
        raise NotFoundError(f"KPI {kpi_id!r} is not defined; defined: {known}")
    series = evaluate_kpis(state.engine(), kpis)
    if as_json:
        data = {"definition": kpis[0].model_dump(mode="json"),
                "series": [s.to_dict() | {"unavailable_reason": unavailable_reason(s, lang)}
                           for s in series]}  # fmt: skip
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    for one in series:
        console.print(f"[bold]{shown(one.series)}[/] ({one.kpi.measure}, {one.kpi.direction} "
                      f"is better; target {_number(one.target)} ± {_number(one.tolerance)})",
                      highlight=False)  # fmt: skip
        if one.unavailable:
            console.print(f"  unavailable: {shown(unavailable_reason(one, lang) or '')}",
                          highlight=False)  # fmt: skip
            continue
        table = Table("period", "value", "interval", "n", "signal", "partial")
        signals = set(one.chart.signals) if one.chart else set()
        partial = partial_mark(lang)
        for position, row in enumerate(one.periods.itertuples()):
            table.add_row(str(row.period), _number(row.value),
                          f"[{_number(row.ci_low)}, {_number(row.ci_high)}]", f"{row.n:.0f}",
                          "yes" if position in signals else "",
                          partial if row.partial else "")  # fmt: skip
        console.print(table)


def _latest_whole(series: KpiSeries) -> tuple[pd.Series | None, pd.Series | None]:
    """``(row, running)``: the latest whole period (the one alerts are about) and the
    period still running after it, if any; a series with no whole period yet gives its
    running period as the row."""
    periods = series.periods
    if periods.empty:
        return None, None
    whole = periods[~periods["partial"].astype(bool)]
    last = periods.iloc[-1]
    if whole.empty or not bool(last["partial"]):
        return last, None
    return whole.iloc[-1], last


@kpi_app.command("check")
def kpi_check(
    file: FileOption = None,
    lang: LangOption = "en",
    as_json: JsonOption = False,
) -> None:
    """Evaluate every KPI for the latest period, print its alerts and queue one message
    per alert to the KPI's owner (never twice for the same alert)."""
    from cxgap.reports.kpi_texts import (
        alert_message,
        alert_reason,
        partial_mark,
        unavailable_reason,
    )
    from cxgap.services.kpi_alerts import notify_alerts
    from cxgap.services.kpis import evaluate_kpis

    lang = language(lang) or "en"
    engine = state.engine()
    series = evaluate_kpis(engine, _definitions(file))
    notices = notify_alerts(engine, [a for s in series for a in s.alerts], message=alert_message,
                            lang=lang, actor="cli")  # fmt: skip
    if as_json:
        typer.echo(json.dumps(
            [s.to_dict() | {"reasons": [alert_reason(a, lang) for a in s.alerts],
                            "unavailable_reason": unavailable_reason(s, lang)}
             for s in series], ensure_ascii=False))  # fmt: skip
        return
    table = Table("KPI", "period", "value", "interval", "n", "target", "chart", "state")
    for one in series:
        last, unfinished = _latest_whole(one)
        if last is None:
            table.add_row(shown(one.series), "-", "-", "-", "-", _number(one.target), "-",
                          f"unavailable: {shown(unavailable_reason(one, lang) or '')}")  # fmt: skip
            continue
        chart = "-" if one.chart is None else (
            f"{one.chart.kind} (false alarms {one.chart.false_alarm_rate:.2%})")  # fmt: skip
        period = f"{last.period} ({partial_mark(lang)})" if last.partial else str(last.period)
        if unfinished is not None:  # the whole period's row; the running one marked beside
            period += (f"\n{unfinished.period} ({partial_mark(lang)}): "
                       f"{_number(unfinished.value)}")  # fmt: skip
        table.add_row(shown(one.series), period, _number(last.value),
                      f"[{_number(last.ci_low)}, {_number(last.ci_high)}]", f"{last.n:.0f}",
                      f"{_number(one.target)} ± {_number(one.tolerance)}", chart,
                      one.state)  # fmt: skip
    console.print(table)
    alerts = [a for s in series for a in s.alerts]
    for alert in alerts:
        owner = f" -> {alert.owner}" if alert.owner else ""
        console.print(f"[yellow]alert[/]{owner}: {shown(alert_reason(alert, lang))}",
                      highlight=False)  # fmt: skip
    if not alerts:
        console.print("no alerts")
    console.print(f"notifications queued: {notices.queued} (already queued before: "
                  f"{notices.already_queued}; alerts without an owner: {notices.without_owner})",
                  highlight=False)  # fmt: skip
