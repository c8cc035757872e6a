"""Reading stored responses back as tables, and exporting them to files.

The wide table uses the instrument's canonical answer column names, so an exported file
imports again unchanged.

CSV and XLSX files are opened in spreadsheets, so their text cells go through
:func:`cxgap.text.spreadsheet_cell`: a cell that would start a formula (``=``, ``+``,
``-``, ``@``, tab, carriage return) gets a leading ``'`` and control characters that
XLSX cannot hold become U+FFFD. Numbers stay numbers. Parquet is a data format, not a
spreadsheet: it keeps the text exactly as stored.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from cxgap.engine.frames import responses_frame
from cxgap.errors import ValidationError
from cxgap.segments import custom_attribute
from cxgap.text import spreadsheet_cell, spreadsheet_frame

EXPORT_FORMATS = ("csv", "xlsx", "parquet")


def export_survey(engine: Engine, survey: str, path: str | Path) -> int:
    """Write ``survey``'s responses to a CSV, XLSX or Parquet file; returns the row count."""
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
    return len(frame)


def write_csv(path: str | Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Write a CSV file for people to open in a spreadsheet: every text cell goes through
    :func:`cxgap.text.spreadsheet_cell`, numbers are written as numbers."""
    with Path(path).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([spreadsheet_cell(name) for name in header])
        writer.writerows([spreadsheet_cell(cell) for cell in row] for row in rows)
