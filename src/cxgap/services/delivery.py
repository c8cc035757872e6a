"""Delivery units and measurements: what was delivered per period and unit for a standard.

Measurements come from a CSV/XLSX file (:func:`import_delivery`, all or nothing: one bad
row stores none and the message names every bad row and field) or are computed from the
stored service encounters (:func:`delivery_from_encounters`).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from cxgap.errors import NotFoundError, ValidationError
from cxgap.ingest.readers import read_table
from cxgap.services.accounts import User, audit
from cxgap.services.standards import rows_refused
from cxgap.store.database import transaction
from cxgap.store.models import Customer, Encounter
from cxgap.store.standards import DeliveryMeasurement, DeliveryUnit, ServiceStandard
from cxgap.text import check_text, unquote_frame
from cxgap.text.numerals import parse_number

UNIT_KINDS: tuple[str, ...] = ("site", "team", "district", "channel")
PERIOD = re.compile(r"^(\d{4})(?:-(0[1-9]|1[0-2])|Q([1-4]))$")
MET_OUTCOME = "resolved"
"""The encounter outcome that meets a standard computed from encounters; any other
outcome misses it (:func:`delivery_from_encounters`, the ``unmet_standard`` case rule)."""
DELIVERY_COLUMNS = ("standard", "unit", "period", "value", "cases", "met")
"""Columns of a delivery file; ``cases`` and ``met`` may be left out or empty."""


def period_start(period: str) -> dt.date | None:
    """First day of ``YYYY-MM`` or ``YYYYQn``; ``None`` for anything else."""
    found = PERIOD.match(period.strip())
    if not found:
        return None
    year = int(found.group(1))
    month = int(found.group(2)) if found.group(2) else (int(found.group(3)) - 1) * 3 + 1
    return dt.date(year, month, 1)


@dataclass(frozen=True)
class UnitRecord:
    key: str
    kind: str
    name: str | None


def add_units(
    engine: Engine, units: Iterable[tuple[str, str, str | None]], *, actor: User | str
) -> list[UnitRecord]:
    """Register delivery units (key, kind, name); an existing key is left as it is."""
    added: list[UnitRecord] = []
    with transaction(engine) as session:
        known = set(session.scalars(select(DeliveryUnit.key)))
        for key, kind, name in units:
            where = f"unit {key!r}"
            if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$", key):
                raise ValidationError(
                    f"{where}: the key is not allowed; allowed: 1-80 letters, digits, . _ -"
                )
            if kind not in UNIT_KINDS:
                raise ValidationError(
                    f"{where}: kind {kind!r} is not allowed; allowed: {', '.join(UNIT_KINDS)}"
                )
            if name:
                check_text(name, where=f"{where}: name", multiline=False)
            if key in known:
                continue
            session.add(DeliveryUnit(key=key, kind=kind, name=name))
            known.add(key)
            added.append(UnitRecord(key, kind, name))
        if added:
            audit(session, actor, "delivery.units", details={"added": [u.key for u in added]})
    return added


def list_units(engine: Engine) -> list[UnitRecord]:
    with transaction(engine) as session:
        rows = session.scalars(select(DeliveryUnit).order_by(DeliveryUnit.key)).all()
        return [UnitRecord(r.key, r.kind, r.name) for r in rows]


def _standard_periods(session: Session) -> dict[str, tuple[dt.date, dt.date | None]]:
    """Each standard key's effective span: from the earliest start of any version to the
    latest end (open when a version has no end)."""
    spans: dict[str, tuple[dt.date, dt.date | None]] = {}
    for row in session.scalars(select(ServiceStandard)):
        start, end = spans.get(row.key, (row.effective_from, row.effective_to))
        start = min(start, row.effective_from)
        end = None if end is None or row.effective_to is None else max(end, row.effective_to)
        spans[row.key] = (start, end)
    return spans


def _number(cell: Any) -> float | None:
    if cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return None
    if isinstance(cell, int | float):
        return float(cell)
    return parse_number(str(cell))


def _rows(
    session: Session,
    frame: pd.DataFrame,
    row_numbers: list[int],
    source: str,
    only: str | None,
    column: str = "column",
) -> tuple[list[dict[str, Any]], list[str]]:
    units = {u.key: u.id for u in session.scalars(select(DeliveryUnit))}
    spans = _standard_periods(session)
    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    seen: dict[tuple[str, str, str], int] = {}
    for position, record in enumerate(frame.to_dict(orient="records")):
        where = f"{source}: row {row_numbers[position]}"
        standard = str(record.get("standard") or only or "").strip()
        unit = str(record.get("unit") or "").strip()
        period = str(record.get("period") or "").strip()
        bad: list[str] = []
        if standard not in spans:
            bad.append(
                f"{column} 'standard': {standard!r} is not a stored standard; allowed: "
                f"{', '.join(sorted(spans)) or 'none stored yet (cxgap standards propose/add)'}"
            )
        if unit not in units:
            bad.append(
                f"{column} 'unit': {unit!r} is not a known unit; allowed: "
                f"{', '.join(sorted(units)) or 'none yet'} "
                "(register units with cxgap delivery units add)"
            )
        start = period_start(period)
        if start is None:
            bad.append(f"{column} 'period': {period!r} is not a period; allowed: YYYY-MM or YYYYQn")
        elif standard in spans:
            first, last = spans[standard]
            if start < first.replace(day=1) or (last is not None and start > last):
                bad.append(
                    f"{column} 'period': {period!r} lies outside standard {standard!r}'s "
                    f"effective period ({first} to {last or 'open'})"
                )
        value = _number(record.get("value"))
        if value is None or not math.isfinite(value):
            bad.append(f"{column} 'value': {record.get('value')!r} is not a number")
        counts: dict[str, int | None] = {}
        for name in ("cases", "met"):
            number = _number(record.get(name))
            if number is not None and (number < 0 or number != int(number)):
                bad.append(f"{column} {name!r}: {record.get(name)!r}; allowed: a whole number >= 0")
                number = None
            counts[name] = None if number is None else int(number)
        if (counts["cases"] is None) != (counts["met"] is None):
            bad.append(f"{column}s 'cases' and 'met': give both or neither")
        elif counts["cases"] is not None and (counts["met"] or 0) > counts["cases"]:
            bad.append(f"{column} 'met': {counts['met']} exceeds cases {counts['cases']}")
        twin = seen.get((standard, unit, period))
        if twin is not None:
            bad.append(f"standard, unit and period repeat row {twin}")
        seen[(standard, unit, period)] = row_numbers[position]
        if bad:
            problems.extend(f"{where}, {b}" for b in bad)
            continue
        rows.append(
            {
                "standard_key": standard,
                "unit_id": units[unit],
                "period": period,
                "period_start": start,
                "value": value,
                "cases": counts["cases"],
                "met": counts["met"],
            }
        )
    return rows, problems


def store_measurements(session: Session, rows: list[dict[str, Any]], *, source: str) -> int:
    """Insert or replace the measurements (same standard, unit and period)."""
    for row in rows:
        session.execute(
            delete(DeliveryMeasurement).where(
                DeliveryMeasurement.standard_key == row["standard_key"],
                DeliveryMeasurement.unit_id == row["unit_id"],
                DeliveryMeasurement.period == row["period"],
            )
        )
        session.add(DeliveryMeasurement(source=source, **row))
    return len(rows)


def import_delivery(
    engine: Engine, path: str | Path, *, actor: User | str, standard: str | None = None
) -> int:
    """Import a delivery file (columns :data:`DELIVERY_COLUMNS`; ``standard`` may come from
    the option instead). All rows are checked first; any problem stores nothing."""
    table = read_table(path)
    frame = unquote_frame(table.frame)
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    needed = [c for c in ("unit", "period", "value") if c not in frame.columns]
    if standard is None and "standard" not in frame.columns:
        needed.insert(0, "standard")
    if needed:
        raise ValidationError(
            f"{path}: missing column(s) {', '.join(needed)}; the columns are "
            f"{', '.join(DELIVERY_COLUMNS)} (cases and met optional)"
        )
    if table.malformed:
        first = table.malformed[0]
        raise ValidationError(f"{path}: row {first.row_number}: {first.reason}")
    numbers = [int(n) for n in table.row_numbers]
    return _store(
        engine,
        frame,
        numbers,
        source=str(path),
        standard=standard,
        actor=actor,
        audit_target=("file", Path(path).name, {"sha256": table.sha256}),
    )


def add_delivery(
    engine: Engine,
    rows: Sequence[Mapping[str, Any]],
    *,
    actor: User | str,
    standard: str | None = None,
) -> int:
    """Store measurements sent as rows (the fields of :data:`DELIVERY_COLUMNS`), checked
    like a file's rows: any problem (named by row, from 1, and field) stores nothing."""
    frame = pd.DataFrame([dict(r) for r in rows], columns=list(DELIVERY_COLUMNS), dtype=object)
    numbers = list(range(1, len(frame) + 1))
    return _store(
        engine,
        frame,
        numbers,
        source="request",
        standard=standard,
        actor=actor,
        audit_target=("request", f"{len(numbers)} rows", {}),
        column="field",
    )


