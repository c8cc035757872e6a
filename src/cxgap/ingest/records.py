"""From a file's rows to respondent records.

In the wide layout a record is one row. In the long layout (one row per respondent, item
and field: ``respondent_id, item, field, value``) the rows of a respondent are gathered into
one record; every file row keeps its number so that a rejection names the rows it covers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from cxgap.ingest.matching import (
    ColumnPlan,
    answer_aliases,
    normalise_name,
    plan_columns,
)
from cxgap.ingest.readers import RawTable
from cxgap.instruments.model import Instrument
from cxgap.segments import custom_segment


@dataclass(frozen=True)
class Rejection:
    """Why a file row was not accepted."""

    row_number: int
    column: str | None
    reason: str
    raw: dict[str, Any] | None = None


@dataclass
class Records:
    """Respondent records built from a file.

    ``frame`` has one row per record; its answer columns are renamed to the canonical
    answer column names of the instrument, role columns to their role names.
    ``rows`` lists, per record, the file rows it came from.
    """

    frame: pd.DataFrame
    rows: list[list[int]]
    plan: ColumnPlan
    layout: str
    rejections: list[Rejection] = field(default_factory=list)
    cell_rows: list[dict[str, int]] = field(default_factory=list)
    """Long layout: per record, the file row of each answer column."""

    def row_of(self, record: int, column: str | None) -> int:
        """The file row holding ``column`` of ``record`` (its first row otherwise)."""
        if column and self.cell_rows:
            return self.cell_rows[record].get(column, self.rows[record][0])
        return self.rows[record][0]


def is_long(columns: list[str]) -> bool:
    names = {normalise_name(c) for c in columns}
    return all(c in names for c in ("item", "value"))


def raw_row(frame: pd.DataFrame, index: int) -> dict[str, Any]:
    return {str(k): (None if v is None else str(v)) for k, v in frame.iloc[index].items()}


def wide_records(table: RawTable, plan: ColumnPlan) -> Records:
    rename = {col: slot.name for col, slot in plan.answers.items()}
    rename.update({col: role for role, col in plan.roles.items()})
    rename.update({col: custom_segment(name) for col, name in plan.attributes.items()})
    frame = table.frame[list(rename)].rename(columns=rename)
    rows = [[int(n)] for n in table.row_numbers]
    return Records(frame=frame, rows=rows, plan=plan, layout="wide")


def long_records(
    table: RawTable, instrument: Instrument, mapping: dict[str, str] | None, source: str
) -> Records:
    frame = table.frame
    by_norm = {normalise_name(c): c for c in frame.columns}
    item_col, value_col = by_norm["item"], by_norm["value"]
    field_col, option_col = by_norm.get("field"), by_norm.get("option")
    other = [c for c in frame.columns if c not in {item_col, value_col, field_col, option_col}]
    plan = plan_columns(other, instrument, mapping=mapping, source=source)
    aliases = answer_aliases(instrument)
    key_col = plan.roles.get("respondent") or plan.roles.get("customer")
    rejections: list[Rejection] = []
    numbers = table.row_numbers.tolist()

    def slot_name(i: int) -> str | None:
        parts = [str(frame.at[i, item_col] or "")]
        for extra in (field_col, option_col):
            if extra is not None and frame.at[i, extra] not in (None, ""):
                parts.append(str(frame.at[i, extra]))
        slot = aliases.get(normalise_name("_".join(parts)))
        return slot.name if slot else None

    records: dict[str, dict[str, Any]] = {}
    record_rows: dict[str, list[int]] = {}
    first_row: dict[tuple[str, str], int] = {}
    for i in range(len(frame)):
        number = numbers[i]
        key = "" if key_col is None else str(frame.at[i, key_col] or "").strip()
        if not key:
            rejections.append(
                Rejection(
                    number,
                    key_col or "respondent_id",
                    "long layout needs a respondent_id or customer_id in every row",
                    raw_row(frame, i),
                )
            )
            continue
        name = slot_name(i)
        if name is None:
            known = ", ".join(c.name for c in instrument.answer_columns()[:5])
            rejections.append(
                Rejection(
                    number,
                    item_col,
                    f"unknown item {frame.at[i, item_col]!r} for instrument {instrument.id!r} "
                    f"(answer names are like {known} ...)",
                    raw_row(frame, i),
                )
            )
            continue
        record = records.setdefault(key, {})
        record_rows.setdefault(key, [])
        if (key, name) in first_row:
            rejections.append(
                Rejection(
                    number,
                    value_col,
                    f"second value for {name} of respondent {key!r} (first at row "
                    f"{first_row[(key, name)]})",
                    raw_row(frame, i),
                )
            )
            continue
        first_row[(key, name)] = number
        record[name] = frame.at[i, value_col]
        record_rows[key].append(number)
        for role, col in plan.roles.items():
            value = frame.at[i, col]
            if value not in (None, ""):
                record.setdefault(role, value)
        for col, attr in plan.attributes.items():
            value = frame.at[i, col]
            if value not in (None, ""):
                record.setdefault(custom_segment(attr), value)
    keys = list(records)
    wide = pd.DataFrame([records[k] for k in keys], dtype=object)
    for role in ("respondent", "customer"):
        if plan.roles.get(role) == key_col and key_col is not None:
            wide[role] = keys
    answer_names = {c.name for c in instrument.answer_columns()}
    present = [c for c in wide.columns if c in answer_names]
    plan.answers = {
        name: next(c for c in instrument.answer_columns() if c.name == name) for name in present
    }
    cells: dict[str, dict[str, int]] = {}
    for (key, name), number in first_row.items():
        cells.setdefault(key, {})[name] = number
    return Records(
        frame=wide.reset_index(drop=True),
        rows=[record_rows[k] for k in keys],
        plan=plan,
        layout="long",
        rejections=rejections,
        cell_rows=[cells.get(k, {}) for k in keys],
    )
