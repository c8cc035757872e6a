"""Service standards (versioned), delivery units and measurements, and promises."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from cxgap.store.models import Base, utcnow


class ServiceStandard(Base):
    """One version of a service standard; a change is a new row with the next version.

    ``status`` is ``proposed``, ``approved`` or ``retired``; at most one version of a key is
    approved at a time (approving a version retires the one approved before).
    """

    __tablename__ = "service_standards"
    __table_args__ = (
        UniqueConstraint("key", "version", name="uq_service_standards_key_version"),
        Index("ix_service_standards_status", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(Integer)
    instrument: Mapped[str | None] = mapped_column(String(80))
    item: Mapped[str | None] = mapped_column(String(80))
    dimension: Mapped[str | None] = mapped_column(String(80))
    segment: Mapped[str | None] = mapped_column(String(120))
    """``attribute=value`` (e.g. ``channel=app``) for a segment's own standard, else empty."""
    metric: Mapped[str] = mapped_column(String(200))
    measure_unit: Mapped[str] = mapped_column(String(40))
    """What the floor and target count: ``scale`` (the survey's answer scale), ``hours``,
    ``minutes``, ``days``, ``percent``, ``share``, ``count``."""
    higher_is_better: Mapped[bool] = mapped_column(Boolean)
    floor: Mapped[float] = mapped_column(Float)
    target: Mapped[float] = mapped_column(Float)
    owner: Mapped[str] = mapped_column(String(200))
    effective_from: Mapped[dt.date] = mapped_column(Date)
    effective_to: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    rationale: Mapped[str | None] = mapped_column(Text)
    source: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """Which expectation data the levels came from (survey, rule, shares, customers' levels)."""
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(254))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(254))


class DeliveryUnit(Base):
    """Where service is delivered: a site, team, district or channel."""

    __tablename__ = "delivery_units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str | None] = mapped_column(String(200))


class DeliveryMeasurement(Base):
    """The delivered value of a standard's metric in one period at one unit."""

    __tablename__ = "delivery_measurements"
    __table_args__ = (
        UniqueConstraint(
            "standard_key", "unit_id", "period", name="uq_delivery_measurements_standard_key"
        ),
        Index("ix_delivery_measurements_unit_id", "unit_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    standard_key: Mapped[str] = mapped_column(String(80))
    unit_id: Mapped[int] = mapped_column(ForeignKey("delivery_units.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(10))
    """``YYYY-MM`` (a month) or ``YYYYQn`` (a quarter)."""
    period_start: Mapped[dt.date] = mapped_column(Date)
    value: Mapped[float] = mapped_column(Float)
    cases: Mapped[int | None] = mapped_column(Integer)
    met: Mapped[int | None] = mapped_column(Integer)
    """How many of ``cases`` met the standard's floor."""
    source: Mapped[str] = mapped_column(String(40))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ServicePromise(Base):
    """What the organisation says outside: an advertisement, brochure, web page, contract or
    published SLA, or a sales script."""

    __tablename__ = "service_promises"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    channel: Mapped[str] = mapped_column(String(20))
    texts: Mapped[dict[str, str]] = mapped_column(JSON)
    audience: Mapped[str | None] = mapped_column(String(120))
    """``attribute=value`` of the customers who see it (e.g. ``channel=app``); empty: all."""
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    instrument: Mapped[str | None] = mapped_column(String(80))
    item: Mapped[str | None] = mapped_column(String(80))
    dimension: Mapped[str | None] = mapped_column(String(80))
    standard_key: Mapped[str | None] = mapped_column(String(80))
    promised_level: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
