"""Database models (SQLAlchemy 2).

Portable SQL only: the same models run on the embedded SQLite file and on PostgreSQL.
The schema is created and changed only by the Alembic migrations in ``migrations/``;
a test checks that these models and the migrations agree.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from cxgap.times import now

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """Default of the creation times: :func:`cxgap.times.now`."""
    return now()


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Customer(Base):
    """A customer (or, for management surveys, a manager) with segment attributes."""

    __tablename__ = "customers"
    __table_args__ = (Index("ix_customers_updated_at", "updated_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(120), unique=True)
    gender: Mapped[str | None] = mapped_column(String(40))
    age_band: Mapped[str | None] = mapped_column(String(40))
    income_band: Mapped[str | None] = mapped_column(String(40))
    interests: Mapped[list[str] | None] = mapped_column(JSON)
    region: Mapped[str | None] = mapped_column(String(80))
    channel: Mapped[str | None] = mapped_column(String(40))
    attributes: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class InstrumentVersion(Base):
    """A stored version of an instrument definition (the questionnaire as data)."""

    __tablename__ = "instruments"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    checksum: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Survey(Base):
    """An instrument fielded in one wave or period to an audience."""

    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    instrument_id: Mapped[int] = mapped_column(ForeignKey("instruments.id"))
    wave: Mapped[str | None] = mapped_column(String(40))
    period_start: Mapped[dt.date | None] = mapped_column(Date)
    period_end: Mapped[dt.date | None] = mapped_column(Date)
    audience: Mapped[str] = mapped_column(String(20), default="customers")
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    instrument: Mapped[InstrumentVersion] = relationship(lazy="joined")


class ImportBatch(Base):
    """One run of a file import into a survey, with its counts."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    file_name: Mapped[str] = mapped_column(String(500))
    file_sha256: Mapped[str] = mapped_column(String(64))
    file_format: Mapped[str] = mapped_column(String(20))
    encoding: Mapped[str | None] = mapped_column(String(40))
    layout: Mapped[str] = mapped_column(String(10))
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Response(Base):
    """One respondent's answers to one survey."""

    __tablename__ = "responses"
    __table_args__ = (
        UniqueConstraint("survey_id", "respondent_key"),
        Index("ix_responses_customer_id", "customer_id"),
        # a survey's data version (count, highest id, customer links) from the index alone
        Index("ix_responses_survey_customer", "survey_id", "customer_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    respondent_key: Mapped[str] = mapped_column(String(120))
    fingerprint: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(20), default="import")
    batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_batches.id", ondelete="SET NULL")
    )
    source_row: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="complete")
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Answer(Base):
    """The answer to one item (or one option of a points item) in a response.

    One row holds every field an item format stores; unused fields stay NULL.
    """

    __tablename__ = "answers"
    __table_args__ = {"sqlite_with_rowid": False}

    response_id: Mapped[int] = mapped_column(
        ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    option: Mapped[str] = mapped_column(String(80), primary_key=True, default="")
    expected: Mapped[float | None] = mapped_column(Float)
    perceived: Mapped[float | None] = mapped_column(Float)
    adequate: Mapped[float | None] = mapped_column(Float)
    desired: Mapped[float | None] = mapped_column(Float)
    score: Mapped[float | None] = mapped_column(Float)
    functional: Mapped[float | None] = mapped_column(Float)
    dysfunctional: Mapped[float | None] = mapped_column(Float)
    text: Mapped[str | None] = mapped_column(Text)


class QuarantinedRow(Base):
    """A row of an imported file that was rejected, kept with the reason."""

    __tablename__ = "quarantine"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id", ondelete="CASCADE"))
    file_name: Mapped[str] = mapped_column(String(500))
    row_number: Mapped[int] = mapped_column(Integer)
    column: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Encounter(Base):
    """A service encounter: when, through which channel and touchpoint, with what outcome."""

    __tablename__ = "encounters"
    __table_args__ = (
        Index("ix_encounters_customer_id", "customer_id"),
        Index("ix_encounters_staff", "staff"),
        Index("ix_encounters_team", "team"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    channel: Mapped[str] = mapped_column(String(40))
    touchpoint: Mapped[str] = mapped_column(String(80))
    outcome: Mapped[str] = mapped_column(String(40))
    notes: Mapped[str | None] = mapped_column(Text)
    staff: Mapped[str | None] = mapped_column(String(120))
    """Who served the customer (an e-mail or staff code), when known."""
    team: Mapped[str | None] = mapped_column(String(80))


class FeedbackMessage(Base):
    """Unsolicited feedback from a channel: hotline note, web message, social post..."""

    __tablename__ = "feedback_messages"
    __table_args__ = (
        Index("ix_feedback_messages_received_at", "received_at"),
        Index("ix_feedback_messages_staff", "staff"),
        Index("ix_feedback_messages_team", "team"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(Text)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    external_id: Mapped[str | None] = mapped_column(String(120), unique=True)
    staff: Mapped[str | None] = mapped_column(String(120))
    """The staff member the message is about (an e-mail or staff code), when known."""
    team: Mapped[str | None] = mapped_column(String(80))


class Invitation(Base):
    """A link to a survey form: personal (single use) or anonymous (shared).

    The link is ``<nonce>.<signature>``; only a hash of the random nonce is stored, and
    neither part says anything about the person invited. A respondent who opens an
    anonymous link gets a single-use ``respondent`` invitation of their own (``parent_id``
    points to the shared link), so resuming and duplicate prevention work the same way.
    """

    __tablename__ = "invitations"
    __table_args__ = (
        Index("ix_invitations_survey_id", "survey_id"),
        Index("ix_invitations_parent_id", "parent_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="personal")
    language: Mapped[str | None] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    max_responses: Mapped[int | None] = mapped_column(Integer)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    opened_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    response_id: Mapped[int | None] = mapped_column(ForeignKey("responses.id", ondelete="SET NULL"))
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    last_reminded_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Submission(Base):
    """A submission id sent by a survey form, and the response it stored.

    A retried or repeated submit with the same id finds this row and gets the same answer.
    """

    __tablename__ = "submissions"

    invitation_id: Mapped[int] = mapped_column(
        ForeignKey("invitations.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Draft(Base):
    """Answers saved while a respondent works through a form (raw form values)."""

    __tablename__ = "drafts"

    invitation_id: Mapped[int] = mapped_column(
        ForeignKey("invitations.id", ondelete="CASCADE"), primary_key=True
    )
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    page: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
