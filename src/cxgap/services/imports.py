"""Importing a survey file: one transaction, quarantine for every rejected row.

Counts are in file rows: ``accepted + rejected + duplicates == rows in the file``.
A row is a duplicate when its respondent is already stored (or earlier in the same file)
with the same answers; a respondent stored with *different* answers is a conflict and the
row is rejected, never silently overwritten.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from cxgap.errors import NotFoundError
from cxgap.ingest.importer import PreparedImport, prepare_import
from cxgap.ingest.normalize import DEFAULT_MISSING_CODES
from cxgap.ingest.records import Rejection
from cxgap.instruments.model import NUMERIC_FIELDS, AnswerColumn
from cxgap.segments import custom_attribute
from cxgap.services.accounts import audit
from cxgap.services.customers import SEGMENT_FIELDS, upsert_customers
from cxgap.services.surveys import instrument_of
from cxgap.settings import get_settings
from cxgap.store.accounts import User
from cxgap.store.bulk import binds_nan_as_null, bulk_insert, reserve_ids, time_parameter
from cxgap.store.database import transaction
from cxgap.store.lookups import get_survey
from cxgap.store.models import ImportBatch, QuarantinedRow, Response, Survey

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: called as long work advances."""

ANSWER_COLUMNS = ("response_id", "item_id", "option", *NUMERIC_FIELDS, "text")


@dataclass
class ImportSummary:
    """What an import did."""

    file: str
    survey: str
    file_format: str
    encoding: str | None
    encoding_detected: bool
    layout: str
    rows: int
    accepted: int
    rejected: int
    duplicates: int
    responses_stored: int
    answers_stored: int
    batch_id: int
    ignored_columns: list[str] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k != "rejections"}
        data["rejections"] = [r.__dict__ for r in self.rejections[:100]]
        return data


def _noop(stage: str, done: int, total: int) -> None:
    return None


def answer_rows(
    values: dict[str, pd.Series],
    columns: Iterable[AnswerColumn],
    records: np.ndarray,
    response_ids: list[int],
    *,
    nan_is_null: bool = False,
    chunk: int = 20_000,
) -> Iterator[list[tuple[Any, ...]]]:
    """Chunks of answer tuples (``ANSWER_COLUMNS`` order) for stored records, in key order.

    ``values`` holds clean answer values by canonical column name; ``records`` selects the
    rows (positions) that were stored, in the order of ``response_ids``. Unanswered items
    get no row. Rows come response by response, items in key order, so the database
    appends to its primary-key index instead of inserting at random places. With
    ``nan_is_null`` (SQLite binds NaN as NULL) missing numbers stay NaN, which is faster
    than converting them to ``None``.
    """
    by_slot: dict[tuple[str, str], dict[str, str]] = {}
    for column in columns:
        by_slot.setdefault((column.item, column.option), {})[column.field] = column.name
    slots = sorted(by_slot)
    ids = np.asarray(response_ids, dtype=np.int64)
    for start in range(0, len(records), chunk):
        part = records[start : start + chunk]
        n, g = len(part), len(slots)
        numeric = np.full((len(NUMERIC_FIELDS), n, g), np.nan)
        texts = np.full((n, g), None, dtype=object)
        for j, slot in enumerate(slots):
            fields = by_slot[slot]
            for f, name in enumerate(NUMERIC_FIELDS):
                if name in fields:
                    numeric[f, :, j] = values[fields[name]].to_numpy(dtype="float64")[part]
            if "text" in fields:
                raw = values[fields["text"]].to_numpy(dtype=object)[part]
                texts[:, j] = [t if isinstance(t, str) else None for t in raw]
        answered = (~np.isnan(numeric)).any(axis=0) | pd.notna(texts)
        keep = answered.reshape(-1)
        flat_ids = np.repeat(ids[start : start + n], g)[keep].tolist()
        flat_items = np.tile(np.array([s[0] for s in slots], dtype=object), n)[keep].tolist()
        flat_options = np.tile(np.array([s[1] for s in slots], dtype=object), n)[keep].tolist()
        cols: list[list[Any]] = []
        for f in range(len(NUMERIC_FIELDS)):
            col = numeric[f].reshape(-1)[keep]
            if nan_is_null:
                cols.append(col.tolist())
            else:
                obj = col.astype(object)
                obj[np.isnan(col)] = None
                cols.append(obj.tolist())
        yield list(
            zip(
                flat_ids,
                flat_items,
                flat_options,
                *cols,
                texts.reshape(-1)[keep].tolist(),
                strict=True,
            )
        )


RESPONSE_COLUMNS = (
    "id",
    "survey_id",
    "customer_id",
    "respondent_key",
    "fingerprint",
    "source",
    "batch_id",
    "source_row",
    "status",
    "submitted_at",
    "created_at",
)


