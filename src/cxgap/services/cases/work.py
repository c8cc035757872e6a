"""Working on cases: opening, states, assignment, notes and contacts, with SLA clocks.

States: ``new`` -> ``acknowledged`` -> ``in_progress`` -> ``waiting_on_customer`` ->
``resolved`` -> ``closed``; a resolved or closed case can be reopened (back to
``in_progress``). The first move out of ``new`` (or the first contact logged) is the first
response. Waiting on the customer and the time between resolving and reopening stop the
resolution clock (:func:`cxgap.calendars.due_time` with pauses).

Every change names the ``version`` it read; when the case changed since, the change is
refused with a :class:`~cxgap.errors.ConflictError` (HTTP 409, exit code 5) and nothing of
it is kept.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal, get_args

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.orm import Session

from cxgap.calendars import Pause, due_time, parse_calendar, working_minutes
from cxgap.errors import ConflictError, NotFoundError, ValidationError
from cxgap.services.accounts import AuditEvent, User, audit, audit_row
from cxgap.services.cases.config import PRIORITIES, CaseRules
from cxgap.services.cases.notices import Wording, assigned_notice
from cxgap.services.outbox import enqueue, message_rows
from cxgap.store.cases import Case, CaseEvent, CaseSignal
from cxgap.store.database import transaction
from cxgap.store.models import Answer, Customer, FeedbackMessage, Response, Survey
from cxgap.store.outbox import OutboxMessage
from cxgap.text import check_text
from cxgap.times import as_utc, now

State = Literal["new", "acknowledged", "in_progress", "waiting_on_customer", "resolved", "closed"]
STATES: tuple[str, ...] = get_args(State)
OPEN_STATES = ("new", "acknowledged", "in_progress", "waiting_on_customer")
PAUSED_STATES = ("waiting_on_customer", "resolved", "closed")
MOVES: dict[str, tuple[str, ...]] = {
    "new": ("acknowledged", "in_progress", "waiting_on_customer", "resolved", "closed"),
    "acknowledged": ("in_progress", "waiting_on_customer", "resolved", "closed"),
    "in_progress": ("waiting_on_customer", "resolved", "closed"),
    "waiting_on_customer": ("in_progress", "resolved", "closed"),
    "resolved": ("closed", "in_progress"),
    "closed": ("in_progress",),
}
"""State -> the states a case may move to from it (back to ``in_progress`` reopens)."""
MAX_TEXT = 10_000


@dataclass(frozen=True)
class CaseEventInfo:
    at: dt.datetime
    actor: str
    kind: str
    text: str | None
    details: Mapping[str, Any] | None


@dataclass(frozen=True)
class CaseInfo:
    """A case as the pages, the API and the command line show it."""

    id: int
    customer: str
    cause: str
    source_type: str
    source_id: int | None
    rule: str | None
    priority: str
    team: str | None
    owner: str | None
    state: str
    root_item: str | None
    root_dimension: str | None
    cause_code: str | None
    cause_text: str | None
    recovery_action: str | None
    apology: bool
    holdout: bool
    first_response_due_at: dt.datetime | None
    resolution_due_at: dt.datetime | None
    acknowledged_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    escalation: int
    signals: int
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True)
class CaseDetail:
    """One case with its history and the customer's answers and feedback."""

    case: CaseInfo
    events: list[CaseEventInfo]
    answers: list[dict[str, Any]]
    feedback: list[dict[str, Any]]


@dataclass(frozen=True)
class CaseChange:
    """What an update changes; fields left ``None`` stay as they are."""

    state: str | None = None
    owner: str | None = None
    """E-mail of the new owner; ``""`` removes the owner."""
    team: str | None = None
    priority: str | None = None
    root_item: str | None = None
    root_dimension: str | None = None
    cause_code: str | None = None
    cause_text: str | None = None
    recovery_action: str | None = None
    apology: bool | None = None
    note: str | None = None
    contact: str | None = None
    """A contact with the customer (call, e-mail), logged with what was said."""
    extra: Mapping[str, Any] = field(default_factory=dict)


