"""Numerals: reading the digits people type, writing numbers in a language's digits.

One table for each direction, used by every entrance (file import, survey forms, API,
command line) and every exit (survey forms, dashboard, reports).
"""

from __future__ import annotations

import re

INPUT_DIGITS = str.maketrans(
    "۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩٫٬−",
    "01234567890123456789.,-",
)
"""Persian (U+06F0..) and Arabic-Indic (U+0660..) digits, the Arabic decimal and
thousands separators and the minus sign, mapped to ASCII."""

_NUMERAL = re.compile(r"[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)?(?:\.[0-9]*)?", re.ASCII)

NUMERALS_ALLOWED = (
    "digits 0-9, Persian or Arabic-Indic digits, an optional sign and decimal point; "
    "no exponents or other scripts' digits"
)
"""What :func:`parse_number` accepts, in words for messages."""

_OUTPUT: dict[tuple[str, bool], dict[int, int]] = {
    ("fa", False): str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"),
    ("fa", True): str.maketrans("0123456789.,-%", "۰۱۲۳۴۵۶۷۸۹٫٬−٪"),
}
"""Digits (and, with marks, a number's separators and signs) of the languages that do not
write ASCII digits."""


def ascii_digits(text: str) -> str:
    """``text`` with Persian and Arabic-Indic digits and separators written in ASCII.

    >>> ascii_digits("۱۲٫۵")
    '12.5'
    """
    return text.translate(INPUT_DIGITS)


def parse_number(text: str) -> float | None:
    """The number written in ``text``, or ``None`` when it is not a plain numeral.

    The one rule for numbers people type (file cells and survey forms): ASCII digits,
    Persian (U+06F0..) and Arabic-Indic (U+0660..) digits, an optional sign (``+``, ``-``
    or the minus sign U+2212), an optional decimal point (``.`` or the Arabic decimal
    separator U+066B) and the Arabic thousands separator U+066C between groups of three
    digits; surrounding spaces are ignored. Exponents (``1e1``), underscores (``1_0``),
    ``inf``/``nan``, hexadecimal and the digits of other scripts (``𝟓``, ``१``) are not
    numbers here.

    >>> parse_number("۳٫۵"), parse_number("−۲"), parse_number("1e1")
    (3.5, -2.0, None)
    """
    cleaned = ascii_digits(text.strip())
    if "," in text or not _NUMERAL.fullmatch(cleaned) or not any(c.isdigit() for c in cleaned):
        return None
    return float(cleaned.replace(",", ""))


def localised_digits(value: object, lang: str, *, marks: bool = False) -> str:
    """``value`` as text with the digits of ``lang`` (Persian digits in Persian; other
    languages keep ASCII). With ``marks``, a formatted number's decimal point, thousands
    separator, minus and percent signs are that language's too (``-1,234.5%`` becomes
    ``−۱٬۲۳۴٫۵٪``); leave it off for text that only contains numbers (a wave ``2026-Q1``).

    >>> localised_digits(12, "fa"), localised_digits("-0.5", "fa", marks=True)
    ('۱۲', '−۰٫۵')
    """
    table = _OUTPUT.get((lang, marks))
    return str(value) if table is None else str(value).translate(table)
