"""Cell normalisation: numerals, missing-value codes and scale labels."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from cxgap.instruments.model import Scale
from cxgap.text.numerals import INPUT_DIGITS, NUMERALS_ALLOWED, parse_number

__all__ = [
    "DEFAULT_MISSING_CODES",
    "NUMERALS_ALLOWED",
    "label_key",
    "missing_keys",
    "normalise_digits",
    "parse_number",
    "scale_label_map",
]

DEFAULT_MISSING_CODES: tuple[str, ...] = ("", "N/A", "NA", "n/a", "na", "-", ".")
"""Cell values treated as missing unless the import declares its own codes."""


def normalise_digits(values: pd.Series) -> pd.Series:
    """Replace Persian and Arabic-Indic digits (and separators) by ASCII ones."""
    return values.str.translate(INPUT_DIGITS)


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
