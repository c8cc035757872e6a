"""The register of promises: what the organisation says outside, in each language.

A promise names its channel (advertisement, brochure, website, contract, published SLA,
sales script), its text in en/zh/fa, its audience (``attribute=value`` of the customers
who see it, or everyone), its valid period, the item or dimension of the instrument it
touches and, when it has one, the promised level of a standard's metric.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from cxgap.errors import ConflictError, NotFoundError, ValidationError
from cxgap.ingest.readers import read_table
from cxgap.services.accounts import User, audit
from cxgap.services.instrument_catalog import find_instrument
from cxgap.services.standards import KEY, check_segment, check_target, rows_refused
from cxgap.store.database import transaction
from cxgap.store.standards import ServicePromise, ServiceStandard
from cxgap.text import check_text, unquote_frame
from cxgap.text.numerals import parse_number

CHANNELS: tuple[str, ...] = (
    "advertisement",
    "brochure",
    "website",
    "contract",
    "sla",
    "sales_script",
)
LANGUAGES: tuple[str, ...] = ("en", "zh", "fa")
PROMISE_COLUMNS = (
    "key",
    "channel",
    "text_en",
    "text_zh",
    "text_fa",
    "audience",
    "valid_from",
    "valid_to",
    "instrument",
    "item",
    "dimension",
    "standard",
    "level",
)
"""Columns of a promises file (``text_*`` one per language; empty cells are allowed for the
optional fields)."""


@dataclass(frozen=True)
class PromiseRecord:
    key: str
    channel: str
    texts: dict[str, str]
    audience: str | None
    valid_from: dt.date
    valid_to: dt.date | None
    instrument: str | None
    item: str | None
    dimension: str | None
    standard_key: str | None
    promised_level: float | None

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["valid_from"] = self.valid_from.isoformat()
        out["valid_to"] = self.valid_to.isoformat() if self.valid_to else None
        return out


def _record(row: ServicePromise) -> PromiseRecord:
    return PromiseRecord(
        **{f.name: getattr(row, f.name) for f in dataclasses.fields(PromiseRecord)}
    )


def _date(where: str, field: str, value: Any, *, required: bool) -> dt.date | None:
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        if required:
            raise ValidationError(f"{where}: field {field!r} is empty; allowed: a date YYYY-MM-DD")
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise ValidationError(
            f"{where}: field {field!r} is {value!r}; allowed: a date YYYY-MM-DD"
        ) from None


def _checked(session: Session, where: str, fields: dict[str, Any]) -> dict[str, Any]:
    key = str(fields.get("key") or "")
    if not KEY.match(key):
        raise ValidationError(
            f"{where}: field 'key' is {key!r}; allowed: 1-80 letters, digits and . _ : -"
        )
    if fields.get("channel") not in CHANNELS:
        raise ValidationError(
            f"{where}: field 'channel' is {fields.get('channel')!r}; allowed: {', '.join(CHANNELS)}"
        )
    texts = {k: v for k, v in (fields.get("texts") or {}).items() if v}
    unknown = sorted(set(texts) - set(LANGUAGES))
    if unknown or not texts:
        raise ValidationError(
            f"{where}: field 'texts' needs the promise's text in at least one of "
            f"{', '.join(LANGUAGES)}"
            + (f" (unknown language {', '.join(unknown)})" if unknown else "")
        )
    for lang, text in texts.items():
        check_text(str(text), where=f"{where}: field 'text_{lang}'")
    instrument_id = fields.get("instrument") or None
    instrument = find_instrument(session, instrument_id) if instrument_id else None
    check_target(where, instrument, fields.get("item") or None, fields.get("dimension") or None)
    standard = fields.get("standard_key") or None
    level = fields.get("promised_level")
    if standard is not None:
        if (
            session.scalar(
                select(ServiceStandard.id).where(ServiceStandard.key == standard).limit(1)
            )
            is None
        ):
            raise ValidationError(
                f"{where}: field 'standard' is {standard!r}, not a stored standard"
            )
        if level is None or not math.isfinite(float(level)):
            raise ValidationError(
                f"{where}: field 'level' is empty; allowed: the promised level of standard "
                f"{standard!r}'s metric"
            )
    elif level is not None:
        raise ValidationError(
            f"{where}: field 'level' is given without a standard; allowed: name the standard "
            "whose metric the level is stated in"
        )
    start = _date(where, "valid_from", fields.get("valid_from"), required=True)
    end = _date(where, "valid_to", fields.get("valid_to"), required=False)
    if start is not None and end is not None and end < start:
        raise ValidationError(f"{where}: field 'valid_to' ({end}) is before 'valid_from' ({start})")
    return {
        "key": key,
        "channel": fields["channel"],
        "texts": texts,
        "audience": check_segment(where, fields.get("audience") or None),
        "valid_from": start,
        "valid_to": end,
        "instrument": instrument_id,
        "item": fields.get("item") or None,
        "dimension": fields.get("dimension") or None,
        "standard_key": standard,
        "promised_level": None if level is None else float(level),
    }


def add_promise_row(session: Session, fields: dict[str, Any], *, where: str) -> ServicePromise:
    values = _checked(session, where, fields)
    if session.scalar(select(ServicePromise.id).where(ServicePromise.key == values["key"])):
        raise ConflictError(f"{where}: promise {values['key']!r} exists already")
    row = ServicePromise(**values)
    session.add(row)
    session.flush()
    return row


def add_promise(engine: Engine, *, actor: User | str, **fields: Any) -> PromiseRecord:
    """Register one promise (see the module's description of the fields)."""
    with transaction(engine) as session:
        row = add_promise_row(session, fields, where=f"promise {fields.get('key')!r}")
        audit(session, actor, "promise.add", target_type="promise", target_id=row.key)
        return _record(row)


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def import_promises(engine: Engine, path: str | Path, *, actor: User | str) -> int:
    """Import a promises file (columns :data:`PROMISE_COLUMNS`); all or nothing."""
    table = read_table(path)
    frame = unquote_frame(table.frame)
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in ("key", "channel", "valid_from") if c not in frame.columns]
    if missing:
        raise ValidationError(
            f"{path}: missing column(s) {', '.join(missing)}; the columns are "
            f"{', '.join(PROMISE_COLUMNS)}"
        )
    numbered = zip(
        (int(n) for n in table.row_numbers), frame.to_dict(orient="records"), strict=True
    )
    return _store(
        engine, numbered, source=str(path), actor=actor, audit_target=("file", Path(path).name)
    )


