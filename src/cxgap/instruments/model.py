"""Questionnaires as data: the instrument model.

An instrument is a versioned questionnaire: dimensions (or value components), answer
scales, and items. Every text exists in each required language. Instruments are written
as YAML files (see ``library/``) and validated by :mod:`cxgap.instruments.validate`.

Item formats and the answer fields each one stores:

==========================  ===========================================================
format                      fields of one answer
==========================  ===========================================================
``expectation_perception``  ``expected``, ``perceived`` (two columns, gap = P - E)
``tolerance_zone``          ``adequate``, ``desired``, ``perceived`` (three columns)
``disconfirmation``         ``score`` (much worse ... much better than expected)
``rating``                  ``score`` (NPS, CSAT, CES, price fairness, will / should)
``kano``                    ``functional``, ``dysfunctional`` (answer codes 1..5)
``points``                  one ``score`` per option (constant sum, e.g. 100 points)
``text``                    ``text`` (free text)
==========================  ===========================================================
"""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, model_validator

LANGUAGES: tuple[str, ...] = ("en", "zh", "fa")
"""Languages every instrument text must be written in."""

RTL_LANGUAGES: frozenset[str] = frozenset({"fa"})

ItemFormat = Literal[
    "expectation_perception",
    "tolerance_zone",
    "disconfirmation",
    "rating",
    "kano",
    "points",
    "text",
]

FORMAT_FIELDS: dict[str, tuple[str, ...]] = {
    "expectation_perception": ("expected", "perceived"),
    "tolerance_zone": ("adequate", "desired", "perceived"),
    "disconfirmation": ("score",),
    "rating": ("score",),
    "kano": ("functional", "dysfunctional"),
    "points": ("score",),
    "text": ("text",),
}
"""Answer fields stored for each item format."""

REQUIRED_BY_FORMAT: dict[str, bool] = {
    "expectation_perception": True,
    "tolerance_zone": True,
    "disconfirmation": True,
    "rating": False,
    "kano": True,
    "points": True,
    "text": False,
}
"""Whether an item of each format must be answered when nothing says otherwise.

The measured batteries (E/P, zone of tolerance, disconfirmation, Kano pairs, the points
question) are what the analyses are built on; single ratings and open text are optional
unless the item, its section or the instrument says ``required``."""

NUMERIC_FIELDS: tuple[str, ...] = (
    "expected",
    "perceived",
    "adequate",
    "desired",
    "score",
    "functional",
    "dysfunctional",
)

Text = dict[str, str]
"""A text in several languages: ``{"en": ..., "zh": ..., "fa": ...}``."""

SHORT_LABEL_MAX = 40
"""Most characters of an item's short label in any language (it names the item in table
cells, chart labels and findings)."""


def _get(entry: Any, key: str) -> Any:
    """``entry[key]`` of a raw mapping or an attribute of a built model (else ``None``)."""
    if isinstance(entry, dict):
        return entry.get(key)
    return getattr(entry, key, None)


class AnswerColumn(NamedTuple):
    """One stored answer slot of an instrument, named as in a wide file."""

    name: str
    item: str
    field: str
    option: str = ""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Dimension(_Frozen):
    """A dimension of service quality or a value component (e.g. ``reliability``)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: Text
    description: Text | None = None


class ScalePoint(_Frozen):
    """One labelled point of an answer scale."""

    value: int
    label: Text


class Scale(_Frozen):
    """A numeric answer scale from ``min`` to ``max`` in steps of 1.

    ``points`` label some or all values (anchors); labels are also accepted as answers
    in imported files and mapped to their value.
    """

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    min: int
    max: int
    points: tuple[ScalePoint, ...] = ()

    def contains(self, value: float) -> bool:
        """Whether ``value`` is a whole number inside the scale."""
        return self.min <= value <= self.max and float(value).is_integer()


class Option(_Frozen):
    """An option of a ``points`` item (the things points are allocated to)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: Text


class Item(_Frozen):
    """One question of an instrument."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    format: ItemFormat
    text: Text
    short: Text | None = None
    """A few words naming the item in tables, charts and findings, per language (at most
    :data:`SHORT_LABEL_MAX` characters); reports fall back to ``text``."""
    dimension: str | None = None
    scale: str | None = None
    required: bool | None = None
    """Whether the survey form needs an answer. Left out: the section's ``required``,
    else the instrument's, else the format's default (:data:`REQUIRED_BY_FORMAT`); on the
    items of a built :class:`Instrument` it is always resolved to ``True`` or ``False``."""
    options: tuple[Option, ...] = ()
    total: int | None = None
    """For ``points`` items: the sum the allocation must reach (e.g. 100)."""
    role: str | None = None
    """What the item measures for analyses: ``nps``, ``csat``, ``ces``, ``overall``,
    ``will``, ``should``, ``price_fairness``, ``loyalty``... (free, documented in the
    library README)."""
    feature: str | None = None
    """For ``kano`` items: the product or service feature asked about."""

    @property
    def fields(self) -> tuple[str, ...]:
        """The answer fields this item stores."""
        return FORMAT_FIELDS[self.format]


class Section(_Frozen):
    """A group of items shown together, with an optional introduction."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: Text
    intro: Text | None = None
    items: tuple[str, ...]
    required: bool | None = None
    """Default ``required`` for this section's items that do not set their own."""


