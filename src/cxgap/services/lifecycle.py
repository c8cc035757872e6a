"""Customer lifecycle: relationship spells (start, churn with reason), plan changes and
complaints, from CSV/XLSX files or the API.

One reader serves both entrances: :func:`lifecycle_records` checks every row and names
the file, row and column of the first problem with what is allowed; nothing is stored
unless every row is usable. Customers named by external id that are not stored yet are
created (with no attributes), so lifecycle data may arrive before survey data.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any, Literal, get_args

import pandas as pd
from sqlalchemy import Engine, Select, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from cxgap.errors import ValidationError
from cxgap.ingest.readers import RawTable, read_table, read_table_data
from cxgap.services.accounts import audit
from cxgap.services.customers import customer_ids, upsert_customers
from cxgap.settings import get_settings
from cxgap.store.accounts import User
from cxgap.store.database import transaction
from cxgap.store.lifecycle import Complaint, PlanChange, Relationship
from cxgap.store.models import Customer
from cxgap.text import check_text
from cxgap.times import as_utc

Kind = Literal["relationships", "plan_changes", "complaints"]
KINDS: tuple[str, ...] = get_args(Kind)
PLAN_CHANGE_KINDS = ("upgrade", "downgrade", "renewal", "switch")
COMPLAINT_CHANNELS = ("hotline", "web", "email", "social", "store", "letter", "app", "other")
_TRUE, _FALSE = {"1", "true", "yes", "y"}, {"0", "false", "no", "n"}
MAX_TEXT_CHARS = 5000


@dataclass(frozen=True)
class Field:
    """One column of a lifecycle file: its name, type and whether it must be given."""

    name: str
    kind: Literal["text", "date", "datetime", "flag", "whole", "choice"]
    required: bool = False
    choices: tuple[str, ...] = ()


FIELDS: dict[str, tuple[Field, ...]] = {
    "relationships": (
        Field("customer", "text", required=True),
        Field("started_on", "date", required=True),
        Field("ended_on", "date"),
        Field("end_reason", "text"),
        Field("voluntary", "flag"),
        Field("plan", "text"),
        Field("unit", "text"),
    ),
    "plan_changes": (
        Field("customer", "text", required=True),
        Field("changed_on", "date", required=True),
        Field("from_plan", "text"),
        Field("to_plan", "text", required=True),
        Field("kind", "choice", required=True, choices=PLAN_CHANGE_KINDS),
    ),
    "complaints": (
        Field("complaint_id", "text"),
        Field("customer", "text"),
        Field("case_id", "whole"),
        Field("channel", "choice", required=True, choices=COMPLAINT_CHANNELS),
        Field("category", "text"),
        Field("received_at", "datetime", required=True),
        Field("resolved_at", "datetime"),
        Field("unit", "text"),
        Field("text", "text"),
    ),
}
"""The columns of each kind of lifecycle file (documented in ``docs/kpi.md``)."""


@dataclass(frozen=True)
class LifecycleImport:
    """What an import stored: the kind, rows stored and customers created."""

    kind: str
    rows: int
    customers_created: int
    source: str


def _is_blank(value: Any) -> bool:
    return (
        value is None
        or (isinstance(value, float) and math.isnan(value))
        or (isinstance(value, str) and not value.strip())
        or value is pd.NaT
    )


def _value(field: Field, raw: Any, where: str) -> Any:
    place = f"{where}, column {field.name!r}"
    if _is_blank(raw):
        if field.required:
            raise ValidationError(f"{place}: the value is missing; this column is required")
        return None
    text = str(raw).strip()
    if field.kind == "text":
        check_text(text, where=place, multiline=field.name == "text")
        limit = MAX_TEXT_CHARS if field.name == "text" else 120
        if len(text) > limit:
            raise ValidationError(f"{place}: {len(text)} characters; at most {limit} allowed")
        return text
    if field.kind == "choice":
        if text.lower() not in field.choices:
            raise ValidationError(
                f"{place}: {text!r} is not allowed; allowed: {', '.join(field.choices)}"
            )
        return text.lower()
    if field.kind == "flag":
        if isinstance(raw, bool):
            return raw
        if text.lower() in _TRUE | _FALSE:
            return text.lower() in _TRUE
        raise ValidationError(f"{place}: {text!r} is not allowed; allowed: yes/no, true/false, 1/0")
    if field.kind == "whole":
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        if not number.is_integer() or number < 1:
            raise ValidationError(f"{place}: {text!r} is not allowed; allowed: a whole number")
        return int(number)
    try:
        stamp: Any = pd.Timestamp(raw if isinstance(raw, dt.date) else text)
    except (ValueError, TypeError):
        stamp = pd.NaT
    if stamp is pd.NaT:
        example = "2026-03-31" if field.kind == "date" else "2026-03-31 14:05 or 2026-03-31"
        raise ValidationError(f"{place}: {text!r} is not a date; allowed: dates like {example}")
    if field.kind == "date":
        return stamp.date()
    return as_utc(stamp.to_pydatetime())


def lifecycle_records(
    kind: str, rows: Sequence[tuple[str, Mapping[str, Any]]]
) -> list[dict[str, Any]]:
    """Check ``rows`` (``(where, values)``: a place for messages and the row's values)
    of one kind and return them typed; the first problem raises :class:`ValidationError`."""
    if kind not in FIELDS:
        raise ValidationError(f"kind {kind!r} is not allowed; allowed: {', '.join(KINDS)}")
    records = checked_rows(kind, FIELDS[kind], rows)
    for (where, _), record in zip(rows, records, strict=True):
        _check_order(kind, record, where)
    return records


def checked_rows(
    kind: str, fields: Sequence[Field], rows: Sequence[tuple[str, Mapping[str, Any]]]
) -> list[dict[str, Any]]:
    """Each row's values typed by ``fields``; an unknown column or a bad value raises
    :class:`ValidationError` naming the row (``where``) and column."""
    known = {f.name for f in fields}
    records = []
    for where, values in rows:
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValidationError(
                f"{where}: column {unknown[0]!r} is not a {kind} column; "
                f"allowed: {', '.join(f.name for f in fields)}"
            )
        records.append({f.name: _value(f, values.get(f.name), where) for f in fields})
    return records


def _check_order(kind: str, record: dict[str, Any], where: str) -> None:
    pairs = {
        "relationships": ("started_on", "ended_on"),
        "complaints": ("received_at", "resolved_at"),
    }
    if kind not in pairs:
        return
    first, last = pairs[kind]
    if record[last] is not None and record[last] < record[first]:
        raise ValidationError(
            f"{where}, column {last!r}: {record[last]} is before {first} {record[first]}; "
            f"allowed: {last} on or after {first}"
        )
    if kind == "relationships" and record["ended_on"] is None and record["end_reason"]:
        raise ValidationError(
            f"{where}, column 'end_reason': given without ended_on; allowed: a reason only "
            "for a relationship that ended"
        )


def read_lifecycle_file(path: str | Path, kind: str) -> list[dict[str, Any]]:
    """Read a CSV or XLSX lifecycle file of ``kind`` and check every row."""
    return table_records(read_table(path), kind)


def table_records(table: RawTable, kind: str) -> list[dict[str, Any]]:
    """The checked records of a lifecycle table of ``kind`` (problems name the file, row
    and column)."""
    return lifecycle_records(kind, table_rows(table, kind, FIELDS.get(kind, ())))


def file_rows(
    path: str | Path, kind: str, fields: Sequence[Field]
) -> list[tuple[str, dict[str, Any]]]:
    """The rows of a CSV or XLSX file as ``(where, values)`` (see :func:`table_rows`)."""
    return table_rows(read_table(path), kind, fields)


def table_rows(
    table: RawTable, kind: str, fields: Sequence[Field]
) -> list[tuple[str, dict[str, Any]]]:
    """The rows of a read table as ``(where, values)``, after checking that it is well
    formed, has no refused cells and has the required ``fields`` (a ``kind`` file, for
    messages)."""
    if table.malformed:
        bad = table.malformed[0]
        raise ValidationError(f"{table.path}, row {bad.row_number}: {bad.reason}")
    if table.cell_problems:
        row, column, problem = table.cell_problems[0]
        raise ValidationError(
            f"{table.path}, row {table.row_numbers.tolist()[row]}, column {column!r}: {problem}"
        )
    missing = [f.name for f in fields if f.required and f.name not in table.frame]
    if missing:
        raise ValidationError(
            f"{table.path}: column {missing[0]!r} is missing; a {kind} file needs "
            f"{', '.join(f.name for f in fields if f.required)}"
        )
    return [
        (f"{table.path}, row {number}", dict(zip(table.frame.columns, values, strict=True)))
        for number, values in zip(
            table.row_numbers, table.frame.itertuples(index=False, name=None), strict=True
        )
    ]


def store_lifecycle(
    engine: Engine,
    kind: str,
    records: Sequence[Mapping[str, Any]],
    *,
    actor: User | str,
    source: str = "api",
) -> LifecycleImport:
    """Store checked records (:func:`lifecycle_records`) of one kind in one transaction."""
    with transaction(engine) as session:
        return add_lifecycle(session, kind, records, actor=actor, source=source)


def add_lifecycle(
    session: Session,
    kind: str,
    records: Sequence[Mapping[str, Any]],
    *,
    actor: User | str,
    source: str,
) -> LifecycleImport:
    """:func:`store_lifecycle` as a step of a transaction another service opened."""
    created = insert_lifecycle(session, kind, records, source=source)
    audit(
        session,
        actor,
        f"lifecycle.import.{kind}",
        target_type="lifecycle",
        target_id=kind,
        details={"rows": len(records), "customers_created": created, "source": source},
    )
    return LifecycleImport(kind, len(records), created, source)


def insert_lifecycle(
    session: Session, kind: str, records: Sequence[Mapping[str, Any]], *, source: str
) -> int:
    """Insert checked records without an audit entry of their own (the caller's use case
    records it, as the demo load does); returns the number of customers created."""
    names = sorted({str(r["customer"]) for r in records if r.get("customer")})
    ids = customer_ids(session, names)
    missing = [name for name in names if name not in ids]
    created = len(missing)
    if missing:
        ids.update(upsert_customers(session, {name: {} for name in missing}))
    if kind == "complaints":
        check_new_ids(
            session, Complaint.external_id, records, "complaint_id", "complaint", source=source
        )
    session.add_all(_rows(kind, records, ids))
    return created


def check_new_ids(
    session: Session,
    column: InstrumentedAttribute[str | None],
    records: Sequence[Mapping[str, Any]],
    field: str,
    noun: str,
    *,
    source: str,
) -> None:
    """Raise :class:`ValidationError` when a record's ``field`` (an external id) appears
    twice or is already stored in ``column``."""
    external = [r[field] for r in records if r.get(field)]
    if len(external) != len(set(external)):
        raise ValidationError(f"{source}: a {field} appears twice")
    if external:
        stored = session.scalars(select(column).where(column.in_(external))).first()
        if stored:
            raise ValidationError(
                f"{source}: {noun} {stored!r} is already stored; allowed: new "
                f"{field} values (or leave the column empty)"
            )


def _rows(kind: str, records: Sequence[Mapping[str, Any]], ids: Mapping[str, int]) -> list[Any]:
    def customer(record: Mapping[str, Any]) -> int | None:
        return ids.get(record["customer"]) if record.get("customer") else None

    if kind == "relationships":
        return [
            Relationship(
                customer_id=customer(r),
                **{k: r[k] for k in ("started_on", "ended_on", "end_reason", "voluntary")},
                plan=r["plan"],
                unit=r["unit"],
            )
            for r in records
        ]
    if kind == "plan_changes":
        return [
            PlanChange(
                customer_id=customer(r),
                changed_on=r["changed_on"],
                from_plan=r["from_plan"],
                to_plan=r["to_plan"],
                kind=r["kind"],
            )
            for r in records
        ]
    return [
        Complaint(
            external_id=r["complaint_id"],
            customer_id=customer(r),
            **{k: r[k] for k in ("case_id", "channel", "category", "received_at", "resolved_at")},
            unit=r["unit"],
            text=r["text"],
        )
        for r in records
    ]


def import_lifecycle(
    engine: Engine, path: str | Path, kind: str, *, actor: User | str
) -> LifecycleImport:
    """Check and store a lifecycle file (all rows or none)."""
    records = read_lifecycle_file(path, kind)
    return store_lifecycle(engine, kind, records, actor=actor, source=str(path))


UPLOAD_FORMATS = ("csv", "xlsx")
UPLOAD_FIELD = "file"
"""The ``field`` of every refusal of an upload: the file as a whole is the input refused
(the message names its row and column)."""


def import_lifecycle_upload(
    engine: Engine, filename: str, data: bytes, kind: str, *, actor: User | str
) -> LifecycleImport:
    """Check and store an uploaded CSV or XLSX lifecycle file (all rows or none); messages
    name the file by ``filename`` (its last part), which also says its format, and every
    refusal has the ``field`` :data:`UPLOAD_FIELD`."""
    try:
        return _import_upload(engine, filename, data, kind, actor=actor)
    except ValidationError as exc:
        exc.field = exc.field or UPLOAD_FIELD
        raise


def _import_upload(
    engine: Engine, filename: str, data: bytes, kind: str, *, actor: User | str
) -> LifecycleImport:
    name = PurePath(filename.replace("\\", "/")).name.strip()
    check_text(name, where="file name")
    if not name or len(name) > 200:
        raise ValidationError(f"file name {name!r}: allowed: 1 to 200 characters, e.g. data.csv")
    if PurePath(name).suffix.lower() not in {f".{f}" for f in UPLOAD_FORMATS}:
        raise ValidationError(
            f"{name}: unsupported file type {PurePath(name).suffix or '(none)'!r}; "
            f"allowed: {', '.join(f'.{f}' for f in UPLOAD_FORMATS)}"
        )
    if not data:
        raise ValidationError(f"{name}: the file is empty; allowed: a header row and records")
    limit = get_settings().imports.max_unpacked_mb * 2**20
    table = read_table_data(name, data, max_unpacked=limit)
    records = table_records(table, kind)
    return store_lifecycle(engine, kind, records, actor=actor, source=f"upload {name}")


# ---------------------------------------------------------------------------- reads


@dataclass(frozen=True)
class RelationshipInfo:
    """A stored relationship spell (customers by their external id)."""

    id: int
    customer: str | None
    started_on: dt.date
    ended_on: dt.date | None
    end_reason: str | None
    voluntary: bool | None
    plan: str | None
    unit: str | None


@dataclass(frozen=True)
class ComplaintInfo:
    """A stored complaint (``complaint_id``: the id it was imported with)."""

    id: int
    complaint_id: str | None
    customer: str | None
    case_id: int | None
    channel: str
    category: str | None
    received_at: dt.datetime
    resolved_at: dt.datetime | None
    unit: str | None
    text: str | None


def _conditions(
    *, customer: str | None, unit: tuple[Any, str | None], given: tuple[Any, bool | None]
) -> list[Any]:
    """The filters of a lifecycle list: the customer's external id, the unit (column,
    value), and whether a column (an end or resolution time) is given (column, flag).
    Text with control characters is refused naming its filter (``field``)."""
    conditions: list[Any] = []
    if customer is not None:
        check_text(customer, where="filter customer", multiline=False, field="customer")
        conditions.append(Customer.external_id == customer)
    if unit[1] is not None:
        check_text(unit[1], where="filter unit", multiline=False, field="unit")
        conditions.append(unit[0] == unit[1])
    if given[1] is not None:
        conditions.append(given[0].is_not(None) if given[1] else given[0].is_(None))
    return conditions


def _page(
    engine: Engine, query: Select[Any, Any], conditions: Sequence[Any], *, limit: int, offset: int
) -> tuple[list[Any], int]:
    with transaction(engine) as session:
        total = session.scalar(
            select(func.count()).select_from(query.where(*conditions).subquery())
        )
        rows = session.execute(query.where(*conditions).limit(limit).offset(offset)).all()
    return list(rows), int(total or 0)


def list_relationships(
    engine: Engine,
    *,
    customer: str | None = None,
    unit: str | None = None,
    ended: bool | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[RelationshipInfo], int]:
    """One page of relationships (oldest stored first) matching every filter given, and
    the number matching."""
    conditions = _conditions(
        customer=customer, unit=(Relationship.unit, unit), given=(Relationship.ended_on, ended)
    )
    query = (
        select(Relationship, Customer.external_id)
        .outerjoin(Customer, Customer.id == Relationship.customer_id)
        .order_by(Relationship.id)
    )
    rows, total = _page(engine, query, conditions, limit=limit, offset=offset)
    return [
        RelationshipInfo(
            r.id, external, r.started_on, r.ended_on, r.end_reason, r.voluntary, r.plan, r.unit
        )
        for r, external in rows
    ], total


def list_complaints(
    engine: Engine,
    *,
    customer: str | None = None,
    channel: str | None = None,
    unit: str | None = None,
    resolved: bool | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[ComplaintInfo], int]:
    """One page of complaints (oldest received first) matching every filter given, and
    the number matching."""
    conditions = _conditions(
        customer=customer, unit=(Complaint.unit, unit), given=(Complaint.resolved_at, resolved)
    )
    if channel is not None:
        if channel not in COMPLAINT_CHANNELS:
            raise ValidationError(
                f"channel {channel!r} is not allowed; allowed: {', '.join(COMPLAINT_CHANNELS)}",
                field="channel",
            )
        conditions.append(Complaint.channel == channel)
    query = (
        select(Complaint, Customer.external_id)
        .outerjoin(Customer, Customer.id == Complaint.customer_id)
        .order_by(Complaint.received_at, Complaint.id)
    )
    rows, total = _page(engine, query, conditions, limit=limit, offset=offset)
    return [
        ComplaintInfo(
            id=c.id,
            complaint_id=c.external_id,
            customer=external,
            case_id=c.case_id,
            channel=c.channel,
            category=c.category,
            received_at=as_utc(c.received_at),
            resolved_at=None if c.resolved_at is None else as_utc(c.resolved_at),
            unit=c.unit,
            text=c.text,
        )
        for c, external in rows
    ], total
