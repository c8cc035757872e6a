"""``/api/v1/cases``: close-the-loop cases (docs/cases.md).

A change names the ``version`` it read; a case changed since answers 409 and keeps
nothing of the change.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from cxgap.services.cases import work
from cxgap.services.cases.recognition import recognition_board
from cxgap.services.cases.recovery import recovery_figures
from cxgap.web.api.common import CasesRead, CasesWrite, Page, Paging, RowId, Timestamp
from cxgap.web.deps import get_engine
from cxgap.web.notices import catalogue_wording

router = APIRouter(tags=["cases"])

State = Literal["new", "acknowledged", "in_progress", "waiting_on_customer", "resolved", "closed"]
Priority = Literal["high", "normal", "low"]
ShortText = Annotated[str, Field(min_length=1, max_length=80)]
LongText = Annotated[str, Field(max_length=work.MAX_TEXT)]


class CasePublic(BaseModel):
    id: int
    customer: str
    cause: str
    source_type: str
    source_id: int | None
    rule: str | None
    priority: str
    team: str | None
    owner: str | None
    state: str
    root_item: str | None
    root_dimension: str | None
    cause_code: str | None
    cause_text: str | None
    recovery_action: str | None
    apology: bool
    holdout: bool
    first_response_due_at: Timestamp | None
    resolution_due_at: Timestamp | None
    acknowledged_at: Timestamp | None
    resolved_at: Timestamp | None
    closed_at: Timestamp | None
    escalation: int
    signals: int
    version: int
    created_at: Timestamp
    updated_at: Timestamp


class CaseEventPublic(BaseModel):
    at: Timestamp
    actor: str
    kind: str
    text: str | None
    details: dict[str, Any] | None


class CaseDetailPublic(CasePublic):
    events: list[CaseEventPublic]
    answers: list[dict[str, Any]]
    feedback: list[dict[str, Any]]


class CaseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    customer: str = Field(min_length=1, max_length=120, description="The customer's id.")
    cause: ShortText
    priority: Priority = "normal"
    owner: str | None = Field(default=None, max_length=254, description="Owner's e-mail.")
    team: ShortText | None = None
    note: LongText | None = None


class CaseUpdate(BaseModel):
    """Fields to change; ``version`` is the version the change was made on."""

    model_config = ConfigDict(extra="forbid", strict=True)

    version: int = Field(ge=1, le=2**31 - 1)
    state: State | None = None
    owner: str | None = Field(default=None, max_length=254, description='E-mail; "" for none.')
    team: str | None = Field(default=None, max_length=80)
    priority: Priority | None = None
    root_item: str | None = Field(default=None, max_length=80)
    root_dimension: str | None = Field(default=None, max_length=80)
    cause_code: str | None = Field(default=None, max_length=40)
    cause_text: LongText | None = None
    recovery_action: LongText | None = None
    apology: bool | None = None
    note: LongText | None = None
    contact: LongText | None = Field(default=None, description="A contact with the customer.")


def _public(info: work.CaseInfo) -> CasePublic:
    return CasePublic.model_validate(info, from_attributes=True)


@router.get("/cases", response_model=Page[CasePublic], summary="Cases (a queue)")
def list_cases(
    request: Request,
    user: CasesRead,
    paging: Paging,
    owner: Annotated[str | None, Query(max_length=254, description="Owner's e-mail.")] = None,
    mine: Annotated[bool, Query(description="Only the caller's own cases.")] = False,
    team: Annotated[str | None, Query(max_length=80)] = None,
    state: State | None = None,
    open: Annotated[bool, Query(description="Open cases only.")] = False,
    order: Literal["due", "newest"] = "due",
) -> Page[CasePublic]:
    """Sorted by resolution due time (soonest first; cases without one last) or newest."""
    found, total = work.list_cases(
        get_engine(request),
        owner=user.email if mine else owner,
        team=team,
        state=state,
        open_only=open,
        order=order,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(items=[_public(c) for c in found], total=total, **paging.model_dump())


@router.post("/cases", status_code=201, response_model=CasePublic, summary="Open a case")
def open_case(request: Request, user: CasesWrite, body: CaseCreate) -> CasePublic:
    """Open a case by hand (409 when the customer has an open case for the cause)."""
    info = work.create_case(
        get_engine(request),
        customer=body.customer,
        cause=body.cause,
        priority=body.priority,
        owner=body.owner,
        team=body.team,
        note=body.note,
        actor=user,
        wording=catalogue_wording,
    )
    return _public(info)


@router.get("/cases/stats", response_model=dict[str, Any], summary="Recovery measured")
def recovery_stats(
    request: Request,
    user: CasesRead,
    item: Annotated[str, Query(min_length=1, max_length=80)] = "nps",
) -> dict[str, Any]:
    """SLA compliance, recovery rate, before/after, the recovery paradox, the hold-out
    effect and time to resolution by team: the JSON of ``cxgap cases stats``."""
    return recovery_figures(get_engine(request), item=item).to_dict()


@router.get("/cases/board", response_model=dict[str, Any], summary="Recognition board")
def board(
    request: Request,
    user: CasesRead,
    quarter: Annotated[str | None, Query(pattern=r"^[0-9]{4}Q[1-4]$")] = None,
    item: Annotated[str, Query(min_length=1, max_length=80)] = "nps",
) -> dict[str, Any]:
    """People and teams by shrunk recovery rates (the JSON of ``cxgap cases board``); an
    agent gets their own row only."""
    return recognition_board(get_engine(request), viewer=user, item=item, quarter=quarter).to_dict()


@router.get("/cases/{case_id}", response_model=CaseDetailPublic, summary="One case")
def get_case(request: Request, user: CasesRead, case_id: RowId) -> CaseDetailPublic:
    """The case, its history, and the customer's answers and feedback."""
    detail = work.case_detail(get_engine(request), case_id)
    return CaseDetailPublic(
        **_public(detail.case).model_dump(),
        events=[CaseEventPublic.model_validate(e, from_attributes=True) for e in detail.events],
        answers=detail.answers,
        feedback=detail.feedback,
    )


@router.patch("/cases/{case_id}", response_model=CasePublic, summary="Change a case")
def update_case(request: Request, user: CasesWrite, case_id: RowId, body: CaseUpdate) -> CasePublic:
    """Change the fields given, move the state, add a note or log a contact; 409 when the
    case is no longer at ``version``."""
    fields = body.model_dump(exclude={"version"}, exclude_none=True)
    info = work.update_case(
        get_engine(request),
        case_id,
        version=body.version,
        change=work.CaseChange(**fields),
        actor=user,
        wording=catalogue_wording,
    )
    return _public(info)
