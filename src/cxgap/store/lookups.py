"""Lookups by key that raise a helpful :class:`NotFoundError`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from cxgap.errors import NotFoundError
from cxgap.store.models import Survey


def get_survey(session: Session, key: str) -> Survey:
    """The survey with this key; the error lists some existing ones."""
    survey = session.scalar(select(Survey).where(Survey.key == key))
    if survey is None:
        known = session.scalars(select(Survey.key).order_by(Survey.key).limit(10)).all()
        hint = f"; existing surveys: {', '.join(known)}" if known else "; there are no surveys yet"
        raise NotFoundError(f"survey {key!r} does not exist{hint}")
    return survey


def contains_text(column: InstrumentedAttribute[Any], part: str) -> ColumnElement[bool]:
    """``column`` holds ``part``, ignoring case, the same on every database.

    A plain ``LIKE`` ignores the case of ASCII letters on SQLite but not on PostgreSQL;
    this compares lower-cased text on both (SQLite's ``lower`` folds ASCII letters only,
    PostgreSQL's every letter). ``%`` and ``_`` in ``part`` match themselves.
    """
    return column.icontains(part, autoescape=True)