def _actor_name(actor: User | str) -> str:
    return actor.email if isinstance(actor, User) else actor


def record_event(
    session: Session,
    case: Case,
    actor: User | str,
    kind: str,
    *,
    text: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Add an entry to a case's history (in the caller's transaction)."""
    session.add(CaseEvent(**event_row(case.id, actor, kind, text=text, details=details)))


def event_row(
    case_id: int,
    actor: User | str,
    kind: str,
    *,
    text: str | None = None,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The columns of a history entry: :func:`record_event` adds one, a caller recording
    many inserts these rows at once."""
    return {
        "case_id": case_id,
        "at": now(),
        "actor_id": actor.id if isinstance(actor, User) else None,
        "actor": _actor_name(actor),
        "kind": kind,
        "text": text,
        "details": details,
    }


@dataclass
class CaseRows:
    """What a service opening many cases at once writes, as rows inserted together by
    :meth:`insert` (one ``INSERT`` per table) instead of one object each: the cases (with
    ids reserved by :func:`cxgap.store.bulk.reserve_ids`), their history entries, the
    signals linked to them, their audit entries and their notifications."""

    cases: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    audits: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)

    def insert(self, session: Session) -> None:
        """Insert every row (cases first: the other rows refer to them) and forget them."""
        tables = (
            (Case, self.cases),
            (CaseEvent, self.events),
            (CaseSignal, self.links),
            (AuditEvent, self.audits),
            (OutboxMessage, self.messages),
        )
        for model, rows in tables:
            if rows:
                session.execute(insert(model), rows)
                rows.clear()


def _pauses(case: Case) -> list[Pause]:
    return [
        (dt.datetime.fromisoformat(a), dt.datetime.fromisoformat(b)) for a, b in case.pauses or []
    ]


@functools.lru_cache(maxsize=256)
def _due(
    calendar: str, opened: dt.datetime, minutes: float, pauses: tuple[Pause, ...]
) -> dt.datetime:
    """A due time (UTC) of a calendar given as sorted JSON; remembered, because the cases a
    sweep step opens share their opening time and so their due times."""
    return as_utc(due_time(parse_calendar(json.loads(calendar)), opened, minutes, pauses=pauses))


def refresh_due(case: Case) -> None:
    """Recompute the due times from the case's calendar, targets and pauses. While the
    case waits on the customer it has no resolution due time; a resolved or closed case
    keeps the one it was resolved against."""
    if case.calendar is None:
        return
    calendar = json.dumps(case.calendar, sort_keys=True)
    opened = as_utc(case.created_at)
    if case.first_response_minutes is not None:
        case.first_response_due_at = _due(calendar, opened, case.first_response_minutes, ())
    if case.resolution_minutes is None:
        return
    if case.paused_since is not None and case.state == "waiting_on_customer":
        case.resolution_due_at = case.near_due_at = None
        return
    pauses = tuple(_pauses(case))
    case.resolution_due_at = _due(calendar, opened, case.resolution_minutes, pauses)
    if case.near_share is not None:
        near = case.resolution_minutes * case.near_share
        case.near_due_at = _due(calendar, opened, near, pauses)


def clock_minutes(case: Case, at: dt.datetime) -> float | None:
    """Working minutes the resolution clock has run by ``at``."""
    if case.calendar is None:
        return None
    pauses = _pauses(case)
    if case.paused_since is not None:
        pauses.append((as_utc(case.paused_since), max(at, as_utc(case.paused_since))))
    return working_minutes(
        parse_calendar(case.calendar), as_utc(case.created_at), at, pauses=pauses
    )


