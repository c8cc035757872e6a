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
from cxgap.text import counted

LIBRARY_PACKAGE = "cxgap.instruments.library"
BATTERY_FOLDER = "batteries"

_MERGED_LISTS = ("dimensions", "scales", "items", "sections")


def _read_yaml(path: Path) -> Any:
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InstrumentError(f"{path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise InstrumentError(
            f"{path}: not UTF-8 text (byte {exc.start}); save the file as UTF-8"
        ) from None
    try:
        return yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = getattr(exc, "problem", None) or str(exc)
        raise InstrumentError(f"{path}: not valid YAML{where}: {reason}") from None


def _library_file(*parts: str) -> Any:
    entry = resources.files(LIBRARY_PACKAGE).joinpath(*parts)
    if not entry.is_file():
        return None
    with resources.as_file(entry) as path:
        return _read_yaml(path)


def _merge(data: dict[str, Any], extra: dict[str, Any]) -> None:
    """Append ``extra``'s dimensions, scales, items and sections not already in ``data``."""
    for key in _MERGED_LISTS:
        own = list(data.get(key) or [])
        have = {entry.get("id") for entry in own if isinstance(entry, dict)}
        own += [
            e for e in extra.get(key) or [] if not (isinstance(e, dict) and e.get("id") in have)
        ]
        data[key] = own


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InstrumentError(f"{where}: expected a mapping, got {type(value).__name__}")
    return value


def resolve_uses(
    data: dict[str, Any], *, source: str, _chain: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Expand the ``use:`` list of an instrument definition.

    Each entry pulls in shared material so texts are written once:

    - ``{battery: NAME, format: FORMAT, scale: SCALE}``: the dimensions and items of the
      built-in battery ``library/batteries/NAME.yaml``, every item given that format and
      scale (``scale`` may name a scale of this file, of the battery, or of another used
      entry);
    - ``{instrument: ID}``: the dimensions, scales, items and sections of a built-in
      instrument.

    Entries are merged in order after the file's own lists; ids already present win.
    """
    uses = data.pop("use", None) or []
    if not isinstance(uses, list):
        raise InstrumentError(f"{source}: 'use' must be a list of entries")
    for n, entry in enumerate(uses):
        where = f"{source}: use[{n}]"
        if not isinstance(entry, dict):
            raise InstrumentError(f"{where}: expected a mapping with 'battery' or 'instrument'")
        if "battery" in entry:
            battery = _library_file(BATTERY_FOLDER, f"{entry['battery']}.yaml")
            if battery is None:
                raise InstrumentError(f"{where}: unknown battery {entry['battery']!r}")
            battery = _mapping(battery, f"battery {entry['battery']}")
            unknown = set(entry) - {"battery", "format", "scale", "required", "section"}
            if unknown:
                raise InstrumentError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
            items = [
                {
                    **item,
                    "format": entry.get("format", "rating"),
                    **({"scale": entry["scale"]} if "scale" in entry else {}),
                    **({"required": entry["required"]} if "required" in entry else {}),
                }
                for item in (
                    _mapping(raw, f"battery {entry['battery']} item")
                    for raw in battery.get("items") or []
                )
            ]
            extra: dict[str, Any] = {
                "dimensions": battery.get("dimensions"),
                "scales": battery.get("scales"),
                "items": items,
            }
            if "section" in entry:
                section = _mapping(entry["section"], f"{where}.section")
                extra["sections"] = [{**section, "items": [i["id"] for i in items]}]
            _merge(data, extra)
        elif "instrument" in entry:
            name = str(entry["instrument"])
            if name in _chain:
                raise InstrumentError(
                    f"{where}: instrument {name!r} uses itself ({' -> '.join([*_chain, name])})"
                )
            other = _library_file(f"{name}.yaml")
            if other is None:
                raise InstrumentError(f"{where}: unknown instrument {name!r}")
            other = _mapping(other, f"instrument {name}")
            _merge(data, resolve_uses(dict(other), source=name, _chain=(*_chain, name)))
        else:
            raise InstrumentError(f"{where}: expected a 'battery' or an 'instrument' key")
    return data


def parse_instrument(data: Any, *, source: str = "<data>") -> Instrument:
    """Build and validate an instrument from parsed YAML/JSON data.

    Raises :class:`InstrumentError` listing every problem with its location.
    """
    if not isinstance(data, dict):
        raise InstrumentError(
            f"{source}: an instrument must be a mapping at the top level, got {type(data).__name__}"
        )
    data = resolve_uses(dict(data), source=source, _chain=(str(data.get("id", "")),))
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
    return f"{source}: invalid instrument ({counted(len(problems), 'problem')}):\n{listed}{more}"


def load_instrument(path: str | Path) -> Instrument:
    """Load and validate an instrument from a YAML (or JSON) file."""
    path = Path(path)
    return parse_instrument(_read_yaml(path), source=str(path))


@cache
def builtin_instruments() -> dict[str, Instrument]:
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
    lib = builtin_instruments()
    if instrument_id in lib:
        return lib[instrument_id]
    if instrument_id.endswith((".yaml", ".yml", ".json")) and Path(instrument_id).exists():
        return load_instrument(instrument_id)
    raise NotFoundError(
        f"unknown instrument {instrument_id!r}; built-in instruments: {', '.join(sorted(lib))} "
        "(or give the path of a YAML file)"
    )
