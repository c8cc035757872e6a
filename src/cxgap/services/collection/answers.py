"""Checking the answers a survey form sent, item by item.

Form fields carry the canonical answer names of the instrument (``rel1_adequate``,
``nps``, ``importance_reliability``, ``comment``: see ``Instrument.answer_columns``).
Problems come back as codes with parameters, never as sentences: the web layer words them
in the respondent's language and puts each next to its field.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Literal

from cxgap.errors import ValidationError
from cxgap.ingest.normalize import parse_number
from cxgap.instruments.model import Instrument, Item, Section
from cxgap.text import describe_character, forbidden_characters

MAX_TEXT_CHARS = 4000
MAX_VALUE_CHARS = 20
"""Longest value a draft keeps for a field that is not free text (numbers, ticks)."""
MAX_DRAFT_CHARS = 32_000
"""Most characters (names and values) one link's draft may hold."""
CONFIRM_PREFIX = "confirm:"
"""Form field ``confirm:<item>`` = the respondent confirms adequate above desired."""

ErrorCode = Literal[
    "required",
    "incomplete",
    "not_a_number",
    "out_of_range",
    "points_sum",
    "adequate_above_desired",
    "too_long",
    "bad_character",
]


@dataclass(frozen=True)
class FieldError:
    """One problem: the item, the answer field it concerns (``None``: the whole item)."""

    item: str
    field: str | None
    code: ErrorCode
    params: Mapping[str, int | str] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class CheckedAnswers:
    """Clean values by answer name (``None`` = not answered) and the problems found."""

    values: dict[str, float | str | None]
    errors: tuple[FieldError, ...]

    @property
    def ok(self) -> bool:
        return not self.errors


def _number(raw: str | None) -> tuple[float | None, bool]:
    """``(value, parsed)``: blank is ``(None, True)``; numerals as ``parse_number`` reads
    them (the same rule as file imports)."""
    if not (raw or "").strip():
        return None, True
    value = parse_number(raw or "")
    return value, value is not None


def item_columns(item: Item) -> list[tuple[str, str]]:
    """``(answer name, field)`` pairs of an item, as ``Instrument.answer_columns`` names them."""
    if item.format == "points":
        return [(f"{item.id}_{opt.id}", "score") for opt in item.options]
    if len(item.fields) == 1:
        return [(item.id, item.fields[0])]
    return [(f"{item.id}_{f}", f) for f in item.fields]


def check_answers(
    instrument: Instrument,
    raw: Mapping[str, str],
    *,
    items: Collection[str] | None = None,
    confirmed: Collection[str] = (),
) -> CheckedAnswers:
    """Check raw form values against the instrument (all items, or only ``items``).

    Rules: required items must be answered; an item with several fields is answered
    whole or not at all; numbers are whole points of the item's scale; the options of a
    points item add up to its total; a tolerance-zone item's adequate level is not above
    its desired level unless the item is in ``confirmed``; free text has at most
    ``MAX_TEXT_CHARS`` characters and no control character other than tab and line
    breaks (:func:`cxgap.text.check_text`'s policy; ``bad_character`` names the first).
    """
    values: dict[str, float | str | None] = {}
    errors: list[FieldError] = []
    wanted = None if items is None else set(items)
    for item in instrument.ordered_items():
        if wanted is not None and item.id not in wanted:
            continue
        columns = item_columns(item)
        if item.format == "text":
            name = columns[0][0]
            text = (raw.get(name) or "").strip()
            values[name] = text or None
            forbidden = forbidden_characters(text)
            if forbidden:
                position, char = forbidden[0]
                errors.append(
                    FieldError(
                        item.id,
                        name,
                        "bad_character",
                        {"character": describe_character(char), "position": position + 1},
                    )
                )
            elif len(text) > MAX_TEXT_CHARS:
                errors.append(
                    FieldError(
                        item.id, name, "too_long", {"max": MAX_TEXT_CHARS, "given": len(text)}
                    )
                )
            elif not text and item.required:
                errors.append(FieldError(item.id, name, "required"))
            continue
        scale = instrument.item_scale(item)
        low, high = (scale.min, scale.max) if scale else (0, item.total or 100)
        bad = False
        for name, _ in columns:
            value, parsed = _number(raw.get(name))
            values[name] = value
            if not parsed:
                errors.append(FieldError(item.id, name, "not_a_number", {"given": raw[name][:20]}))
                bad = True
            elif value is not None and not (low <= value <= high and value.is_integer()):
                errors.append(FieldError(item.id, name, "out_of_range", {"min": low, "max": high}))
                bad = True
        if bad:
            continue
        given = [name for name, _ in columns if values[name] is not None]
        if item.format == "points":
            if not given:
                if item.required:
                    errors.append(FieldError(item.id, None, "required"))
                continue
            total = sum(float(values[name] or 0) for name, _ in columns)
            for name, _ in columns:
                values[name] = values[name] or 0.0
            if item.total is not None and total != item.total:
                errors.append(
                    FieldError(
                        item.id, None, "points_sum", {"total": item.total, "given": int(total)}
                    )
                )
            continue
        if not given:
            if item.required:
                errors.append(FieldError(item.id, columns[0][0], "required"))
            continue
        missing = [name for name, _ in columns if values[name] is None]
        if missing:
            errors.extend(FieldError(item.id, name, "incomplete") for name in missing)
            continue
        if item.format == "tolerance_zone" and item.id not in confirmed:
            adequate, desired = values[f"{item.id}_adequate"], values[f"{item.id}_desired"]
            if isinstance(adequate, float) and isinstance(desired, float) and adequate > desired:
                errors.append(
                    FieldError(
                        item.id,
                        f"{item.id}_adequate",
                        "adequate_above_desired",
                        {"adequate": int(adequate), "desired": int(desired)},
                    )
                )
    return CheckedAnswers(values=values, errors=tuple(errors))