def insert_responses(
    session: Session, rows: list[dict[str, Any]], progress: Progress = _noop
) -> list[int]:
    """Insert response rows with the driver's bulk insert; returns their ids in order.

    The session must already have written in this transaction (see ``reserve_ids``).
    """
    connection = session.connection()
    ids = reserve_ids(connection, "responses", len(rows))
    now = dt.datetime.now(dt.UTC)
    stamp = time_parameter(connection)

    tuples = [
        (
            rid,
            row["survey_id"],
            row.get("customer_id"),
            row["respondent_key"],
            row["fingerprint"],
            row.get("source", "import"),
            row.get("batch_id"),
            row.get("source_row"),
            row.get("status", "complete"),
            stamp(row.get("submitted_at")),
            stamp(now),
        )
        for rid, row in zip(ids, rows, strict=True)
    ]
    chunk = get_settings().imports.batch_rows
    progress("store", 0, max(len(rows), 1))
    for start in range(0, len(tuples), chunk):
        bulk_insert(connection, "responses", RESPONSE_COLUMNS, [tuples[start : start + chunk]])
        progress("store", min(start + chunk, len(rows)), len(rows))
    return ids


def classify_records(
    prepared: PreparedImport, stored: dict[str, str]
) -> tuple[list[int], int, list[Rejection]]:
    """Split the valid records into new ones, duplicates and conflicts.

    ``stored`` maps the survey's stored respondent keys to their fingerprints. Returns the
    new records, the number of file rows that are duplicates, and a rejection per row of a
    respondent already known (stored, or earlier in the file) with different answers.
    """
    records = prepared.records
    keys = prepared.keys.tolist()
    prints = prepared.fingerprints.tolist()
    accepted: list[int] = []
    duplicate_rows = 0
    conflicts: list[Rejection] = []
    seen: dict[str, str] = {}
    for record in np.flatnonzero(prepared.valid).tolist():
        key, fingerprint = keys[record], prints[record]
        previous = stored.get(key, seen.get(key))
        if previous is None:
            seen[key] = fingerprint
            accepted.append(record)
        elif previous == fingerprint:
            duplicate_rows += len(records.rows[record])
        else:
            where = "already stored" if key in stored else "earlier in this file"
            reason = (
                f"respondent {key!r} is {where} with different answers; "
                "remove the row or give it another respondent id"
            )
            conflicts.extend(Rejection(n, None, reason, None) for n in records.rows[record])
    return accepted, duplicate_rows, conflicts


def import_file(
    engine: Engine,
    path: str | Path,
    *,
    survey: str,
    mapping: str | Path | dict[str, str] | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    missing_codes: Iterable[str] = DEFAULT_MISSING_CODES,
    progress: Progress = _noop,
    actor: User | str = "system",
) -> ImportSummary:
    """Import a CSV/XLSX/Parquet file of responses into ``survey``.

    Everything happens in one transaction, the audit log entry of ``actor`` included: on
    any error the database is unchanged.
    """
    settings = get_settings()
    with transaction(engine) as session:
        survey_row = get_survey(session, survey)
        instrument = instrument_of(survey_row)
        survey_id = survey_row.id
    progress("read", 0, 1)
    prepared = prepare_import(
        path,
        instrument,
        mapping=mapping,
        encoding=encoding,
        sheet=sheet,
        missing_codes=list(missing_codes),
        max_bytes=settings.imports.max_file_mb * 2**20,
        max_unpacked=settings.imports.max_unpacked_mb * 2**20,
    )
    progress("read", 1, 1)
    records = prepared.records
    frame = records.frame
    rejections = list(prepared.rejections)
    with transaction(engine) as session:
        connection = session.connection()
        stored = dict(
            session.execute(
                select(Response.respondent_key, Response.fingerprint).where(
                    Response.survey_id == survey_id
                )
            ).all()
        )
        keys = prepared.keys.tolist()
        prints = prepared.fingerprints.tolist()
        accepted, duplicate_rows, conflicts = classify_records(prepared, stored)
        rejections.extend(conflicts)
        accepted_rows = int(sum(len(records.rows[r]) for r in accepted))
        batch = ImportBatch(
            survey_id=survey_id,
            file_name=str(prepared.table.path),
            file_sha256=prepared.table.sha256,
            file_format=prepared.table.file_format,
            encoding=prepared.table.encoding,
            layout=records.layout,
            rows_total=prepared.table.rows_total,
            accepted=accepted_rows,
            rejected=len(rejections),
            duplicates=duplicate_rows,
        )
        session.add(batch)
        session.flush()
        customer_of = _link_customers(session, frame, accepted, keys)
        submitted = _submitted_at(frame, accepted)
        response_ids = insert_responses(
            session,
            [
                {
                    "survey_id": survey_id,
                    "customer_id": customer_of[i],
                    "respondent_key": keys[r],
                    "fingerprint": prints[r],
                    "source": "import",
                    "batch_id": batch.id,
                    "source_row": records.rows[r][0],
                    "status": "complete",
                    "submitted_at": submitted[i],
                }
                for i, r in enumerate(accepted)
            ],
            progress,
        )
        rows = answer_rows(
            prepared.answers.values,
            records.plan.answers.values(),
            np.asarray(accepted, dtype=np.int64),
            response_ids,
            nan_is_null=binds_nan_as_null(connection),
            chunk=settings.imports.batch_rows,
        )
        answers_stored = bulk_insert(connection, "answers", ANSWER_COLUMNS, rows)
        if rejections:
            session.execute(
                insert(QuarantinedRow),
                [
                    {
                        "batch_id": batch.id,
                        "file_name": str(prepared.table.path),
                        "row_number": r.row_number,
                        "column": r.column,
                        "reason": r.reason[:4000],
                        "raw": r.raw,
                    }
                    for r in rejections
                ],
            )
        audit(
            session,
            actor,
            "responses.import",
            target_type="survey",
            target_id=survey,
            details={
                "batch": batch.id,
                "file": Path(prepared.table.path).name,
                "accepted": accepted_rows,
                "rejected": len(rejections),
                "duplicates": duplicate_rows,
            },
        )
        progress("store", len(accepted), len(accepted))
        summary = ImportSummary(
            file=str(prepared.table.path),
            survey=survey,
            file_format=prepared.table.file_format,
            encoding=prepared.table.encoding,
            encoding_detected=prepared.table.encoding_detected,
            layout=records.layout,
            rows=prepared.table.rows_total,
            accepted=accepted_rows,
            rejected=len(rejections),
            duplicates=duplicate_rows,
            responses_stored=len(response_ids),
            answers_stored=answers_stored,
            batch_id=batch.id,
            ignored_columns=list(records.plan.ignored),
            rejections=sorted(rejections, key=lambda r: r.row_number),
        )
    return summary


