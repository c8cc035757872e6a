"""Service standards: proposed from customers' expectations, approved, edited, retired.

A standard is versioned: every change (an edit) is a new version, never an overwrite;
approving a version retires the version approved before it. Every change is audited.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from cxgap import segments
from cxgap.engine.frames import load_survey
from cxgap.errors import ConflictError, NotFoundError, ValidationError
from cxgap.instruments import Instrument
from cxgap.services.accounts import User, audit
from cxgap.services.instrument_catalog import find_instrument
from cxgap.stats.standards import propose_levels
from cxgap.store.database import transaction
from cxgap.store.standards import ServiceStandard
from cxgap.text import check_text, counted
from cxgap.times import now

Status = Literal["proposed", "approved", "retired"]
STATUSES: tuple[str, ...] = ("proposed", "approved", "retired")
MEASURE_UNITS: tuple[str, ...] = ("scale", "hours", "minutes", "days", "percent", "share", "count")
KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,79}$")
EDITABLE = (
    "metric",
    "measure_unit",
    "higher_is_better",
    "floor",
    "target",
    "owner",
    "effective_from",
    "effective_to",
    "rationale",
)
"""Fields a new version may change (the item, dimension and segment identify the standard)."""
MAX_PROBLEMS = 20
"""Problems listed when rows of promises or delivery are refused (the rest are counted)."""


@dataclass(frozen=True)
class StandardRecord:
    """One version of a standard, detached from the database."""

    key: str
    version: int
    status: str
    instrument: str | None
    item: str | None
    dimension: str | None
    segment: str | None
    metric: str
    measure_unit: str
    higher_is_better: bool
    floor: float
    target: float
    owner: str
    effective_from: dt.date
    effective_to: dt.date | None
    rationale: str | None
    source: dict[str, Any] | None
    created_by: str
    decided_by: str | None

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["effective_from"] = self.effective_from.isoformat()
        out["effective_to"] = self.effective_to.isoformat() if self.effective_to else None
        return out


def _record(row: ServiceStandard) -> StandardRecord:
    return StandardRecord(
        **{f.name: getattr(row, f.name) for f in dataclasses.fields(StandardRecord)}
    )


def _actor_name(actor: User | str) -> str:
    return actor.email if isinstance(actor, User) else actor


def check_levels(
    where: str, floor: float, target: float, *, higher_is_better: bool
) -> tuple[float, float]:
    """Check a floor and a target: finite numbers, the floor not better than the target."""
    for name, value in (("floor", floor), ("target", target)):
        if not isinstance(value, int | float) or not math.isfinite(value):
            raise ValidationError(f"{where}: field {name!r} is {value!r}; allowed: a finite number")
    if higher_is_better and floor > target:
        raise ValidationError(
            f"{where}: field 'floor' is {floor:g}, above the target {target:g}; allowed: a "
            "floor at most the target when higher is better"
        )
    if not higher_is_better and floor < target:
        raise ValidationError(
            f"{where}: field 'floor' is {floor:g}, below the target {target:g}; allowed: a "
            "floor at least the target when lower is better (e.g. hours to arrive)"
        )
    return float(floor), float(target)


def rows_refused(source: str, problems: list[str]) -> ValidationError:
    """The refusal of rows of promises or delivery: nothing is stored, every problem is
    counted and the first :data:`MAX_PROBLEMS` are listed by row and field."""
    more = len(problems) - MAX_PROBLEMS
    return ValidationError(
        f"{source}: nothing imported, {counted(len(problems), 'problem')}:\n"
        + "\n".join(problems[:MAX_PROBLEMS])
        + (f"\n... and {more} more" if more > 0 else "")
    )


def check_segment(where: str, segment: str | None) -> str | None:
    """``attribute=value`` with a known attribute, or ``None``."""
    if segment is None or segment == "":
        return None
    attribute, sep, value = segment.partition("=")
    if not sep or not value:
        raise ValidationError(
            f"{where}: field 'segment' is {segment!r}; allowed: ATTRIBUTE=VALUE (e.g. channel=app)"
        )
    attribute = segments.segment_name(attribute, where=f"{where}: field 'segment': attribute")
    return f"{attribute}={value}"


def check_target(
    where: str, instrument: Instrument | None, item: str | None, dimension: str | None
) -> None:
    """The item or dimension a standard or promise touches must be in the instrument."""
    if item is None and dimension is None:
        raise ValidationError(f"{where}: give an item or a dimension it applies to")
    if instrument is None:
        raise ValidationError(f"{where}: field 'instrument' is needed with an item or dimension")
    items = [i.id for i in instrument.items]
    if item is not None and item not in items:
        raise ValidationError(
            f"{where}: field 'item' is {item!r}, not an item of instrument {instrument.id!r}; "
            f"allowed: {', '.join(items)}"
        )
    dims = [d.id for d in instrument.dimensions]
    if dimension is not None and dimension not in dims:
        raise ValidationError(
            f"{where}: field 'dimension' is {dimension!r}, not a dimension of instrument "
            f"{instrument.id!r}; allowed: {', '.join(dims)}"
        )


def _check_key(key: str) -> str:
    if not KEY.match(key):
        raise ValidationError(
            f"standard key {key!r} is not allowed; allowed: 1-80 letters, digits and . _ : - "
            "starting with a letter or digit"
        )
    return key


def _versions(session: Session, key: str) -> list[ServiceStandard]:
    rows = session.scalars(
        select(ServiceStandard).where(ServiceStandard.key == key).order_by(ServiceStandard.version)
    ).all()
    if not rows:
        raise NotFoundError(f"no standard {key!r}; see cxgap standards list")
    return list(rows)


def _validated(session: Session, where: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    values = dict(fields)
    instrument = (
        find_instrument(session, values["instrument"]) if values.get("instrument") else None
    )
    check_target(where, instrument, values.get("item"), values.get("dimension"))
    values["segment"] = check_segment(where, values.get("segment"))
    if values["measure_unit"] not in MEASURE_UNITS:
        raise ValidationError(
            f"{where}: field 'measure_unit' is {values['measure_unit']!r}; allowed: "
            f"{', '.join(MEASURE_UNITS)}"
        )
    values["floor"], values["target"] = check_levels(
        where, values["floor"], values["target"], higher_is_better=bool(values["higher_is_better"])
    )
    for name in ("metric", "owner"):
        if not str(values.get(name) or "").strip():
            raise ValidationError(f"{where}: field {name!r} is empty; allowed: a short text")
        check_text(str(values[name]), where=f"{where}: field {name!r}", multiline=False)
    if values.get("rationale"):
        check_text(str(values["rationale"]), where=f"{where}: field 'rationale'")
    start, end = values["effective_from"], values.get("effective_to")
    if end is not None and end < start:
        raise ValidationError(
            f"{where}: field 'effective_to' ({end}) is before 'effective_from' ({start}); "
            "allowed: an end on or after the start"
        )
    return values


def add_standard_version(
    session: Session,
    key: str,
    fields: Mapping[str, Any],
    *,
    actor: User | str,
    action: str | None,
) -> ServiceStandard:
    """Store ``fields`` as the next version of ``key`` (proposed), audited as ``action``
    (``None``: the caller's own audit entry covers it, as the demo's load does)."""
    _check_key(key)
    values = _validated(session, f"standard {key!r}", fields)
    last = session.scalar(
        select(func.max(ServiceStandard.version)).where(ServiceStandard.key == key)
    )
    row = ServiceStandard(
        key=key,
        version=(last or 0) + 1,
        status="proposed",
        created_by=_actor_name(actor),
        **{
            k: values.get(k)
            for k in (*EDITABLE, "instrument", "item", "dimension", "segment", "source")
        },
    )
    session.add(row)
    session.flush()
    if action is None:
        return row
    audit(
        session,
        actor,
        action,
        target_type="standard",
        target_id=f"{key}@{row.version}",
        details={"floor": row.floor, "target": row.target, "metric": row.metric},
    )
    return row


def create_standard(
    engine: Engine, key: str, *, actor: User | str, **fields: Any
) -> StandardRecord:
    """Propose a new standard (version 1). Refused when ``key`` exists (edit it instead)."""
    with transaction(engine) as session:
        if session.scalar(select(ServiceStandard.id).where(ServiceStandard.key == key).limit(1)):
            raise ConflictError(
                f"standard {key!r} exists; change it with cxgap standards edit {key}"
            )
        fields.setdefault("effective_from", now().date())
        return _record(
            add_standard_version(session, key, fields, actor=actor, action="standard.create")
        )


def edit_standard(engine: Engine, key: str, *, actor: User | str, **changes: Any) -> StandardRecord:
    """A new (proposed) version of ``key`` with ``changes`` applied to the latest version."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ValidationError(
            f"standard {key!r}: cannot change {', '.join(unknown)}; allowed: {', '.join(EDITABLE)}"
        )
    with transaction(engine) as session:
        latest = _versions(session, key)[-1]
        fields = {
            name: getattr(latest, name)
            for name in (*EDITABLE, "instrument", "item", "dimension", "segment", "source")
        }
        fields.update({k: v for k, v in changes.items() if v is not None})
        row = add_standard_version(session, key, fields, actor=actor, action="standard.edit")
        return _record(row)