def confirmed_items(raw: Mapping[str, str]) -> set[str]:
    """Items whose ``confirm:<item>`` box was ticked on the form."""
    return {k[len(CONFIRM_PREFIX) :] for k, v in raw.items() if k.startswith(CONFIRM_PREFIX) and v}


def answer_names(instrument: Instrument) -> set[str]:
    """Every form field name that carries an answer (others are ignored or refused)."""
    names = {c.name for c in instrument.answer_columns()}
    names |= {f"{CONFIRM_PREFIX}{i.id}" for i in instrument.items_of_format("tolerance_zone")}
    return names


class DraftTooLargeError(ValidationError):
    """A draft would hold a value or a total above its bound (nothing was saved)."""


def draft_answers(instrument: Instrument, raw: Mapping[str, str]) -> dict[str, str]:
    """The part of ``raw`` a draft keeps: the instrument's own answer fields, non-empty.

    Raises ``DraftTooLargeError`` when a free-text answer is longer than
    ``MAX_TEXT_CHARS`` (a line break counts once), another field longer than
    ``MAX_VALUE_CHARS``, or everything together longer than ``MAX_DRAFT_CHARS``.
    """
    texts = {c.name for c in instrument.answer_columns() if c.field == "text"}
    names = answer_names(instrument)
    kept = {k: v for k, v in raw.items() if v and k in names}
    for name, value in kept.items():
        limit = MAX_TEXT_CHARS if name in texts else MAX_VALUE_CHARS
        if len(value) - value.count("\r\n") > limit:
            raise DraftTooLargeError(
                f"answer {name!r} has {len(value):,} characters; at most {limit:,} can be saved"
            )
    total = sum(len(k) + len(v) for k, v in kept.items())
    if total > MAX_DRAFT_CHARS:
        raise DraftTooLargeError(
            f"the answers have {total:,} characters; a draft holds at most {MAX_DRAFT_CHARS:,}"
        )
    return kept


def form_pages(instrument: Instrument) -> list[Section]:
    """The pages of a survey form: one per section (or one page with every item)."""
    if instrument.sections:
        return list(instrument.sections)
    return [Section(id="all", title=instrument.title, items=tuple(i.id for i in instrument.items))]


def page_items(instrument: Instrument, index: int) -> tuple[str, ...]:
    """The item ids on page ``index`` (clamped to the pages there are)."""
    all_pages = form_pages(instrument)
    return all_pages[max(0, min(index, len(all_pages) - 1))].items


def page_field_names(instrument: Instrument, index: int) -> set[str]:
    """Every form field name the items of page ``index`` use."""
    names: set[str] = set()
    for item_id in page_items(instrument, index):
        item = instrument.item(item_id)
        names.update(name for name, _ in item_columns(item))
        if item.format == "tolerance_zone":
            names.add(f"{CONFIRM_PREFIX}{item.id}")
    return names


def merge_page(
    draft: Mapping[str, str], page_fields: Collection[str], posted: Mapping[str, str]
) -> dict[str, str]:
    """The draft with one page's fields replaced by what that page posted."""
    kept = {k: v for k, v in draft.items() if k not in page_fields}
    kept.update({k: v for k, v in posted.items() if v})
    return kept