def _link_customers(
    session: Session, frame: pd.DataFrame, accepted: list[int], keys: list[str]
) -> list[int | None]:
    """Customer ids for the accepted records, creating or updating customers.

    The customer is the ``customer_id`` column; a file without one but with segment
    attributes links each respondent to a customer of the respondent's own id.
    """
    attribute_columns = [
        c for c in frame.columns if c in SEGMENT_FIELDS or custom_attribute(c) is not None
    ]
    if "customer" in frame.columns:
        external = [str(frame.at[r, "customer"]).strip() for r in accepted]
    elif attribute_columns:
        external = [keys[r] for r in accepted]
    else:
        return [None] * len(accepted)
    wanted: dict[str, dict[str, Any]] = {}
    for record, ext in zip(accepted, external, strict=True):
        attrs = {custom_attribute(c) or c: frame.at[record, c] for c in attribute_columns}
        wanted.setdefault(ext, {}).update(
            {k: v for k, v in attrs.items() if v is not None and str(v).strip()}
        )
    ids = upsert_customers(session, wanted)
    return [ids[ext] for ext in external]


def _submitted_at(frame: pd.DataFrame, accepted: list[int]) -> list[dt.datetime | None]:
    if "submitted_at" not in frame.columns:
        return [None] * len(accepted)
    parsed = pd.to_datetime(frame["submitted_at"], errors="coerce", utc=True)
    return [None if pd.isna(parsed.iloc[r]) else parsed.iloc[r].to_pydatetime() for r in accepted]


__all__ = [
    "DEFAULT_MISSING_CODES",
    "ImportSummary",
    "answer_rows",
    "import_file",
    "insert_responses",
]


@dataclass(frozen=True)
class BatchInfo:
    """One stored import batch."""

    id: int
    survey: str
    file_name: str
    file_format: str
    encoding: str | None
    layout: str
    rows_total: int
    accepted: int
    rejected: int
    duplicates: int
    created_at: dt.datetime


def list_batches(engine: Engine, *, survey: str | None = None) -> list[BatchInfo]:
    """Import batches, newest first (optionally of one survey)."""
    with transaction(engine) as session:
        query = (
            select(ImportBatch, Survey.key)
            .join(Survey, Survey.id == ImportBatch.survey_id)
            .order_by(ImportBatch.id.desc())
        )
        if survey is not None:
            query = query.where(Survey.id == get_survey(session, survey).id)
        return [
            BatchInfo(
                id=b.id,
                survey=key,
                file_name=b.file_name,
                file_format=b.file_format,
                encoding=b.encoding,
                layout=b.layout,
                rows_total=b.rows_total,
                accepted=b.accepted,
                rejected=b.rejected,
                duplicates=b.duplicates,
                created_at=b.created_at,
            )
            for b, key in session.execute(query).all()
        ]


def quarantined_rows(engine: Engine, batch_id: int) -> list[Rejection]:
    """The rejected rows of an import batch, in file order."""
    with transaction(engine) as session:
        if session.get(ImportBatch, batch_id) is None:
            raise NotFoundError(f"import batch {batch_id} does not exist; see `cxgap imports list`")
        rows = session.scalars(
            select(QuarantinedRow)
            .where(QuarantinedRow.batch_id == batch_id)
            .order_by(QuarantinedRow.row_number, QuarantinedRow.id)
        ).all()
        return [Rejection(r.row_number, r.column, r.reason, r.raw) for r in rows]
