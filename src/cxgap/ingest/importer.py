"""Preparing an import: read, match, validate and key every record (no database here).

The service layer (:mod:`cxgap.services.imports`) then checks the prepared records
against what is stored and writes everything in one transaction.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cxgap.errors import IngestError, ValidationError
from cxgap.ingest.matching import describe_unmatched, load_mapping, normalise_name, plan_columns
from cxgap.ingest.normalize import DEFAULT_MISSING_CODES
from cxgap.ingest.readers import RawTable, read_table
from cxgap.ingest.records import Records, Rejection, is_long, long_records, raw_row, wide_records
from cxgap.ingest.validate import CellProblem, ValidatedAnswers, validate_answers
from cxgap.instruments.model import Instrument
from cxgap.text import check_text, forbidden_characters

MAX_KEY_LENGTH = 120


@dataclass
class PreparedImport:
    """Everything an import will store, before it meets the database."""

    table: RawTable
    records: Records
    answers: ValidatedAnswers
    keys: pd.Series
    fingerprints: pd.Series
    valid: np.ndarray
    """Boolean per record: passed every check of the file itself."""
    rejections: list[Rejection]
    """File rows rejected so far (malformed, unknown items, invalid cells)."""

    @property
    def layout(self) -> str:
        return self.records.layout


def _record_keys(records: Records, sha256: str) -> pd.Series:
    frame = records.frame
    for role in ("respondent", "customer"):
        if role in frame.columns:
            return frame[role].map(lambda v: "" if v is None else str(v).strip())
    return pd.Series([f"{sha256[:16]}:{rows[0]}" for rows in records.rows], index=frame.index)


def fingerprint_answers(values: dict[str, pd.Series], index: pd.Index) -> pd.Series:
    """A 64-bit hash of each record's clean answers (equal answers, equal fingerprint)."""
    combined = np.zeros(len(index), dtype=np.uint64)
    for _, column in sorted(values.items()):
        array = column.to_numpy()
        if array.dtype == object:
            array = np.array(["" if v is None else str(v) for v in array], dtype=object)
        with np.errstate(over="ignore"):
            combined = combined * np.uint64(1099511628211) ^ pd.util.hash_array(array)
    return pd.Series([f"{int(h):016x}" for h in combined], index=index)


LONG_FIELDS = ("item", "field", "option", "value")
"""Columns of the long layout that say which answer a row holds, and its value."""


def _cell_rejections(table: RawTable, used: list[str], multiline: set[str]) -> list[Rejection]:
    """One rejection per file row with a cell that cannot be imported, in a used column:
    an XLSX formula or error, or a character the text policy refuses (tab and line
    breaks are allowed in ``multiline`` columns, free-text answers)."""
    frame = table.frame
    found: dict[int, tuple[str, str]] = {}
    wanted = set(used)
    for index, column, reason in table.cell_problems:
        if column in wanted:
            found.setdefault(index, (column, reason))
    for column in used:
        lines = column in multiline
        cells = frame[column].to_numpy(dtype=object)
        try:
            joined = "".join(cells)
        except TypeError:  # typed cells (XLSX, Parquet) among the text
            joined = "".join(v for v in cells if isinstance(v, str))
        if not forbidden_characters(joined, multiline=lines):
            continue
        for index, value in enumerate(cells):
            if index in found or not isinstance(value, str):
                continue
            try:
                check_text(value, where="cell", multiline=lines)
            except ValidationError as exc:
                found[index] = (column, exc.message.removeprefix("cell: "))
    numbers = table.row_numbers.to_numpy()
    return [
        Rejection(int(numbers[i]), column, reason, raw_row(frame, i))
        for i, (column, reason) in sorted(found.items())
    ]


def _without_rows(table: RawTable, row_numbers: list[int]) -> RawTable:
    """``table`` without the given file rows (already rejected)."""
    if not row_numbers:
        return table
    keep = ~table.row_numbers.isin(row_numbers).to_numpy()
    return dataclasses.replace(
        table,
        frame=table.frame[keep].reset_index(drop=True),
        row_numbers=table.row_numbers[keep].reset_index(drop=True),
    )