def approve_standard(
    engine: Engine, key: str, *, actor: User | str, version: int | None = None
) -> StandardRecord:
    """Approve the latest proposed version (or ``version``); the version approved before
    is retired."""
    with transaction(engine) as session:
        rows = _versions(session, key)
        proposed = [r for r in rows if r.status == "proposed"]
        chosen = next((r for r in rows if r.version == version), None) if version else None
        if version is not None and chosen is None:
            raise NotFoundError(
                f"standard {key!r} has no version {version}; versions: "
                f"{', '.join(str(r.version) for r in rows)}"
            )
        chosen = chosen or (proposed[-1] if proposed else None)
        if chosen is None or chosen.status != "proposed":
            raise ConflictError(
                f"standard {key!r} has no proposed version to approve"
                + (f" (version {chosen.version} is {chosen.status})" if chosen else "")
            )
        stamp = now()
        for row in rows:
            if row.status == "approved":
                row.status, row.decided_at, row.decided_by = "retired", stamp, _actor_name(actor)
        chosen.status, chosen.decided_at, chosen.decided_by = "approved", stamp, _actor_name(actor)
        audit(
            session,
            actor,
            "standard.approve",
            target_type="standard",
            target_id=f"{key}@{chosen.version}",
        )
        return _record(chosen)


