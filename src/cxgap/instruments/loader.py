"""Loading instruments from YAML files and from the built-in library."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pydantic
import yaml

from cxgap.errors import InstrumentError, NotFoundError
from cxgap.instruments.model import Instrument
from cxgap.instruments.validate import describe_pydantic_errors, instrument_problems

LIBRARY_PACKAGE = "cxgap.instruments.library"


def parse_instrument(data: Any, *, source: str = "<data>") -> Instrument:
    """Build and validate an instrument from parsed YAML/JSON data.

    Raises :class:`InstrumentError` listing every problem with its location.
    """
    if not isinstance(data, dict):
        raise InstrumentError(
            f"{source}: an instrument must be a mapping at the top level, "
            f"got {type(data).__name__}"
        )
    try:
        instrument = Instrument.model_validate(data)
    except pydantic.ValidationError as exc:
        lines = describe_pydantic_errors(exc.errors())
        raise InstrumentError(_format(source, lines)) from None
    problems = instrument_problems(instrument)
    if problems:
        raise InstrumentError(_format(source, problems))
    return instrument


def _format(source: str, problems: list[str]) -> str:
    listed = "\n".join(f"  - {p}" for p in problems[:50])
    more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
    return f"{source}: invalid instrument ({len(problems)} problem(s)):\n{listed}{more}"


def load_instrument(path: str | Path) -> Instrument:
    """Load and validate an instrument from a YAML (or JSON) file."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InstrumentError(f"{path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise InstrumentError(
            f"{path}: not UTF-8 text (byte {exc.start}); save the file as UTF-8"
        ) from None
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = getattr(exc, "problem", None) or str(exc)
        raise InstrumentError(f"{path}: not valid YAML{where}: {reason}") from None
    return parse_instrument(data, source=str(path))


@cache
def library() -> dict[str, Instrument]:
    """The built-in instrument library, keyed by instrument id."""
    found: dict[str, Instrument] = {}
    for entry in sorted(resources.files(LIBRARY_PACKAGE).iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            with resources.as_file(entry) as path:
                instrument = load_instrument(path)
            found[instrument.id] = instrument
    return found


def get_instrument(instrument_id: str) -> Instrument:
    """A built-in instrument by id, or an instrument file by path."""
    lib = library()
    if instrument_id in lib:
        return lib[instrument_id]
    if instrument_id.endswith((".yaml", ".yml", ".json")) and Path(instrument_id).exists():
        return load_instrument(instrument_id)
    raise NotFoundError(
        f"unknown instrument {instrument_id!r}; built-in instruments: {', '.join(sorted(lib))} "
        "(or give the path of a YAML file)"
    )
