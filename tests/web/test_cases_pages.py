"""The case pages over the real app: my cases, the team queue sorted by due time, one case
with its history, working on it (conflicts shown, not lost), languages and escaping."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from tests.services.cases_world import RULES, build_template, copy_of

from cxgap.services.accounts import get_user
from cxgap.services.cases.config import load_rules
from cxgap.services.cases.sweep import sweep
from cxgap.services.cases.work import CaseChange, create_case, list_cases, update_case
from cxgap.store.database import transaction
from cxgap.web.auth import SESSION_COOKIE, issue_session
from cxgap.web.main import create_app

from .helpers import hidden

XSS = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    folder = tmp_path_factory.mktemp("case-pages")
    engine = copy_of(build_template(folder, customers=200), folder)
    sweep(engine, load_rules(RULES), actor="test")
    create_case(
        engine,
        customer="C00010",
        cause=XSS,
        priority="low",
        actor="t",
        owner="ana@example.org",
        note=XSS,
    )
    return engine


@pytest.fixture
def client(engine: Engine) -> TestClient:
    return TestClient(create_app(engine, base_url="http://testserver"))


def signed_in(client: TestClient, engine: Engine, email: str) -> TestClient:
    with transaction(engine) as session:
        user = get_user(session, email)
        value = issue_session(engine, client.app.state.secret, user)  # type: ignore[attr-defined]
    client.cookies.set(SESSION_COOKIE, value)
    return client


def _case_links(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<a href="/dashboard/cases/(\d+)">', page)]


def test_queue_is_sorted_by_due_time_with_clocks(client: TestClient, engine: Engine) -> None:
    page = signed_in(client, engine, "lea@example.org").get("/dashboard/cases")
    assert page.status_code == 200
    shown = _case_links(page.text)
    expected = [c.id for c in list_cases(engine, open_only=True, limit=50)[0]]
    assert shown == expected
    assert "On time" in page.text or "Due in" in page.text or "Overdue" in page.text
    hostile = next(c.id for c in list_cases(engine, limit=1000)[0] if c.cause == XSS)
    one = client.get(f"/dashboard/cases/{hostile}")
    assert XSS not in one.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in one.text


def test_my_cases_shows_only_mine(client: TestClient, engine: Engine) -> None:
    page = signed_in(client, engine, "ana@example.org").get("/dashboard/cases/mine")
    mine = {c.id for c in list_cases(engine, owner="ana@example.org", open_only=True, limit=500)[0]}
    assert mine and set(_case_links(page.text)) == mine


@pytest.mark.parametrize(
    ("lang", "title", "direction"),
    [
        ("en", "Case queue by due time", "ltr"),
        ("zh", "按到期时间排列的个案队列", "ltr"),
        ("fa", "صف پرونده‌ها به ترتیب موعد", "rtl"),
    ],
)
def test_pages_in_three_languages(
    client: TestClient, engine: Engine, lang: str, title: str, direction: str
) -> None:
    page = signed_in(client, engine, "lea@example.org").get(
        "/dashboard/cases", params={"lang": lang}
    )
    assert f'dir="{direction}"' in page.text and title in page.text
    case = _case_links(page.text)[0]
    one = client.get(f"/dashboard/cases/{case}", params={"lang": lang})
    assert one.status_code == 200 and f'dir="{direction}"' in one.text
    if lang == "fa":
        assert re.search("[۰-۹]", one.text)  # Persian digits


def test_one_case_with_history_answers_and_a_stale_form(client: TestClient, engine: Engine) -> None:
    client = signed_in(client, engine, "ana@example.org")
    case = next(c for c in list_cases(engine, owner="ana@example.org", limit=500)[0] if c.rule)
    page = client.get(f"/dashboard/cases/{case.id}")
    assert page.status_code == 200
    assert "History" in page.text and "The customer&#39;s answers" in page.text
    version = hidden(page.text, "version")
    csrf = hidden(page.text, "_csrf")
    # Someone else changes the case before the form is sent.
    update_case(engine, case.id, version=int(version), change=CaseChange(note="first"), actor="x")
    sent = client.post(
        f"/dashboard/cases/{case.id}",
        data={"_csrf": csrf, "version": version, "note": "second", "state": "acknowledged"},
        follow_redirects=False,
    )
    assert sent.status_code == 303 and sent.headers["location"].endswith("problem=conflict")
    again = client.get(sent.headers["location"])
    assert "Someone changed this case" in again.text
    assert "second" not in again.text and "first" in again.text
    # With the fresh version the change goes through.
    sent = client.post(
        f"/dashboard/cases/{case.id}",
        data={
            "_csrf": hidden(again.text, "_csrf"),
            "version": hidden(again.text, "version"),
            "note": "second",
            "state": "acknowledged",
        },
        follow_redirects=False,
    )
    assert sent.headers["location"] == f"/dashboard/cases/{case.id}"
    final = client.get(sent.headers["location"])
    assert "second" in final.text and "Acknowledged" in final.text


def test_a_viewer_may_not_open_cases_and_a_manager_may_not_forge_a_form(
    client: TestClient, engine: Engine, tmp_path: Path
) -> None:
    from cxgap.services.accounts import create_account

    create_account(engine, "vic@example.org", "a-long-Passw0rd-for-tests", role="viewer", actor="t")
    assert signed_in(client, engine, "vic@example.org").get("/dashboard/cases").status_code == 403
    client = signed_in(client, engine, "ana@example.org")
    forged = client.post("/dashboard/cases/1", data={"_csrf": "x", "version": "1", "note": "n"})
    assert forged.status_code == 403