def add_promises(engine: Engine, rows: Sequence[Mapping[str, Any]], *, actor: User | str) -> int:
    """Register promises sent as rows (the fields of :data:`PROMISE_COLUMNS`), checked like
    a file's rows: any problem (named by row, from 1, and field) stores nothing."""
    numbered = enumerate((dict(r) for r in rows), start=1)
    return _store(
        engine,
        numbered,
        source="request",
        actor=actor,
        audit_target=("request", f"{len(rows)} rows"),
    )


def _store(
    engine: Engine,
    numbered: Iterable[tuple[int, Mapping[Any, Any]]],
    *,
    source: str,
    actor: User | str,
    audit_target: tuple[str, str],
) -> int:
    problems: list[str] = []
    rows: list[ServicePromise] = []
    keys: set[str] = set()
    with transaction(engine) as session:
        for number, record in numbered:
            cells = {str(k): _cell(v) for k, v in record.items()}
            level = cells.get("level")
            parsed = None if level is None else parse_number(str(level))
            where = f"{source}: row {number}"
            if level is not None and parsed is None:
                problems.append(f"{where}, field 'level': {level!r} is not a number")
                continue
            fields = {
                "key": cells.get("key"),
                "channel": cells.get("channel"),
                "texts": {lang: cells.get(f"text_{lang}") for lang in LANGUAGES},
                "audience": cells.get("audience"),
                "valid_from": cells.get("valid_from"),
                "valid_to": cells.get("valid_to"),
                "instrument": cells.get("instrument"),
                "item": cells.get("item"),
                "dimension": cells.get("dimension"),
                "standard_key": cells.get("standard"),
                "promised_level": parsed,
            }
            try:
                values = _checked(session, where, fields)
            except ValidationError as exc:
                problems.append(exc.message)
                continue
            except NotFoundError as exc:  # an instrument that is not stored
                problems.append(f"{where}, field 'instrument': {exc.message}")
                continue
            if values["key"] in keys or session.scalar(
                select(ServicePromise.id).where(ServicePromise.key == values["key"])
            ):
                problems.append(f"{where}, field 'key': promise {values['key']!r} exists already")
                continue
            keys.add(values["key"])
            rows.append(ServicePromise(**values))
        if problems:
            raise rows_refused(source, problems)
        session.add_all(rows)
        count = len(rows)
        target_type, target_id = audit_target
        audit(
            session,
            actor,
            "promise.import",
            target_type=target_type,
            target_id=target_id,
            details={"rows": count},
        )
    return count


def list_promises(engine: Engine) -> list[PromiseRecord]:
    with transaction(engine) as session:
        rows = session.scalars(select(ServicePromise).order_by(ServicePromise.key)).all()
        return [_record(r) for r in rows]
