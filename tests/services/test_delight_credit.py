"""Delight credit: high scores after encounters and compliments, credited to staff and
teams, counted on a real SQLite file and checked against an independent computation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, select

from cxgap.errors import NotFoundError, ValidationError
from cxgap.services.accounts import create_account
from cxgap.services.cases.recognition import (
    DELIGHT_DAYS,
    DELIGHT_FROM,
    recognition_board,
    service_award,
)
from cxgap.services.customers import upsert_customers
from cxgap.services.feedback import record_feedback
from cxgap.services.staff_contacts import import_contacts
from cxgap.services.surveys import create_survey
from cxgap.store.accounts import User
from cxgap.store.database import transaction
from cxgap.store.models import Answer, Encounter, FeedbackMessage, Response

BASE = dt.datetime(2026, 7, 1, 9, tzinfo=dt.UTC)
STAFF = {"ana@example.org": "north", "ben@example.org": "north", "cy@example.org": "south"}
PRAISE = [
    ("The staff were friendly, thank you.", "en"),
    ("工作人员态度很好，谢谢。", "zh"),
    ("کارکنان مهربان بودند، ممنون.", "fa"),
]
COMPLAINTS = [
    ("Nobody called back.", "en"),
    ("Thanks, but the radiator is still cold.", "en"),
    ("账单看不懂，没有人回电话。", "zh"),
    ("کسی تماس نگرفت.", "fa"),
]


def _scenario(engine: Engine, tmp_path: Path) -> tuple[pd.DataFrame, pd.DataFrame, list[dict]]:
    """Encounters (by file import), answers and feedback drawn at random."""
    rng = np.random.default_rng(7)
    customers = [f"C{i:03d}" for i in range(80)]
    encounters = pd.DataFrame(
        {
            "customer": rng.choice(customers, 300),
            "occurred_at": [
                (BASE + dt.timedelta(hours=int(h))).isoformat()
                for h in rng.integers(0, 24 * 120, 300)
            ],
            "channel": "phone",
            "touchpoint": "billing",
            "outcome": "resolved",
            "staff": rng.choice([*STAFF, ""], 300, p=[0.35, 0.3, 0.25, 0.1]),
        }
    )
    encounters["team"] = [STAFF.get(s, "") for s in encounters["staff"]]
    # one answer exactly at an encounter's time: not "after" it
    encounters.loc[0, "occurred_at"] = BASE.isoformat()
    path = tmp_path / "encounters.csv"
    encounters.to_csv(path, index=False)
    done = import_contacts(engine, path, "encounters", actor="cli:test")
    assert (done.rows, done.with_staff) == (300, int((encounters["staff"] != "").sum()))
    times = [BASE + dt.timedelta(hours=int(h)) for h in rng.integers(0, 24 * 135, 400)]
    answers = pd.DataFrame(
        {
            "customer": rng.choice(customers, 400),
            "at": times,
            "score": rng.integers(0, 11, 400).astype(float),
        }
    )
    answers.loc[0, ["customer", "at"]] = [encounters.loc[0, "customer"], BASE]
    with transaction(engine) as session:
        survey_id = create_survey(session, "loyal", instrument="loyalty", wave="W").id
        ids = upsert_customers(session, {c: {} for c in customers})
        for k, row in answers.iterrows():
            response = Response(
                survey_id=survey_id,
                customer_id=ids[row["customer"]],
                respondent_key=f"r{k}",
                fingerprint="x",
                submitted_at=row["at"],
            )
            session.add(response)
            session.flush()
            session.add(
                Answer(response_id=response.id, item_id="nps", option="", score=row["score"])
            )
    messages = []
    for k in range(40):
        text, lang = (PRAISE + COMPLAINTS)[k % 7]
        staff = list(STAFF)[k % 3]
        messages.append(
            {"text": text, "lang": lang, "staff": staff, "team": STAFF[staff], "praise": k % 7 < 3}
        )
        record_feedback(
            engine,
            channel="web",
            language=lang,
            text=text,
            actor="cli:test",
            received_at=BASE + dt.timedelta(days=k),
            staff=staff,
            team=STAFF[staff],
        )
    return encounters, answers, messages


def _expected(encounters: pd.DataFrame, answers: pd.DataFrame, messages: list[dict]) -> dict:
    """Successes and trials per person and team, computed without the service's code: a
    cross join of encounters and later answers of the same customer."""
    enc = encounters[encounters["staff"] != ""].reset_index(names="encounter")
    enc["at"] = pd.to_datetime(enc["occurred_at"], utc=True)
    pairs = enc.merge(answers.rename(columns={"at": "answered"}), on="customer")
    pairs = pairs[pairs["answered"] > pairs["at"]]
    first = pairs.loc[pairs.groupby("encounter")["answered"].idxmin()]
    first = first[first["answered"] - first["at"] <= pd.Timedelta(days=DELIGHT_DAYS)]
    rows = [(r.staff, r.team, int(r.score >= DELIGHT_FROM)) for r in first.itertuples()]
    rows += [(m["staff"], m["team"], int(m["praise"])) for m in messages]
    frame = pd.DataFrame(rows, columns=["staff", "team", "won"])
    return {
        "people": frame.groupby("staff")["won"].agg(["sum", "count"]),
        "teams": frame.groupby("team")["won"].agg(["sum", "count"]),
    }


def test_delight_counts_match_an_independent_computation(engine: Engine, tmp_path: Path) -> None:
    encounters, answers, messages = _scenario(engine, tmp_path)
    expected = _expected(encounters, answers, messages)
    board = recognition_board(engine, viewer="cli:test")
    for rows, key in ((board.delight_people, "people"), (board.delight_teams, "teams")):
        got = {r.name: (r.delighted, r.contacts) for r in rows}
        want = {str(k): (int(v["sum"]), int(v["count"])) for k, v in expected[key].iterrows()}
        assert got == want
        for r in rows:
            assert r.raw == pytest.approx(r.delighted / r.contacts)
        assert [r.rank for r in rows] == list(range(1, len(rows) + 1))
    data = board.to_dict()["delight"]
    assert data["score_from"] == DELIGHT_FROM and data["days"] == DELIGHT_DAYS
    assert set(data["people"][0]) == {"name", "delighted", "contacts", "raw", "shrunk", "rank"}
    # the quarter filter: encounters and messages of 2026Q3 only
    q3 = recognition_board(engine, viewer="cli:test", quarter="2026Q3")
    assert sum(r.contacts for r in q3.delight_people) < sum(
        r.contacts for r in board.delight_people
    )
    assert recognition_board(engine, viewer="cli:test", quarter="2025Q1").delight_people == []
    award = service_award(engine, viewer="cli:test", quarter="2026Q3", top=2)
    assert len(award.delight_people) == 2 and award.delight_people == q3.delight_people[:2]


def test_few_excellent_answers_do_not_top_and_agents_see_their_own(engine: Engine) -> None:
    # star: 60 of 100 compliments; others 20-30 of 100; newcomer: 3 of 3
    plan = {"star": (60, 100), "a": (30, 100), "b": (20, 100), "c": (25, 100), "new": (3, 3)}
    for person, (good, n) in plan.items():
        for k in range(n):
            text, lang = PRAISE[k % 3] if k < good else COMPLAINTS[k % 4]
            record_feedback(
                engine,
                channel="hotline",
                language=lang,
                text=text,
                actor="cli:test",
                received_at=BASE,
                staff=f"{person}@example.org",
                team="t1" if person in ("star", "a") else "t2",
            )
    board = recognition_board(engine, viewer="cli:test")
    rows = {r.name: r for r in board.delight_people}
    assert rows["new@example.org"].raw == 1.0
    assert board.delight_people[0].name == "star@example.org"
    assert rows["new@example.org"].shrunk < rows["star@example.org"].shrunk
    create_account(engine, "a@example.org", "a-long-Passw0rd-for-tests", role="agent", actor="t")
    with transaction(engine) as session:
        agent = session.scalars(select(User).where(User.email == "a@example.org")).one()
        session.expunge(agent)
    own = recognition_board(engine, viewer=agent)
    assert [r.name for r in own.delight_people] == ["a@example.org"]
    assert own.delight_teams == [] and own.teams == []
    assert [
        r.name for r in service_award(engine, viewer=agent, quarter="2026Q3").delight_people
    ] == ["a@example.org"]


def test_contact_files_are_checked_row_by_row(engine: Engine, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "customer,occurred_at,channel,touchpoint,outcome,staff,team\n"
        "C1,2026-07-01 10:00,phone,billing,resolved,ana@example.org,north\n"
        "C2,2026-07-02 10:00,phone,billing,resolved,ana smith,north\n",
        encoding="utf-8",
    )
    with pytest.raises(ValidationError, match=r"bad.csv, row 3: staff 'ana smith' is not allowed"):
        import_contacts(engine, bad, "encounters", actor="cli:test")
    orphan = tmp_path / "orphan.csv"
    orphan.write_text(
        "customer,occurred_at,channel,touchpoint,outcome,team\n"
        "C1,2026-07-01,phone,billing,resolved,north\n",
        encoding="utf-8",
    )
    with pytest.raises(ValidationError, match="team is given without staff"):
        import_contacts(engine, orphan, "encounters", actor="cli:test")
    feedback = tmp_path / "feedback.csv"
    feedback.write_text(
        "feedback_id,customer,channel,language,text,received_at,staff,team\n"
        'F1,,web,en,"Friendly and quick, thanks",2026-07-03 08:00,S-0042,care east\n'
        "F2,,fax,en,hello,2026-07-03 08:00,,\n",
        encoding="utf-8",
    )
    with pytest.raises(ValidationError, match="row 3, column 'channel': 'fax' is not allowed"):
        import_contacts(engine, feedback, "feedback", actor="cli:test")
    feedback.write_text(
        feedback.read_text().splitlines()[0] + "\n" + feedback.read_text().splitlines()[1] + "\n"
    )
    done = import_contacts(engine, feedback, "feedback", actor="cli:test")
    assert (done.rows, done.with_staff) == (1, 1)
    with transaction(engine) as session:
        stored = session.execute(
            select(FeedbackMessage.external_id, FeedbackMessage.staff, FeedbackMessage.team)
        ).all()
        assert stored == [("F1", "S-0042", "care east")]
        assert session.scalar(select(Encounter.id)) is None  # the bad files stored nothing
    unknown = tmp_path / "unknown.csv"
    unknown.write_text(
        "customer,channel,language,text,received_at\nNOPE,web,en,hi,2026-07-03\n",
        encoding="utf-8",
    )
    with pytest.raises(NotFoundError, match="no customer with id 'NOPE'"):
        import_contacts(engine, unknown, "feedback", actor="cli:test")
