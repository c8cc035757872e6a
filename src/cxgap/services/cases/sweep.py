"""The sweep: apply the rules to new data and escalate cases near or past their due time.

Safe to run from cron at any frequency, and from two processes at once: each rule reads
its source only past its mark, every record it acts on is recorded once per rule
(``case_signals`` is unique per rule and record), and a customer has at most one open case
per cause (a new signal is added to it).

Hold-out: with ``holdout.share`` above 0, a rule-opened case of a listed priority is
marked ``holdout`` when a hash of its customer, cause and rule falls below the share. Such
a case is kept (so the customer's later answers can be compared) but nobody is told of it
and it has no SLA: the uncontacted group of an unbiased estimate of what a call back does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Engine, and_, or_, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from cxgap.services.accounts import User, audit
from cxgap.services.cases.conditions import Signal, high_water
from cxgap.services.cases.config import ASSIGN_KEYS, CaseRules, Rule, Team
from cxgap.services.cases.notices import Wording, escalation_notice
from cxgap.services.cases.work import (
    OPEN_STATES,
    CaseRows,
    event_row,
    open_case,
    record_event,
)
from cxgap.services.outbox import enqueue
from cxgap.store.bulk import reserve_ids
from cxgap.store.cases import Case, CaseRuleMark, CaseSignal, TeamRotation
from cxgap.store.database import transaction
from cxgap.store.models import Customer
from cxgap.text import counted
from cxgap.times import as_utc, now

CHUNK = 5000
"""Source records read per step."""


@dataclass(frozen=True)
class SweepResult:
    opened: int
    added: int
    """Signals added to a case already open for the customer and cause."""
    held_out: int
    escalated: int

    @property
    def summary(self) -> str:
        return (
            f"{counted(self.opened, 'case')} opened ({self.held_out:,} held out), "
            f"{counted(self.added, 'signal')} "
            f"added to open cases, {counted(self.escalated, 'escalation')}"
        )


def in_holdout(rules: CaseRules, rule: Rule, customer_id: int, cause: str) -> bool:
    """Whether a case is held out (uncontacted): a stable hash below the share."""
    if rules.holdout.share <= 0 or rule.priority not in rules.holdout.priorities:
        return False
    digest = hashlib.sha256(f"{customer_id}:{cause}:{rule.name}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < rules.holdout.share


def _team_for(rules: CaseRules, customer: Any) -> str | None:
    for a in rules.assign:
        if all(
            customer is not None and getattr(customer, key) in values
            for key, values in a.match.items()
        ):
            return a.team
    return None


def _next_owner(
    session: Session,
    team: Team,
    skill: str | None,
    people: dict[str, User | None],
    rotations: dict[str, TeamRotation],
) -> User | None:
    """Round robin over the team's active members (those with ``skill`` when a rule asks);
    ``people`` and ``rotations`` remember the accounts and positions read in one step."""
    members = [m for m in team.members if skill is None or skill in team.skills.get(m, ())]
    for m in members:
        if m not in people:
            people[m] = session.scalar(select(User).where(User.email == m))
    users = [u for m in members if (u := people[m]) is not None and u.active]
    if not users:
        return None
    rotation = rotations.get(team.name) or session.get(TeamRotation, team.name)
    if rotation is None:
        rotation = TeamRotation(team=team.name, assigned=0)
        session.add(rotation)
    rotations[team.name] = rotation
    owner = users[rotation.assigned % len(users)]
    rotation.assigned += 1
    return owner


@dataclass
class _Chunk:
    """What one step of a rule has read in bulk: the records already acted on, the open
    cases and the customers of its signals, and the team accounts and positions looked
    up; the ids reserved for the cases it opens, and their common opening time."""

    done: set[int]
    open_cases: dict[int, int]
    """Customer -> the id of the customer's open case for the rule's cause."""
    customers: dict[int, Any]
    """Customer -> the attributes assignment matches on."""
    people: dict[str, User | None] = field(default_factory=dict)
    rotations: dict[str, TeamRotation] = field(default_factory=dict)
    case_ids: list[int] = field(default_factory=list)
    opened: dt.datetime = field(default_factory=now)
    wording: Wording | None = None
    rows: CaseRows = field(default_factory=CaseRows)
    """Everything the step writes, inserted together at its end."""


def _read_chunk(session: Session, rule: Rule, signals: list[Signal]) -> _Chunk:
    source = rule.condition.source_type
    ids = [s.source_id for s in signals]
    customer_ids = sorted({s.customer_id for s in signals})
    done = set(
        session.scalars(
            select(CaseSignal.source_id).where(
                CaseSignal.rule == rule.name,
                CaseSignal.source_type == source,
                CaseSignal.source_id.in_(ids),
            )
        )
    )
    keys = [f"{c}:{rule.cause}" for c in customer_ids]
    open_cases = {
        customer: case
        for customer, case in session.execute(
            select(Case.customer_id, Case.id).where(Case.open_key.in_(keys))
        )
    }
    new = [c for c in customer_ids if c not in open_cases]
    attributes = [getattr(Customer, key) for key in ASSIGN_KEYS]
    customers = {
        row.id: row
        for row in session.execute(select(Customer.id, *attributes).where(Customer.id.in_(new)))
    }
    return _Chunk(done, open_cases, customers)


def _apply(
    session: Session,
    rules: CaseRules,
    rule: Rule,
    signal: Signal,
    actor: User | str,
    chunk: _Chunk,
) -> str:
    """Open a case for the signal or add it to the open one: ``opened``, ``held``, ``added``
    or ``seen`` (the record was already acted on)."""
    if signal.source_id in chunk.done:
        return "seen"
    chunk.done.add(signal.source_id)
    case_id = chunk.open_cases.get(signal.customer_id)
    outcome = "added"
    if case_id is None:
        team_name = _team_for(rules, chunk.customers.get(signal.customer_id))
        holdout = in_holdout(rules, rule, signal.customer_id, rule.cause)
        team = rules.teams.get(team_name) if team_name else None
        owner = (
            None
            if team is None or holdout
            else _next_owner(session, team, rule.skill, chunk.people, chunk.rotations)
        )
        case = open_case(
            session,
            customer_id=signal.customer_id,
            cause=rule.cause,
            priority=rule.priority,
            actor=actor,
            rules=rules,
            source_type=signal.source_type,
            source_id=signal.source_id,
            rule=rule.name,
            team=team_name,
            owner=owner,
            root_item=rule.condition.root_item,
            holdout=holdout,
            checked=True,
            wording=chunk.wording,
            batch=(chunk.rows, chunk.case_ids.pop(), chunk.opened),
        )
        case_id = chunk.open_cases[signal.customer_id] = case.id
        outcome = "held" if holdout else "opened"
    else:
        chunk.rows.events.append(
            event_row(
                case_id,
                actor,
                "signal",
                details={
                    "rule": rule.name,
                    "source": signal.source_type,
                    "source_id": signal.source_id,
                },
            )
        )
    chunk.rows.links.append(
        {
            "case_id": case_id,
            "rule": rule.name,
            "source_type": signal.source_type,
            "source_id": signal.source_id,
        }
    )
    return outcome


RETRIES = 8
"""Times a step is tried again when another sweep changed the same rows first."""

T = TypeVar("T")


def _retrying(step: Callable[[], T]) -> T:
    """Run ``step`` (one transaction), again after a short wait when a concurrent sweep
    wrote first: SQLite refuses a write from a stale snapshot, and the unique keys refuse
    a second copy of a signal or of an open case. The step reads everything anew."""
    for attempt in range(RETRIES + 1):
        try:
            return step()
        except (OperationalError, IntegrityError):
            if attempt == RETRIES:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")  # pragma: no cover


def _step(
    engine: Engine,
    rules: CaseRules,
    rule: Rule,
    actor: User | str,
    upto: int,
    wording: Wording | None = None,
) -> tuple[dict[str, int], bool]:
    """Read the rule's mark, act on the next records up to ``upto`` and move the mark, in
    one transaction; returns the counts and whether records remain.

    Nothing is written record by record: the cases the step opens get reserved ids and
    one opening time, and everything is inserted by the one flush at its end."""
    counts = {"opened": 0, "held": 0, "added": 0, "seen": 0}
    source = rule.condition.source_type
    with transaction(engine) as session:
        mark = session.get(CaseRuleMark, rule.name)
        after = 0 if mark is None or mark.source_type != source else mark.last_id
        if after >= upto:
            return counts, False
        signals = rule.condition.signals(session, after=after, upto=upto, limit=CHUNK)
        chunk = _read_chunk(session, rule, signals)
        chunk.wording = wording
        reached = upto if len(signals) < CHUNK else signals[-1].source_id
        # the mark is written first: once the step has written, ids can be reserved
        session.merge(CaseRuleMark(rule=rule.name, source_type=source, last_id=reached))
        session.flush()
        new = {
            s.customer_id
            for s in signals
            if s.source_id not in chunk.done and s.customer_id not in chunk.open_cases
        }
        chunk.case_ids = reserve_ids(session.connection(), Case.__tablename__, len(new))[::-1]
        chunk.opened = now()
        with session.no_autoflush:
            for signal in signals:
                counts[_apply(session, rules, rule, signal, actor, chunk)] += 1
        chunk.rows.insert(session)
    return counts, reached < upto


def _run_rule(
    engine: Engine, rules: CaseRules, rule: Rule, actor: User | str, wording: Wording | None
) -> dict[str, int]:
    with transaction(engine) as session:
        upto = high_water(session, rule.condition.source_type)
    totals = {"opened": 0, "held": 0, "added": 0, "seen": 0}
    more = True
    while more:
        counts, more = _retrying(lambda: _step(engine, rules, rule, actor, upto, wording))
        for key, value in counts.items():
            totals[key] += value
    return totals


def _recipient(session: Session, email: str | None) -> User | None:
    if not email:
        return None
    return session.scalar(select(User).where(User.email == email))


def escalate(
    session: Session,
    rules: CaseRules,
    *,
    at: dt.datetime,
    actor: User | str,
    wording: Wording | None = None,
) -> int:
    """Tell the team lead of cases near their resolution due time, the manager of cases
    past it (each once per level); returns how many escalations were made."""
    done = 0
    cases = session.scalars(
        select(Case).where(
            Case.state.in_(OPEN_STATES),
            Case.escalation < 2,
            or_(
                and_(Case.escalation < 1, Case.near_due_at <= at),
                Case.resolution_due_at <= at,
            ),
        )
    )
    for case in cases:
        due = as_utc(case.resolution_due_at)
        assert due is not None
        level = 2 if at >= due else 1
        if level <= case.escalation:
            continue
        team = rules.teams.get(case.team or "")
        to = None if team is None else (team.lead if level == 1 else team.manager or team.lead)
        person = _recipient(session, to)
        if person is not None:
            notice = escalation_notice(case, level, due, person.language or "en", wording)
            enqueue(
                session,
                user=person,
                kind="case.escalation",
                subject=notice.subject,
                body=notice.body,
                dedupe_key=f"case:{case.id}:escalation:{level}",
            )
        case.escalation = level
        case.version += 1
        record_event(session, case, actor, "escalated", details={"level": level, "to": to})
        done += 1
    return done


def sweep(
    engine: Engine,
    rules: CaseRules,
    *,
    actor: User | str,
    at: dt.datetime | None = None,
    wording: Wording | None = None,
) -> SweepResult:
    """Apply every rule to the records it has not read yet, then escalate; notifications
    are worded by ``wording`` in each recipient's language (:mod:`.notices`)."""
    totals = {"opened": 0, "held": 0, "added": 0, "seen": 0}
    for rule in rules.rules:
        for key, value in _run_rule(engine, rules, rule, actor, wording).items():
            totals[key] += value

    def finish() -> SweepResult:
        with transaction(engine) as session:
            escalated = escalate(session, rules, at=at or now(), actor=actor, wording=wording)
            result = SweepResult(
                opened=totals["opened"] + totals["held"],
                added=totals["added"],
                held_out=totals["held"],
                escalated=escalated,
            )
            audit(
                session,
                actor,
                "cases.sweep",
                details={
                    "opened": result.opened,
                    "added": result.added,
                    "held_out": result.held_out,
                    "escalated": escalated,
                },
            )
            return result

    return _retrying(finish)