def _store(
    engine: Engine,
    frame: pd.DataFrame,
    numbers: list[int],
    *,
    source: str,
    standard: str | None,
    actor: User | str,
    audit_target: tuple[str, str, dict[str, Any]],
    column: str = "column",
) -> int:
    with transaction(engine) as session:
        rows, problems = _rows(session, frame, numbers, source, standard, column)
        if problems:
            raise rows_refused(source, problems)
        count = store_measurements(session, rows, source="import")
        target_type, target_id, details = audit_target
        audit(
            session,
            actor,
            "delivery.import",
            target_type=target_type,
            target_id=target_id,
            details={"rows": count, **details},
        )
    return count


def delivery_from_encounters(
    engine: Engine,
    standard: str,
    *,
    touchpoint: str | None = None,
    actor: User | str,
) -> int:
    """Compute a standard's monthly delivery from stored encounters: per customer region
    (a registered unit) and month, the share of encounters resolved (``met`` = resolved,
    ``cases`` = all, ``value`` = the share)."""
    with transaction(engine) as session:
        spans = _standard_periods(session)
        if standard not in spans:
            raise NotFoundError(f"no standard {standard!r}; see cxgap standards list")
        units = {u.key: u.id for u in session.scalars(select(DeliveryUnit))}
        query = select(Encounter.occurred_at, Encounter.outcome, Customer.region).join(
            Customer, Customer.id == Encounter.customer_id
        )
        if touchpoint:
            query = query.where(Encounter.touchpoint == touchpoint)
        frame = pd.DataFrame(session.execute(query).all(), columns=["at", "outcome", "region"])
        frame = frame[frame["region"].isin(list(units))]
        if frame.empty:
            raise ValidationError(
                f"no encounters of customers in a registered unit (units: "
                f"{', '.join(sorted(units)) or 'none'}); register the regions as units first"
            )
        frame["period"] = pd.to_datetime(frame["at"], utc=True).dt.strftime("%Y-%m")
        grouped = frame.groupby(["region", "period"])["outcome"]
        rows = []
        first, last = spans[standard]
        for (region, period), outcomes in grouped:
            start = period_start(str(period))
            if start is None or start < first.replace(day=1) or (last and start > last):
                continue
            met = int((outcomes == MET_OUTCOME).sum())
            rows.append(
                {
                    "standard_key": standard,
                    "unit_id": units[str(region)],
                    "period": str(period),
                    "period_start": start,
                    "value": met / len(outcomes),
                    "cases": len(outcomes),
                    "met": met,
                }
            )
        count = store_measurements(session, rows, source="encounters")
        audit(
            session,
            actor,
            "delivery.compute",
            target_type="standard",
            target_id=standard,
            details={"rows": count},
        )
    return count


def delivery_table(engine: Engine, standard: str | None = None) -> pd.DataFrame:
    """Stored measurements: standard, unit, period, period_start, value, cases, met."""
    with transaction(engine) as session:
        query = select(
            DeliveryMeasurement.standard_key,
            DeliveryUnit.key,
            DeliveryMeasurement.period,
            DeliveryMeasurement.period_start,
            DeliveryMeasurement.value,
            DeliveryMeasurement.cases,
            DeliveryMeasurement.met,
        ).join(DeliveryUnit, DeliveryUnit.id == DeliveryMeasurement.unit_id)
        if standard is not None:
            query = query.where(DeliveryMeasurement.standard_key == standard)
        rows = session.execute(
            query.order_by(
                DeliveryMeasurement.standard_key, DeliveryUnit.key, DeliveryMeasurement.period_start
            )
        ).all()
    return pd.DataFrame(
        rows, columns=["standard", "unit", "period", "period_start", "value", "cases", "met"]
    )
