"""Use cases for customers: bulk upsert by external id."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cxgap.errors import ValidationError
from cxgap.store.models import Customer

SEGMENT_FIELDS = ("gender", "age_band", "income_band", "interests", "region", "channel")
"""Segment attributes with their own column; anything else goes into ``attributes``."""

LOOKUP_CHUNK = 900

MAX_EXACT_INTEGER = 2**53 - 1
"""Largest whole number an attribute holds: every JSON reader keeps it exactly."""


def split_interests(value: Any) -> list[str] | None:
    """``'music; sport'`` -> ``['music', 'sport']``; lists pass through."""
    if value is None:
        return None
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    parts = [p.strip() for p in str(value).replace(";", ",").replace("|", ",").split(",")]
    return [p for p in parts if p] or None


def customer_ids(session: Session, external_ids: Iterable[str]) -> dict[str, int]:
    """Map external ids to stored customer ids (absent ones are left out)."""
    wanted = list(dict.fromkeys(external_ids))
    found: dict[str, int] = {}
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        chunk = wanted[start : start + LOOKUP_CHUNK]
        rows = session.execute(
            select(Customer.external_id, Customer.id).where(Customer.external_id.in_(chunk))
        ).all()
        found.update({ext: cid for ext, cid in rows})
    return found


def check_number(customer: str, name: str, value: Any) -> None:
    """Refuse a numeric attribute that would not be stored as given: a whole number
    beyond +/- :data:`MAX_EXACT_INTEGER`, or NaN or an infinity."""
    if isinstance(value, bool):
        return
    where = f"customer {customer!r}, attribute {name!r}"
    if isinstance(value, int) and abs(value) > MAX_EXACT_INTEGER:
        raise ValidationError(
            f"{where}: a whole number of {len(str(abs(value)))} digits is out of range; "
            f"allowed: between -{MAX_EXACT_INTEGER} and {MAX_EXACT_INTEGER} (give longer "
            "numbers as text)"
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise ValidationError(
            f"{where}: {value} is not a number that can be stored; allowed: finite numbers, "
            "text or nothing"
        )


def _columns(customer: str, attrs: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for name, value in attrs.items():
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        check_number(customer, name, value)
        if name == "interests":
            values["interests"] = split_interests(value)
        elif name in SEGMENT_FIELDS:
            values[name] = str(value).strip()
        else:
            extra[name] = value
    if extra:
        values["attributes"] = extra
    return values


def upsert_customers(
    session: Session, customers: Mapping[str, Mapping[str, Any]]
) -> dict[str, int]:
    """Create missing customers and update the attributes given for existing ones.

    ``customers`` maps external id -> attributes (segment fields or custom ones). Only
    attributes that are given (not blank) are written; others keep their stored value.
    Returns external id -> customer id for all of them.
    """
    existing = customer_ids(session, customers)
    new = [
        Customer(external_id=ext, **_columns(ext, attrs))
        for ext, attrs in customers.items()
        if ext not in existing
    ]
    session.add_all(new)
    for ext, attrs in customers.items():
        if ext in existing:
            values = _columns(ext, attrs)
            if "attributes" in values:
                stored = session.get(Customer, existing[ext])
                merged = dict(stored.attributes or {}) if stored else {}
                merged.update(values["attributes"])
                values["attributes"] = merged
            if values:
                session.execute(
                    update(Customer).where(Customer.id == existing[ext]).values(**values)
                )
    session.flush()
    existing.update({c.external_id: c.id for c in new})
    return existing
