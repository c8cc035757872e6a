"""Pure text helpers: what characters user text may hold, how text cells are written
to spreadsheets so that they stay text, and how numerals are read and written
(:mod:`cxgap.text.numerals`).

No I/O here; every entrance (file import, web forms, API bodies, command line) and every
exit (CSV/XLSX exports, report tables) calls these functions, so there is one policy.
"""

from cxgap.text.cells import (
    SPREADSHEET_TRIGGERS,
    spreadsheet_cell,
    spreadsheet_frame,
    unquote_cell,
    unquote_frame,
)
from cxgap.text.control import (
    ALLOWED_CONTROLS,
    check_text,
    describe_character,
    forbidden_characters,
    replace_forbidden,
)
from cxgap.text.numerals import (
    NUMERALS_ALLOWED,
    ascii_digits,
    localised_digits,
    parse_number,
)
from cxgap.text.plural import counted

__all__ = [
    "ALLOWED_CONTROLS",
    "NUMERALS_ALLOWED",
    "SPREADSHEET_TRIGGERS",
    "ascii_digits",
    "check_text",
    "counted",
    "describe_character",
    "forbidden_characters",
    "localised_digits",
    "parse_number",
    "replace_forbidden",
    "spreadsheet_cell",
    "spreadsheet_frame",
    "unquote_cell",
    "unquote_frame",
]
