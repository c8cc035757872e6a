"""Texts of the reports in English, Chinese and Persian.

Identifiers stay English; every word a reader sees comes from :data:`CATALOGUE` (context
``report`` of the gettext catalogue, :mod:`cxgap.locale`) through a :class:`Texts` object.
Persian is written right-to-left and shown with Persian digits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from babel.dates import format_date, format_time

from cxgap.errors import ValidationError
from cxgap.locale import fill, messages
from cxgap.text.numerals import localised_digits

LRI, FSI, PDI = "\u2066", "\u2068", "\u2069"
"""Unicode left-to-right isolate, first-strong isolate and their end: a signed number
inside right-to-left text keeps its sign on the left; a name people typed keeps its own
direction without reordering the words around it."""
P_FLOOR = 0.001
"""p values below this are written as ``< 0.001``."""

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
        return fill(text, self.lang, values) if values else text

    def digits(self, text: str) -> str:
        """``text`` with the digits of this language (Persian digits in ``fa``)."""
        return localised_digits(text, self.lang, marks=True)

    def _signed(self, text: str) -> str:
        """A formatted number in this language's digits; in right-to-left text a signed
        one is isolated left to right, so that its minus sign (U+2212) stays in front."""
        shown = self.digits(text)
        if self.rtl and text[:1] in "+-":
            return f"{LRI}{shown}{PDI}"
        return shown

    def number(self, value: float | None, digits: int = 2, *, signed: bool = False) -> str:
        """``value`` with ``digits`` decimals and the language's separators."""
        if value is None or value != value:
            return "–"
        sign = "+" if signed else ""
        return self._signed(f"{value:{sign},.{digits}f}")

    def percent(self, value: float | None, digits: int = 0, *, signed: bool = False) -> str:
        if value is None or value != value:
            return "–"
        sign = "+" if signed else ""
        return self._signed(f"{value:{sign},.{digits}%}")

    def count(self, value: int) -> str:
        return self.digits(f"{value:,}")

    def p_value(self, value: float | None, digits: int = 3) -> str:
        """A p value: ``< 0.001`` below :data:`P_FLOOR`, otherwise ``digits`` decimals.
        The one way every page, report and terminal table writes p values."""
        if value is None or value != value:
            return "–"
        if value < P_FLOOR:
            below = self.digits(f"< {P_FLOOR:.3f}")
            return f"{LRI}{below}{PDI}" if self.rtl else below
        return self.number(value, digits)

    def segment_value(self, attribute: str, value: object) -> str:
        """A segment value in words: the catalogue's label of a known code (``male``,
        ``south``, ``web_message``), else the value itself (an organisation's own codes)
        with this language's digits."""
        known = CATALOGUE.get(f"value_{attribute}_{value}")
        return known[self.lang] if known else localised_digits(value, self.lang)

    def segment_size(self, attribute: str, value: object, n: int) -> str:
        """A segment value with its number of respondents: ``male (n=480)``."""
        return self("segment_n", segment=self.segment_value(attribute, value), n=self.count(n))

    def date(self, value: dt.date | dt.datetime) -> str:
        """A date written for this language (Babel's medium format; Persian digits in
        ``fa``)."""
        return localised_digits(format_date(value, format="medium", locale=self.lang), self.lang)

    def date_time(self, value: dt.datetime) -> str:
        """A date and time (to the minute) written for this language."""
        day = format_date(value, "medium", locale=self.lang)
        time = format_time(value, "short", locale=self.lang)
        return localised_digits(f"{day} {time}", self.lang)

    def join(self, parts: list[str], *, clauses: bool = True) -> str:
        """``parts`` as one list in this language: clauses apart by semicolons, names
        (``clauses=False``) by commas (the ideographic comma in Chinese)."""
        separators = {
            "en": ("; ", ", "),
            "zh": ("；", "、"),
            "fa": ("؛ ", "، "),
        }[self.lang]
        return separators[0 if clauses else 1].join(parts)

    def isolated(self, value: str) -> str:
        """Text people typed (a plan's title, a task) or a key, isolated in its own
        direction (first strong character) so that it cannot reorder the sentence it is
        part of, whatever that sentence's direction (the text form of ``<bdi>``)."""
        return f"{FSI}{value}{PDI}"

    def period(self, value: object) -> str:
        """A period label (``2026Q3``, ``2026-07``) in this language's digits, kept left
        to right in right-to-left text; ``–`` for none."""
        if not isinstance(value, str) or not value:
            return "–"
        shown = localised_digits(value, self.lang)
        return f"{LRI}{shown}{PDI}" if self.rtl else shown

    def iso_date(self, value: dt.date) -> str:
        """A date as ``YYYY-MM-DD`` in this language's digits; in a right-to-left language
        isolated left to right, so its parts keep their order."""
        written = localised_digits(value.isoformat(), self.lang)
        return f"{LRI}{written}{PDI}" if self.rtl else written
