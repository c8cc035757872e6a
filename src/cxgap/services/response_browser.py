"""Stored responses page by page, with filters, and exported as files.

Answers are named as in wide files (``rel1_adequate``, ``nps``...), the names
``cxgap instruments show`` lists, so a browsed response reads like a row of an export.
The wide table uses the instrument's canonical answer column names, so an exported file
imports again unchanged.

CSV and XLSX files are opened in spreadsheets, so their text cells go through
:func:`cxgap.text.spreadsheet_cell`: a cell that would start a formula (``=``, ``+``,
``-``, ``@``, tab, carriage return) gets a leading ``'`` and control characters that
XLSX cannot hold become U+FFFD. Numbers stay numbers. Parquet is a data format, not a
spreadsheet: it keeps the text exactly as stored. :func:`write_csv` writes other tables
for people (the quarantine, invitation links) the same way.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import ColumnElement, Engine, func, select

from cxgap.engine.frames import SurveyData, load_survey, responses_frame
from cxgap.errors import ValidationError
from cxgap.instruments.model import NUMERIC_FIELDS
from cxgap.segments import COMPARABLE, FILTERABLE, custom_attribute, custom_segment
from cxgap.services.accounts import audit
from cxgap.services.customers import segment_conditions
from cxgap.services.surveys import instrument_of
from cxgap.store.accounts import User
from cxgap.store.database import transaction
from cxgap.store.lookups import get_survey
from cxgap.store.models import Answer, Customer, Response, Survey
from cxgap.text import spreadsheet_cell, spreadsheet_frame
from cxgap.times import as_utc

ExportFormat = Literal["csv", "xlsx", "parquet"]
MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
}

EXPORT_FORMATS = ("csv", "xlsx", "parquet")


def export_survey(
    engine: Engine, survey: str, path: str | Path, *, actor: User | str | None = None
) -> int:
    """Write ``survey``'s responses to a CSV, XLSX or Parquet file; returns the row count.

    With an ``actor``, the export is recorded in the audit log."""
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in EXPORT_FORMATS:
        raise ValidationError(
            f"{path}: cannot export to {path.suffix or 'a file without extension'}; "
            f"use one of {', '.join('.' + f for f in EXPORT_FORMATS)}"
        )
    frame, _ = responses_frame(engine, survey)
    own_attributes = [c for c in frame.columns if custom_attribute(str(c)) is not None]
    frame = frame.drop(columns=own_attributes).dropna(axis=1, how="all").copy()
    for name in frame.columns:
        column = frame[name]
        if column.dtype.kind == "f" and bool((column.dropna() % 1 == 0).all()):
            frame[name] = column.astype("Int64")
    if "submitted_at" in frame.columns:
        frame["submitted_at"] = frame["submitted_at"].astype(str)
    if fmt == "csv":
        spreadsheet_frame(frame).to_csv(path, index=False, encoding="utf-8")
    elif fmt == "xlsx":
        spreadsheet_frame(frame).to_excel(path, index=False, engine="openpyxl")
    else:
        frame.to_parquet(path, index=False)
    if actor is not None:
        with transaction(engine) as session:
            audit(
                session,
                actor,
                "responses.export",
                target_type="survey",
                target_id=survey,
                details={"survey": survey, "format": fmt, "rows": len(frame)},
            )
    return len(frame)


def write_csv(path: str | Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Write a CSV file for people to open in a spreadsheet: every text cell goes through
    :func:`cxgap.text.spreadsheet_cell`, numbers are written as numbers."""
    with Path(path).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([spreadsheet_cell(name) for name in header])
        writer.writerows([spreadsheet_cell(cell) for cell in row] for row in rows)


_names: dict[str, dict[tuple[str, str, str], str]] = {}


@dataclass(frozen=True)
class ResponseInfo:
    id: int
    survey: str
    respondent_key: str
    customer: str | None
    source: str
    status: str
    submitted_at: dt.datetime | None
    segments: dict[str, str | None]
    answers: dict[str, float | str] | None = field(default=None)


