"""Staff and teams on the demo's stored encounters and feedback messages.

Reads what the demo stored, flags each record as delighted, not delighted or not judged
(:func:`cxgap.services.cases.recognition.delight_flags`, the board's own rule) and gives it
to a person of :mod:`cxgap.demo.staff`, which plants one clearly better person and a
newcomer with three compliments. Only the ``staff`` and ``team`` columns change.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from cxgap.demo.recovery import OWNERS
from cxgap.demo.staff import DOMAIN, assign_staff, people
from cxgap.services.accounts import audit
from cxgap.services.cases.recognition import delight_flags
from cxgap.services.cases.recovery import _frames
from cxgap.services.demo_actions import demo_account
from cxgap.store.accounts import User
from cxgap.store.database import transaction
from cxgap.store.models import Encounter, FeedbackMessage
from cxgap.store.outbox import OutboxMessage


def plant_staff(engine: Engine, *, seed: int, actor: User | str) -> dict[str, Any]:
    """Give the demo's encounters and messages their staff and teams; returns the truths
    (under ``staff``)."""
    _, answers = _frames(engine, "nps")
    with transaction(engine) as session:
        encounters = _read(
            session, Encounter.id, Encounter.customer_id, Encounter.occurred_at,
            names=["id", "customer", "at"],
        )  # fmt: skip
        messages = _read(
            session, FeedbackMessage.id, FeedbackMessage.text, FeedbackMessage.language,
            names=["id", "text", "language"],
        )  # fmt: skip
        encounters["at"] = pd.to_datetime(encounters["at"], utc=True)
        encounter_flags, message_flags = delight_flags(encounters, messages, answers)
        served, about, truths = assign_staff(seed, encounter_flags, message_flags)
        team = people()
        for model, frame, names in (
            (Encounter, encounters, served),
            (FeedbackMessage, messages, about),
        ):
            if len(frame):
                session.execute(
                    update(model),
                    [
                        {"id": int(i), "staff": name, "team": team[name]}
                        for i, name in zip(frame["id"], names, strict=True)
                    ],
                )
        audit(session, actor, "demo.staff", details={"people": truths["people"]})
    return {"staff": truths}


def _read(session: Session, *columns: Any, names: list[str]) -> pd.DataFrame:
    """The columns of every row, in the order of the first (the id)."""
    return pd.DataFrame(session.execute(select(*columns).order_by(columns[0])).all(), columns=names)


def case_teams() -> dict[str, dict[str, list[str]]]:
    """The demo case rules' ``teams``: each team's members with an agent account
    (:data:`cxgap.demo.recovery.OWNERS`)."""
    return {
        team: {"members": [f"{name}@{DOMAIN}" for name in names]} for team, names in OWNERS.items()
    }


def staff_accounts(engine: Engine, *, actor: User | str) -> list[str]:
    """The agent accounts of the staff people who work the demo's cases, created when
    missing (active, so the team round robin assigns them, and without a password, so
    nobody signs in with them: :func:`cxgap.services.demo_actions.demo_account`); returns
    their addresses."""
    return [
        demo_account(
            engine, email, role="agent", name=f"{email.split('@')[0].title()} (demo)",
            actor=actor,
        )
        for members in case_teams().values()
        for email in members["members"]
    ]  # fmt: skip


def mark_notices_delivered(session: Session, emails: list[str]) -> int:
    """Mark the queued notices to the demo's staff accounts as delivered (they tell of
    cases worked long ago, to addresses nobody reads); returns how many."""
    pending = list(
        session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.recipient.in_(emails), OutboxMessage.sent_at.is_(None)
            )
        )
    )
    for message in pending:
        message.sent_at = message.created_at
    return len(pending)
