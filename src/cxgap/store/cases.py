"""Close-the-loop cases: the case, its history, the signals that opened or joined it,
the rules' progress marks and the round-robin position of each team."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from cxgap.store.models import Base, utcnow


class Case(Base):
    """One unhappy customer's cause, worked until it is resolved and closed.

    ``open_key`` is ``"<customer>:<cause>"`` while the case is not closed and NULL after:
    its unique index keeps one open case per customer and cause on every database.
    ``version`` grows with every change; an update names the version it read, so two
    people editing one case never overwrite each other silently.
    """

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_customer_id", "customer_id"),
        Index("ix_cases_resolution_due_at", "resolution_due_at"),
        Index("ix_cases_state_due", "state", "resolution_due_at"),
        Index("ix_cases_near_due_at", "near_due_at"),
        Index("ix_cases_owner_due", "owner_id", "resolution_due_at"),
        Index("ix_cases_team_due", "team", "resolution_due_at"),
        Index("ix_cases_team_state", "team", "state"),
        Index("ix_cases_owner_state", "owner_id", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    cause: Mapped[str] = mapped_column(String(40))
    source_type: Mapped[str] = mapped_column(String(40))
    source_id: Mapped[int | None] = mapped_column(Integer)
    rule: Mapped[str | None] = mapped_column(String(80))
    priority: Mapped[str] = mapped_column(String(10))
    team: Mapped[str | None] = mapped_column(String(80))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(String(20), default="new")
    open_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    root_item: Mapped[str | None] = mapped_column(String(80))
    root_dimension: Mapped[str | None] = mapped_column(String(80))
    cause_code: Mapped[str | None] = mapped_column(String(40))
    cause_text: Mapped[str | None] = mapped_column(Text)
    recovery_action: Mapped[str | None] = mapped_column(Text)
    apology: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    holdout: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    calendar: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    first_response_minutes: Mapped[int | None] = mapped_column(Integer)
    resolution_minutes: Mapped[int | None] = mapped_column(Integer)
    first_response_due_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    resolution_due_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    near_due_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    """When the resolution clock reaches the rules' ``near`` share: the lead is told."""
    near_share: Mapped[float | None] = mapped_column(Float)
    pauses: Mapped[list[list[str]] | None] = mapped_column(JSON)
    """Closed stretches ``[start, end]`` (ISO 8601) when the resolution clock stood still."""
    paused_since: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    escalation: Mapped[int] = mapped_column(Integer, default=0)
    """0 none, 1 the team lead was told (near due), 2 the manager (past due)."""
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CaseEvent(Base):
    """One entry of a case's history: who did what, when (notes and contacts too)."""

    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_case_id", "case_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(254))
    kind: Mapped[str] = mapped_column(String(30))
    text: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class CaseSignal(Base):
    """A record that opened a case or was added to one; unique per rule and record, so a
    repeated sweep never counts a record twice."""

    __tablename__ = "case_signals"
    __table_args__ = (
        UniqueConstraint("rule", "source_type", "source_id"),
        Index("ix_case_signals_case_id", "case_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    rule: Mapped[str] = mapped_column(String(80))
    source_type: Mapped[str] = mapped_column(String(40))
    source_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CaseRuleMark(Base):
    """How far a rule has read its source: the highest record id it has looked at."""

    __tablename__ = "case_rule_marks"

    rule: Mapped[str] = mapped_column(String(80), primary_key=True)
    source_type: Mapped[str] = mapped_column(String(40))
    last_id: Mapped[int] = mapped_column(Integer, default=0)


class TeamRotation(Base):
    """The round-robin position of a team: how many cases it has been given."""

    __tablename__ = "team_rotations"

    team: Mapped[str] = mapped_column(String(80), primary_key=True)
    assigned: Mapped[int] = mapped_column(Integer, default=0)