def survey_data(engine: Engine, key: str) -> SurveyData:
    """A survey's responses as one wide frame (one row per response, segment columns of
    its customer) with the instrument it was fielded with."""
    return load_survey(engine, key)


def survey_segments(engine: Engine, key: str) -> list[str]:
    """What a survey's respondents can be compared by: the built-in segment attributes,
    then the organisation's own ones (``attribute:NAME``) that at least one respondent's
    customer has."""
    frame = load_survey(engine, key).frame
    own = [
        str(c)
        for c in frame.columns
        if custom_attribute(str(c)) is not None and bool(frame[c].notna().any())
    ]
    return [*COMPARABLE, *own]


def _answer_names(survey: Survey) -> dict[tuple[str, str, str], str]:
    """(item, field, option) -> wide column name; stored versions never change."""
    checksum = survey.instrument.checksum
    if checksum not in _names:
        columns = instrument_of(survey).answer_columns()
        _names[checksum] = {(c.item, c.field, c.option): c.name for c in columns}
    return _names[checksum]


def _segments_of(customer: Customer | None) -> dict[str, str | None]:
    """The built-in segments of one value and the organisation's own attributes."""
    built_in = {f: getattr(customer, f) if customer else None for f in FILTERABLE}
    own = (customer.attributes or {}) if customer else {}
    return built_in | {custom_segment(k): None if v is None else str(v) for k, v in own.items()}


def list_responses(
    engine: Engine,
    *,
    survey: str | None = None,
    customer: str | None = None,
    submitted_from: dt.datetime | None = None,
    submitted_to: dt.datetime | None = None,
    segments: Mapping[str, str | None] | None = None,
    status: str | None = None,
    with_answers: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[ResponseInfo], int]:
    """Responses matching every filter given (segments: built-in customer fields or
    ``attribute:NAME``), oldest first."""
    conditions: list[ColumnElement[bool]] = []
    with transaction(engine) as session:
        if survey is not None:
            conditions.append(Response.survey_id == get_survey(session, survey).id)
        if customer is not None:
            conditions.append(Customer.external_id == customer)
        if submitted_from is not None:
            conditions.append(Response.submitted_at >= as_utc(submitted_from))
        if submitted_to is not None:
            conditions.append(Response.submitted_at < as_utc(submitted_to))
        if status is not None:
            conditions.append(Response.status == status)
        conditions += segment_conditions(segments, what="responses")
        base = (
            select(Response, Survey, Customer)
            .join(Survey, Survey.id == Response.survey_id)
            .outerjoin(Customer, Customer.id == Response.customer_id)
            .where(*conditions)
        )
        total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
        rows = session.execute(base.order_by(Response.id).limit(limit).offset(offset)).all()
        answers: dict[int, dict[str, float | str]] = {}
        if with_answers and rows:
            names = {r.id: _answer_names(s) for r, s, _ in rows}
            for a in session.scalars(select(Answer).where(Answer.response_id.in_(list(names)))):
                target = answers.setdefault(a.response_id, {})
                for name in (*NUMERIC_FIELDS, "text"):
                    value = getattr(a, name)
                    if value is not None:
                        label = names[a.response_id].get((a.item_id, name, a.option))
                        target[label or f"{a.item_id}_{a.option or name}"] = value
        return [
            ResponseInfo(
                id=r.id,
                survey=s.key,
                respondent_key=r.respondent_key,
                customer=c.external_id if c else None,
                source=r.source,
                status=r.status,
                submitted_at=as_utc(r.submitted_at),
                segments=_segments_of(c),
                answers=answers.get(r.id, {}) if with_answers else None,
            )
            for r, s, c in rows
        ], int(total)


def export_responses(
    engine: Engine, survey: str, fmt: ExportFormat, *, actor: User | str
) -> tuple[bytes, int]:
    """A survey's responses as a file in ``fmt``; the export is audited."""
    if fmt not in MEDIA_TYPES:
        raise ValidationError(f"format {fmt!r} is not allowed; use one of {', '.join(MEDIA_TYPES)}")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"export.{fmt}"
        rows = export_survey(engine, survey, path, actor=actor)
        content = path.read_bytes()
    return content, rows
