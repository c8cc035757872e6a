"""Importing a survey file: one transaction, quarantine for every rejected row.

Counts are in file rows: ``accepted + rejected + duplicates == rows in the file``.
A row is a duplicate when its respondent is already stored (or earlier in the same file)
with the same answers; a respondent stored with *different* answers is a conflict and the
row is rejected, never silently overwritten.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from cxgap.ingest.importer import prepare_import
from cxgap.ingest.normalize import DEFAULT_MISSING_CODES
from cxgap.ingest.records import Rejection
from cxgap.instruments.model import NUMERIC_FIELDS, AnswerColumn
from cxgap.services.customers import SEGMENT_FIELDS, upsert_customers
from cxgap.services.surveys import get_survey, instrument_of
from cxgap.settings import get_settings
from cxgap.store.bulk import bulk_insert
from cxgap.store.database import transaction
from cxgap.store.models import ImportBatch, QuarantinedRow, Response

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
) -> list[tuple[Any, ...]]:
    """Answer tuples (in ``ANSWER_COLUMNS`` order) for stored records.

    ``values`` holds clean answer values by canonical column name; ``records`` selects the
    rows (positions) that were stored, in the order of ``response_ids``. Unanswered items
    get no row.
    """
    by_item: dict[tuple[str, str], dict[str, str]] = {}
    for column in columns:
        by_item.setdefault((column.item, column.option), {})[column.field] = column.name
    ids = np.asarray(response_ids, dtype=np.int64)
    n = len(records)
    rows: list[tuple[Any, ...]] = []
    nan = np.full(n, np.nan)
    none_text: list[Any] = [None] * n
    for (item_id, option), fields in by_item.items():
        cols = []
        answered = np.zeros(n, dtype=bool)
        for name in NUMERIC_FIELDS:
            if name in fields:
                arr = values[fields[name]].to_numpy(dtype="float64")[records]
                answered |= ~np.isnan(arr)
                cols.append(arr)
            else:
                cols.append(nan)
        if "text" in fields:
            texts = values[fields["text"]].to_numpy(dtype=object)[records]
            answered |= pd.notna(texts)
            text_col: list[Any] = [t if isinstance(t, str) else None for t in texts]
        else:
            text_col = none_text
        keep = np.flatnonzero(answered)
        if not keep.size:
            continue
        numeric = [[None if v != v else v for v in c[keep].tolist()] for c in cols]
        rows.extend(
            zip(
                ids[keep].tolist(),
                [item_id] * keep.size,
                [option] * keep.size,
                *numeric,
                [text_col[i] for i in keep],
                strict=True,
            )
        )
    return rows


def insert_responses(
    session: Session, rows: list[dict[str, Any]], progress: Progress = _noop
) -> list[int]:
    """Insert response rows in chunks; returns their ids in the same order."""
    ids: list[int] = []
    chunk = 5_000
    progress("store", 0, max(len(rows), 1))
    for start in range(0, len(rows), chunk):
        result = session.execute(
            insert(Response).returning(Response.id, sort_by_parameter_order=True),
            rows[start : start + chunk],
        )
        ids.extend(result.scalars().all())
        progress("store", start + chunk, len(rows))
    return ids


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
) -> ImportSummary:
    """Import a CSV/XLSX/Parquet file of responses into ``survey``.

    Everything happens in one transaction: on any error the database is unchanged.
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
        max_bytes=settings.import_max_file_mb * 2**20,
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
        accepted: list[int] = []
        duplicate_rows = 0
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
                for row_number in records.rows[record]:
                    rejections.append(
                        Rejection(
                            row_number,
                            None,
                            f"respondent {key!r} is {where} with different answers; "
                            "remove the row or give it another respondent id",
                            None,
                        )
                    )
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
        c for c in frame.columns if c in SEGMENT_FIELDS or c.startswith("attribute:")
    ]
    if "customer" in frame.columns:
        external = [str(frame.at[r, "customer"]).strip() for r in accepted]
    elif attribute_columns:
        external = [keys[r] for r in accepted]
    else:
        return [None] * len(accepted)
    wanted: dict[str, dict[str, Any]] = {}
    for record, ext in zip(accepted, external, strict=True):
        attrs = {c.removeprefix("attribute:"): frame.at[record, c] for c in attribute_columns}
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


__all__ = ["ImportSummary", "answer_rows", "import_file", "insert_responses"]
