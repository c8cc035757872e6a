"""The instruments an organisation can field: the built-in library and its own ones.

Custom instruments are stored in the database (one row per id and version, immutable, see
:func:`store_instrument`); the newest stored version of an id is
the one new surveys use. Instruments are named by id only, never by file path, when a
request comes from outside.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from cxgap.errors import ConflictError, InstrumentError, NotFoundError
from cxgap.instruments import Instrument, builtin_instruments, parse_instrument
from cxgap.services.accounts import audit
from cxgap.store.accounts import User
from cxgap.store.database import transaction
from cxgap.store.models import InstrumentVersion

MAX_PROBLEMS = 50


def _checksum(definition: dict[str, object]) -> str:
    return hashlib.sha256(json.dumps(definition, sort_keys=True).encode()).hexdigest()


def store_instrument(session: Session, instrument: Instrument) -> InstrumentVersion:
    """The stored row of this instrument version, created on first use.

    A different definition under an existing id and version is refused: versions are
    immutable once stored, so that answers always mean what they meant when given.
    """
    definition = instrument.model_dump(mode="json")
    checksum = _checksum(definition)
    row = session.scalar(
        select(InstrumentVersion).where(
            InstrumentVersion.key == instrument.id, InstrumentVersion.version == instrument.version
        )
    )
    if row is not None:
        if row.checksum != checksum:
            raise ConflictError(
                f"instrument {instrument.id!r} version {instrument.version} is already stored "
                "with a different definition; give the changed instrument a new version number"
            )
        return row
    row = InstrumentVersion(
        key=instrument.id,
        version=instrument.version,
        title=instrument.title.get("en") or next(iter(instrument.title.values())),
        definition=definition,
        checksum=checksum,
    )
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class InstrumentInfo:
    id: str
    version: int
    title: str
    audience: str
    items: int
    languages: tuple[str, ...]
    builtin: bool


@dataclass(frozen=True)
class Validation:
    valid: bool
    problems: list[str]
    instrument: Instrument | None


def _info(instrument: Instrument, *, builtin: bool) -> InstrumentInfo:
    return InstrumentInfo(
        id=instrument.id,
        version=instrument.version,
        title=instrument.title.get("en") or next(iter(instrument.title.values()), instrument.id),
        audience=instrument.audience,
        items=len(instrument.items),
        languages=instrument.languages,
        builtin=builtin,
    )


def _stored(session: Session) -> dict[str, Instrument]:
    """Newest stored version of each custom (non-library) instrument id."""
    library = builtin_instruments()
    newest = (
        select(InstrumentVersion.key, func.max(InstrumentVersion.version).label("v"))
        .group_by(InstrumentVersion.key)
        .subquery()
    )
    rows = session.scalars(
        select(InstrumentVersion).join(
            newest,
            (newest.c.key == InstrumentVersion.key) & (newest.c.v == InstrumentVersion.version),
        )
    ).all()
    return {
        r.key: parse_instrument(r.definition, source=f"stored instrument {r.key}")
        for r in rows
        if r.key not in library
    }


def list_instruments(engine: Engine) -> list[InstrumentInfo]:
    """Built-in instruments, then custom ones, each by id."""
    with transaction(engine) as session:
        custom = _stored(session)
    builtin = [_info(i, builtin=True) for i in builtin_instruments().values()]
    return builtin + [_info(custom[k], builtin=False) for k in sorted(custom)]


def find_instrument(session: Session, instrument_id: str) -> Instrument:
    """A built-in instrument or the newest stored custom one with this id."""
    library = builtin_instruments()
    if instrument_id in library:
        return library[instrument_id]
    row = session.scalar(
        select(InstrumentVersion)
        .where(InstrumentVersion.key == instrument_id)
        .order_by(InstrumentVersion.version.desc())
        .limit(1)
    )
    if row is None:
        raise NotFoundError(
            f"unknown instrument {instrument_id!r}; built-in instruments: "
            f"{', '.join(sorted(library))}, or add a custom one first"
        )
    return parse_instrument(row.definition, source=f"stored instrument {instrument_id}")


def get_instrument_definition(
    engine: Engine, instrument_id: str
) -> tuple[InstrumentInfo, dict[str, Any], list[str]]:
    """Summary, full definition and answer column names of an instrument."""
    with transaction(engine) as session:
        instrument = find_instrument(session, instrument_id)
    return (
        _info(instrument, builtin=instrument_id in builtin_instruments()),
        instrument.model_dump(mode="json"),
        [c.name for c in instrument.answer_columns()],
    )


def validate_instrument(definition: Any) -> Validation:
    """Check a custom instrument definition; every problem with its place."""
    try:
        instrument = parse_instrument(definition, source="instrument")
    except InstrumentError as exc:
        lines = [
            line.strip()[2:] if line.strip().startswith("- ") else line.strip()
            for line in exc.message.splitlines()[1:]
        ]
        return Validation(False, [ln for ln in lines if ln][:MAX_PROBLEMS] or [exc.message], None)
    return Validation(True, [], instrument)


def add_instrument(engine: Engine, definition: Any, *, actor: User | str) -> InstrumentInfo:
    """Validate and store a custom instrument version (library ids are reserved)."""
    checked = validate_instrument(definition)
    if checked.instrument is None:
        raise InstrumentError("invalid instrument: " + "; ".join(checked.problems[:10]))
    instrument = checked.instrument
    if instrument.id in builtin_instruments():
        raise ConflictError(f"instrument id {instrument.id!r} is a built-in one; choose another id")
    with transaction(engine) as session:
        row = store_instrument(session, instrument)
        audit(
            session,
            actor,
            "instrument.add",
            target_type="instrument",
            target_id=f"{instrument.id}@{instrument.version}",
            details={"instrument_row": row.id},
        )
    return _info(instrument, builtin=False)
