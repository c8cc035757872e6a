"""Action plans aimed at a gap, their tasks, and the effect they are expected to have."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cxgap.store.models import Base, utcnow


class ActionPlan(Base):
    """A plan to close one gap: an item or dimension of a survey's instrument, optionally
    for a segment, acting on some units (sites, districts) from ``starts_on``.

    ``unit_attribute`` names the respondent attribute whose values are the units
    (``region``, ``attribute:district``); ``targeted_units`` the values the plan acts on.
    The measured effect compares them with the other units (difference-in-differences)
    or, without other units, with their own past (interrupted time series).
    """

    __tablename__ = "action_plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    survey_key: Mapped[str] = mapped_column(String(80))
    gap_kind: Mapped[str] = mapped_column(String(20))
    gap_key: Mapped[str] = mapped_column(String(80))
    segment: Mapped[str | None] = mapped_column(String(160))
    unit_attribute: Mapped[str | None] = mapped_column(String(120))
    targeted_units: Mapped[list[str]] = mapped_column(JSON, default=list)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    owner: Mapped[str] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(20))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    cost: Mapped[float | None] = mapped_column(Float)
    expected_effect: Mapped[float | None] = mapped_column(Float)
    expected_by: Mapped[dt.date | None] = mapped_column(Date)
    linked: Mapped[list[str]] = mapped_column(JSON, default=list)
    """Keys of the standards or promises the plan serves."""
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    tasks: Mapped[list[ActionTask]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="ActionTask.id"
    )


class ActionTask(Base):
    """One task of a plan, with a due date and a status."""

    __tablename__ = "action_tasks"
    __table_args__ = (Index("ix_action_tasks_plan_id", "plan_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("action_plans.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    assignee: Mapped[str | None] = mapped_column(String(254))
    done_on: Mapped[dt.date | None] = mapped_column(Date)

    plan: Mapped[ActionPlan] = relationship(back_populates="tasks")
