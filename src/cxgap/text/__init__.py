"""Pure text helpers: what characters user text may hold, and how text cells are written
to spreadsheets so that they stay text.

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

__all__ = [
    "ALLOWED_CONTROLS",
    "SPREADSHEET_TRIGGERS",
    "check_text",
    "describe_character",
    "forbidden_characters",
    "replace_forbidden",
    "spreadsheet_cell",
    "spreadsheet_frame",
    "unquote_cell",
    "unquote_frame",
]
