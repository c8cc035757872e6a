"""Storing the demo organisation's two action plans (:mod:`cxgap.demo.action_plans`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine, select

from cxgap.demo.action_plans import PLANS, UNIT_ATTRIBUTE, starts_on
from cxgap.services.accounts import create_user
from cxgap.services.actions import create_plan, update_plan
from cxgap.store.accounts import User
from cxgap.store.database import transaction

OWNER = "service.manager@riverside-heat.example"
"""The plans' owner: an account without a password (see :func:`demo_account`)."""


def demo_account(engine: Engine, email: str, *, role: str, name: str, actor: User | str) -> str:
    """The demo account ``email``, created when missing: active (work can be assigned to
    it) and without a password (:data:`cxgap.services.accounts.NO_PASSWORD`), so nobody
    signs in with it; returns the address."""
    with transaction(engine) as session:
        if session.scalar(select(User.id).where(User.email == email)) is None:
            create_user(session, email, None, role=role, name=name, actor=actor)
    return email


def _owner(engine: Engine, actor: User | str) -> str:
    return demo_account(engine, OWNER, role="manager", name="Service manager (demo)", actor=actor)


def store_action_plans(
    engine: Engine,
    *,
    waves: tuple[str, ...],
    survey_prefix: str,
    truths: list[dict[str, Any]],
    actor: User | str,
) -> dict[str, Any]:
    """Store both demo plans (status ``active``) on the last wave's survey through
    :func:`cxgap.services.actions.create_plan`; returns the truths file's
    ``action_plans`` (``truths``, the generator's, with each plan's ``plan_id``)."""
    owner = _owner(engine, actor)
    start = starts_on(waves)
    stored_truths = []
    for plan, truth in zip(PLANS, truths, strict=True):
        stored = create_plan(
            engine,
            title=plan.title,
            survey=f"{survey_prefix}{waves[-1].lower()}",
            gap=f"dimension:{plan.dimension}",
            owner=owner,
            starts_on=start,
            actor=actor,
            unit_attribute=UNIT_ATTRIBUTE,
            targeted_units=[plan.region],
            due_on=start + dt.timedelta(days=180),
            cost=plan.cost,
            expected_effect=plan.expected_effect,
            expected_by=start + dt.timedelta(days=270),
            description=plan.description,
            tasks=[
                {
                    "title": title,
                    "due_on": start + dt.timedelta(days=days),
                    "status": status,
                    "assignee": owner,
                }
                for title, days, status in plan.tasks
            ],
        )
        update_plan(engine, stored.id, actor=actor, status="active")
        stored_truths.append({**truth, "plan_id": stored.id})
    return {"action_plans": stored_truths}
