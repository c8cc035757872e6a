"""Reading a survey's stored answers fast, as columns.

Millions of answer rows are read as arrays, never as ORM objects. Large reads of a SQLite
file go through a separate reader process that returns Arrow columns (no Python object per
value; see :mod:`cxgap.store.arrow_reader` for why it must be another process); smaller
reads, other databases (PostgreSQL) and any trouble with the reader use the driver's
cursor. Free text is read separately, only
the rows that have some. Each value is then placed in a respondents x answer-slots table by
integer indexing.

Snapshots: the caller lists the responses in its snapshot
(:func:`cxgap.store.database.snapshot`); the cursor reads their answers in the same one.
The reader process cannot join that snapshot (it has its own connection), so it may see
responses committed later. It still returns exactly the snapshot's answers of the listed
responses: a response and its answers are stored in one transaction and never deleted, their
numbers are never changed afterwards (erasure clears only the free text, which the cursor
reads), and SQLite's single writer gives later responses higher ids, so the reader's rows
are bounded by the highest listed id and only listed responses are placed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.compute as pc
from sqlalchemy import Connection

from cxgap.instruments.model import NUMERIC_FIELDS, AnswerColumn
from cxgap.settings import get_settings
from cxgap.store.arrow_reader import read_arrow
from cxgap.store.bulk import placeholders
from cxgap.store.database import sqlite_file

MISSING = -1e308
"""Stands for NULL in the Arrow path so that every numeric column keeps one type."""


@dataclass(frozen=True)
class AnswerRows:
    """Answer rows as columns: response ids, slot labels by code, field values."""

    response_id: np.ndarray
    item_codes: np.ndarray
    items: list[str]
    option_codes: np.ndarray
    options: list[str]
    values: dict[str, np.ndarray]


def _where(connection: Connection) -> str:
    mark = placeholders(connection, 1)
    return (
        "FROM answers a JOIN responses r ON r.id = a.response_id "
        f"WHERE r.survey_id = {mark} AND r.id <= {mark}"
    )


def _sqlite_file(connection: Connection) -> Path | None:
    found = sqlite_file(connection.engine.url)
    return None if found is None else found.resolve()


def _fetch_arrow(
    path: Path, connection: Connection, survey_id: int, up_to: int, fields: list[str]
) -> AnswerRows | None:
    columns = ", ".join(f'COALESCE(a."{f}", {MISSING}) AS "{f}"' for f in fields)
    sql = f"SELECT a.response_id, a.item_id, a.option, {columns} {_where(connection)}"
    table = read_arrow(path, sql, (survey_id, up_to))
    if table is None:
        return None
    items = pc.dictionary_encode(table.column("item_id")).combine_chunks()
    options = pc.dictionary_encode(table.column("option")).combine_chunks()
    values = {}
    for name in fields:
        array = table.column(name).to_numpy().astype(np.float64, copy=True)
        array[array == MISSING] = np.nan
        values[name] = array
    return AnswerRows(
        response_id=table.column("response_id").to_numpy(),
        item_codes=items.indices.to_numpy(zero_copy_only=False),
        items=items.dictionary.to_pylist(),
        option_codes=options.indices.to_numpy(zero_copy_only=False),
        options=options.dictionary.to_pylist(),
        values=values,
    )


def _fetch_cursor(
    connection: Connection,
    survey_id: int,
    up_to: int,
    fields: list[str],
    *,
    only_present: str | None = None,
) -> AnswerRows:
    columns = ", ".join(f'a."{f}"' for f in fields)
    sql = f"SELECT a.response_id, a.item_id, a.option, {columns} {_where(connection)}"
    if only_present:
        sql += f' AND a."{only_present}" IS NOT NULL'
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql, (survey_id, up_to))
        rows = cursor.fetchall()
    finally:
        cursor.close()
    data = np.array(rows, dtype=object).reshape(len(rows), 3 + len(fields))
    del rows
    item_codes, items = pd.factorize(data[:, 1])
    option_codes, options = pd.factorize(data[:, 2])
    return AnswerRows(
        response_id=data[:, 0].astype(np.int64),
        item_codes=np.asarray(item_codes),
        items=list(items),
        option_codes=np.asarray(option_codes),
        options=list(options),
        values={
            name: data[:, k] if name == "text" else data[:, k].astype(np.float64)
            for k, name in enumerate(fields, start=3)
        },
    )


def read_answers(
    connection: Connection,
    survey_id: int,
    fields: list[str],
    *,
    text: bool,
    up_to: int,
    expected_rows: int = 0,
) -> list[AnswerRows]:
    """The survey's answer rows of responses with ids up to ``up_to``: numeric ``fields``
    (all rows), then free text if asked.

    ``expected_rows`` (an estimate) decides the path: from the ``arrow_reader_min_rows``
    setting on, a SQLite file is read by the reader process as Arrow columns.
    """
    parts: list[AnswerRows] = []
    if fields:
        path = _sqlite_file(connection)
        large = expected_rows >= get_settings().analysis.arrow_reader_min_rows
        fast = _fetch_arrow(path, connection, survey_id, up_to, fields) if path and large else None
        parts.append(fast or _fetch_cursor(connection, survey_id, up_to, fields))
    if text:
        parts.append(_fetch_cursor(connection, survey_id, up_to, ["text"], only_present="text"))
    return parts


def answers_wide(
    connection: Connection, survey_id: int, columns: list[AnswerColumn], response_ids: np.ndarray
) -> dict[str, np.ndarray]:
    """One array per answer column, aligned with the sorted ``response_ids``."""
    n = len(response_ids)
    slots = list(dict.fromkeys((c.item, c.option) for c in columns))
    slot_of = {key: k for k, key in enumerate(slots)}
    numeric = [f for f in NUMERIC_FIELDS if any(c.field == f for c in columns)]
    has_text = any(c.field == "text" for c in columns)
    tables: dict[str, np.ndarray] = {name: np.full((n, len(slots)), np.nan) for name in numeric}
    if has_text:
        tables["text"] = np.full((n, len(slots)), None, dtype=object)
    if n:
        expected = n * len({item for item, _ in slots})
        for part in read_answers(
            connection,
            survey_id,
            numeric,
            text=has_text,
            up_to=int(response_ids[-1]),
            expected_rows=expected,
        ):
            lookup = np.array(
                [
                    [slot_of.get((item, option), -1) for option in part.options]
                    for item in part.items
                ]
                or [[-1]],
                dtype=np.int64,
            )
            slot = (
                lookup[part.item_codes, part.option_codes]
                if len(part.response_id)
                else (np.zeros(0, dtype=np.int64))
            )
            # answers of responses the reader process saw beyond the caller's snapshot are
            # not this table's: only the listed responses are placed (see the module doc)
            respondent = np.searchsorted(response_ids, part.response_id)
            listed = respondent < n
            listed[listed] = response_ids[respondent[listed]] == part.response_id[listed]
            known = (slot >= 0) & listed
            for name, values in part.values.items():
                tables[name][respondent[known], slot[known]] = values[known]
    return {c.name: tables[c.field][:, slot_of[(c.item, c.option)]] for c in columns}
