"""The "Five gaps" page: the chain from Gap 1 to Gap 5 for one item or dimension."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from cxgap.errors import CxgapError
from cxgap.reports.five_gaps import gap_sections
from cxgap.reports.i18n import Texts
from cxgap.services.accounts import User, allowed
from cxgap.services.five_gaps import FiveGaps, five_gaps
from cxgap.services.standards import (
    approve_standard,
    list_standards,
    reject_standard,
    retire_standard,
)
from cxgap.services.surveys import SurveyInfo
from cxgap.web.auth import requires
from cxgap.web.dashboard.common import (
    PERMISSION,
    analysable_surveys,
    choose_survey,
    message_page,
    page_lang,
    show_page,
)
from cxgap.web.deps import CSRF_FIELD, CsrfError, check_csrf, get_engine, get_secret

router = APIRouter(prefix="/dashboard", include_in_schema=False)

GapsUser = Annotated[User, Depends(requires(PERMISSION["five_gaps"]))]
ApproveUser = Annotated[User, Depends(requires("standards:approve"))]
DECISIONS = {"approve": approve_standard, "reject": reject_standard, "retire": retire_standard}


def _management(surveys: list[SurveyInfo], asked: str | None) -> SurveyInfo | None:
    managers = [
        s for s in surveys if s.audience == "managers" and s.instrument != "employee-factors"
    ]
    if asked:
        return next((s for s in managers if s.key == asked), None)
    return managers[-1] if managers else None


def _choices(result: FiveGaps, rt: Texts) -> list[tuple[str, str]]:
    """(value, label) of every dimension, then every item, for the picker."""
    dims = list(dict.fromkeys(result.dimensions.values()))
    return [
        *[(f"dimension:{d}", result.label(d, rt.lang)) for d in dims],
        *[(f"item:{i}", f"{i} · {result.label(d, rt.lang)}") for i, d in result.dimensions.items()],
    ]


@router.get("/five-gaps")
def five_gaps_page(request: Request, user: GapsUser) -> Response:
    """Gap 1 to Gap 5 of one item or dimension of a customer survey."""
    engine = get_engine(request)
    surveys = analysable_surveys(engine)
    customers = [s for s in surveys if s.audience == "customers"]
    chosen = choose_survey(customers, request.query_params.get("survey"))
    lang = page_lang(request, user)
    rt = Texts(lang)  # type: ignore[arg-type]
    if chosen is None:
        if request.query_params.get("survey"):
            return message_page(request, user, "not_found", 404)
        return show_page(request, "five_gaps", user, {"empty": True}, active="five_gaps")
    management = _management(surveys, request.query_params.get("management"))
    try:
        result = five_gaps(engine, chosen.key, management=management.key if management else None)
    except CxgapError:
        return show_page(request, "five_gaps", user, {"empty": True}, active="five_gaps")
    choices = _choices(result, rt)
    asked = request.query_params.get("focus") or (choices[0][0] if choices else "")
    kind, _, name = asked.partition(":")
    if (kind == "item" and name in result.dimensions) or (
        kind == "dimension" and name in set(result.dimensions.values())
    ):
        items = [name] if kind == "item" else [i for i, d in result.dimensions.items() if d == name]
    else:
        return message_page(request, user, "not_found", 404)
    context: dict[str, Any] = {
        "empty": False,
        "surveys": customers,
        "chosen": chosen,
        "managements": [
            s for s in surveys if s.audience == "managers" and s.instrument != "employee-factors"
        ],
        "management": management,
        "choices": choices,
        "focus": asked,
        "sections": gap_sections(result, rt, items=items),
        "standards": [r for r in list_standards(engine) if r.status != "retired"],
        "can_decide": allowed(user.role, "standards:approve"),
        "can_edit": allowed(user.role, "standards:write"),
    }
    return show_page(request, "five_gaps", user, context, active="five_gaps")


@router.post("/five-gaps/standards/{key}/{decision}")
async def decide_standard(request: Request, key: str, decision: str, user: ApproveUser) -> Response:
    """Approve or reject the latest proposed version of a standard, or retire the approved
    one (admin, manager)."""
    form = await request.form(max_fields=5, max_files=0)
    token = form.get(CSRF_FIELD)
    try:
        check_csrf(request, get_secret(request), token if isinstance(token, str) else None)
    except CsrfError:
        return message_page(request, user, "fg_expired", 400)
    act = DECISIONS.get(decision)
    if act is None:
        return message_page(request, user, "not_found", 404)
    try:
        await run_in_threadpool(act, get_engine(request), key, actor=user)
    except CxgapError:
        return message_page(request, user, "fg_refused", 409)
    return RedirectResponse("/dashboard/five-gaps", 303)
