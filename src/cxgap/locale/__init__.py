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

from functools import cache
from pathlib import Path

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


def text(context: str, lang: str, key: str, **params: object) -> str:
    """The text ``key`` of ``context`` in ``lang`` (English when ``lang`` lacks it), its
    placeholders filled with ``params``, numbers in that language's digits."""
    texts = messages(context)
    template = texts.get(lang, texts["en"]).get(key) or texts["en"][key]
    return template.format(**{k: localised_digits(v, lang) for k, v in params.items()})
