"""Reading survey files (CSV, XLSX, Parquet) into a table of cells with row numbers.

Every data row keeps the number a person would look for: the line where it starts in a
CSV file, the sheet row in a workbook, the record number (header = 1) in Parquet. Rows
with the wrong number of fields are not dropped: they come back as ``malformed`` rows
with the reason, for the quarantine.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cxgap.errors import IngestError
from cxgap.ingest.encoding import decode_bytes

FORMATS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".parquet": "parquet"}


@dataclass(frozen=True)
class MalformedRow:
    """A row that could not be split into the header's columns."""

    row_number: int
    reason: str
    raw: str


@dataclass(frozen=True)
class RawTable:
    """A file's cells (as read, before any validation) and facts about the file."""

    path: Path
    file_format: str
    frame: pd.DataFrame
    row_numbers: pd.Series
    sha256: str
    encoding: str | None = None
    encoding_detected: bool = False
    malformed: list[MalformedRow] = field(default_factory=list)

    @property
    def rows_total(self) -> int:
        return len(self.frame) + len(self.malformed)


def file_format(path: Path) -> str:
    """The format of ``path`` from its name, or an :class:`IngestError`."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise IngestError(
            f"{path}: unsupported file type {path.suffix or '(none)'!r}; "
            "use .csv, .xlsx or .parquet"
        )
    return fmt


def _dedupe_header(header: list[str], source: str) -> list[str]:
    names = [h.strip() for h in header]
    seen: set[str] = set()
    for n, name in enumerate(names, start=1):
        if not name:
            raise IngestError(f"{source}: column {n} of the header has no name")
        if name in seen:
            raise IngestError(f"{source}: column name {name!r} appears twice in the header")
        seen.add(name)
    return names


def _read_csv(path: Path, data: bytes, encoding: str | None) -> RawTable:
    decoded = decode_bytes(data, encoding=encoding, source=str(path))
    text = decoded.text
    sample = text[:10_000]
    delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    if delimiter == "," and sample.count(";") > sample.count(","):
        delimiter = ";"
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise IngestError(f"{path}: the file is empty (no header row)") from None
    columns = _dedupe_header(header, str(path))
    width = len(columns)
    rows: list[list[str]] = []
    numbers: list[int] = []
    malformed: list[MalformedRow] = []
    start = reader.line_num + 1
    try:
        for record in reader:
            if len(record) == width:
                rows.append(record)
                numbers.append(start)
            elif record:
                malformed.append(
                    MalformedRow(
                        start,
                        f"row has {len(record)} fields, the header has {width}",
                        delimiter.join(record)[:2000],
                    )
                )
            else:
                malformed.append(MalformedRow(start, "empty row", ""))
            start = reader.line_num + 1
    except csv.Error as exc:
        malformed.append(MalformedRow(start, f"unreadable CSV from here on: {exc}", ""))
    frame = pd.DataFrame(rows, columns=columns, dtype=object)
    return RawTable(
        path=path,
        file_format="csv",
        frame=frame,
        row_numbers=pd.Series(numbers, dtype="int64"),
        sha256=hashlib.sha256(data).hexdigest(),
        encoding=decoded.encoding,
        encoding_detected=decoded.detected,
        malformed=malformed,
    )


def _from_frame(path: Path, fmt: str, data: bytes, frame: pd.DataFrame) -> RawTable:
    columns = _dedupe_header([str(c) for c in frame.columns], str(path))
    frame.columns = pd.Index(columns)
    frame = frame.astype(object).where(frame.notna(), None)
    return RawTable(
        path=path,
        file_format=fmt,
        frame=frame.reset_index(drop=True),
        row_numbers=pd.Series(range(2, len(frame) + 2), dtype="int64"),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def read_table(
    path: str | Path,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    max_bytes: int | None = None,
) -> RawTable:
    """Read a CSV, XLSX or Parquet file into a :class:`RawTable`."""
    path = Path(path)
    fmt = file_format(path)
    if not path.is_file():
        raise IngestError(f"{path}: no such file")
    size = path.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise IngestError(
            f"{path}: the file has {size / 2**20:.1f} MiB, more than the limit of "
            f"{max_bytes / 2**20:.0f} MiB (setting CXGAP_IMPORT_MAX_FILE_MB)"
        )
    data = path.read_bytes()
    if fmt == "csv":
        return _read_csv(path, data, encoding)
    try:
        if fmt == "xlsx":
            frame = pd.read_excel(
                io.BytesIO(data), sheet_name=sheet or 0, dtype=object, engine="openpyxl"
            )
        else:
            frame = pd.read_parquet(io.BytesIO(data))
    except (ValueError, KeyError, OSError) as exc:
        raise IngestError(f"{path}: cannot be read as {fmt.upper()}: {exc}") from None
    except Exception as exc:  # broken zip / parquet footers raise library-specific errors
        raise IngestError(f"{path}: cannot be read as {fmt.upper()}: {exc}") from None
    return _from_frame(path, fmt, data, frame)
