"""Surveys as the API shows them: with their response and invitation counts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, select

from cxgap.services.accounts import audit
from cxgap.services.collection import IssuedLink, create_invitations
from cxgap.services.instrument_catalog import find_instrument
from cxgap.services.surveys import create_survey
from cxgap.store.accounts import User
from cxgap.store.database import transaction
from cxgap.store.lookups import get_survey
from cxgap.store.models import Invitation, Response


@dataclass(frozen=True)
class SurveyCounts:
    key: str
    name: str
    instrument: str
    version: int
    wave: str | None
    audience: str
    status: str
    period_start: dt.date | None
    period_end: dt.date | None
    responses: int
    responses_complete: int
    invitations: int
    invitations_completed: int
    last_response_at: dt.datetime | None


def survey_counts(engine: Engine, key: str) -> SurveyCounts:
    """A survey with its response and invitation counts."""
    with transaction(engine) as session:
        s = get_survey(session, key)
        total, complete, last = session.execute(
            select(
                func.count(Response.id),
                func.count(Response.id).filter(Response.status == "complete"),
                func.max(Response.submitted_at),
            ).where(Response.survey_id == s.id)
        ).one()
        invited, completed = session.execute(
            select(func.count(Invitation.id), func.count(Invitation.completed_at)).where(
                Invitation.survey_id == s.id, Invitation.kind == "personal"
            )
        ).one()
        return SurveyCounts(
            key=s.key,
            name=s.name,
            instrument=s.instrument.key,
            version=s.instrument.version,
            wave=s.wave,
            audience=s.audience,
            status=s.status,
            period_start=s.period_start,
            period_end=s.period_end,
            responses=int(total),
            responses_complete=int(complete),
            invitations=int(invited),
            invitations_completed=int(completed),
            last_response_at=None if last is None else last.replace(tzinfo=last.tzinfo or dt.UTC),
        )


def new_survey(
    engine: Engine,
    key: str,
    *,
    instrument: str,
    actor: User | str,
    name: str | None = None,
    wave: str | None = None,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
) -> SurveyCounts:
    """Field a built-in or stored custom instrument as a new survey."""
    with transaction(engine) as session:
        definition = find_instrument(session, instrument)
        survey = create_survey(
            session,
            key,
            instrument=definition,
            name=name,
            wave=wave,
            period_start=period_start,
            period_end=period_end,
        )
        audit(
            session,
            actor,
            "survey.create",
            target_type="survey",
            target_id=survey.key,
            details={"instrument": definition.id, "version": definition.version},
        )
    return survey_counts(engine, key)


def issue_invitations(
    engine: Engine, secret: bytes, survey: str, *, actor: User | str, **options: Any
) -> list[IssuedLink]:
    """:func:`cxgap.services.collection.create_invitations`, recorded in the audit log."""
    issued = create_invitations(engine, secret, survey, **options)
    with transaction(engine) as session:
        audit(
            session,
            actor,
            "invitations.create",
            target_type="survey",
            target_id=survey,
            details={"count": len(issued), "kinds": sorted({i.kind for i in issued})},
        )
    return issued
