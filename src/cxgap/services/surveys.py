"""Surveys: fielding an instrument as a survey (a wave or period), listing surveys with
their response and invitation counts, and issuing invitation links to them."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from cxgap.errors import ConflictError, ValidationError
from cxgap.instruments import Instrument, get_instrument, parse_instrument
from cxgap.services.accounts import audit
from cxgap.services.instrument_catalog import find_instrument, store_instrument
from cxgap.store.accounts import User
from cxgap.store.database import transaction
from cxgap.store.lookups import get_survey
from cxgap.store.models import InstrumentVersion, Invitation, Response, Survey
from cxgap.store.survey_titles import SurveyTitle
from cxgap.text import check_text
from cxgap.times import as_utc, now

if TYPE_CHECKING:
    from cxgap.services.collection import IssuedLink

KEY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")


def instrument_of(survey: Survey) -> Instrument:
    """The instrument definition a survey was fielded with."""
    return parse_instrument(survey.instrument.definition, source=f"survey {survey.key}")


@dataclass(frozen=True)
class SurveyInfo:
    key: str
    name: str
    instrument: str
    version: int
    wave: str | None
    audience: str
    responses: int


def create_survey(
    session: Session,
    key: str,
    *,
    instrument: str | Instrument,
    name: str | None = None,
    wave: str | None = None,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
) -> Survey:
    """Field an instrument as a new survey (a wave or period)."""
    if not KEY_PATTERN.match(key):
        raise ValidationError(
            f"survey key {key!r} is not allowed: use 1-80 letters, digits, '_', '-' or '.', "
            "starting with a letter or digit"
        )
    for label, value in (("name", name), ("wave", wave)):
        if value is not None:
            check_text(value, where=f"survey {key!r}: {label}", multiline=False)
    if session.scalar(select(Survey).where(Survey.key == key)) is not None:
        raise ConflictError(f"survey {key!r} already exists")
    definition = get_instrument(instrument) if isinstance(instrument, str) else instrument
    if period_start and period_end and period_end < period_start:
        raise ValidationError(
            f"survey {key!r}: period end {period_end} is before its start {period_start}"
        )
    row = store_instrument(session, definition)
    survey = Survey(
        key=key,
        name=name or key,
        instrument_id=row.id,
        wave=wave,
        period_start=period_start,
        period_end=period_end,
        audience=definition.audience,
    )
    survey.instrument = row
    session.add(survey)
    session.flush()
    return survey


def list_surveys(engine: Engine) -> list[SurveyInfo]:
    """Every survey with its instrument and number of responses."""
    with transaction(engine) as session:
        counts = dict(
            session.execute(
                select(Response.survey_id, func.count()).group_by(Response.survey_id)
            ).all()
        )
        surveys = session.execute(  # the columns alone: no instrument definition is read
            select(
                Survey.id,
                Survey.key,
                Survey.name,
                Survey.wave,
                Survey.audience,
                InstrumentVersion.key.label("instrument"),
                InstrumentVersion.version,
            )
            .join(InstrumentVersion, InstrumentVersion.id == Survey.instrument_id)
            .order_by(Survey.period_start, Survey.key)
        ).all()
        return [
            SurveyInfo(
                key=s.key,
                name=s.name,
                instrument=s.instrument,
                version=s.version,
                wave=s.wave,
                audience=s.audience,
                responses=int(counts.get(s.id, 0)),
            )
            for s in surveys
        ]


def _audit_creation(session: Session, actor: User | str, key: str, definition: Instrument) -> None:
    audit(
        session,
        actor,
        "survey.create",
        target_type="survey",
        target_id=key,
        details={"instrument": definition.id, "version": definition.version},
    )


def ensure_survey(
    engine: Engine,
    key: str,
    *,
    instrument: str,
    wave: str | None = None,
    name: str | None = None,
    must_be_new: bool = False,
    actor: User | str = "system",
) -> None:
    """Create survey ``key`` with ``instrument`` unless it exists with that instrument
    (a creation is recorded in the audit log as done by ``actor``)."""
    definition = get_instrument(instrument)
    with transaction(engine) as session:
        existing = session.scalar(select(Survey).where(Survey.key == key))
        if existing is None:
            create_survey(session, key, instrument=definition, wave=wave, name=name)
            _audit_creation(session, actor, key, definition)
            return
        if must_be_new:
            raise ConflictError(f"survey {key!r} already exists")
        if existing.instrument.key != definition.id:
            raise ConflictError(
                f"survey {key!r} exists with instrument {existing.instrument.key!r}, "
                f"not {definition.id!r}"
            )


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


def require_surveys(engine: Engine, *keys: str | None) -> None:
    """A :class:`NotFoundError` naming the first of ``keys`` (``None`` skipped) that is not a
    survey: a cheap check before long work on them."""
    with transaction(engine) as session:
        for key in keys:
            if key is not None:
                get_survey(session, key)


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
            last_response_at=as_utc(last),
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
        _audit_creation(session, actor, survey.key, definition)
    return survey_counts(engine, key)


def issue_invitations(
    engine: Engine, secret: bytes, survey: str, *, actor: User | str, **options: Any
) -> list[IssuedLink]:
    """:func:`cxgap.services.collection.create_invitations`, recorded in the audit log."""
    from cxgap.services.collection import create_invitations  # imports this module

    return create_invitations(engine, secret, survey, actor=actor, **options)


TITLE_LANGUAGES = ("en", "zh", "fa")
"""Languages a survey can be given a title in."""
MAX_TITLE = 200


def set_survey_title(
    engine: Engine, survey: str, lang: str, title: str | None, *, actor: User | str
) -> None:
    """Give ``survey`` its title in ``lang``, or (``title`` None or blank) take it away so
    that readers of ``lang`` see the instrument's title. Audited."""
    if lang not in TITLE_LANGUAGES:
        raise ValidationError(
            f"survey title language {lang!r} is not allowed; allowed: {', '.join(TITLE_LANGUAGES)}"
        )
    text = (title or "").strip()
    if len(text) > MAX_TITLE:
        raise ValidationError(
            f"survey title in {lang} has {len(text)} characters; at most {MAX_TITLE} are allowed"
        )
    check_text(text, where=f"survey title ({lang})", multiline=False)
    with transaction(engine) as session:
        survey_id = get_survey(session, survey).id
        row = session.scalar(
            select(SurveyTitle).where(SurveyTitle.survey_id == survey_id, SurveyTitle.lang == lang)
        )
        if not text:
            if row is not None:
                session.delete(row)
        elif row is None:
            session.add(SurveyTitle(survey_id=survey_id, lang=lang, title=text))
        else:
            row.title, row.updated_at = text, now()
        audit(
            session,
            actor,
            "survey.title",
            target_type="survey",
            target_id=survey,
            details={"lang": lang, "title": text or None},
        )


def survey_titles(engine: Engine, survey: str) -> dict[str, str]:
    """The titles ``survey`` has been given, by language."""
    with transaction(engine) as session:
        survey_id = get_survey(session, survey).id
        rows = session.execute(
            select(SurveyTitle.lang, SurveyTitle.title).where(SurveyTitle.survey_id == survey_id)
        ).all()
    return {lang: title for lang, title in rows}
