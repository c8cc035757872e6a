"""Encounters and feedback messages from CSV/XLSX files, with the staff member and team.

``kind`` is ``encounters`` or ``feedback``; the columns are :data:`FIELDS`
(``docs/cases.md``, *Staff on encounters and feedback*). Every row is checked first and
the first problem names the file, row and column with what is allowed; nothing is stored
unless every row is usable. Encounters of customers not stored yet create them (as
lifecycle files do); a feedback message names an existing customer or none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from cxgap.errors import NotFoundError, ValidationError
from cxgap.services.accounts import audit
from cxgap.services.customers import customer_ids, upsert_customers
from cxgap.services.feedback import CHANNELS, check_feedback, check_staff
from cxgap.services.lifecycle import Field, check_new_ids, checked_rows, file_rows
from cxgap.store.accounts import User
from cxgap.store.database import transaction
from cxgap.store.models import Encounter, FeedbackMessage

KINDS = ("encounters", "feedback")
FIELDS: dict[str, tuple[Field, ...]] = {
    "encounters": (
        Field("customer", "text", required=True),
        Field("occurred_at", "datetime", required=True),
        Field("channel", "text", required=True),
        Field("touchpoint", "text", required=True),
        Field("outcome", "text", required=True),
        Field("notes", "text"),
        Field("staff", "text"),
        Field("team", "text"),
    ),
    "feedback": (
        Field("feedback_id", "text"),
        Field("customer", "text"),
        Field("channel", "choice", required=True, choices=CHANNELS),
        Field("language", "text", required=True),
        Field("text", "text", required=True),
        Field("received_at", "datetime", required=True),
        Field("staff", "text"),
        Field("team", "text"),
    ),
}


@dataclass(frozen=True)
class ContactImport:
    """What an import stored: the kind, rows, rows naming staff, customers created."""

    kind: str
    rows: int
    with_staff: int
    customers_created: int


def contact_records(
    kind: str, rows: Sequence[tuple[str, Mapping[str, Any]]]
) -> list[dict[str, Any]]:
    """Check ``rows`` (``(where, values)``) of ``kind`` and return them typed."""
    if kind not in FIELDS:
        raise ValidationError(f"kind {kind!r} is not allowed; allowed: {', '.join(KINDS)}")
    records = checked_rows(kind, FIELDS[kind], rows)
    for (where, _), record in zip(rows, records, strict=True):
        check_staff(record["staff"], record["team"], where=where)
        if kind == "feedback":
            try:
                record["text"] = check_feedback(
                    record["channel"], record["language"], record["text"]
                )
            except ValidationError as error:
                raise ValidationError(f"{where}: {error}") from error
    return records


def import_contacts(
    engine: Engine, path: str | Path, kind: str, *, actor: User | str
) -> ContactImport:
    """Check and store an encounters or feedback file (all rows or none)."""
    if kind not in FIELDS:
        raise ValidationError(f"kind {kind!r} is not allowed; allowed: {', '.join(KINDS)}")
    records = contact_records(kind, file_rows(path, kind, FIELDS[kind]))
    with transaction(engine) as session:
        created = _insert(session, kind, records, source=str(path))
        done = ContactImport(kind, len(records), sum(1 for r in records if r["staff"]), created)
        audit(
            session,
            actor,
            f"contacts.import.{kind}",
            target_type=kind,
            target_id=str(path),
            details={
                "rows": done.rows,
                "with_staff": done.with_staff,
                "customers_created": created,
            },
        )
        return done


def _insert(session: Session, kind: str, records: list[dict[str, Any]], *, source: str) -> int:
    names = sorted({str(r["customer"]) for r in records if r["customer"]})
    ids = customer_ids(session, names)
    missing = [name for name in names if name not in ids]
    if kind == "encounters":
        if missing:
            ids.update(upsert_customers(session, {name: {} for name in missing}))
        session.add_all(
            Encounter(
                customer_id=ids[r["customer"]],
                **{k: r[k] for k in ("occurred_at", "channel", "touchpoint", "outcome")},
                notes=r["notes"],
                staff=r["staff"],
                team=r["team"],
            )
            for r in records
        )
        return len(missing)
    if missing:
        raise NotFoundError(
            f"{source}: no customer with id {missing[0]!r}; allowed: stored customers or "
            "an empty customer column"
        )
    check_new_ids(
        session,
        FeedbackMessage.external_id,
        records,
        "feedback_id",
        "feedback message",
        source=source,
    )
    session.add_all(
        FeedbackMessage(
            customer_id=ids.get(r["customer"]) if r["customer"] else None,
            **{k: r[k] for k in ("channel", "language", "text", "received_at", "staff", "team")},
            external_id=r["feedback_id"],
        )
        for r in records
    )
    return 0
