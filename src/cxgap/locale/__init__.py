"""Every text people read, in English, Chinese and Persian: one gettext catalogue.

The texts live in ``locale/<lang>/LC_MESSAGES/*.po`` (the files translators' tools
open), read directly at run time with Babel, so no build step is needed. ``cxgap.po``
holds the core texts; a feature area may keep its texts in a file of its own (for example
``cases.po``), read together with it: a key defined in two files is an error. Each message has
a context saying where it is shown (:data:`CONTEXTS`), the key the code asks for as its
``msgid`` and the text as its ``msgstr``; placeholders in braces are filled in by the code
and are the same in every language (a test checks both).

>>> messages("form")["fa"]["languages"]
'زبان'
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from string import Formatter

from babel.messages.pofile import read_po

from cxgap.text.numerals import localised_digits

LANGUAGES: tuple[str, ...] = ("en", "zh", "fa")
"""The languages of the catalogue; English is the fallback."""

CONTEXTS: tuple[str, ...] = ("form", "dashboard", "report")
"""Where texts are shown: the survey form, the dashboard pages, the reports (whose words
the dashboard shares)."""

DOMAIN = "cxgap"
HERE = Path(__file__).resolve().parent


def catalogue_path(lang: str) -> Path:
    """The core ``.po`` file of ``lang``."""
    return HERE / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def catalogue_paths(lang: str) -> list[Path]:
    """Every ``.po`` file of ``lang``: the core file first, then the feature areas' files."""
    core = catalogue_path(lang)
    return [core, *sorted(p for p in core.parent.glob("*.po") if p != core)]


@cache
def _read(lang: str) -> dict[str, dict[str, str]]:
    """``context -> key -> text`` of one language's catalogue (all its files)."""
    texts: dict[str, dict[str, str]] = {context: {} for context in CONTEXTS}
    where: dict[tuple[str, str], str] = {}
    for path in catalogue_paths(lang):
        with path.open("rb") as handle:
            catalogue = read_po(handle, locale=lang, domain=path.stem)
        for message in catalogue:
            if not message.id or not isinstance(message.id, str):
                continue  # the header
            if message.context not in texts:
                raise ValueError(
                    f"{path}, line {message.lineno}: context {message.context!r} of "
                    f"{message.id!r} is not one of {', '.join(CONTEXTS)}"
                )
            key = (message.context, message.id)
            if key in where:
                raise ValueError(
                    f"{path}, line {message.lineno}: {message.context}/{message.id} is "
                    f"already defined in {where[key]}"
                )
            where[key] = f"{path.name}, line {message.lineno}"
            if isinstance(message.string, str) and message.string:
                texts[message.context][message.id] = message.string
    return texts


@cache
def messages(context: str) -> dict[str, dict[str, str]]:
    """``lang -> key -> text`` of one context, for every language of the catalogue."""
    if context not in CONTEXTS:
        raise ValueError(f"context must be one of {', '.join(CONTEXTS)}; got {context!r}")
    return {lang: dict(_read(lang)[context]) for lang in LANGUAGES}


def _wide(char: str) -> bool:
    """Whether ``char`` is a wide (CJK) character."""
    return unicodedata.east_asian_width(char) in "WF"


def fill(template: str, lang: str, values: Mapping[str, object]) -> str:
    """``template`` with its placeholders filled in from ``values``.

    Chinese puts no space between its own words: a translation written with a space
    around a placeholder (``{dimension} 是``) loses that space where the inserted text
    meets Chinese text on both sides (``可靠性是``); beside digits or Latin text it stays.

    >>> fill("{dimension} 是关键", "zh", {"dimension": "可靠性"})
    '可靠性是关键'
    >>> fill("共 {n} 份", "zh", {"n": 12})
    '共 12 份'
    """
    if lang != "zh":
        return template.format(**values)
    formatter = Formatter()
    out = ""
    for literal, field, spec, conversion in formatter.parse(template):
        if out and literal[:1] == " " and _wide(out[-1]) and _wide(literal[1:2] or "a"):
            literal = literal[1:]
        out += literal
        if field is None:
            continue
        value, _ = formatter.get_field(field, (), values)
        shown = formatter.format_field(formatter.convert_field(value, conversion), spec or "")
        if shown and out.endswith(" ") and len(out) > 1 and _wide(out[-2]) and _wide(shown[0]):
            out = out[:-1]
        out += shown
    return out


def text(context: str, lang: str, key: str, **params: object) -> str:
    """The text ``key`` of ``context`` in ``lang`` (English when ``lang`` lacks it), its
    placeholders filled with ``params``, numbers in that language's digits (whole
    numbers with the language's thousands separator)."""
    texts = messages(context)
    template = texts.get(lang, texts["en"]).get(key) or texts["en"][key]
    values = {
        k: localised_digits(f"{v:,}", lang, marks=True)
        if isinstance(v, int) and not isinstance(v, bool)
        else localised_digits(v, lang)
        for k, v in params.items()
    }
    return fill(template, lang, values)
