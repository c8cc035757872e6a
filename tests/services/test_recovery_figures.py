"""Recovery measured on stored cases with a planted call-back effect and hold-out."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from sqlalchemy import Engine

from cxgap.services.cases.config import parse_rules
from cxgap.services.cases.recovery import recovery_figures
from cxgap.services.cases.sweep import sweep
from cxgap.services.cases.work import CaseChange, list_cases, update_case
from cxgap.services.customers import upsert_customers
from cxgap.services.surveys import create_survey
from cxgap.store.database import transaction
from cxgap.store.models import Answer, Response
from cxgap.times import now

RULES = {
    "calendar": {
        "timezone": "UTC",
        "hours": {d: "00:00-24:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    },
    "sla": [{"priority": "low", "first_response": 600, "resolution": 6000}],
    "holdout": {"share": 0.3, "priorities": ["low"]},
    "rules": [
        {
            "name": "detractors",
            "when": "nps_detractor",
            "item": "nps",
            "survey": "before",
            "priority": "low",
        }
    ],
}
CUSTOMERS = 400
DETRACTORS = 200


def _answers(engine: Engine, survey: str, scores: dict[str, float], at: dt.datetime) -> None:
    with transaction(engine) as session:
        survey_id = create_survey(session, survey, instrument="loyalty", wave=survey).id
        ids = upsert_customers(session, {c: {"region": "north"} for c in scores})
        for customer, score in scores.items():
            response = Response(
                survey_id=survey_id,
                customer_id=ids[customer],
                respondent_key=f"{survey}-{customer}",
                fingerprint="x",
                submitted_at=at,
            )
            session.add(response)
            session.flush()
            session.add(Answer(response_id=response.id, item_id="nps", option="", score=score))


def test_planted_effects_are_recovered(engine: Engine) -> None:
    rng = np.random.default_rng(13)
    names = [f"K{i:03d}" for i in range(CUSTOMERS)]
    before = {c: (3.0 if i < DETRACTORS else 9.0) for i, c in enumerate(names)}
    _answers(engine, "before", before, now() - dt.timedelta(days=30))
    rules = parse_rules(RULES, source="rules")
    opened = sweep(engine, rules, actor="t")
    assert opened.opened == DETRACTORS
    cases = list_cases(engine, limit=500)[0]
    held = {c.customer for c in cases if c.holdout}
    assert 0.2 < len(held) / DETRACTORS < 0.4
    for case in cases:
        if not case.holdout:
            update_case(
                engine,
                case.id,
                version=case.version,
                actor="t",
                change=CaseChange(state="resolved", recovery_action="called"),
            )
    # Planted: a call back lifts the later score to about 8; held out stay near 5;
    # customers who never had a problem answer about 8.5.
    later = {}
    for i, c in enumerate(names):
        centre = 8.5 if i >= DETRACTORS else (5.0 if c in held else 8.0)
        later[c] = float(np.clip(np.round(rng.normal(centre, 1.2)), 0, 10))
    _answers(engine, "after", later, now() + dt.timedelta(days=1))

    figures = recovery_figures(engine, item="nps")
    contacted = [later[c] for c in names[:DETRACTORS] if c not in held]
    kept_back = [later[c] for c in names[:DETRACTORS] if c in held]
    never = [later[c] for c in names[DETRACTORS:]]
    assert figures.cases == DETRACTORS
    assert figures.sla_compliance is not None and figures.sla_compliance.rate == 1.0
    assert figures.sla_compliance.cases == len(contacted)
    assert figures.recovery_rate is not None
    assert figures.recovery_rate.recovered == sum(s >= 7 for s in contacted)
    assert figures.before_after is not None
    assert figures.before_after.mean_change == pytest.approx(np.mean(contacted) - 3.0)
    assert figures.holdout is not None
    assert figures.holdout.effect == pytest.approx(np.mean(contacted) - np.mean(kept_back))
    assert figures.holdout.ci_low < 3.0 < figures.holdout.ci_high
    assert figures.paradox is not None
    recovered = [s for s in contacted if s >= 7]
    assert figures.paradox.difference == pytest.approx(np.mean(recovered) - np.mean(never))
    assert figures.time_to_resolution is not None
    curve = figures.time_to_resolution.summary.set_index("group").loc["-"]
    assert curve["resolved"] == len(contacted) and curve["n"] == len(contacted)
    assert figures.to_dict()["holdout"]["effect"] == pytest.approx(figures.holdout.effect)


def test_recognition_board_shrinks_small_counts_and_agents_see_only_themselves(
    engine: Engine,
) -> None:
    from cxgap.services.accounts import create_account
    from cxgap.services.cases.recognition import recognition_board
    from cxgap.services.cases.work import create_case
    from cxgap.store.accounts import User

    # Before: every customer a detractor. Owners: ana 40 cases (34 recover), ben 2 (both
    # recover), chen 30 (12 recover).
    plan = {"ana": (40, 34), "ben": (2, 2), "chen": (30, 12)}
    names = [f"{o}{i:02d}" for o, (n, _) in plan.items() for i in range(n)]
    _answers(engine, "before", dict.fromkeys(names, 2.0), now() - dt.timedelta(days=30))
    for owner in plan:
        create_account(
            engine, f"{owner}@example.org", "a-long-Passw0rd-for-tests", role="agent", actor="t"
        )
    later = {}
    for owner, (n, good) in plan.items():
        for i in range(n):
            customer = f"{owner}{i:02d}"
            case = create_case(
                engine,
                customer=customer,
                cause="late",
                priority="low",
                actor="t",
                owner=f"{owner}@example.org",
                team=f"team-{owner[0]}",
            )
            update_case(engine, case.id, version=1, actor="t", change=CaseChange(state="resolved"))
            later[customer] = 9.0 if i < good else 3.0
    _answers(engine, "after", later, now() + dt.timedelta(days=1))
    board = recognition_board(engine, viewer="cli:test")
    people = {r.name: r for r in board.people}
    assert (people["ben@example.org"].recovered, people["ben@example.org"].resolved) == (2, 2)
    assert people["ben@example.org"].raw == 1.0
    # 2 of 2 does not beat 34 of 40 once shrunk towards the overall rate.
    assert board.people[0].name == "ana@example.org"
    assert people["ben@example.org"].shrunk < people["ana@example.org"].shrunk
    assert [r.rank for r in board.people] == [1, 2, 3]
    with transaction(engine) as session:
        chen = session.query(User).filter_by(email="chen@example.org").one()
        session.expunge(chen)
    own = recognition_board(engine, viewer=chen)
    assert [r.name for r in own.people] == ["chen@example.org"] and own.teams == []
    quarter = f"{now().year}Q{(now().month - 1) // 3 + 1}"
    assert len(recognition_board(engine, viewer="cli:test", quarter=quarter).people) == 3
    assert recognition_board(engine, viewer="cli:test", quarter="2001Q1").people == []
