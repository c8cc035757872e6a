"""The survey form's own texts in English, Chinese and Persian, and language choice.

Instrument texts (questions, scale labels) come from the instrument; these are the words
around them: buttons, sub-questions of each item format, messages and error texts, kept
in the gettext catalogue (:mod:`cxgap.locale`, context ``form``).
"""

from __future__ import annotations

from collections.abc import Sequence

from cxgap.instruments.model import RTL_LANGUAGES
from cxgap.locale import messages
from cxgap.locale import text as catalogue_text
from cxgap.text.numerals import localised_digits

LANGUAGE_NAMES = {"en": "English", "zh": "中文", "fa": "فارسی"}

TEXTS: dict[str, dict[str, str]] = messages("form")
"""Form texts by language and key (context ``form`` of the catalogue, :mod:`cxgap.locale`)."""


def digits(value: object, lang: str) -> str:
    """A number written with the digits of ``lang`` (Persian digits in Persian)."""
    return localised_digits(value, lang)


def text(lang: str, key: str, **params: object) -> str:
    """A form text in ``lang`` with numbers in that language's digits."""
    return catalogue_text("form", lang, key, **params)


def direction(lang: str) -> str:
    return "rtl" if lang in RTL_LANGUAGES else "ltr"


def choose_language(
    available: Sequence[str],
    *,
    requested: str | None = None,
    invited: str | None = None,
    accept_language: str | None = None,
) -> str:
    """The page language: asked for in the URL, else the invitation's, else the
    browser's most preferred one the survey has, else the survey's first language."""
    usable = [lang for lang in available if lang in TEXTS] or ["en"]
    for choice in (requested, invited):
        if choice in usable:
            return choice
    preferences: list[tuple[float, int, str]] = []
    for n, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in usable and quality > 0:
            preferences.append((-quality, n, primary))
    return min(preferences)[2] if preferences else usable[0]
