"""Cell normalisation: numerals, missing-value codes and scale labels."""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

from cxgap.instruments.model import Scale

_DIGITS = str.maketrans(
    "۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩٫٬−",
    "01234567890123456789.,-",
)
"""Persian (U+06F0..) and Arabic-Indic (U+0660..) digits, Arabic decimal and thousands
separators and the minus sign, mapped to ASCII."""

_NUMERAL = re.compile(r"[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)?(?:\.[0-9]*)?", re.ASCII)
NUMERALS_ALLOWED = (
    "digits 0-9, Persian or Arabic-Indic digits, an optional sign and decimal point; "
    "no exponents or other scripts' digits"
)
"""What :func:`parse_number` accepts, in words for messages."""


def parse_number(text: str) -> float | None:
    """The number written in ``text``, or ``None`` when it is not a plain numeral.

    The one rule for numbers people type (file cells and survey forms): ASCII digits,
    Persian (U+06F0..) and Arabic-Indic (U+0660..) digits, an optional sign (``+``, ``-``
    or the minus sign U+2212), an optional decimal point (``.`` or the Arabic decimal
    separator U+066B) and the Arabic thousands separator U+066C between groups of three
    digits; surrounding spaces are ignored. Exponents (``1e1``), underscores (``1_0``),
    ``inf``/``nan``, hexadecimal and the digits of other scripts (``𝟓``, ``१``) are not
    numbers here.

    >>> parse_number("۳٫۵"), parse_number("1e1")
    (3.5, None)
    """
    cleaned = text.strip().translate(_DIGITS)
    if "," in text or not _NUMERAL.fullmatch(cleaned) or not any(c.isdigit() for c in cleaned):
        return None
    return float(cleaned.replace(",", ""))


DEFAULT_MISSING_CODES: tuple[str, ...] = ("", "N/A", "NA", "n/a", "na", "-", ".")
"""Cell values treated as missing unless the import declares its own codes."""


def normalise_digits(values: pd.Series) -> pd.Series:
    """Replace Persian and Arabic-Indic digits (and separators) by ASCII ones."""
    return values.str.translate(_DIGITS)


def label_key(label: str) -> str:
    """The form scale labels are compared in: case-folded, inner spaces collapsed."""
    return " ".join(label.casefold().split())


def scale_label_map(scale: Scale) -> dict[str, float]:
    """Every label of every language of ``scale`` mapped to its value."""
    mapping: dict[str, float] = {}
    for point in scale.points:
        for text in point.label.values():
            mapping[label_key(text)] = float(point.value)
    return mapping


def missing_keys(codes: Iterable[str]) -> set[str]:
    return {label_key(str(code)) for code in codes}
