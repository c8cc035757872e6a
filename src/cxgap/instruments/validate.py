"""Validation of instrument definitions beyond their shape.

The pydantic model checks types and names; this module checks meaning: every text in
every language, unique ids, sound scales, known dimensions and scales, and what each item
format needs. All problems are collected and reported together, each with its location.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from cxgap.errors import ValidationError
from cxgap.instruments.model import SHORT_LABEL_MAX, Instrument, Item
from cxgap.text import check_text

KANO_SCALE = (1, 5)
"""Kano answers are coded 1..5: like, expect, neutral, live with, dislike."""

SCALED_FORMATS = frozenset(
    {"expectation_perception", "tolerance_zone", "disconfirmation", "rating", "kano"}
)


def _missing_languages(text: Mapping[str, str] | None, languages: Iterable[str]) -> list[str]:
    if text is None:
        return list(languages)
    return [lang for lang in languages if not str(text.get(lang, "")).strip()]


def _duplicates(ids: Iterable[str]) -> list[str]:
    return sorted(name for name, count in Counter(ids).items() if count > 1)


def _suggest(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _text_problems(instrument: Instrument) -> list[str]:
    langs = instrument.languages
    problems: list[str] = []

    def check(where: str, text: Mapping[str, str] | None, required: bool = True) -> None:
        if text is None and not required:
            return
        missing = _missing_languages(text, langs)
        if missing:
            problems.append(f"{where}: missing translation for {', '.join(missing)}")
        extra = sorted(set(text or {}) - set(langs))
        if extra:
            problems.append(
                f"{where}: text in undeclared language {', '.join(extra)} "
                f"(declared: {', '.join(langs)})"
            )
        for lang, value in (text or {}).items():
            try:
                check_text(value, where=f"{where}[{lang}]")
            except ValidationError as exc:
                problems.append(exc.message)

    check("title", instrument.title)
    check("description", instrument.description, required=False)
    for d in instrument.dimensions:
        check(f"dimensions[{d.id}].label", d.label)
        check(f"dimensions[{d.id}].description", d.description, required=False)
    for s in instrument.scales:
        for point in s.points:
            check(f"scales[{s.id}].points[{point.value}].label", point.label)
    for item in instrument.items:
        check(f"items[{item.id}].text", item.text)
        check(f"items[{item.id}].short", item.short, required=False)
        long = sorted(
            lang for lang, text in (item.short or {}).items() if len(text) > SHORT_LABEL_MAX
        )
        if long:
            problems.append(
                f"items[{item.id}].short: longer than {SHORT_LABEL_MAX} characters in "
                f"{', '.join(long)}; allowed: a few words"
            )
        for opt in item.options:
            check(f"items[{item.id}].options[{opt.id}].label", opt.label)
    for sec in instrument.sections:
        check(f"sections[{sec.id}].title", sec.title)
        check(f"sections[{sec.id}].intro", sec.intro, required=False)
    return problems


def _scale_problems(instrument: Instrument) -> list[str]:
    problems: list[str] = []
    for s in instrument.scales:
        if s.min >= s.max:
            problems.append(f"scales[{s.id}]: min ({s.min}) must be below max ({s.max})")
        if s.max - s.min > 100:
            problems.append(f"scales[{s.id}]: at most 101 points allowed, got {s.min}..{s.max}")
        values = [p.value for p in s.points]
        for dup in _duplicates(str(v) for v in values):
            problems.append(f"scales[{s.id}]: point {dup} is labelled twice")
        for v in values:
            if not s.min <= v <= s.max:
                problems.append(
                    f"scales[{s.id}]: labelled point {v} is outside the scale {s.min}..{s.max}"
                )
    return problems


def _item_problems(instrument: Instrument, item: Item) -> list[str]:
    where = f"items[{item.id}]"
    problems: list[str] = []
    scale_ids = [s.id for s in instrument.scales]
    dim_ids = instrument.dimension_ids
    if item.dimension is not None and item.dimension not in dim_ids:
        problems.append(
            f"{where}: unknown dimension {item.dimension!r}{_suggest(item.dimension, dim_ids)}; "
            f"declared: {', '.join(dim_ids) or 'none'}"
        )
    if item.format in SCALED_FORMATS:
        if item.scale is None:
            problems.append(f"{where}: format {item.format!r} needs a scale")
        elif item.scale not in scale_ids:
            problems.append(
                f"{where}: unknown scale {item.scale!r}{_suggest(item.scale, scale_ids)}; "
                f"declared: {', '.join(scale_ids) or 'none'}"
            )
        elif item.format == "kano":
            scale = instrument.scale(item.scale)
            if (scale.min, scale.max) != KANO_SCALE:
                problems.append(
                    f"{where}: Kano items need a 1..5 answer scale, "
                    f"scale {scale.id!r} is {scale.min}..{scale.max}"
                )
    elif item.scale is not None and item.format == "text":
        problems.append(f"{where}: free-text items take no scale")
    if item.format == "points":
        if len(item.options) < 2:
            problems.append(f"{where}: a points item needs at least two options")
        if item.total is None or item.total <= 0:
            problems.append(f"{where}: a points item needs a positive total (e.g. 100)")
        for dup in _duplicates(o.id for o in item.options):
            problems.append(f"{where}: option {dup!r} appears twice")
    elif item.options:
        problems.append(f"{where}: only points items take options")
    if item.format == "kano" and not item.feature:
        problems.append(f"{where}: a Kano item needs the feature it asks about")
    return problems


def instrument_problems(instrument: Instrument) -> list[str]:
    """Every problem found in ``instrument``; an empty list means it is valid."""
    problems: list[str] = []
    if not instrument.languages:
        problems.append("languages: at least one language is required")
    for kind, ids in (
        ("dimension", [d.id for d in instrument.dimensions]),
        ("scale", [s.id for s in instrument.scales]),
        ("item", [i.id for i in instrument.items]),
        ("section", [s.id for s in instrument.sections]),
    ):
        for dup in _duplicates(ids):
            problems.append(f"duplicate {kind} id {dup!r}")
    problems += _text_problems(instrument)
    problems += _scale_problems(instrument)
    for item in instrument.items:
        problems += _item_problems(instrument, item)
    item_ids = {i.id for i in instrument.items}
    seen: dict[str, str] = {}
    for sec in instrument.sections:
        for item_id in sec.items:
            if item_id not in item_ids:
                problems.append(
                    f"sections[{sec.id}]: unknown item {item_id!r}{_suggest(item_id, item_ids)}"
                )
            elif item_id in seen:
                problems.append(
                    f"sections[{sec.id}]: item {item_id!r} is already in section {seen[item_id]!r}"
                )
            else:
                seen[item_id] = sec.id
    if instrument.sections:
        for item in instrument.items:
            if item.id not in seen:
                problems.append(f"items[{item.id}]: not in any section; add it to one")
    column_names = [c.name for c in instrument.answer_columns()]
    for dup in _duplicates(column_names):
        problems.append(f"answer column {dup!r} would be produced by two items; rename one")
    return problems


def describe_pydantic_errors(errors: list[Any]) -> list[str]:
    """Turn pydantic's error list into ``location: message`` lines."""
    lines = []
    for err in errors:
        loc = ".".join(str(part) for part in err.get("loc", ()))
        lines.append(f"{loc or 'instrument'}: {err.get('msg', 'invalid')}")
    return lines
