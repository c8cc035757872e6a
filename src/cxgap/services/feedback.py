"""Feedback from channels: hotline notes, web messages, social posts, emails.

:func:`record_feedback` stores one message (with its channel and language, optionally
linked to a known customer); :func:`list_feedback` reads them back with filters. Text is
stored as given: pages escape it when they show it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal, get_args

from sqlalchemy import ColumnElement, Engine, func, select

from cxgap.errors import ConflictError, NotFoundError, ValidationError
from cxgap.services.accounts import audit
from cxgap.store.accounts import User
from cxgap.store.database import transaction
from cxgap.store.lookups import contains_text
from cxgap.store.models import Customer, FeedbackMessage
from cxgap.text import check_text
from cxgap.times import as_utc, now

Channel = Literal["hotline", "web", "social", "email", "meeting", "store", "other"]
CHANNELS: tuple[str, ...] = get_args(Channel)
MAX_TEXT_CHARS = 5000
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
STAFF = re.compile(r"^[\w.@+-]{1,120}$")
"""A staff identifier: an e-mail or staff code (letters, digits, ``. _ @ + -``)."""
TEAM = re.compile(r"^\w[\w .&/+-]{0,79}$")
"""A team name: up to 80 letters, digits, spaces and ``. & / + - _``."""


@dataclass(frozen=True)
class FeedbackInfo:
    id: int
    channel: str
    language: str
    text: str
    received_at: dt.datetime
    customer: str | None
    external_id: str | None
    staff: str | None = None
    team: str | None = None


def check_staff(staff: str | None, team: str | None, *, where: str) -> None:
    """Raise :class:`ValidationError` when ``staff`` or ``team`` is not usable."""
    for name, value, pattern, allowed in (
        ("staff", staff, STAFF, "an e-mail or staff code of letters, digits and . _ @ + -"),
        ("team", team, TEAM, "up to 80 letters, digits, spaces and . & / + - _"),
    ):
        if value is not None and not pattern.match(value):
            raise ValidationError(f"{where}: {name} {value!r} is not allowed; allowed: {allowed}")
    if team is not None and staff is None:
        raise ValidationError(f"{where}: a team is given without staff; allowed: both or staff")


def _info(row: FeedbackMessage, customer: str | None) -> FeedbackInfo:
    received = as_utc(row.received_at)
    return FeedbackInfo(
        id=row.id,
        channel=row.channel,
        language=row.language,
        text=row.text,
        received_at=received,
        customer=customer,
        external_id=row.external_id,
        staff=row.staff,
        team=row.team,
    )


def check_feedback(channel: str, language: str, text: str) -> str:
    """The message text, stripped; raise :class:`ValidationError` when unusable."""
    if channel not in CHANNELS:
        raise ValidationError(
            f"channel {channel!r} is not allowed; use one of {', '.join(CHANNELS)}"
        )
    if not LANGUAGE.match(language):
        raise ValidationError(f"language {language!r} is not a language code such as en, zh, fa")
    text = text.strip()
    check_text(text, where="feedback text")
    if not text:
        raise ValidationError("feedback text is empty")
    if len(text) > MAX_TEXT_CHARS:
        raise ValidationError(
            f"feedback text has {len(text)} characters; at most {MAX_TEXT_CHARS} are allowed"
        )
    return text


def record_feedback(
    engine: Engine,
    *,
    channel: str,
    language: str,
    text: str,
    actor: User | str,
    customer: str | None = None,
    received_at: dt.datetime | None = None,
    external_id: str | None = None,
    staff: str | None = None,
    team: str | None = None,
) -> FeedbackInfo:
    """Store one message; ``customer`` is an existing customer's external id, ``staff``
    and ``team`` whom the message is about (:func:`check_staff`)."""
    text = check_feedback(channel, language, text)
    check_staff(staff, team, where="feedback")
    if external_id is not None:
        check_text(external_id, where="feedback external_id", multiline=False)
    received = as_utc(received_at or now())
    with transaction(engine) as session:
        customer_id = None
        if customer is not None:
            customer_id = session.scalar(
                select(Customer.id).where(Customer.external_id == customer)
            )
            if customer_id is None:
                raise NotFoundError(f"no customer with id {customer!r}")
        if external_id is not None and session.scalar(
            select(FeedbackMessage.id).where(FeedbackMessage.external_id == external_id)
        ):
            raise ConflictError(f"feedback message {external_id!r} is already stored")
        row = FeedbackMessage(
            customer_id=customer_id,
            channel=channel,
            language=language,
            text=text,
            received_at=received,
            external_id=external_id,
            staff=staff,
            team=team,
        )
        session.add(row)
        session.flush()
        audit(
            session,
            actor,
            "feedback.create",
            target_type="feedback",
            target_id=row.id,
            details={
                "channel": channel,
                "language": language,
                "chars": len(text),
                **({"staff": staff} if staff else {}),
            },
        )
        return _info(row, customer)


def _conditions(
    *,
    channel: str | None,
    language: str | None,
    customer: str | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
    contains: str | None,
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if channel is not None:
        conditions.append(FeedbackMessage.channel == channel)
    if language is not None:
        conditions.append(FeedbackMessage.language == language)
    if customer is not None:
        conditions.append(Customer.external_id == customer)
    if since is not None:
        conditions.append(FeedbackMessage.received_at >= as_utc(since))
    if until is not None:
        conditions.append(FeedbackMessage.received_at < as_utc(until))
    if contains:
        conditions.append(contains_text(FeedbackMessage.text, contains))
    return conditions


def list_feedback(
    engine: Engine,
    *,
    channel: str | None = None,
    language: str | None = None,
    customer: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    contains: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[FeedbackInfo], int]:
    """Messages matching every filter given, newest first, and how many match."""
    conditions = _conditions(
        channel=channel,
        language=language,
        customer=customer,
        since=since,
        until=until,
        contains=contains,
    )
    with transaction(engine) as session:
        base = select(FeedbackMessage, Customer.external_id).outerjoin(
            Customer, Customer.id == FeedbackMessage.customer_id
        )
        base = base.where(*conditions)
        total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
        rows = session.execute(
            base.order_by(FeedbackMessage.received_at.desc(), FeedbackMessage.id.desc())
            .limit(limit)
            .offset(offset)
        ).all()
        return [_info(row, ext) for row, ext in rows], int(total)


def get_feedback(engine: Engine, message_id: int) -> FeedbackInfo:
    """One message by its number."""
    with transaction(engine) as session:
        found = session.execute(
            select(FeedbackMessage, Customer.external_id)
            .outerjoin(Customer, Customer.id == FeedbackMessage.customer_id)
            .where(FeedbackMessage.id == message_id)
        ).first()
        if found is None:
            raise NotFoundError(f"no feedback message {message_id}")
        return _info(found[0], found[1])


@dataclass(frozen=True)
class FeedbackFacets:
    """The channels and languages stored messages have (for filter pickers)."""

    channels: list[str]
    languages: list[str]


def feedback_facets(engine: Engine) -> FeedbackFacets:
    with transaction(engine) as session:
        channels = session.scalars(
            select(FeedbackMessage.channel).distinct().order_by(FeedbackMessage.channel)
        ).all()
        languages = session.scalars(
            select(FeedbackMessage.language).distinct().order_by(FeedbackMessage.language)
        ).all()
        return FeedbackFacets(channels=list(channels), languages=list(languages))