def retire_standard(engine: Engine, key: str, *, actor: User | str) -> StandardRecord:
    """Retire the approved version of ``key``, or reject its latest proposal."""
    with transaction(engine) as session:
        rows = _versions(session, key)
        live = [r for r in rows if r.status == "approved"] or [
            r for r in rows if r.status == "proposed"
        ]
        if not live:
            raise ConflictError(f"standard {key!r} is retired already (every version)")
        return _retired(session, live[-1], actor=actor, action="standard.retire")


def _retired(
    session: Session, row: ServiceStandard, *, actor: User | str, action: str
) -> StandardRecord:
    row.status, row.decided_at, row.decided_by = "retired", now(), _actor_name(actor)
    audit(session, actor, action, target_type="standard", target_id=f"{row.key}@{row.version}")
    return _record(row)


def reject_standard(engine: Engine, key: str, *, actor: User | str) -> StandardRecord:
    """Reject the latest proposed version of ``key`` (it is retired); an approved version
    stays in force."""
    with transaction(engine) as session:
        proposed = [r for r in _versions(session, key) if r.status == "proposed"]
        if not proposed:
            raise ConflictError(f"standard {key!r} has no proposed version to reject")
        return _retired(session, proposed[-1], actor=actor, action="standard.reject")


def list_standards(
    engine: Engine, *, status: str | None = None, all_versions: bool = False
) -> list[StandardRecord]:
    """Standards (the latest version of each key, or every version), by key."""
    if status is not None and status not in STATUSES:
        raise ValidationError(
            f"status {status!r} is not allowed; allowed: {', '.join(STATUSES)}", field="status"
        )
    with transaction(engine) as session:
        rows = session.scalars(
            select(ServiceStandard).order_by(ServiceStandard.key, ServiceStandard.version)
        ).all()
        records = [_record(r) for r in rows]
    if not all_versions:
        latest: dict[str, StandardRecord] = {}
        for record in records:
            current = latest.get(record.key)
            if current is None or record.status != "retired" or current.status == "retired":
                latest[record.key] = record
        records = list(latest.values())
    return [r for r in records if status is None or r.status == status]


