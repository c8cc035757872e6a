"""The recognition board and recovery pages and the award API over the real app: en, zh
and fa, role checks, an agent's own rows only, escaping of stored names."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from tests.services.cases_world import PASSWORD, RULES, build_template, copy_of

from cxgap.demo.staff import STAFF_TRUTHS
from cxgap.services.accounts import create_account, get_user
from cxgap.services.cases.config import load_rules
from cxgap.services.cases.sweep import sweep
from cxgap.services.cases.work import CaseChange, list_cases, update_case
from cxgap.services.feedback import record_feedback
from cxgap.store.database import transaction
from cxgap.web.auth import SESSION_COOKIE, issue_session
from cxgap.web.main import create_app

XSS = "<script>alert(1)</script>"
QUARTER = "2026Q3"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    folder = tmp_path_factory.mktemp("recognition-pages")
    engine = copy_of(build_template(folder, customers=200), folder)
    sweep(engine, load_rules(RULES), actor="test")
    for case in list_cases(engine, open_only=True, limit=30)[0]:
        if case.owner:
            update_case(
                engine,
                case.id,
                version=case.version,
                actor="t",
                change=CaseChange(state="resolved"),
            )
    for email, role in (("mo@example.org", "manager"), ("vi@example.org", "viewer")):
        create_account(engine, email, PASSWORD, role=role, actor="test")
    for k in range(4):
        record_feedback(
            engine,
            channel="web",
            language="en",
            text="Friendly and helpful, thank you.",
            actor="test",
            received_at=dt.datetime(2026, 8, 1 + k, tzinfo=dt.UTC),
            staff="ana@example.org",
            team="care",
        )
    database = engine.url.database
    assert database is not None
    with sqlite3.connect(database) as conn:  # a hostile name stored behind the import's back
        conn.execute(
            "update feedback_messages set staff = ?, team = ? where id = "
            "(select min(id) from feedback_messages)",
            (XSS, XSS),
        )
    return engine


def _client(engine: Engine, email: str) -> TestClient:
    client = TestClient(create_app(engine, base_url="http://testserver"))
    with transaction(engine) as session:
        value = issue_session(engine, client.app.state.secret, get_user(session, email))  # type: ignore[attr-defined]
    client.cookies.set(SESSION_COOKIE, value)
    return client


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", ("Recognition board", "Delight")),
        ("zh", ("表彰榜", "惊喜")),
        ("fa", ("تابلوی قدردانی", "خشنودی")),
    ],
)
def test_board_page_in_three_languages(engine: Engine, lang: str, words: tuple[str, ...]) -> None:
    page = _client(engine, "mo@example.org").get(f"/dashboard/recognition?lang={lang}")
    assert page.status_code == 200
    assert all(w in page.text for w in words)
    assert STAFF_TRUTHS["star"] in page.text and "care-east" in page.text
    assert XSS not in page.text and "&lt;script&gt;" in page.text
    assert 'href="/dashboard/recognition"' in page.text  # in the cases navigation
    if lang == "fa":
        assert 'dir="rtl"' in page.text


def test_agent_sees_own_rows_on_page_and_api(engine: Engine) -> None:
    agent = _client(engine, "ana@example.org")
    page = agent.get("/dashboard/recognition")
    assert page.status_code == 200 and "ana@example.org" in page.text
    assert STAFF_TRUTHS["star"] not in page.text and "care-east" not in page.text
    assert "You see your own figures only." in page.text
    award = agent.get(f"/api/v1/cases/award?quarter={QUARTER}")
    assert award.status_code == 200
    body = award.json()
    assert [r["name"] for r in body["delight"]["people"]] == ["ana@example.org"]
    assert body["delight"]["people"][0]["delighted"] == 4
    assert body["teams"] == [] and body["delight"]["teams"] == []
    everyone = _client(engine, "mo@example.org").get(f"/api/v1/cases/award?quarter={QUARTER}&top=2")
    assert everyone.status_code == 200 and len(everyone.json()["delight"]["teams"]) == 2
    assert agent.get("/api/v1/cases/award?quarter=Q3").status_code == 422


def test_roles_and_a_bad_quarter(engine: Engine) -> None:
    viewer = _client(engine, "vi@example.org")
    for path in ("/dashboard/recognition", "/dashboard/recovery"):
        assert viewer.get(path).status_code == 403
    assert viewer.get(f"/api/v1/cases/award?quarter={QUARTER}").status_code == 403
    bad = _client(engine, "mo@example.org").get("/dashboard/recognition?quarter=2026-3")
    assert bad.status_code == 400 and "YYYYQn" in bad.text and "Traceback" not in bad.text


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", ("Recovery measured", "SLA compliance", "Time to resolution by team")),
        ("zh", ("挽回效果", "SLA 达成", "各团队解决所需时间")),
        ("fa", ("جبران، سنجیده", "رعایت SLA", "زمان تا حل")),
    ],
)
def test_recovery_page_in_three_languages(
    engine: Engine, lang: str, words: tuple[str, ...]
) -> None:
    page = _client(engine, "ana@example.org").get(f"/dashboard/recovery?lang={lang}")
    assert page.status_code == 200
    assert all(w in page.text for w in words)
    assert "<svg" in page.text  # the Kaplan-Meier chart


def test_feedback_api_takes_staff_and_team(engine: Engine) -> None:
    client = _client(engine, "mo@example.org")
    body = {"channel": "web", "language": "zh", "text": "工作人员很耐心，谢谢"}
    made = client.post("/api/v1/feedback", json={**body, "staff": "S-0042", "team": "care east"})
    assert made.status_code == 201, made.text
    assert (made.json()["staff"], made.json()["team"]) == ("S-0042", "care east")
    bad = client.post("/api/v1/feedback", json={**body, "staff": "two words"})
    assert bad.status_code == 422 and "Traceback" not in bad.text
    alone = client.post("/api/v1/feedback", json={**body, "team": "care"})
    assert alone.status_code == 422 and "team is given without staff" in alone.text