class Instrument(_Frozen):
    """A versioned questionnaire."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    version: int = Field(ge=1)
    title: Text
    description: Text | None = None
    audience: Literal["customers", "managers"] = "customers"
    languages: tuple[str, ...] = LANGUAGES
    dimensions: tuple[Dimension, ...] = ()
    scales: tuple[Scale, ...] = ()
    items: tuple[Item, ...]
    sections: tuple[Section, ...] = ()
    required: bool | None = None
    """Default ``required`` for items that neither they nor their section set; left out:
    the format's default."""
    required_on_import: bool = False
    """Whether file imports also refuse (quarantine) a row that leaves a required item
    empty. Off by default: files from other tools keep respondents who skipped questions,
    and analyses count the answers each item has."""

    @model_validator(mode="before")
    @classmethod
    def _resolve_required(cls, data: Any) -> Any:
        """Give every item a definite ``required``: item, section, instrument, format."""
        if not isinstance(data, dict) or not isinstance(data.get("items"), list | tuple):
            return data
        by_section: dict[str, bool] = {}
        for section in data.get("sections") or ():
            own = _get(section, "required")
            if isinstance(own, bool):
                for item_id in _get(section, "items") or ():
                    by_section.setdefault(str(item_id), own)
        default = data.get("required")
        items = []
        for item in data["items"]:
            kind = _get(item, "format")
            if _get(item, "required") is None and isinstance(kind, str):
                fallback = default if isinstance(default, bool) else REQUIRED_BY_FORMAT.get(kind)
                required = by_section.get(str(_get(item, "id")), bool(fallback))
                item = (
                    item.model_copy(update={"required": required})
                    if isinstance(item, Item)
                    else {**item, "required": required}
                )
            items.append(item)
        return {**data, "items": items}

    def item_label(self, item_id: str, lang: str) -> str:
        """The short label of an item in ``lang`` (else English), or its wording when it
        has none, or the id when the instrument has no such item."""
        try:
            item = self.item(item_id)
        except KeyError:
            return item_id
        for text in (item.short, item.text):
            if text and (found := text.get(lang) or text.get("en")):
                return found
        return item_id

    def feature_label(self, feature: str, lang: str) -> str:
        """A Kano feature named by the short label of the item asking about it."""
        asking = next((i.id for i in self.items if i.feature == feature), None)
        if asking is None:
            return feature.replace("_", " ")
        return self.item_label(asking, lang)

    def item(self, item_id: str) -> Item:
        """The item with this id (``KeyError`` if absent)."""
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def scale(self, scale_id: str) -> Scale:
        """The scale with this id (``KeyError`` if absent)."""
        for scale in self.scales:
            if scale.id == scale_id:
                return scale
        raise KeyError(scale_id)

    def item_scale(self, item: Item) -> Scale | None:
        """The scale an item's numeric answers must lie on, if any."""
        return self.scale(item.scale) if item.scale else None

    @property
    def dimension_ids(self) -> tuple[str, ...]:
        return tuple(d.id for d in self.dimensions)

    def items_of_format(self, *formats: str) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.format in formats)

    def dimension_map(self, *formats: str) -> dict[str, str]:
        """``item id -> dimension id`` for items with a dimension (optionally by format)."""
        return {
            item.id: item.dimension
            for item in self.items
            if item.dimension and (not formats or item.format in formats)
        }

    def ordered_items(self) -> tuple[Item, ...]:
        """Items in the order respondents see them: by section, then any others."""
        if not self.sections:
            return self.items
        by_id = {item.id: item for item in self.items}
        seen: list[str] = []
        for section in self.sections:
            seen.extend(i for i in section.items if i in by_id and i not in seen)
        rest = [item.id for item in self.items if item.id not in seen]
        return tuple(by_id[i] for i in [*seen, *rest])

    def answer_columns(self) -> list[AnswerColumn]:
        """Every stored answer slot, in instrument order.

        Column names are the canonical wide-file names: ``item`` for single-field items,
        ``item_field`` for multi-field ones, ``item_option`` for points items. Free-text
        items use ``item``.
        """
        columns: list[AnswerColumn] = []
        for item in self.ordered_items():
            if item.format == "points":
                columns.extend(
                    AnswerColumn(f"{item.id}_{opt.id}", item.id, "score", opt.id)
                    for opt in item.options
                )
            elif len(item.fields) == 1:
                columns.append(AnswerColumn(item.id, item.id, item.fields[0]))
            else:
                columns.extend(
                    AnswerColumn(f"{item.id}_{field}", item.id, field) for field in item.fields
                )
        return columns
