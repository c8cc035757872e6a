"""Follow-up surveys after a case is resolved, through the existing invitation links.

A resolved (or closed) case that was worked on (not held out) and has not been followed up
gets a personal link to the follow-up survey for its customer, unless the customer was
given any personal link in the last ``days`` days (the suppression window: at most one
invitation per customer per ``days`` days). The invitations table is the record the
window is checked against, so a run that stops half-way is safe to run again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, select

from cxgap.errors import ValidationError
from cxgap.services.accounts import User
from cxgap.services.cases.work import record_event
from cxgap.services.collection import IssuedLink, create_invitations
from cxgap.store.cases import Case, CaseEvent
from cxgap.store.database import transaction
from cxgap.store.models import Customer, Invitation
from cxgap.times import now


@dataclass(frozen=True)
class FollowUp:
    """What :func:`follow_up` did: the links issued (shown once), the cases followed up
    and the customers left out by the suppression window."""

    links: list[IssuedLink]
    cases: list[int]
    suppressed: int


def follow_up(
    engine: Engine,
    secret: bytes,
    *,
    survey: str,
    days: int,
    actor: User | str,
    expires_days: float = 30,
) -> FollowUp:
    """Invite the customers of resolved cases to ``survey`` (see the module docstring)."""
    if days < 1:
        raise ValidationError(f"days: got {days}; allowed: a whole number of days >= 1")
    since = now() - dt.timedelta(days=days)
    with transaction(engine) as session:
        followed = select(CaseEvent.case_id).where(CaseEvent.kind == "follow_up")
        rows = session.execute(
            select(Case.id, Customer.id, Customer.external_id)
            .join(Customer, Customer.id == Case.customer_id)
            .where(
                Case.state.in_(("resolved", "closed")),
                Case.holdout.is_(False),
                Case.id.not_in(followed),
            )
            .order_by(Case.id)
        ).all()
        recent = set(
            session.scalars(
                select(Invitation.customer_id).where(
                    Invitation.customer_id.in_({r[1] for r in rows}),
                    Invitation.created_at >= since,
                )
            )
        )
    chosen: dict[str, list[int]] = {}
    suppressed = set()
    for case_id, customer_id, external in rows:
        if customer_id in recent:
            suppressed.add(customer_id)
        else:
            chosen.setdefault(external, []).append(case_id)
    if not chosen:
        return FollowUp([], [], len(suppressed))
    links = create_invitations(
        engine,
        secret,
        survey,
        customers=list(chosen),
        again=True,
        expires_days=expires_days,
        actor=actor,
    )
    cases = [case for ids in chosen.values() for case in ids]
    with transaction(engine) as session:
        for case in session.scalars(select(Case).where(Case.id.in_(cases))):
            record_event(session, case, actor, "follow_up", details={"survey": survey})
    return FollowUp(links, cases, len(suppressed))
