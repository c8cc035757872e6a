"""The one policy for control characters in user text.

User text (answers, comments, names, attributes, feedback, identifiers) may hold any
printable character of any script, including the invisible formatting marks that Persian
and Chinese text needs (ZWNJ, LRM/RLM, bidi isolates). It may not hold:

- C0 control characters (U+0000-U+001F) other than tab, line feed and carriage return in
  multi-line text (single-line text allows none of them);
- DEL (U+007F) and the C1 control characters (U+0080-U+009F);
- lone surrogates (U+D800-U+DFFF), which cannot be stored as UTF-8;
- the non-characters U+FFFE and U+FFFF, and a byte order mark (U+FEFF) anywhere.

NUL in particular is cut off by SQLite's string functions, refused by PostgreSQL and
refused by XLSX; the other controls break spreadsheet exports and terminals.
"""

from __future__ import annotations

import re
import unicodedata

from cxgap.errors import ValidationError

ALLOWED_CONTROLS = frozenset("\t\n\r")
"""Control characters allowed in multi-line text; single-line text allows none."""

_FORBIDDEN_MULTILINE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufeff\ufffe\uffff]"
)
_FORBIDDEN_SINGLE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufeff\ufffe\uffff]")

_NAMES = {
    "\x00": "NUL",
    "\t": "TAB",
    "\n": "LINE FEED",
    "\r": "CARRIAGE RETURN",
    "\x1b": "ESCAPE",
    "\x7f": "DELETE",
    "\ufeff": "BYTE ORDER MARK",
}


def describe_character(char: str) -> str:
    """``U+0000 (NUL)``: the code point and a name a person can look up."""
    name = _NAMES.get(char) or unicodedata.name(char, "control character")
    return f"U+{ord(char):04X} ({name})"


def _pattern(multiline: bool) -> re.Pattern[str]:
    return _FORBIDDEN_MULTILINE if multiline else _FORBIDDEN_SINGLE_LINE


def forbidden_characters(text: str, *, multiline: bool = True) -> list[tuple[int, str]]:
    """Positions (0-based) and characters of ``text`` that the policy refuses.

    >>> forbidden_characters("ok\\x00no")
    [(2, '\\x00')]
    >>> forbidden_characters("two\\nlines")
    []
    >>> forbidden_characters("two\\nlines", multiline=False)
    [(3, '\\n')]
    """
    return [(m.start(), m.group()) for m in _pattern(multiline).finditer(text)]


def check_text(text: str, *, where: str, multiline: bool = True, field: str | None = None) -> str:
    """Return ``text`` unchanged, or raise a ``ValidationError`` naming the first
    forbidden character, its position and ``where`` it was found (and with ``field``, the
    input's name for an API's error body, see :class:`cxgap.errors.CxgapError`).

    >>> check_text("Merci beaucoup", where="comment")
    'Merci beaucoup'
    """
    found = forbidden_characters(text, multiline=multiline)
    if not found:
        return text
    position, char = found[0]
    allowed = (
        "printable characters, tab and line breaks"
        if multiline
        else "printable characters on one line"
    )
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    raise ValidationError(
        f"{where}: character {describe_character(char)} at position {position + 1}{more} "
        f"is not allowed; text may contain {allowed}",
        field=field,
    )


def replace_forbidden(text: str, *, multiline: bool = True, replacement: str = "\ufffd") -> str:
    """``text`` with every forbidden character replaced (for output of old data).

    >>> replace_forbidden("a\\x00b")
    'a\\ufffdb'
    """
    return _pattern(multiline).sub(replacement, text)
