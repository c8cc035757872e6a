"""The demo's worked cases have owners: agent accounts of its staff (active, without a
password, never switched on or off), assigned by team round robin, with a planted recovery
difference between two owners; the board's recovery half equals an independent
computation from the database."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine
from tests.databases import load_demo_copy

from cxgap.demo.recovery import OWNER_TRUTHS, follow_up, owner_scores
from cxgap.errors import AuthenticationError
from cxgap.services.accounts import NO_PASSWORD, any_users, sign_in_user
from cxgap.services.cases.recognition import recognition_board
from cxgap.store.database import get_engine, upgrade

ANCHOR = dt.date(2027, 1, 1)
SEED = 5


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Engine, dict[str, Any]]:
    engine = get_engine(str(tmp_path_factory.mktemp("owners") / "demo.db"))
    upgrade(engine)
    result = load_demo_copy(engine, seed=SEED, customers=1500, anchor=ANCHOR)
    assert result is not None and result.truths_file is not None
    return engine, json.loads(Path(result.truths_file).read_text(encoding="utf-8"))


def _sql(engine: Engine, query: str) -> pd.DataFrame:
    with engine.connect() as connection:
        return pd.read_sql_query(query, connection)


def _expected(engine: Engine) -> tuple[dict[str, tuple[int, int]], dict[str, tuple[int, int]]]:
    """(recovered, resolved) per owner and per team, straight from the tables: a worked
    case (resolved, not held out, with an owner) is recovered when its customer's first
    ``nps`` answer after the resolution is 7 or more."""
    cases = _sql(
        engine,
        "SELECT c.customer_id, c.team, c.resolved_at, u.email FROM cases c "
        "JOIN users u ON u.id = c.owner_id "
        "WHERE c.resolved_at IS NOT NULL AND NOT c.holdout",
    )
    answers = _sql(
        engine,
        "SELECT r.customer_id, r.submitted_at, a.score FROM answers a "
        "JOIN responses r ON r.id = a.response_id "
        "WHERE a.item_id = 'nps' AND a.score IS NOT NULL AND r.customer_id IS NOT NULL",
    )
    answers["submitted_at"] = pd.to_datetime(answers["submitted_at"], format="mixed", utc=True)
    people: dict[str, list[int]] = {}
    teams: dict[str, list[int]] = {}
    for case in cases.itertuples():
        resolved = pd.to_datetime(case.resolved_at, utc=True)
        later = answers[
            (answers["customer_id"] == case.customer_id) & (answers["submitted_at"] > resolved)
        ]
        if later.empty:
            continue
        won = int(later.sort_values("submitted_at")["score"].iloc[0] >= 7)
        for table, key in ((people, case.email), (teams, case.team)):
            table.setdefault(key, [0, 0])
            table[key][0] += won
            table[key][1] += 1
    return (
        {k: (v[0], v[1]) for k, v in people.items()},
        {k: (v[0], v[1]) for k, v in teams.items()},
    )


def test_board_has_recovery_rows_equal_to_the_database(
    demo: tuple[Engine, dict[str, Any]],
) -> None:
    engine, truths = demo
    board = recognition_board(engine, viewer="cli:test")
    people, teams = _expected(engine)
    assert len(people) == len(truths["recovery"]["owners"]["accounts"]) == 8
    assert len(teams) == 4
    for rows, expected in ((board.people, people), (board.teams, teams)):
        got = {r.name: (r.recovered, r.resolved) for r in rows}
        assert got == expected
        for r in rows:
            assert r.raw == pytest.approx(expected[r.name][0] / expected[r.name][1])
    worked = truths["recovery"]["owners"]["worked_cases"]
    assert sum(worked.values()) == truths["recovery"]["contacted"]
    assert {name: n for name, (_, n) in people.items()} == worked


def test_planted_owner_difference_and_accounts(demo: tuple[Engine, dict[str, Any]]) -> None:
    engine, truths = demo
    owners = truths["recovery"]["owners"]
    rows = {r.name: r for r in recognition_board(engine, viewer="cli:test").people}
    better, worse = rows[owners["better"]], rows[owners["worse"]]
    # the better owner is given the pool's recoveries first
    pool = better.recovered + worse.recovered
    assert better.recovered == min(pool, better.resolved) and worse.recovered < worse.resolved
    assert better.raw > worse.raw + 0.3 and better.rank < worse.rank
    # the team round robin shares the cases of a team evenly between its two members
    worked = owners["worked_cases"]
    for team in ("care-north", "care-south", "care-east", "care-west"):
        members = _sql(engine, f"SELECT u.email FROM cases c JOIN users u ON u.id = c.owner_id "
                       f"WHERE c.team = '{team}'")["email"].value_counts()  # fmt: skip
        assert len(members) == 2 and members.max() - members.min() <= 1
        assert all(worked[m] <= members[m] for m in members.index)
    # held-out cases have no owner; the staff accounts exist, active without a password,
    # with no mail
    assert _sql(engine, "SELECT count(*) AS n FROM cases WHERE holdout AND owner_id IS NOT NULL")[
        "n"
    ].iloc[0] == 0  # fmt: skip
    accounts = _sql(engine, "SELECT email, role, active, password_hash FROM users")
    staff = accounts[accounts["email"].isin(owners["accounts"])]
    assert len(staff) == 8 and set(staff["role"]) == {"agent"} and staff["active"].all()
    assert set(accounts["password_hash"]) == {NO_PASSWORD}  # the plan owner too
    assert not any_users(engine)  # `cxgap start` still creates its first admin
    for attempt in ("", NO_PASSWORD, "correct horse battery staple"):
        with pytest.raises(AuthenticationError, match=r"^wrong email or password$"):
            sign_in_user(engine, owners["better"], attempt)
    toggled = _sql(engine, "SELECT count(*) AS n FROM audit_events "
                   "WHERE action IN ('user.enable', 'user.disable')")  # fmt: skip
    assert toggled["n"].iloc[0] == 0
    pending = _sql(engine, "SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL")
    assert pending["n"].iloc[0] == 0


def test_overall_follow_up_answers_are_the_unplanted_ones(
    demo: tuple[Engine, dict[str, Any]],
) -> None:
    """The redealing only moves answers between the two owners: the follow-up answers of
    contacted and held-out customers are exactly those drawn without owners."""
    engine, truths = demo
    cases = _sql(engine, "SELECT customer_id, holdout FROM cases ORDER BY id")
    scores, _ = follow_up(SEED, ~cases["holdout"].astype(bool).to_numpy())
    stored = _sql(
        engine,
        "SELECT r.customer_id, a.score FROM answers a JOIN responses r ON r.id = a.response_id "
        "JOIN surveys s ON s.id = r.survey_id "
        f"WHERE s.key = '{truths['recovery']['follow_up_survey']}' AND a.item_id = 'nps'",
    ).merge(cases, on="customer_id")
    for held in (True, False):
        drawn = scores[cases["holdout"].astype(bool).to_numpy() == held]
        answered = stored[stored["holdout"].astype(bool) == held]["score"]
        assert Counter(drawn.tolist()) == Counter(answered.astype(float).tolist())


def test_owner_scores_redeal_only_the_two_owners() -> None:
    better, worse = OWNER_TRUTHS["better"], OWNER_TRUTHS["worse"]
    owners: list[str | None] = [better, worse, "kofi", None, better, worse, worse, better]
    scores = np.array([2.0, 9.0, 4.0, 5.0, 8.0, 10.0, 3.0, 6.0])
    out = owner_scores(1, scores, owners)
    assert out.tolist() == owner_scores(1, scores, owners).tolist()  # its own seeded stream
    assert out[[2, 3]].tolist() == [4.0, 5.0]
    mine = [i for i, o in enumerate(owners) if o in (better, worse)]
    assert sorted(out[mine]) == sorted(scores[mine])
    assert sorted(out[[0, 4, 7]]) == [8.0, 9.0, 10.0]
    assert sorted(out[[1, 5, 6]]) == [2.0, 3.0, 6.0]