def open_case(
    session: Session,
    *,
    customer_id: int,
    cause: str,
    priority: str,
    actor: User | str,
    rules: CaseRules | None = None,
    source_type: str = "manual",
    source_id: int | None = None,
    rule: str | None = None,
    team: str | None = None,
    owner: User | None = None,
    root_item: str | None = None,
    holdout: bool = False,
    note: str | None = None,
    checked: bool = False,
    wording: Wording | None = None,
    batch: tuple[CaseRows, int, dt.datetime] | None = None,
) -> Case:
    """Open a case (in the caller's transaction) with the SLA of ``rules``; refused when the
    customer already has an open case for this cause (``checked``: the caller looked).

    A caller opening many cases passes ``batch``: the rows to add to, the case's reserved
    id and the opening time the batch shares (so due times are computed once). The case
    and what goes with it are then rows of the batch, written by its
    :meth:`CaseRows.insert`; the case returned is not in the session."""
    if priority not in PRIORITIES:
        raise ValidationError(
            f"priority {priority!r}: use {', '.join(PRIORITIES)}", field="priority"
        )
    cause = check_text(cause, where="cause", multiline=False)
    key = f"{customer_id}:{cause}"
    found = None if checked else session.scalar(select(Case.id).where(Case.open_key == key))
    if found is not None:
        raise ConflictError(f"customer already has open case {found} for cause {cause!r}")
    opened = now() if batch is None else batch[2]
    case = Case(
        id=None if batch is None else batch[1],
        customer_id=customer_id,
        cause=cause,
        source_type=source_type,
        source_id=source_id,
        rule=rule,
        priority=priority,
        team=team,
        owner_id=None if owner is None else owner.id,
        state="new",
        open_key=key,
        root_item=root_item,
        holdout=holdout,
        escalation=0,
        version=1,
        created_at=opened,
        updated_at=opened,
    )
    policy = None if rules is None or holdout else rules.policy(priority, team)
    if rules is not None and policy is not None:
        case.calendar = dict(rules.calendar_data)
        case.first_response_minutes = policy.first_response
        case.resolution_minutes = policy.resolution
        case.near_share = rules.near
        refresh_due(case)
    if batch is None:
        session.add(case)
        session.flush()  # the new case's id
    else:
        columns = Case.__table__.columns.keys()
        batch[0].cases.append({k: v for k, v in vars(case).items() if k in columns})
    opened_event = event_row(
        case.id,
        actor,
        "opened",
        text=note,
        details={
            "cause": cause,
            "priority": priority,
            "team": team,
            "rule": rule,
            "source": source_type,
            "source_id": source_id,
            "holdout": holdout,
        },
    )
    audit_entry = audit_row(
        actor,
        "case.open",
        target_type="case",
        target_id=case.id,
        details={"cause": cause, "customer_id": customer_id},
    )
    notice = None if owner is None or holdout else _owner_notice(case, owner, wording)
    if batch is None:
        session.add(CaseEvent(**opened_event))
        session.add(AuditEvent(**audit_entry))
        if owner is not None and notice is not None:
            enqueue(session, user=owner, **notice)
    else:
        batch[0].events.append(opened_event)
        batch[0].audits.append(audit_entry)
        if owner is not None and notice is not None:
            batch[0].messages.extend(message_rows(user=owner, **notice))
    return case


def _owner_notice(case: Case, owner: User, wording: Wording | None) -> dict[str, str]:
    """The notification telling ``owner`` that ``case`` is theirs (subject, body, keys)."""
    notice = assigned_notice(case, owner.language or "en", wording)
    return {
        "kind": "case.assigned",
        "subject": notice.subject,
        "body": notice.body,
        "dedupe_key": f"case:{case.id}:assigned:{owner.id}:{case.version}",
    }


def _notify_owner(
    session: Session, case: Case, owner: User, wording: Wording | None = None
) -> None:
    enqueue(session, user=owner, **_owner_notice(case, owner, wording))


