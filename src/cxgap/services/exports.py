"""Reading stored responses back as tables, and exporting them to files.

The wide table uses the instrument's canonical answer column names, so an exported file
imports again unchanged.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from cxgap.engine.frames import responses_frame
from cxgap.errors import ValidationError

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
    frame = frame.dropna(axis=1, how="all").copy()
    for name in frame.columns:
        column = frame[name]
        if column.dtype.kind == "f" and bool((column.dropna() % 1 == 0).all()):
            frame[name] = column.astype("Int64")
    if "submitted_at" in frame.columns:
        frame["submitted_at"] = frame["submitted_at"].astype(str)
    if fmt == "csv":
        frame.to_csv(path, index=False, encoding="utf-8")
    elif fmt == "xlsx":
        frame.to_excel(path, index=False, engine="openpyxl")
    else:
        frame.to_parquet(path, index=False)
    return len(frame)
