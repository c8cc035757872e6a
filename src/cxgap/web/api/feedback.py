"""``/api/v1/feedback``: messages from channels (hotline notes, web messages, social posts)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from cxgap.services import feedback
from cxgap.services.feedback import MAX_TEXT_CHARS, Channel
from cxgap.web.api.common import (
    FeedbackRead,
    FeedbackWrite,
    IsoDateTime,
    Page,
    Paging,
    RowId,
    Timestamp,
)
from cxgap.web.deps import get_engine

router = APIRouter(tags=["feedback"])

LANGUAGE_PATTERN = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$"


class FeedbackCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    channel: Channel
    language: str = Field(pattern=LANGUAGE_PATTERN, description="e.g. en, zh, fa")
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS, pattern=r"\S")
    customer: str | None = Field(
        default=None, min_length=1, max_length=120, description="A known customer's id."
    )
    received_at: IsoDateTime | None = Field(default=None, description="Default: now.")
    external_id: str | None = Field(
        default=None, min_length=1, max_length=120, description="The channel's own id."
    )
    staff: str | None = Field(
        default=None,
        pattern=feedback.STAFF.pattern,
        description="Whom the message is about: an e-mail or staff code.",
    )
    team: str | None = Field(default=None, pattern=feedback.TEAM.pattern, description="Their team.")


class FeedbackPublic(BaseModel):
    id: int
    channel: str
    language: str
    text: str
    received_at: Timestamp
    customer: str | None
    external_id: str | None
    staff: str | None = None
    team: str | None = None


def _public(info: feedback.FeedbackInfo) -> FeedbackPublic:
    return FeedbackPublic.model_validate(info, from_attributes=True)


@router.post("/feedback", status_code=201, response_model=FeedbackPublic, summary="Record")
def record(request: Request, user: FeedbackWrite, body: FeedbackCreate) -> FeedbackPublic:
    """Record one message from a channel (409 when its ``external_id`` is already stored)."""
    info = feedback.record_feedback(
        get_engine(request),
        channel=body.channel,
        language=body.language,
        text=body.text,
        customer=body.customer,
        received_at=body.received_at,
        external_id=body.external_id,
        staff=body.staff,
        team=body.team,
        actor=user,
    )
    return _public(info)


@router.get("/feedback", response_model=Page[FeedbackPublic], summary="The feedback inbox")
def inbox(
    request: Request,
    user: FeedbackRead,
    paging: Paging,
    channel: Channel | None = None,
    language: Annotated[str | None, Query(max_length=20)] = None,
    customer: Annotated[str | None, Query(max_length=120)] = None,
    since: IsoDateTime | None = None,
    until: IsoDateTime | None = None,
    q: Annotated[str | None, Query(max_length=200, description="Text contains.")] = None,
) -> Page[FeedbackPublic]:
    found, total = feedback.list_feedback(
        get_engine(request),
        channel=channel,
        language=language,
        customer=customer,
        since=since,
        until=until,
        contains=q,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(items=[_public(f) for f in found], total=total, **paging.model_dump())


@router.get("/feedback/{message_id}", response_model=FeedbackPublic)
def show(request: Request, user: FeedbackRead, message_id: RowId) -> FeedbackPublic:
    return _public(feedback.get_feedback(get_engine(request), message_id))