def _user(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None:
        raise NotFoundError(f"no user with email {email}")
    return user


def _customer_key(session: Session, customer_id: int) -> str:
    return session.scalar(select(Customer.external_id).where(Customer.id == customer_id)) or ""


def _info(session: Session, case: Case) -> CaseInfo:
    owner = (
        session.scalar(select(User.email).where(User.id == case.owner_id))
        if case.owner_id
        else None
    )
    signals = session.scalar(select(func.count()).where(CaseSignal.case_id == case.id)) or 0
    return _info_of(case, _customer_key(session, case.customer_id), owner, int(signals))


def _info_of(case: Case, customer: str, owner: str | None, signals: int) -> CaseInfo:
    return CaseInfo(
        id=case.id,
        customer=customer,
        cause=case.cause,
        source_type=case.source_type,
        source_id=case.source_id,
        rule=case.rule,
        priority=case.priority,
        team=case.team,
        owner=owner,
        state=case.state,
        root_item=case.root_item,
        root_dimension=case.root_dimension,
        cause_code=case.cause_code,
        cause_text=case.cause_text,
        recovery_action=case.recovery_action,
        apology=case.apology,
        holdout=case.holdout,
        first_response_due_at=as_utc(case.first_response_due_at),
        resolution_due_at=as_utc(case.resolution_due_at),
        acknowledged_at=as_utc(case.acknowledged_at),
        resolved_at=as_utc(case.resolved_at),
        closed_at=as_utc(case.closed_at),
        escalation=case.escalation,
        signals=signals,
        version=case.version,
        created_at=as_utc(case.created_at),
        updated_at=as_utc(case.updated_at),
    )


def _get(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFoundError(f"no case {case_id}")
    return case


def _move(session: Session, case: Case, target: str, actor: User | str) -> None:
    if target not in STATES:
        raise ValidationError(f"state {target!r}: use {', '.join(STATES)}", field="state")
    if target == case.state:
        return
    if target not in MOVES[case.state]:
        raise ValidationError(
            f"case {case.id} is {case.state}; it can move to {', '.join(MOVES[case.state])}"
        )
    at = now()
    before = case.state
    reopened = before in ("resolved", "closed")
    if reopened:
        key = f"{case.customer_id}:{case.cause}"
        other = session.scalar(select(Case.id).where(Case.open_key == key, Case.id != case.id))
        if other is not None:
            raise ConflictError(
                f"case {case.id} cannot reopen: case {other} is open for this cause"
            )
        case.open_key = key
    if case.paused_since is not None and target not in PAUSED_STATES:
        case.pauses = [
            *(case.pauses or []),
            [as_utc(case.paused_since).isoformat(), at.isoformat()],
        ]
        case.paused_since = None
    elif case.paused_since is None and target in PAUSED_STATES:
        case.paused_since = at
    if case.acknowledged_at is None and before == "new":
        case.acknowledged_at = at
    if target == "resolved":
        case.resolved_at = at
    if target == "closed":
        case.closed_at = at
        case.open_key = None
    case.state = target
    refresh_due(case)
    record_event(
        session,
        case,
        actor,
        "reopened" if reopened else "state",
        details={"from": before, "to": target},
    )


TEXT_FIELDS = ("root_item", "root_dimension", "cause_code", "cause_text", "recovery_action")


def change_case(
    session: Session,
    case_id: int,
    *,
    version: int,
    change: CaseChange,
    actor: User | str,
    wording: Wording | None = None,
) -> Case:
    """Apply ``change`` to a case whose version is ``version`` (in the caller's transaction)."""
    bumped = session.execute(
        update(Case)
        .where(Case.id == case_id, Case.version == version)
        .values(version=version + 1, updated_at=now())
        .execution_options(synchronize_session=False)
    )
    if bumped.rowcount != 1:  # type: ignore[attr-defined]
        current = session.scalar(select(Case.version).where(Case.id == case_id))
        if current is None:
            raise NotFoundError(f"no case {case_id}")
        raise ConflictError(
            f"case {case_id} was changed by someone else (version {current}, you had "
            f"{version}); reload it and make your change again"
        )
    case = _get(session, case_id)
    session.refresh(case)
    changed: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        value = getattr(change, name)
        if value is not None:
            value = check_text(value, where=name)[:MAX_TEXT] or None
            setattr(case, name, value)
            changed[name] = value
    if change.apology is not None:
        case.apology = change.apology
        changed["apology"] = change.apology
    if change.priority is not None:
        if change.priority not in PRIORITIES:
            raise ValidationError(
                f"priority {change.priority!r}: use {', '.join(PRIORITIES)}", field="priority"
            )
        case.priority = change.priority
        changed["priority"] = change.priority
    if change.team is not None:
        case.team = check_text(change.team, where="team", multiline=False) or None
        changed["team"] = case.team
    if change.owner is not None:
        owner = _user(session, change.owner) if change.owner else None
        case.owner_id = None if owner is None else owner.id
        changed["owner"] = None if owner is None else owner.email
        record_event(session, case, actor, "assigned", details={"owner": changed["owner"]})
        if owner is not None and not case.holdout:
            _notify_owner(session, case, owner, wording)
    if changed.keys() - {"owner"}:
        record_event(
            session,
            case,
            actor,
            "updated",
            details={k: v for k, v in changed.items() if k != "owner"},
        )
    if change.note:
        record_event(
            session, case, actor, "note", text=check_text(change.note, where="note")[:MAX_TEXT]
        )
    if change.contact:
        record_event(
            session,
            case,
            actor,
            "contact",
            text=check_text(change.contact, where="contact")[:MAX_TEXT],
        )
        if case.acknowledged_at is None:
            case.acknowledged_at = now()
    if change.state is not None:
        _move(session, case, change.state, actor)
    audit(
        session,
        actor,
        "case.update",
        target_type="case",
        target_id=case.id,
        details={
            "version": case.version,
            "fields": sorted(
                k for k in (f.name for f in fields(change)) if getattr(change, k) not in (None, {})
            ),
        },
    )
    return case


# Engine-first use cases ------------------------------------------------------------------


def update_case(
    engine: Engine,
    case_id: int,
    *,
    version: int,
    change: CaseChange,
    actor: User | str,
    wording: Wording | None = None,
) -> CaseInfo:
    """Change a case read at ``version``; a stale version is refused (ConflictError)."""
    with transaction(engine) as session:
        return _info(
            session,
            change_case(
                session, case_id, version=version, change=change, actor=actor, wording=wording
            ),
        )


def create_case(
    engine: Engine,
    *,
    customer: str,
    cause: str,
    priority: str,
    actor: User | str,
    rules: CaseRules | None = None,
    owner: str | None = None,
    team: str | None = None,
    note: str | None = None,
    wording: Wording | None = None,
) -> CaseInfo:
    """Open a case by hand for the customer with external id ``customer``."""
    with transaction(engine) as session:
        customer_id = session.scalar(select(Customer.id).where(Customer.external_id == customer))
        if customer_id is None:
            raise NotFoundError(f"no customer with id {customer!r}")
        case = open_case(
            session,
            customer_id=customer_id,
            cause=cause,
            priority=priority,
            actor=actor,
            rules=rules,
            team=team,
            owner=_user(session, owner) if owner else None,
            note=None if note is None else check_text(note, where="note"),
            wording=wording,
        )
        return _info(session, case)


Order = Literal["due", "newest"]


def list_cases(
    engine: Engine,
    *,
    owner: str | None = None,
    team: str | None = None,
    state: str | None = None,
    open_only: bool = False,
    order: Order = "due",
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[CaseInfo], int]:
    """Cases matching the filters (the team queue: ``order="due"``, soonest first, cases
    without a due time last), and how many match in all."""
    if state is not None and state not in STATES:
        raise ValidationError(f"state {state!r}: use {', '.join(STATES)}", field="state")
    with transaction(engine) as session:
        filters = []
        if owner is not None:
            # a filter by someone who is not a user matches no case (not an error)
            known = session.scalar(
                select(User.id).where(func.lower(User.email) == owner.strip().lower())
            )
            filters.append(Case.owner_id == (known if known is not None else -1))
        if team is not None:
            filters.append(Case.team == team)
        if state is not None:
            filters.append(Case.state == state)
        page_filters = list(filters)
        if open_only:
            filters.append(Case.state.in_(OPEN_STATES))
            # The same test hidden from the (state, due) index: the page should walk the
            # due-time index in order and stop after one page, not sort every open case.
            page_filters.append(func.coalesce(Case.state, "").in_(OPEN_STATES))
        signals = select(func.count()).where(CaseSignal.case_id == Case.id).scalar_subquery()
        rows = (
            select(Case, Customer.external_id, User.email, signals)
            .join(Customer, Customer.id == Case.customer_id)
            .outerjoin(User, User.id == Case.owner_id)
            .where(*page_filters)
        )
        count = select(func.count()).select_from(Case).where(*filters)
        total = int(session.scalar(count) or 0)
        if order == "newest":
            found = list(session.execute(rows.order_by(Case.id.desc()).limit(limit).offset(offset)))
        else:
            # Two index scans rather than one sort of every match: due times first (an
            # index on resolution_due_at), then the cases without one, oldest first.
            found = list(
                session.execute(
                    rows.where(Case.resolution_due_at.is_not(None))
                    .order_by(Case.resolution_due_at, Case.id)
                    .limit(limit)
                    .offset(offset)
                )
            )
            if len(found) < limit:
                with_due = session.scalar(count.where(Case.resolution_due_at.is_not(None)))
                found += session.execute(
                    rows.where(Case.resolution_due_at.is_(None))
                    .order_by(Case.id)
                    .limit(limit - len(found))
                    .offset(max(0, offset - int(with_due or 0)))
                )
        return [_info_of(c, key, email, int(n)) for c, key, email, n in found], total


def case_detail(engine: Engine, case_id: int) -> CaseDetail:
    """A case, its history, and the customer's survey answers and feedback messages."""
    with transaction(engine) as session:
        case = _get(session, case_id)
        events = [
            CaseEventInfo(as_utc(e.at), e.actor, e.kind, e.text, e.details)
            for e in session.scalars(
                select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
            )
        ]
        answers = [
            {
                "survey": key,
                "response": rid,
                "item": a.item_id,
                "score": a.score,
                "perceived": a.perceived,
                "adequate": a.adequate,
                "desired": a.desired,
                "text": a.text,
            }
            for key, rid, a in session.execute(
                select(Survey.key, Response.id, Answer)
                .join(Response, Response.survey_id == Survey.id)
                .join(Answer, Answer.response_id == Response.id)
                .where(Response.customer_id == case.customer_id)
                .order_by(Response.id.desc(), Answer.item_id)
                .limit(200)
            )
        ]
        feedback = [
            {"id": m.id, "channel": m.channel, "received_at": as_utc(m.received_at), "text": m.text}
            for m in session.scalars(
                select(FeedbackMessage)
                .where(FeedbackMessage.customer_id == case.customer_id)
                .order_by(FeedbackMessage.id.desc())
                .limit(50)
            )
        ]
        return CaseDetail(_info(session, case), events, answers, feedback)


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return as_utc(value).isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def case_json(info: CaseInfo | CaseDetail) -> dict[str, Any]:
    """The documented JSON of a case (``docs/cases.md``); a detail adds ``events``,
    ``answers`` and ``feedback``."""
    if isinstance(info, CaseDetail):
        return {
            **case_json(info.case),
            "events": [_plain(asdict(e)) for e in info.events],
            "answers": _plain(info.answers),
            "feedback": _plain(info.feedback),
        }
    return {k: _plain(v) for k, v in asdict(info).items()}
