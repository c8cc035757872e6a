"""Matching a file's columns to an instrument's answer slots and to customer attributes.

Column names are compared in a normalised form (case-folded, punctuation and spaces made
``_``), so ``REL1 Adequate``, ``rel1.adequate`` and ``rel1_adequate`` all match item
``rel1``'s ``adequate`` field. Short field suffixes are understood too (``rel1_min``,
``rel1_e`` ...). A mapping file names any other columns.
"""

from __future__ import annotations

import csv
import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from cxgap import segments
from cxgap.errors import IngestError
from cxgap.instruments.model import AnswerColumn, Instrument

ROLE_ALIASES: dict[str, tuple[str, ...]] = {
    "respondent": ("respondent_id", "respondent", "response_id", "record_id", "id"),
    "customer": ("customer_id", "customer", "external_id", "client_id", "customer_external_id"),
    **{attribute.name: attribute.aliases for attribute in segments.BUILT_IN},
    "submitted_at": ("submitted_at", "completed_at", "timestamp", "date"),
}
"""Columns that are not answers, by role, with the names recognised for them."""

CUSTOMER_ATTRIBUTES = segments.NAMES

FIELD_SYNONYMS: dict[str, tuple[str, ...]] = {
    "expected": ("expected", "expectation", "exp", "e"),
    "perceived": ("perceived", "perception", "perc", "per", "p"),
    "adequate": ("adequate", "minimum", "min", "adq", "a"),
    "desired": ("desired", "des", "d"),
    "functional": ("functional", "func", "fun", "f"),
    "dysfunctional": ("dysfunctional", "dysfunc", "dys", "dysf"),
}

LONG_COLUMNS = ("item", "value")
"""A file with these columns (after normalisation) is in the long layout."""


def normalise_name(name: str) -> str:
    """``'REL1 Adequate'`` -> ``'rel1_adequate'``."""
    return re.sub(r"[^0-9a-z\u0080-\uffff]+", "_", name.casefold()).strip("_")


@dataclass
class ColumnPlan:
    """What each column of a file is used for."""

    answers: dict[str, AnswerColumn] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)


def answer_aliases(instrument: Instrument) -> dict[str, AnswerColumn]:
    """Every accepted normalised column name for every answer slot of the instrument."""
    aliases: dict[str, AnswerColumn] = {}
    for column in instrument.answer_columns():
        aliases[normalise_name(column.name)] = column
        for synonym in FIELD_SYNONYMS.get(column.field, ()):
            if column.option:
                continue
            aliases.setdefault(normalise_name(f"{column.item}_{synonym}"), column)
    return aliases


def load_mapping(path: str | Path) -> dict[str, str]:
    """Read a mapping file: YAML ``{file column: target}`` or CSV ``column,target``.

    Targets are canonical answer column names (``rel1_adequate``), roles
    (``customer_id``, ``gender`` ...), ``attribute:NAME`` for a custom customer
    attribute, or ``ignore``.
    """
    path = Path(path)
    if not path.is_file():
        raise IngestError(f"{path}: mapping file not found")
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".csv":
        rows = list(csv.reader(text.splitlines()))
        if rows and [normalise_name(c) for c in rows[0][:2]] == ["column", "target"]:
            rows = rows[1:]
        mapping = {}
        for n, row in enumerate(rows, start=1):
            if len(row) != 2:
                raise IngestError(f"{path}: line {n} must have two fields: column,target")
            mapping[row[0].strip()] = row[1].strip()
        return mapping
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise IngestError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise IngestError(f"{path}: a mapping file maps file columns to targets (column: target)")
    return {str(k): str(v) for k, v in data.items()}


def plan_columns(
    columns: list[str],
    instrument: Instrument,
    *,
    mapping: dict[str, str] | None = None,
    source: str = "file",
) -> ColumnPlan:
    """Decide what each column is: an answer slot, a role, a custom attribute, or ignored."""
    aliases = answer_aliases(instrument)
    role_of = {alias: role for role, names in ROLE_ALIASES.items() for alias in names}
    plan = ColumnPlan()
    mapping = mapping or {}
    unknown_mapped = set(mapping) - set(columns)
    if unknown_mapped:
        raise IngestError(
            f"{source}: the mapping names column(s) not in the file: "
            f"{', '.join(sorted(unknown_mapped))}"
        )
    for column in columns:
        target = mapping.get(column, column)
        key = normalise_name(target)
        custom = segments.custom_attribute(target)
        if custom is not None:
            plan.attributes[column] = normalise_name(custom)
        elif key == "ignore":
            plan.ignored.append(column)
        elif key in aliases:
            plan.answers[column] = aliases[key]
        elif key in role_of and role_of[key] not in plan.roles:
            plan.roles[role_of[key]] = column
        elif column in mapping:
            raise IngestError(
                f"{source}: mapping target {target!r} for column {column!r} is not an answer "
                f"column of instrument {instrument.id!r}, a known role or attribute:NAME"
                f"{_suggestion(key, list(aliases) + list(role_of))}"
            )
        else:
            plan.ignored.append(column)
    seen: dict[AnswerColumn, str] = {}
    for column, slot in plan.answers.items():
        if slot in seen:
            raise IngestError(
                f"{source}: columns {seen[slot]!r} and {column!r} both hold {slot.name!r}; "
                "map one of them to 'ignore'"
            )
        seen[slot] = column
    return plan


def _suggestion(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def describe_unmatched(plan: ColumnPlan, instrument: Instrument) -> str:
    """A helpful message for a file in which no answer column was recognised."""
    expected = [c.name for c in instrument.answer_columns()]
    hints = []
    for column in plan.ignored[:5]:
        close = difflib.get_close_matches(normalise_name(column), expected, n=1)
        if close:
            hints.append(f"{column!r} -> {close[0]!r}?")
    hint = f" Close names: {'; '.join(hints)}." if hints else ""
    return (
        f"no column matches an answer of instrument {instrument.id!r}; expected names such "
        f"as {', '.join(expected[:6])} ... (or give a mapping file with --mapping).{hint}"
    )
