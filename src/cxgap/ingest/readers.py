"""Reading survey files (CSV, XLSX, Parquet) into a table of cells with row numbers.

Every data row keeps the number a person would look for: the line where it starts in a
CSV file, the sheet row in a workbook, the record number (header = 1) in Parquet. Rows
with the wrong number of fields are not dropped: they come back as ``malformed`` rows
with the reason, for the quarantine.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pandas as pd
from openpyxl.utils import get_column_letter

from cxgap.errors import IngestError
from cxgap.ingest.encoding import decode_bytes
from cxgap.text import unquote_frame

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
    cell_problems: list[tuple[int, str, str]] = field(default_factory=list)
    """Cells that hold no value to import (XLSX formulas and errors): frame row, column,
    reason. The frame holds ``None`` there."""

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


_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_LINE_START_BOM = re.compile(r"(^|\r\n|\r|\n)\ufeff")
_QUOTED_FORMULA = re.compile("'[=+\\-@\t\r\uff1d\uff0b\uff0d\uff20 \u00a0\u3000]")
"""A quote before a formula-like character: what an export writes so that spreadsheets
keep the cell text (one pass over the file decides whether any cell needs unquoting)."""


def _scan_record(text: str, pos: int, delimiter: str) -> tuple[bool, int]:
    """Follow one CSV record from ``pos`` the way :mod:`csv` reads it.

    Returns ``(True, quote)`` when a quoted field opens at offset ``quote`` and is never
    closed, else ``(False, end)`` with the offset after the record's line break.
    """
    closing = re.compile(r'(?:[^"]|"")*+"')
    field_end = re.compile(f"[{re.escape(delimiter)}\r\n]")
    while pos < len(text):
        if text[pos] == '"':
            match = closing.match(text, pos + 1)
            if match is None:
                return True, pos
            pos = match.end()
        stop = field_end.search(text, pos)
        if stop is None:
            return False, len(text)
        if stop.group() != delimiter:
            return False, stop.end() + (text.startswith("\r\n", stop.start()) is True)
        pos = stop.end()
    return False, pos


def _line_and_column(text: str, start: int, start_line: int, offset: int) -> tuple[int, int]:
    breaks = list(_LINE_BREAK.finditer(text, start, offset))
    line_start = breaks[-1].end() if breaks else start
    return start_line + len(breaks), offset - line_start + 1


def _parse_csv(
    text: str, delimiter: str, width: int, pos: int, line: int
) -> tuple[list[list[str]], list[int], list[MalformedRow]]:
    """Records of ``text`` from offset ``pos`` (file line ``line``) on.

    A quote that is never closed would swallow the rest of the file into one field: the
    lines up to the one where it opened become one malformed row naming the line and
    column of the quote, and reading goes on with the next line.
    """
    rows: list[list[str]] = []
    numbers: list[int] = []
    malformed: list[MalformedRow] = []
    while True:
        stream = io.StringIO(text[pos:], newline="")
        reader = csv.reader(stream, delimiter=delimiter)
        record_pos, start = 0, line
        last_pos, last_start = 0, line
        try:
            for record in reader:
                last_pos, last_start = record_pos, start
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
                record_pos, start = stream.tell(), line + reader.line_num
            error = None
            record_pos, start = last_pos, last_start
        except csv.Error as exc:
            error = str(exc)
        if error is None and '"' not in text[pos + record_pos :]:
            return rows, numbers, malformed
        unclosed, offset = _scan_record(text, pos + record_pos, delimiter)
        if not unclosed and error is None:
            return rows, numbers, malformed
        if error is None:  # the last record ran to the end of the file inside a quote
            if numbers and numbers[-1] == start:
                rows.pop()
                numbers.pop()
            elif malformed and malformed[-1].row_number == start:
                malformed.pop()
        if unclosed:
            quote_line, column = _line_and_column(text, pos + record_pos, start, offset)
            reason = (
                f"the quote opened at line {quote_line}, column {column} is never closed; "
                "the lines after it were read on their own"
            )
            found = _LINE_BREAK.search(text, offset)
            end = found.end() if found else len(text)
            raw = text[pos + record_pos : end].rstrip("\r\n")
            next_line = quote_line + 1
        else:
            end = offset
            raw = text[pos + record_pos : end].rstrip("\r\n")
            reason = f"unreadable row: {error}"
            next_line = _line_and_column(text, pos + record_pos, start, end)[0]
        malformed.append(MalformedRow(start, reason, raw[:2000]))
        if end >= len(text):
            return rows, numbers, malformed
        pos, line = end, next_line


def _read_csv(path: Path, data: bytes, encoding: str | None) -> RawTable:
    decoded = decode_bytes(data, encoding=encoding, source=str(path))
    # A byte order mark at the start of a line comes from files joined together; it is
    # not text. (One anywhere else is refused with the cell by the text policy.)
    text = decoded.text
    if "\ufeff" in text:
        text = _LINE_START_BOM.sub(r"\1", text)
    sample = text[:10_000]
    delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    if delimiter == "," and sample.count(";") > sample.count(","):
        delimiter = ";"
    stream = io.StringIO(text, newline="")
    reader = csv.reader(stream, delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise IngestError(f"{path}: the file is empty (no header row)") from None
    except csv.Error as exc:
        raise IngestError(f"{path}: the header row cannot be read: {exc}") from None
    columns = _dedupe_header(header, str(path))
    rows, numbers, malformed = _parse_csv(
        text, delimiter, len(columns), stream.tell(), reader.line_num + 1
    )
    frame = pd.DataFrame(rows, columns=columns, dtype=object)
    if _QUOTED_FORMULA.search(text):  # cells an export quoted so spreadsheets keep them text
        frame = unquote_frame(frame)
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


def _check_unpacked(path: Path, data: bytes, max_unpacked: int | None) -> None:
    """Refuse a workbook whose parts unpack to more than ``max_unpacked`` bytes.

    The sizes come from the zip directory; reading never unpacks more than a part's
    stated size, so a small file cannot expand into gigabytes of shared strings.
    """
    try:
        parts = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError) as exc:
        raise IngestError(f"{path}: cannot be read as XLSX: {exc}") from None
    total = sum(p.file_size for p in parts)
    if max_unpacked is not None and total > max_unpacked:
        largest = max(parts, key=lambda p: p.file_size)
        raise IngestError(
            f"{path}: the workbook unpacks to {total / 2**20:.1f} MiB (the largest part, "
            f"{largest.filename}, to {largest.file_size / 2**20:.1f} MiB), more than the "
            f"limit of {max_unpacked / 2**20:.0f} MiB (setting CXGAP_IMPORT_MAX_UNPACKED_MB); "
            "save the data as CSV or Parquet"
        )


def _read_xlsx(path: Path, data: bytes, sheet: str | None) -> RawTable:
    """A worksheet's cells; formula and error cells are reported, not read as blanks."""
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # broken workbooks raise many library-specific errors
        raise IngestError(f"{path}: cannot be read as XLSX: {exc}") from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise IngestError(
                f"{path}: no worksheet named {sheet!r}; it has {', '.join(book.sheetnames)}"
            )
        worksheet = book[sheet] if sheet is not None else book.worksheets[0]
        rows = iter(worksheet.iter_rows(values_only=False))
        header_cells = next(rows, ())
        header = [c.value for c in header_cells]
        while header and header[-1] is None:
            header.pop()
        if not header:
            raise IngestError(f"{path}: the worksheet is empty (no header row)")
        names = [f"Unnamed: {j}" if v is None else str(v) for j, v in enumerate(header)]
        width = len(names)
        cells: list[list[object]] = []
        problems: list[tuple[int, str, str]] = []
        for number, row in enumerate(rows, start=2):
            values: list[object] = [None] * width
            for j, cell in enumerate(row[:width]):
                value = cell.value
                kind = getattr(cell, "data_type", "n")
                if kind == "f":
                    text = value if isinstance(value, str) else getattr(value, "text", "")
                    problems.append(
                        (
                            number - 2,
                            names[j],
                            f"cell {get_column_letter(j + 1)}{number} holds a formula "
                            f"({str(text)[:60]}); only values are imported: paste the "
                            "column as values",
                        )
                    )
                elif kind == "e":
                    problems.append(
                        (
                            number - 2,
                            names[j],
                            f"cell {get_column_letter(j + 1)}{number} holds the error {value}",
                        )
                    )
                else:
                    values[j] = value
            cells.append(values)
    finally:
        book.close()
    while cells and all(v is None for v in cells[-1]):
        cells.pop()
    frame = unquote_frame(pd.DataFrame(cells, columns=names, dtype=object))
    table = _from_frame(path, "xlsx", data, frame)
    used = len(cells)
    return dataclasses.replace(table, cell_problems=[p for p in problems if p[0] < used])


