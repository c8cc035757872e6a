"""Texts of the reports in English, Chinese and Persian.

Identifiers stay English; every word a reader sees comes from :data:`CATALOGUE` (context
``report`` of the gettext catalogue, :mod:`cxgap.locale`) through a :class:`Texts` object.
Persian is written right-to-left and shown with Persian digits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from cxgap.errors import ValidationError
from cxgap.locale import messages
from cxgap.text.numerals import localised_digits

Language = Literal["en", "zh", "fa"]
LANGUAGES: tuple[Language, ...] = ("en", "zh", "fa")

CATALOGUE: dict[str, dict[str, str]] = {
    key: {lang: messages("report")[lang][key] for lang in LANGUAGES}
    for key in messages("report")["en"]
}
"""Report texts by key and language."""


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
        return localised_digits(text, self.lang, marks=True)

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

    def join(self, parts: list[str], *, clauses: bool = True) -> str:
        """``parts`` as one list in this language: clauses apart by semicolons, names
        (``clauses=False``) by commas (the ideographic comma in Chinese)."""
        separators = {
            "en": ("; ", ", "),
            "zh": ("；", "、"),
            "fa": ("؛ ", "، "),
        }[self.lang]
        return separators[0 if clauses else 1].join(parts)

    def date(self, value: dt.date) -> str:
        """A date as ``YYYY-MM-DD`` in this language's digits; in a right-to-left language
        isolated left to right, so its parts keep their order."""
        written = localised_digits(value.isoformat(), self.lang)
        return f"\u2066{written}\u2069" if self.rtl else written