def _no_usable_record(table: RawTable, records: Records) -> str:
    if table.rows_total == 0:
        return "no data rows: the file has only its header"
    examples = "; ".join(f"row {r.row_number}: {r.reason}" for r in records.rejections[:3])
    more = f" (and {len(records.rejections) - 3} more)" if len(records.rejections) > 3 else ""
    return (
        "no usable record in the long layout (respondent_id, item, field, value): "
        f"every row was rejected. {examples}{more}".rstrip(". ")
    )


def prepare_import(
    path: str | Path,
    instrument: Instrument,
    *,
    mapping: str | Path | dict[str, str] | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    missing_codes: Iterable[str] = DEFAULT_MISSING_CODES,
    max_bytes: int | None = None,
    max_unpacked: int | None = None,
) -> PreparedImport:
    """Read ``path`` and check every row against ``instrument``."""
    table = read_table(
        path, encoding=encoding, sheet=sheet, max_bytes=max_bytes, max_unpacked=max_unpacked
    )
    source = str(table.path)
    mapping_dict = load_mapping(mapping) if isinstance(mapping, str | Path) else mapping
    columns = [str(c) for c in table.frame.columns]
    long = is_long(columns)
    if long:
        special = {c for c in columns if normalise_name(c) in LONG_FIELDS}
        plan = plan_columns(
            [c for c in columns if c not in special],
            instrument,
            mapping=mapping_dict,
            source=source,
        )
        multiline = {c for c in special if normalise_name(c) == "value"}
    else:
        plan = plan_columns(columns, instrument, mapping=mapping_dict, source=source)
        multiline = {c for c, slot in plan.answers.items() if slot.field == "text"}
    used = [c for c in columns if c not in set(plan.ignored)]
    cell_rejections = _cell_rejections(table, used, multiline)
    kept = _without_rows(table, [r.row_number for r in cell_rejections])
    if long:
        records = long_records(kept, instrument, mapping_dict, source)
        if records.frame.empty:
            raise IngestError(f"{source}: {_no_usable_record(table, records)}")
    else:
        records = wide_records(kept, plan)
    if not records.plan.answers and records.layout == "wide":
        raise IngestError(f"{source}: {describe_unmatched(records.plan, instrument)}")
    frame = records.frame
    answer_columns = list(records.plan.answers.values())
    answers = validate_answers(frame, answer_columns, instrument, missing_codes=missing_codes)
    keys = _record_keys(records, table.sha256)
    problems = list(answers.problems)
    key_name = next((r for r in ("respondent", "customer") if r in frame.columns), None)
    if key_name is not None:
        for idx in keys.index[keys.eq("")]:
            problems.append(CellProblem(int(idx), key_name, f"{key_name} id is empty"))
        for idx in keys.index[keys.str.len() > MAX_KEY_LENGTH]:
            problems.append(
                CellProblem(
                    int(idx), key_name, f"{key_name} id longer than {MAX_KEY_LENGTH} characters"
                )
            )
    valid = np.ones(len(frame), dtype=bool)
    reasons: dict[int, list[tuple[str, str]]] = {}
    for problem in problems:
        valid[problem.record] = False
        reasons.setdefault(problem.record, []).append((problem.column, problem.reason))
    rejections = [
        Rejection(m.row_number, None, m.reason, {"line": m.raw} if m.raw else None)
        for m in table.malformed
    ]
    rejections += cell_rejections
    rejections += records.rejections
    for record, found in sorted(reasons.items()):
        raw = raw_row(frame, record)
        # the first reason's column is the rejection's column: not repeated in its text
        reason = "; ".join(
            f"{col}: {why}" if col and k else why for k, (col, why) in enumerate(found)
        )
        first = records.row_of(record, found[0][0])
        for row_number in sorted(records.rows[record], key=lambda n: n != first):
            text = (
                reason
                if row_number == first
                else f"rejected with row {first} (same respondent): {reason}"
            )
            rejections.append(Rejection(row_number, found[0][0] or None, text, raw))
    return PreparedImport(
        table=table,
        records=records,
        answers=answers,
        keys=keys,
        fingerprints=fingerprint_answers(answers.values, frame.index),
        valid=valid,
        rejections=rejections,
    )
