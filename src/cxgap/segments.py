"""Segment attributes: what customers are grouped by when expectations are compared,
responses filtered and pages picked from.

Built-in attributes are columns of every customer record (:data:`BUILT_IN`). An
organisation's own attributes (``attribute:plan`` in an import mapping, ``attributes``
of the customers API) are segments too, everywhere a built-in one is. Their canonical
name is ``attribute:NAME``; where a segment is asked for (``cxgap analyze --by``, the
API's ``by``, the pages' ``by``) the bare ``NAME`` is accepted as well when it is not a
built-in name (:func:`segment_name`).

This module is pure vocabulary: every layer may use it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from cxgap.errors import ValidationError

T = TypeVar("T")


@dataclass(frozen=True)
class SegmentAttribute:
    """A built-in segment attribute: a column of the customer record."""

    name: str
    aliases: tuple[str, ...]
    """File column names an import recognises for it (normalised: lower case, ``_``)."""
    several: bool = False
    """A list of values (interests) rather than one; not a filter of equality."""

    @property
    def label_key(self) -> str:
        """Catalogue key of its label in the pages and reports."""
        return f"attr_{self.name}"


BUILT_IN: tuple[SegmentAttribute, ...] = (
    SegmentAttribute("gender", ("gender", "sex")),
    SegmentAttribute("age_band", ("age_band", "age_group", "age")),
    SegmentAttribute("income_band", ("income_band", "income_group", "income")),
    SegmentAttribute("interests", ("interests", "interest", "hobbies"), several=True),
    SegmentAttribute("region", ("region", "area")),
    SegmentAttribute("channel", ("channel",)),
)
"""The built-in segment attributes, in the order of the customer record."""

BY_NAME: dict[str, SegmentAttribute] = {a.name: a for a in BUILT_IN}
NAMES: tuple[str, ...] = tuple(BY_NAME)
"""Names of the built-in attributes (the customer record's segment columns)."""
FILTERABLE: tuple[str, ...] = tuple(a.name for a in BUILT_IN if not a.several)
"""Built-in attributes with one value, which filters compare for equality."""
COMPARABLE: tuple[str, ...] = (*FILTERABLE, *(a.name for a in BUILT_IN if a.several))
"""Built-in attributes in the order pickers offer them."""

CUSTOM_PREFIX = "attribute:"
CUSTOM_NAME = re.compile(r"^[^\W\d][\w.-]{0,63}$")
"""What an organisation's own attribute may be called."""
SEGMENT_PATTERN = r"^(attribute:)?[^\W\d][\w.-]{0,63}$"
"""A segment as it may be asked for: a built-in name, ``attribute:NAME`` or ``NAME``."""


SEGMENT_HELP = (
    f"{', '.join(COMPARABLE)}, or one of your own customer attributes as NAME or attribute:NAME"
)
"""What a ``--by`` option accepts, for command help."""


def custom_segment(attribute: str) -> str:
    """The segment name of the organisation's own attribute ``attribute`` (``plan`` ->
    ``attribute:plan``)."""
    return f"{CUSTOM_PREFIX}{attribute}"


def custom_attribute(segment: str) -> str | None:
    """The attribute behind a custom segment (``attribute:plan`` -> ``plan``); ``None``
    for a built-in one."""
    return segment.removeprefix(CUSTOM_PREFIX) if segment.startswith(CUSTOM_PREFIX) else None


def is_segment(name: str) -> bool:
    """Whether ``name`` is a canonical segment name (built-in or ``attribute:NAME``)."""
    custom = custom_attribute(name)
    return name in BY_NAME if custom is None else bool(CUSTOM_NAME.match(custom))


def segment_name(asked: str, *, where: str = "segment") -> str:
    """The canonical name of the segment ``asked`` for: a built-in name stays,
    ``attribute:plan`` stays, and a bare ``plan`` (not a built-in name) becomes
    ``attribute:plan``."""
    asked = asked.strip()
    if is_segment(asked):
        return asked
    if CUSTOM_NAME.match(asked):
        return custom_segment(asked)
    raise ValidationError(
        f"{where} {asked!r} is not a segment attribute; allowed: {', '.join(NAMES)}, or the "
        "name of one of your own customer attributes (attribute:NAME or NAME: a letter or "
        "'_' first, then up to 63 letters, digits, '_', '.' or '-')"
    )


def segment_names(asked: Iterable[str], *, where: str = "segment") -> list[str]:
    """:func:`segment_name` of each, without repeats, in the order given."""
    return list(dict.fromkeys(segment_name(a, where=where) for a in asked))


def label(segment: str, translate: Callable[[str], T]) -> T | str:
    """What a segment is called on a page or in a report: a built-in one by its
    catalogue label (``translate(key)``), an organisation's own one by its name."""
    custom = custom_attribute(segment)
    return translate(BY_NAME[segment].label_key) if custom is None else custom
