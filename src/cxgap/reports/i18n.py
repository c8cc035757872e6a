"""Texts of the reports in English, Chinese and Persian.

Identifiers stay English; every word a reader sees comes from :data:`CATALOGUE` through a
:class:`Texts` object. Persian is written right-to-left and shown with Persian digits.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml

from cxgap.errors import ValidationError

Language = Literal["en", "zh", "fa"]
LANGUAGES: tuple[Language, ...] = ("en", "zh", "fa")

CATALOGUE: dict[str, dict[str, str]] = yaml.safe_load(
    (Path(__file__).with_name("catalogue.yaml")).read_text(encoding="utf-8")
)
"""Report texts by key and language (``catalogue.yaml``)."""

_PERSIAN_DIGITS = str.maketrans("0123456789.,-%", "۰۱۲۳۴۵۶۷۸۹٫٬−٪")


@dataclass(frozen=True)
class Texts:
    """The report texts of one language, with number formatting for it."""

    lang: Language

    def __post_init__(self) -> None:
        if self.lang not in LANGUAGES:
            raise ValidationError(f"lang must be one of {', '.join(LANGUAGES)}; got {self.lang!r}")

    @property
    def rtl(self) -> bool:
        return self.lang == "fa"

    def __call__(self, key: str, **values: object) -> str:
        text = CATALOGUE[key][self.lang]
        return text.format(**values) if values else text

    def digits(self, text: str) -> str:
        """``text`` with the digits of this language (Persian digits in ``fa``)."""
        return text.translate(_PERSIAN_DIGITS) if self.lang == "fa" else text

    def number(self, value: float | None, digits: int = 2, *, signed: bool = False) -> str:
        if value is None or value != value:
            return "–"
        sign = "+" if signed else ""
        return self.digits(f"{value:{sign},.{digits}f}")

    def percent(self, value: float | None, digits: int = 0, *, signed: bool = False) -> str:
        if value is None or value != value:
            return "–"
        sign = "+" if signed else ""
        return self.digits(f"{value:{sign}.{digits}%}")

    def count(self, value: int) -> str:
        return self.digits(f"{value:,}")
