"""Use cases for customers: bulk upsert by external id."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cxgap.store.models import Customer

SEGMENT_FIELDS = ("gender", "age_band", "income_band", "interests", "region", "channel")
"""Segment attributes with their own column; anything else goes into ``attributes``."""

LOOKUP_CHUNK = 900


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


def _columns(attrs: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for name, value in attrs.items():
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
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
        Customer(external_id=ext, **_columns(attrs))
        for ext, attrs in customers.items()
        if ext not in existing
    ]
    session.add_all(new)
    for ext, attrs in customers.items():
        if ext in existing:
            values = _columns(attrs)
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
