"""What a survey page shows: pages of items, each turned into labelled form fields."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from cxgap.instruments.model import Instrument, Item
from cxgap.services.collection.answers import (
    CONFIRM_PREFIX,
    FieldError,
    form_pages,
    item_columns,
)
from cxgap.text.numerals import parse_number
from cxgap.web.i18n import digits, text

SUB_LABELS = {
    "expectation_perception": {"expected": "expected", "perceived": "perceived_ep"},
    "tolerance_zone": {"adequate": "adequate", "desired": "desired", "perceived": "perceived"},
    "kano": {"functional": "functional", "dysfunctional": "dysfunctional"},
}
MAX_RADIO_POINTS = 11
"""Longer scales (up to 0-100) are answered in a number box."""
VERTICAL_MAX_POINTS = 7
"""Scales with every point labelled and at most this many points are listed vertically."""


@dataclass
class Choice:
    value: str
    label: str


@dataclass
class FieldView:
    """One answer field: a scale (radio group), a number box or a text area."""

    name: str
    kind: str
    label: str | None
    value: str
    choices: list[Choice] = field(default_factory=list)
    vertical: bool = False
    ends: str | None = None
    low: str | None = None
    high: str | None = None
    error: str | None = None
    minimum: int | None = None
    maximum: int | None = None
    required: bool = False
    """Shown as the HTML ``required`` attribute (the form is ``novalidate``: saving a
    draft is never blocked; the server decides)."""
    described_by: str | None = None
    """The id of the error this field is marked invalid by (its own or its item's)."""


@dataclass
class ItemView:
    id: str
    format: str
    text: str
    required: bool
    fields: list[FieldView]
    error: str | None = None
    total: int | None = None
    given: int | None = None
    confirm: bool | None = None
    """For tolerance-zone items: ``None`` hides the confirmation box, else its state."""

    @property
    def described_by(self) -> str:
        return f"err-{self.id}" if self.error else ""


@dataclass
class SummaryEntry:
    """One line of the error summary: the item named by its wording, a link to it."""

    href: str
    text: str


@dataclass
class PageView:
    index: int
    count: int
    title: str
    intro: str | None
    items: list[ItemView]
    summary: list[SummaryEntry] = field(default_factory=list)
    """Problems on this page, in page order."""
    elsewhere: list[SummaryEntry] = field(default_factory=list)
    """Problems on other pages, each linking to its page."""


def error_message(error: FieldError, lang: str) -> str:
    return text(lang, f"err_{error.code}", **dict(error.params))


def _wording(item: Item, lang: str) -> str:
    return item.text.get(lang) or item.text["en"]


def _part_label(item: Item, name: str, lang: str) -> str:
    subs = SUB_LABELS.get(item.format, {})
    for column, answer_field in item_columns(item):
        if column == name and answer_field in subs:
            return text(lang, subs[answer_field])
    return name


def summary_entries(
    instrument: Instrument, errors: Sequence[FieldError], lang: str, *, href_prefix: str = ""
) -> list[SummaryEntry]:
    """The error summary's lines: each item with a problem named by its wording.

    A required item left empty reads "Please answer <item>"; the missing parts of an
    item answered in part are listed together in one line; any other problem is the
    field's message after the item's wording. ``href_prefix`` goes before each
    ``#anchor`` (a link to another page of the form).
    """
    entries: list[SummaryEntry] = []
    by_item: dict[str, list[FieldError]] = {}
    for error in errors:
        by_item.setdefault(error.item, []).append(error)
    for item_id, found in by_item.items():
        item = instrument.item(item_id)
        wording = _wording(item, lang)
        incomplete = [e.field for e in found if e.code == "incomplete" and e.field]
        if incomplete:
            parts = text(lang, "list_separator").join(
                _part_label(item, name, lang) for name in incomplete
            )
            entries.append(
                SummaryEntry(
                    f"{href_prefix}#f-{incomplete[0]}",
                    text(lang, "summary_incomplete", item=wording, parts=parts),
                )
            )
        for error in found:
            if error.code == "incomplete":
                continue
            anchor = f"#f-{error.field}" if error.field else f"#item-{item_id}"
            if error.code == "required":
                line = text(lang, "summary_required", item=wording)
            else:
                line = text(
                    lang, "summary_problem", item=wording, problem=error_message(error, lang)
                )
            entries.append(SummaryEntry(f"{href_prefix}{anchor}", line))
    return entries


def page_of_error(instrument: Instrument, errors: Iterable[FieldError]) -> int:
    """Index of the first page holding one of ``errors``."""
    wanted = {e.item for e in errors}
    for index, page in enumerate(form_pages(instrument)):
        if wanted & set(page.items):
            return index
    return 0


def build_page(
    instrument: Instrument,
    index: int,
    lang: str,
    values: Mapping[str, str],
    errors: Sequence[FieldError] = (),
) -> PageView:
    """The view of page ``index`` with current values and error messages."""
    all_pages = form_pages(instrument)
    index = max(0, min(index, len(all_pages) - 1))
    page = all_pages[index]
    by_field = {e.field: e for e in errors if e.field}
    by_item = {e.item: e for e in errors if not e.field}
    items: list[ItemView] = []
    for item_id in page.items:
        item = instrument.item(item_id)
        view = ItemView(
            id=item.id,
            format=item.format,
            text=_wording(item, lang),
            required=bool(item.required),
            fields=_fields(instrument, item, lang, values),
        )
        if item.id in by_item:
            view.error = error_message(by_item[item.id], lang)
        # an empty required item marks all its fields, though the message sits at the first
        unanswered = next(
            (e.field for e in errors if e.item == item.id and e.code == "required" and e.field),
            None,
        )
        for f in view.fields:
            f.required = bool(item.required) and item.format != "points"
            if f.name in by_field:
                f.error = error_message(by_field[f.name], lang)
                f.described_by = f"err-{f.name}"
            elif view.error or unanswered:
                f.described_by = f"err-{unanswered}" if unanswered else f"err-{item.id}"
        if item.format == "points":
            view.total = item.total
            view.given = sum(_int(values.get(f.name)) for f in view.fields)
        if item.format == "tolerance_zone":
            confirmed = bool(values.get(f"{CONFIRM_PREFIX}{item.id}"))
            flagged = any(e.code == "adequate_above_desired" for e in errors if e.item == item.id)
            view.confirm = confirmed if (confirmed or flagged) else None
        items.append(view)
    here = set(page.items)
    elsewhere = [
        entry
        for number, other in enumerate(all_pages)
        if number != index
        for entry in summary_entries(
            instrument,
            [e for e in errors if e.item in other.items],
            lang,
            href_prefix=f"?lang={lang}&page={number}",
        )
    ]
    return PageView(
        index=index,
        count=len(all_pages),
        title="" if not instrument.sections else page.title.get(lang) or page.title["en"],
        intro=(page.intro.get(lang) or page.intro["en"]) if page.intro else None,
        items=items,
        summary=summary_entries(instrument, [e for e in errors if e.item in here], lang),
        elsewhere=elsewhere,
    )


def _int(value: str | None) -> int:
    """The whole part of a typed number (the one rule, :func:`parse_number`); else 0."""
    number = parse_number(value or "")
    return 0 if number is None else int(number)


def _fields(
    instrument: Instrument, item: Item, lang: str, values: Mapping[str, str]
) -> list[FieldView]:
    if item.format == "text":
        return [FieldView(item.id, "text", text(lang, "your_answer"), values.get(item.id, ""))]
    if item.format == "points":
        return [
            FieldView(
                f"{item.id}_{opt.id}",
                "number",
                opt.label.get(lang) or opt.label["en"],
                values.get(f"{item.id}_{opt.id}", ""),
                maximum=item.total,
            )
            for opt in item.options
        ]
    scale = instrument.item_scale(item)
    if scale is None:  # the instrument validator requires a scale; be safe anyway
        return []
    subs = SUB_LABELS.get(item.format, {})
    count = scale.max - scale.min + 1
    if count > MAX_RADIO_POINTS:
        return [
            FieldView(
                name,
                "number",
                text(lang, subs[f]) if f in subs else None,
                values.get(name, ""),
                minimum=scale.min,
                maximum=scale.max,
            )
            for name, f in item_columns(item)
        ]
    labels = {p.value: p.label.get(lang) or p.label["en"] for p in scale.points}
    vertical = len(labels) == count and count <= VERTICAL_MAX_POINTS
    choices = [
        Choice(
            str(v),
            f"{digits(v, lang)} · {labels[v]}" if vertical else digits(v, lang),
        )
        for v in range(scale.min, scale.max + 1)
    ]
    ends = low = high = None
    if not vertical and scale.min in labels and scale.max in labels:
        ends = text(
            lang,
            "scale_ends",
            low_value=scale.min,
            low=labels[scale.min],
            high_value=scale.max,
            high=labels[scale.max],
        )
        low, high = labels[scale.min], labels[scale.max]
    return [
        FieldView(
            name,
            "scale",
            text(lang, subs[f]) if f in subs else None,
            values.get(name, ""),
            choices=choices,
            vertical=vertical,
            ends=ends,
            low=low,
            high=high,
        )
        for name, f in item_columns(item)
    ]
