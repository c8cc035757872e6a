"""Case pages: my cases, the team queue sorted by due time with SLA clocks, and one case
with its history and the customer's answers and feedback (with a form to work on it)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from cxgap.errors import ConflictError, NotFoundError, ValidationError
from cxgap.services.accounts import User, allowed
from cxgap.services.cases.work import (
    MOVES,
    STATES,
    CaseChange,
    CaseInfo,
    case_detail,
    list_cases,
    update_case,
)
from cxgap.times import now
from cxgap.web.auth import requires
from cxgap.web.dashboard.common import (
    PAGE_SIZE,
    PERMISSION,
    message_page,
    page_number,
    show_page,
    url_with,
)
from cxgap.web.deps import CSRF_FIELD, check_csrf, get_engine, get_secret
from cxgap.web.notices import catalogue_wording

router = APIRouter(prefix="/dashboard", include_in_schema=False)

CasesUser = Annotated[User, Depends(requires(PERMISSION["queue"]))]
CaseWriter = Annotated[User, Depends(requires("cases:write"))]
NEAR = dt.timedelta(hours=4)
"""A due time closer than this shows the clock as "due soon"."""
MAX_FILTER = 80


def clock(case: CaseInfo, at: dt.datetime) -> tuple[str, float | None]:
    """The SLA clock of a case: (state key, hours left, negative when overdue)."""
    if case.state in ("resolved", "closed"):
        return "cases_sla_done", None
    if case.holdout:
        return "cases_sla_holdout", None
    if case.resolution_due_at is None:
        paused = case.state == "waiting_on_customer"
        return ("cases_sla_paused" if paused else "cases_sla_none"), None
    left = case.resolution_due_at - at
    hours = round(left.total_seconds() / 3600, 1)
    if left.total_seconds() < 0:
        return "cases_sla_overdue", hours
    return ("cases_sla_near" if left < NEAR else "cases_sla_on_time"), hours


def _rows(cases: list[CaseInfo]) -> list[dict[str, object]]:
    at = now()
    rows = []
    for c in cases:
        status, hours = clock(c, at)
        rows.append(
            {
                "case": c,
                "clock": status,
                "hours": None if hours is None else abs(hours),
                "due": c.resolution_due_at.strftime("%Y-%m-%d %H:%M UTC")
                if c.resolution_due_at
                else "",
            }
        )
    return rows


def _list_page(request: Request, user: User, *, mine: bool) -> Response:
    team = (request.query_params.get("team") or "")[:MAX_FILTER] or None
    state = request.query_params.get("state")
    state = state if state in STATES else None
    engine = get_engine(request)
    page = page_number(request.query_params.get("page"))
    cases, total = list_cases(
        engine,
        owner=user.email if mine else None,
        team=team,
        state=state,
        open_only=state is None,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    pages = max(1, math.ceil(total / PAGE_SIZE))
    return show_page(
        request,
        "cases",
        user,
        {
            "mine": mine,
            "rows": _rows(cases),
            "states": STATES,
            "state": state,
            "team": team or "",
            "page": page,
            "pages": pages,
            "total": total,
            "previous_url": url_with(request, page=page - 1) if page > 1 else None,
            "next_url": url_with(request, page=page + 1) if page < pages else None,
        },
        active="my_cases" if mine else "queue",
    )


@router.get("/cases/mine")
def my_cases(request: Request, user: CasesUser) -> Response:
    """The signed-in person's open cases, soonest due first."""
    return _list_page(request, user, mine=True)


@router.get("/cases")
def team_queue(request: Request, user: CasesUser) -> Response:
    """Every open case (or one team's), soonest due first, with its SLA clock."""
    return _list_page(request, user, mine=False)


@router.get("/cases/{case_id:int}")
def one_case(request: Request, user: CasesUser, case_id: int) -> Response:
    """A case: its fields, history, the customer's answers and feedback."""
    try:
        detail = case_detail(get_engine(request), case_id)
    except NotFoundError:
        return message_page(request, user, "not_found", 404)
    status, hours = clock(detail.case, now())
    return show_page(
        request,
        "case",
        user,
        {
            "detail": detail,
            "c": detail.case,
            "clock": status,
            "hours": None if hours is None else abs(hours),
            "moves": MOVES[detail.case.state],
            "can_write": allowed(user.role, "cases:write"),
            "problem": request.query_params.get("problem"),
        },
        active="queue",
    )


@router.post("/cases/{case_id:int}")
def work_on_case(
    request: Request,
    user: CaseWriter,
    case_id: int,
    version: Annotated[int, Form(ge=1)],
    csrf: Annotated[str, Form(alias=CSRF_FIELD)] = "",
    state: Annotated[str, Form(max_length=40)] = "",
    note: Annotated[str, Form(max_length=10_000)] = "",
    contact: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:
    """Add a note, log a contact or move the state; a stale version shows a conflict."""
    check_csrf(request, get_secret(request), csrf)
    change = CaseChange(state=state or None, note=note or None, contact=contact or None)
    problem = None
    try:
        update_case(
            get_engine(request),
            case_id,
            version=version,
            change=change,
            actor=user,
            wording=catalogue_wording,
        )
    except ConflictError:
        problem = "conflict"
    except ValidationError:
        problem = "invalid"
    except NotFoundError:
        return message_page(request, user, "not_found", 404)
    target = f"/dashboard/cases/{case_id}" + (f"?problem={problem}" if problem else "")
    return RedirectResponse(target, status_code=303)
