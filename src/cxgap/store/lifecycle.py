"""Customer lifecycle: relationships (start, end, churn reason), plan changes, complaints."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cxgap.store.models import Base, utcnow


class Relationship(Base):
    """One spell of a customer's relationship: from ``started_on`` to ``ended_on`` (churn).

    A customer who leaves and comes back has two rows. ``unit`` is the site or district
    that serves the customer, for churn rates per unit.
    """

    __tablename__ = "customer_relationships"
    __table_args__ = (Index("ix_customer_relationships_customer_id", "customer_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    started_on: Mapped[dt.date] = mapped_column(Date)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    end_reason: Mapped[str | None] = mapped_column(String(80))
    voluntary: Mapped[bool | None] = mapped_column(Boolean)
    plan: Mapped[str | None] = mapped_column(String(80))
    unit: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PlanChange(Base):
    """A change of a customer's plan or contract (upgrade, downgrade, renewal, switch)."""

    __tablename__ = "plan_changes"
    __table_args__ = (Index("ix_plan_changes_customer_id", "customer_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    changed_on: Mapped[dt.date] = mapped_column(Date)
    from_plan: Mapped[str | None] = mapped_column(String(80))
    to_plan: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(20))


class Complaint(Base):
    """A complaint from any channel, linked to a customer and, when there is one, a case.

    ``case_id`` holds the id of the close-the-loop case that handles the complaint (no
    foreign key: cases live in their own module and may be removed independently).
    """

    __tablename__ = "complaints"
    __table_args__ = (
        Index("ix_complaints_customer_id", "customer_id"),
        Index("ix_complaints_received_at", "received_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(120), unique=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    case_id: Mapped[int | None] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(40))
    category: Mapped[str | None] = mapped_column(String(80))
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    unit: Mapped[str | None] = mapped_column(String(80))
    text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
