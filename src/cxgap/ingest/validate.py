"""Vectorised validation of answer cells.

Each answer column is converted to numbers in one pass; only cells that are not plain
numbers go through the slower steps (Persian / Arabic-Indic digits, missing-value codes,
scale labels). Every cell that still fails, or lies off its item's scale, becomes a
problem naming the record, the column and what is allowed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cxgap.ingest.normalize import (
    NUMERALS_ALLOWED,
    label_key,
    missing_keys,
    parse_number,
    scale_label_map,
)
from cxgap.instruments.model import AnswerColumn, Instrument

MAX_TEXT_LENGTH = 10_000


@dataclass(frozen=True)
class CellProblem:
    record: int
    column: str
    reason: str


@dataclass
class ValidatedAnswers:
    """Clean answer values per canonical column (floats, or strings for free text)."""

    values: dict[str, pd.Series]
    problems: list[CellProblem]


def _is_missing(raw: pd.Series, codes: set[str]) -> pd.Series:
    missing = raw.isna()
    present = ~missing
    if present.any():
        keys = raw[present].astype(str).map(label_key)
        missing[present] = keys.isin(codes).to_numpy()
    return missing


_PLAIN = re.compile(r"[^0-9.\n-]")
"""A character that makes a joined column of cells more than plain ASCII numbers."""


def _cell_number(value: object) -> float:
    """A cell's number (NaN when it is not one): text by :func:`parse_number`, numbers
    from typed files (XLSX, Parquet) as they are."""
    if isinstance(value, str):
        number = parse_number(value)
        return np.nan if number is None else number
    if isinstance(value, bool) or value is None:
        return np.nan
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return np.nan


def _numbers(raw: pd.Series) -> pd.Series:
    """Every cell of ``raw`` as a number (NaN when it is not a numeral)."""
    if raw.dtype.kind in "iuf":  # typed files (Parquet): numbers already
        return raw.astype("float64")
    array = raw.to_numpy(dtype=object)
    try:
        joined: str | None = "\n".join(array)
    except TypeError:  # not all text: numbers (and blanks) from XLSX, or a mixture
        joined = None
        try:
            return pd.Series(array.astype("float64"), index=raw.index)
        except (ValueError, TypeError):
            pass
    if joined is not None and not _PLAIN.search(joined):
        try:  # fast path: plain ASCII numbers
            return pd.Series(array.astype("float64"), index=raw.index)
        except ValueError:  # blanks or lone signs among them
            return pd.Series(
                pd.to_numeric(raw, errors="coerce").to_numpy(dtype="float64"), index=raw.index
            )
    return pd.Series(np.array([_cell_number(v) for v in array], dtype="float64"), index=raw.index)


def _numeric_column(
    raw: pd.Series,
    column: AnswerColumn,
    instrument: Instrument,
    codes: set[str],
    numeric_codes: np.ndarray,
    problems: list[CellProblem],
) -> pd.Series:
    values = _numbers(raw)
    pending = values.isna() & raw.notna()
    if pending.any():
        missing = _is_missing(raw[pending], codes)
        todo = raw[pending][~missing.to_numpy()].astype(str)
        if len(todo):
            item = instrument.item(column.item)
            scale = instrument.item_scale(item)
            labels = scale_label_map(scale) if scale else {}
            mapped = todo.str.strip().map(label_key).map(labels)
            for idx in mapped.index[mapped.isna()]:
                allowed = (
                    f"a whole number {scale.min}..{scale.max} or a label of scale {scale.id!r}"
                    if scale
                    else "a number"
                )
                problems.append(
                    CellProblem(
                        int(idx),
                        column.name,
                        f"{str(raw[idx])[:60]!r} is not {allowed} (numbers are written with "
                        f"{NUMERALS_ALLOWED})",
                    )
                )
            values[mapped.index] = mapped.astype("float64")
    if numeric_codes.size:
        values[values.isin(numeric_codes)] = np.nan
    item = instrument.item(column.item)
    scale = instrument.item_scale(item)
    if scale is not None:
        present = values.notna()
        bad = present & ((values < scale.min) | (values > scale.max) | (values % 1 != 0))
        for idx in values.index[bad]:
            problems.append(
                CellProblem(
                    int(idx),
                    column.name,
                    f"value {values[idx]:g} is outside scale {scale.id!r} "
                    f"(whole numbers {scale.min}..{scale.max})",
                )
            )
    elif item.format == "points":
        bad = values.notna() & ((values < 0) | ~np.isfinite(values))
        for idx in values.index[bad]:
            problems.append(
                CellProblem(int(idx), column.name, f"points must be 0 or more, got {values[idx]:g}")
            )
    return values


def _text_column(
    raw: pd.Series, column: AnswerColumn, codes: set[str], problems: list[CellProblem]
) -> pd.Series:
    text = raw.astype(object).where(raw.notna(), None)
    present = text.notna()
    stripped = text[present].astype(str).str.strip()
    stripped[stripped.map(label_key).isin(codes)] = None
    text[present] = stripped
    long = text[present].astype(str).str.len() > MAX_TEXT_LENGTH
    for idx in long.index[long.to_numpy()]:
        problems.append(
            CellProblem(int(idx), column.name, f"text longer than {MAX_TEXT_LENGTH} characters")
        )
    return text


def _unanswered_required(
    index: pd.Index, values: dict[str, pd.Series], instrument: Instrument
) -> list[CellProblem]:
    """A problem for each row that leaves a required item empty (a column the file does
    not have counts as empty)."""
    problems: list[CellProblem] = []
    for item in instrument.items:
        if not item.required:
            continue
        names = [c.name for c in instrument.answer_columns() if c.item == item.id]
        given = [values[n].notna() for n in names if n in values]
        answered = (
            pd.concat(given, axis=1).any(axis=1)
            if given
            else pd.Series(False, index=index, dtype=bool)
        )
        problems += [
            CellProblem(int(idx), names[0], f"required item {item.id!r} has no answer")
            for idx in index[~answered.to_numpy()]
        ]
    return problems


def validate_answers(
    frame: pd.DataFrame,
    columns: Iterable[AnswerColumn],
    instrument: Instrument,
    *,
    missing_codes: Iterable[str],
) -> ValidatedAnswers:
    """Convert and check every answer column of ``frame`` (named canonically)."""
    codes = missing_keys(missing_codes)
    numeric_codes = (
        pd.to_numeric(pd.Series(sorted(codes), dtype=object), errors="coerce")
        .dropna()
        .to_numpy(dtype="float64")
    )
    problems: list[CellProblem] = []
    values: dict[str, pd.Series] = {}
    for column in columns:
        raw = frame[column.name]
        if column.field == "text":
            values[column.name] = _text_column(raw, column, codes, problems)
        else:
            values[column.name] = _numeric_column(
                raw, column, instrument, codes, numeric_codes, problems
            )
    for item in instrument.items_of_format("points"):
        names = [c.name for c in instrument.answer_columns() if c.item == item.id]
        names = [n for n in names if n in values]
        if not names or item.total is None:
            continue
        block = pd.DataFrame({n: values[n] for n in names})
        answered = block.notna().any(axis=1)
        sums = block.sum(axis=1, min_count=1)
        bad = answered & ((sums - item.total).abs() > 1e-6)
        for idx in block.index[bad]:
            problems.append(
                CellProblem(
                    int(idx),
                    names[0],
                    f"points of item {item.id!r} sum to {sums[idx]:g}; they must sum to "
                    f"{item.total}",
                )
            )
    if instrument.required_on_import:
        problems += _unanswered_required(frame.index, values, instrument)
    if values:
        answered_any = pd.concat([v.notna() for v in values.values()], axis=1).any(axis=1)
        for idx in frame.index[~answered_any.to_numpy()]:
            problems.append(CellProblem(int(idx), "", "the row has no answers"))
    return ValidatedAnswers(values=values, problems=problems)