def standard_key_for(item: str, segment: str | None) -> str:
    """The key under which a proposal for ``item`` (and segment) is stored."""
    if not segment:
        return f"{item}-level"
    attribute, _, value = segment.partition("=")
    clean = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{attribute.replace('attribute:', '')}-{value}")
    return f"{item}-level-{clean}"[:80]


@dataclass(frozen=True)
class Proposal:
    """What :func:`propose_standards` derived: the levels per item (and segment), the rule,
    and the keys of the proposed versions it stored."""

    survey: str
    by: str | None
    floor_share: float
    target_share: float
    levels: pd.DataFrame
    keys: list[str]

    @property
    def rule(self) -> str:
        return (
            f"floor: the level at least {self.floor_share:.0%} of customers find adequate; "
            f"target: the level that meets the desired level of {self.target_share:.0%}"
        )


def propose_standards(
    engine: Engine,
    survey: str,
    *,
    by: str | None = None,
    floor_share: float = 0.8,
    target_share: float = 0.5,
    owner: str = "service manager",
    actor: User | str,
    store: bool = True,
) -> Proposal:
    """Derive a floor and a target for every tolerance-zone item of ``survey`` from its
    customers' adequate and desired levels (per segment of ``by`` where they differ), and
    store each as a proposed standard version on the survey's answer scale."""
    data = load_survey(engine, survey)
    inst = data.instrument
    items = [i.id for i in inst.items_of_format("tolerance_zone")]
    if not items:
        raise ValidationError(
            f"survey {survey!r} (instrument {inst.id!r}) has no adequate/desired items to "
            "derive standards from; allowed: a survey with tolerance_zone items"
        )
    frame = data.frame

    def block(suffix: str) -> pd.DataFrame:
        return frame[[f"{i}_{suffix}" for i in items]].set_axis(items, axis=1).astype("float64")

    labels = None
    if by is not None:
        if by not in frame.columns:
            raise ValidationError(
                f"--by {by!r} is not a respondent attribute of survey {survey!r}; allowed: "
                + ", ".join(str(c) for c in frame.columns if segments.is_segment(str(c)))
            )
        labels = frame[by]
    result = propose_levels(
        block("adequate"),
        block("desired"),
        perceived=block("perceived"),
        segments=labels,
        floor_share=floor_share,
        target_share=target_share,
    )
    levels = result.summary.copy()
    levels["segment"] = [f"{by}={s}" if s else "" for s in levels["segment"]]
    levels["key"] = [
        standard_key_for(i, s) for i, s in zip(levels["item"], levels["segment"], strict=True)
    ]
    keys: list[str] = []
    if store:
        with transaction(engine) as session:
            for row in levels.to_dict(orient="records"):
                item = inst.item(str(row["item"]))
                fields = {
                    "instrument": inst.id,
                    "item": item.id,
                    "dimension": item.dimension,
                    "segment": row["segment"] or None,
                    "metric": f"perceived level of {item.id}",
                    "measure_unit": "scale",
                    "higher_is_better": True,
                    "floor": float(row["floor"]),
                    "target": max(float(row["target"]), float(row["floor"])),
                    "owner": owner,
                    "effective_from": now().date(),
                    "rationale": (
                        f"floor: at least {floor_share:.0%} of customers find it adequate; "
                        f"target: meets the desired level of {target_share:.0%}"
                    ),
                    "source": {
                        "survey": survey,
                        "customers": int(row["n"]),
                        "floor_share": floor_share,
                        "target_share": target_share,
                        "floor_interval": _interval(row, "floor"),
                        "target_interval": _interval(row, "target"),
                    },
                }
                add_standard_version(
                    session, str(row["key"]), fields, actor=actor, action="standard.propose"
                )
                keys.append(str(row["key"]))
    return Proposal(survey, by, floor_share, target_share, levels, keys)


def _interval(row: Mapping[Any, Any], name: str) -> list[float | None]:
    ends = (row[f"{name}_ci_low"], row[f"{name}_ci_high"])
    return [None if math.isnan(float(v)) else float(v) for v in ends]
