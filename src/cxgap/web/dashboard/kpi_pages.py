"""The KPI scorecard (every KPI series with its target, interval, sparkline and alert
state with the reason) and the action-plan pages (the plans; one plan with its tasks,
measured effect and event-study chart)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from cxgap.errors import NotFoundError
from cxgap.locale import text
from cxgap.reports.kpi_charts import event_study_chart, sparkline_svg
from cxgap.reports.kpi_texts import alert_reason, effect_unavailable_reason, unavailable_reason
from cxgap.services.accounts import User
from cxgap.services.actions import get_plan, list_plans, measured_plan
from cxgap.services.kpis import KpiSeries, evaluate_kpis
from cxgap.web.auth import requires
from cxgap.web.dashboard.common import PERMISSION, message_page, page_lang, show_page, svg
from cxgap.web.deps import get_engine

router = APIRouter(prefix="/dashboard", include_in_schema=False)

KpisUser = Annotated[User, Depends(requires(PERMISSION["kpis"]))]
ActionsUser = Annotated[User, Depends(requires(PERMISSION["actions"]))]


def _scorecard_row(series: KpiSeries, lang: str) -> dict[str, Any]:
    last = series.latest
    return {
        "series": series,
        "last": last,
        "spark": sparkline_svg(
            series.periods,
            target=series.target,
            label=series.series,
            signals=series.chart.signals if series.chart else (),
            lang=lang,
        ),
        "reasons": [alert_reason(a, lang) for a in series.alerts],
        "unavailable": unavailable_reason(series, lang),
        "partial": last is not None and bool(last.partial),
    }


@router.get("/kpis")
async def scorecard(request: Request, user: KpisUser) -> Response:
    """Every KPI series: latest value and interval, target, sparkline, alert state."""
    lang = page_lang(request, user)
    found = await run_in_threadpool(evaluate_kpis, get_engine(request))
    rows = [_scorecard_row(s, lang) for s in found]
    return show_page(request, "kpis", user, {"rows": rows}, active="kpis")


@router.get("/actions")
def plans_page(request: Request, user: ActionsUser) -> Response:
    """The action plans, newest first."""
    return show_page(request, "actions", user, {"plans": list_plans(get_engine(request))},
                     active="actions")  # fmt: skip


@router.get("/actions/{plan_id}")
async def plan_page(request: Request, user: ActionsUser, plan_id: str) -> Response:
    """One plan: its tasks, its measured effect with interval, and the event study."""
    if not (plan_id.isascii() and plan_id.isdigit() and len(plan_id) < 10):
        return message_page(request, user, "not_found", 404)
    engine = get_engine(request)
    try:
        plan = await run_in_threadpool(get_plan, engine, int(plan_id))
        measured = await run_in_threadpool(measured_plan, engine, plan)
    except NotFoundError:
        return message_page(request, user, "not_found", 404)
    lang = page_lang(request, user)
    effect = measured.effect
    problem = measured.problem
    unavailable = None if problem is None else effect_unavailable_reason(problem, lang)
    result = effect.result if effect else None
    chart = None
    if result is not None and not result.event_study.empty:
        chart = svg(event_study_chart(
            result.event_study, title=text("dashboard", lang, "kpiweb_event_study_title"),
            x_title=text("dashboard", lang, "kpiweb_event_study_x"),
            y_title=text("dashboard", lang, "kpiweb_event_study_y"), lang=lang))  # fmt: skip
    context = {
        "plan": plan,
        "effect": effect,
        "result": result,
        "unavailable": None if unavailable is None else unavailable[0],
        "unavailable_lang": None if unavailable is None else unavailable[1],
        "chart": chart,
        "warnings": [text("report", lang, f"kpi_warning_{w}") for w in result.warnings]
        if result
        else [],
    }
    return show_page(request, "action", user, context, active="actions")
