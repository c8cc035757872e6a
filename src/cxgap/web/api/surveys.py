"""``/api/v1/surveys``: list, create, show with counts; bulk invitations with their links."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from cxgap.services.surveys import issue_invitations, list_surveys, new_survey, survey_counts
from cxgap.web.api.common import (
    InvitationsWrite,
    IsoDate,
    Page,
    Paging,
    SurveysRead,
    SurveysWrite,
    Timestamp,
)
from cxgap.web.deps import get_engine, get_secret, link_url

router = APIRouter(tags=["surveys"])

SurveyKey = Annotated[str, Path(min_length=1, max_length=80)]
MAX_INVITATIONS = 10_000


class SurveyPublic(BaseModel):
    key: str
    name: str
    instrument: str
    version: int
    wave: str | None
    audience: str
    responses: int


class SurveyDetail(SurveyPublic):
    status: str
    period_start: dt.date | None
    period_end: dt.date | None
    responses_complete: int
    invitations: int
    invitations_completed: int
    last_response_at: Timestamp | None


class SurveyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    key: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")
    instrument: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,79}$")
    name: str | None = Field(default=None, min_length=1, max_length=200)
    wave: str | None = Field(default=None, min_length=1, max_length=40)
    period_start: IsoDate | None = None
    period_end: IsoDate | None = None


class InvitationCreate(BaseModel):
    """Who to invite: customers by id, every customer, or a number of open links."""

    model_config = ConfigDict(extra="forbid", strict=True)

    customers: list[Annotated[str, Field(min_length=1, max_length=120)]] = Field(
        default_factory=list, max_length=MAX_INVITATIONS
    )
    all_customers: bool = False
    unassigned: int = Field(default=0, ge=0, le=MAX_INVITATIONS)
    anonymous: int = Field(default=0, ge=0, le=100)
    expires_days: float = Field(default=30, gt=0, le=366)
    language: Literal["en", "zh", "fa"] | None = None
    max_responses: int | None = Field(default=None, ge=1, le=1_000_000)
    again: bool = Field(
        default=False,
        description="Also give a second link to customers who already have one to this "
        "survey (like `--again` of `cxgap invitations create`); without it such a request "
        "is refused with 409 and nothing is issued.",
    )

    @model_validator(mode="after")
    def _someone(self) -> InvitationCreate:
        if not (self.customers or self.all_customers or self.unassigned or self.anonymous):
            raise ValueError("give customers, all_customers, unassigned or anonymous")
        return self


class InvitationLink(BaseModel):
    url: str
    kind: str
    customer: str | None
    expires_at: Timestamp


class InvitationsCreated(BaseModel):
    survey: str
    count: int
    links: list[InvitationLink]


def _public(s: object) -> SurveyPublic:
    return SurveyPublic.model_validate(s, from_attributes=True)


@router.get("/surveys", response_model=Page[SurveyPublic], summary="Surveys")
def list_all(
    request: Request,
    user: SurveysRead,
    paging: Paging,
    instrument: Annotated[str | None, Query(max_length=80)] = None,
    wave: Annotated[str | None, Query(max_length=40)] = None,
) -> Page[SurveyPublic]:
    found = [
        s
        for s in list_surveys(get_engine(request))
        if (instrument is None or s.instrument == instrument) and (wave is None or s.wave == wave)
    ]
    items = [_public(s) for s in found[paging.offset : paging.offset + paging.limit]]
    return Page(items=items, total=len(found), **paging.model_dump())


@router.post("/surveys", status_code=201, response_model=SurveyDetail, summary="New survey")
def create(request: Request, user: SurveysWrite, body: SurveyCreate) -> SurveyDetail:
    counts = new_survey(
        get_engine(request),
        body.key,
        instrument=body.instrument,
        actor=user,
        name=body.name,
        wave=body.wave,
        period_start=body.period_start,
        period_end=body.period_end,
    )
    return SurveyDetail.model_validate(counts, from_attributes=True)


@router.get("/surveys/{survey}", response_model=SurveyDetail, summary="A survey with counts")
def show(request: Request, user: SurveysRead, survey: SurveyKey) -> SurveyDetail:
    return SurveyDetail.model_validate(
        survey_counts(get_engine(request), survey), from_attributes=True
    )


@router.post("/surveys/{survey}/invitations", status_code=201, response_model=InvitationsCreated)
def invite(
    request: Request, user: InvitationsWrite, survey: SurveyKey, body: InvitationCreate
) -> InvitationsCreated:
    """Issue survey links; each link is in this answer only (only its hash is stored)."""
    issued = issue_invitations(
        get_engine(request),
        get_secret(request),
        survey,
        actor=user,
        customers=body.customers,
        all_customers=body.all_customers,
        anonymous=body.anonymous,
        unassigned=body.unassigned,
        expires_days=body.expires_days,
        language=body.language,
        max_responses=body.max_responses,
        again=body.again,
    )
    links = [
        InvitationLink(
            url=link_url(request, link.token),
            kind=link.kind,
            customer=link.customer,
            expires_at=link.expires_at,
        )
        for link in issued
    ]
    return InvitationsCreated(survey=survey, count=len(links), links=links)