def read_table(
    path: str | Path,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    max_bytes: int | None = None,
    max_unpacked: int | None = None,
) -> RawTable:
    """Read a CSV, XLSX or Parquet file into a :class:`RawTable`.

    ``max_bytes`` bounds the file's size, ``max_unpacked`` the unpacked size of an XLSX
    workbook's parts.
    """
    path = Path(path)
    file_format(path)  # an unsupported type is named before a missing file
    if not path.is_file():
        raise IngestError(f"{path}: no such file")
    size = path.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise IngestError(
            f"{path}: the file has {size / 2**20:.1f} MiB, more than the limit of "
            f"{max_bytes / 2**20:.0f} MiB (setting CXGAP_IMPORT_MAX_FILE_MB)"
        )
    return read_table_data(
        path, path.read_bytes(), encoding=encoding, sheet=sheet, max_unpacked=max_unpacked
    )


def read_table_data(
    path: str | Path,
    data: bytes,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    max_unpacked: int | None = None,
) -> RawTable:
    """:func:`read_table` of a file's content ``data`` (an upload); ``path`` is the file's
    name, which says its format and names it in messages."""
    path = Path(path)
    fmt = file_format(path)
    if fmt == "csv":
        return _read_csv(path, data, encoding)
    if fmt == "xlsx":
        _check_unpacked(path, data, max_unpacked)
        return _read_xlsx(path, data, sheet)
    try:
        frame = pd.read_parquet(io.BytesIO(data))
    except Exception as exc:  # broken parquet footers raise library-specific errors
        raise IngestError(f"{path}: cannot be read as PARQUET: {exc}") from None
    return _from_frame(path, fmt, data, frame)
