"""Preparing an import: read, match, validate and key every record (no database here).

The service layer (:mod:`cxgap.services.imports`) then checks the prepared records
against what is stored and writes everything in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cxgap.errors import IngestError
from cxgap.ingest.matching import describe_unmatched, load_mapping, plan_columns
from cxgap.ingest.normalize import DEFAULT_MISSING_CODES
from cxgap.ingest.readers import RawTable, read_table
from cxgap.ingest.records import Records, Rejection, is_long, long_records, raw_row, wide_records
from cxgap.ingest.validate import CellProblem, ValidatedAnswers, validate_answers
from cxgap.instruments.model import Instrument

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


def prepare_import(
    path: str | Path,
    instrument: Instrument,
    *,
    mapping: str | Path | dict[str, str] | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    missing_codes: Iterable[str] = DEFAULT_MISSING_CODES,
    max_bytes: int | None = None,
) -> PreparedImport:
    """Read ``path`` and check every row against ``instrument``."""
    table = read_table(path, encoding=encoding, sheet=sheet, max_bytes=max_bytes)
    source = str(table.path)
    mapping_dict = load_mapping(mapping) if isinstance(mapping, str | Path) else mapping
    columns = [str(c) for c in table.frame.columns]
    if is_long(columns):
        records = long_records(table, instrument, mapping_dict, source)
    else:
        plan = plan_columns(columns, instrument, mapping=mapping_dict, source=source)
        records = wide_records(table, plan)
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
    rejections += records.rejections
    for record, found in sorted(reasons.items()):
        raw = raw_row(frame, record)
        reason = "; ".join(f"{col}: {why}" if col else why for col, why in found)
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
