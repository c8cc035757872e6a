"""Customers: records one at a time or in bulk (by external id), with the audit trail, and
lookups with filters.

Every write goes through :func:`upsert_customers`, so the API, imports and the CLI store
attributes the same way: segment fields in their own columns, anything else in
``attributes`` (merged with what is stored).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Engine, func, select, update
from sqlalchemy.orm import Session

from cxgap import segments
from cxgap.errors import ConflictError, NotFoundError, ValidationError
from cxgap.services.accounts import audit
from cxgap.services.privacy import export_customer
from cxgap.store.accounts import User
from cxgap.store.database import transaction
from cxgap.store.lookups import contains_text
from cxgap.store.models import Customer
from cxgap.text import check_text

SEGMENT_FIELDS = segments.NAMES
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


MAX_BULK = 10_000


@dataclass(frozen=True)
class CustomerInfo:
    id: str
    gender: str | None
    age_band: str | None
    income_band: str | None
    interests: list[str] | None
    region: str | None
    channel: str | None
    attributes: dict[str, Any]
    created_at: dt.datetime | None
    updated_at: dt.datetime | None


def _info(row: Customer) -> CustomerInfo:
    return CustomerInfo(
        id=row.external_id,
        **{name: getattr(row, name) for name in segments.NAMES},
        attributes=dict(row.attributes or {}),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _check_texts(external_id: str, fields: Mapping[str, Any]) -> None:
    """Every text of a customer record follows the control-character policy: the id and
    segment fields are one line, attribute values may hold tabs and line breaks."""
    check_text(external_id, where="customer id", multiline=False)
    for name, value in fields.items():
        where = f"customer {external_id!r}, field {name!r}"
        check_text(str(name), where=f"customer {external_id!r}, attribute name", multiline=False)
        values = value if isinstance(value, list) else [value]
        for one in values:
            if isinstance(one, str):
                check_text(one, where=where, multiline=name not in SEGMENT_FIELDS)


def _fields(
    external_id: str, segments: Mapping[str, Any], attributes: Mapping[str, Any] | None
) -> dict[str, Any]:
    clash = sorted(set(attributes or {}) & set(SEGMENT_FIELDS))
    if clash:
        raise ValidationError(
            f"attribute(s) {', '.join(clash)} are segment fields: give them as fields, "
            "not inside 'attributes'"
        )
    unknown = sorted(set(segments) - set(SEGMENT_FIELDS))
    if unknown:
        raise ValidationError(
            f"unknown segment field(s) {', '.join(unknown)}; use {', '.join(SEGMENT_FIELDS)}"
        )
    fields = {**(attributes or {}), **segments}
    _check_texts(external_id, fields)
    return fields


def get_customer(engine: Engine, external_id: str) -> CustomerInfo:
    with transaction(engine) as session:
        row = session.scalar(select(Customer).where(Customer.external_id == external_id))
        if row is None:
            raise NotFoundError(f"no customer with id {external_id!r}")
        return _info(row)


def _write_customer(
    engine: Engine,
    external_id: str,
    given: Mapping[str, Any],
    attributes: Mapping[str, Any] | None,
    *,
    actor: User | str,
    new: bool,
) -> CustomerInfo:
    fields = _fields(external_id, given, attributes)
    with transaction(engine) as session:
        found = customer_ids(session, [external_id])
        if new and found:
            raise ConflictError(f"customer {external_id!r} already exists; update it instead")
        if not new and not found:
            raise NotFoundError(f"no customer with id {external_id!r}")
        ids = upsert_customers(session, {external_id: fields})
        audit(
            session,
            actor,
            "customer.create" if new else "customer.update",
            target_type="customer",
            target_id=ids[external_id],
            details=None if new else {"fields": sorted(fields)},
        )
    return get_customer(engine, external_id)


def create_customer(
    engine: Engine,
    external_id: str,
    segments: Mapping[str, Any],
    attributes: Mapping[str, Any] | None,
    *,
    actor: User | str,
) -> CustomerInfo:
    """A new customer; an existing id is a conflict (update it instead)."""
    return _write_customer(engine, external_id, segments, attributes, actor=actor, new=True)


def update_customer(
    engine: Engine,
    external_id: str,
    segments: Mapping[str, Any],
    attributes: Mapping[str, Any] | None,
    *,
    actor: User | str,
) -> CustomerInfo:
    """Change the fields given (others keep their value; attributes are merged)."""
    return _write_customer(engine, external_id, segments, attributes, actor=actor, new=False)


def upsert_many(
    engine: Engine,
    records: Mapping[str, tuple[Mapping[str, Any], Mapping[str, Any] | None]],
    *,
    actor: User | str,
) -> dict[str, int]:
    """Create or update many customers in one transaction; counts of each."""
    if len(records) > MAX_BULK:
        raise ValidationError(f"{len(records)} customers in one request; at most {MAX_BULK}")
    fields = {ext: _fields(ext, seg, attrs) for ext, (seg, attrs) in records.items()}
    with transaction(engine) as session:
        existing = customer_ids(session, fields)
        upsert_customers(session, fields)
        counts = {"created": len(fields) - len(existing), "updated": len(existing)}
        audit(session, actor, "customer.upsert", target_type="customer", details=counts)
    return counts


def segment_conditions(
    filters: Mapping[str, str | None] | None, *, what: str
) -> list[ColumnElement[bool]]:
    """Conditions on :class:`Customer` that its segments equal ``filters`` (``None`` =
    any): a built-in one of one value (:data:`cxgap.segments.FILTERABLE`) by its column,
    an organisation's own one (``attribute:NAME``) by its value as text."""
    conditions: list[ColumnElement[bool]] = []
    for name, value in (filters or {}).items():
        custom = segments.custom_attribute(name)
        if (custom is None and name not in segments.FILTERABLE) or not segments.is_segment(name):
            raise ValidationError(
                f"cannot filter {what} by {name!r}; use {', '.join(segments.FILTERABLE)} "
                "or attribute:NAME for one of your own customer attributes"
            )
        if value is None:
            continue
        if custom is None:
            conditions.append(getattr(Customer, name) == value)
        else:
            conditions.append(Customer.attributes[custom].as_string() == value)
    return conditions


def list_customers(
    engine: Engine,
    *,
    filters: Mapping[str, str | None] | None = None,
    id_contains: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[CustomerInfo], int]:
    """Customers whose segments equal ``filters`` (``None`` = any; built-in ones or the
    organisation's own, ``attribute:NAME``), by id."""
    conditions = segment_conditions(filters, what="customers")
    if id_contains:
        conditions.append(contains_text(Customer.external_id, id_contains))
    with transaction(engine) as session:
        total = session.scalar(select(func.count(Customer.id)).where(*conditions)) or 0
        rows = session.scalars(
            select(Customer)
            .where(*conditions)
            .order_by(Customer.external_id)
            .limit(limit)
            .offset(offset)
        ).all()
        return [_info(r) for r in rows], int(total)


def export_customer_data(engine: Engine, external_id: str, *, actor: User | str) -> dict[str, Any]:
    """:func:`cxgap.services.privacy.export_customer`, recorded in the audit log."""
    data = export_customer(engine, external_id)
    with transaction(engine) as session:
        audit(session, actor, "customer.export", target_type="customer", target_id=external_id)
    return data
