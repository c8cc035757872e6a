"""Changing and rejecting standards on the dashboard, over the real app: a change is a new
proposed version (the approved one stays in force), refusals say which field and why (the
sentence of the CLI), CSRF and roles are checked, every decision is audited."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from cxgap.services.accounts import create_user, get_user, list_audit
from cxgap.services.standards import approve_standard, list_standards
from cxgap.store.database import transaction
from cxgap.web.auth import SESSION_COOKIE, issue_session
from cxgap.web.main import create_app

from .helpers import hidden, propose_visit_window

Cli = Callable[..., tuple[int, str, str]]
EDIT = "/dashboard/five-gaps/standards/visit-window/edit"


@pytest.fixture
def client(engine: Engine) -> TestClient:
    with transaction(engine) as session:
        for role in ("manager", "analyst", "viewer"):
            create_user(session, f"{role}@example.org", "a long passphrase 1", role=role)
    propose_visit_window(engine)
    return TestClient(create_app(engine, base_url="http://testserver"))


def signed_in(client: TestClient, engine: Engine, role: str) -> TestClient:
    with transaction(engine) as session:
        user = get_user(session, f"{role}@example.org")
        value = issue_session(engine, client.app.state.secret, user)  # type: ignore[attr-defined]
    client.cookies.set(SESSION_COOKIE, value)
    return client


def _versions(engine: Engine) -> list[tuple[int, str, float, float]]:
    return [
        (r.version, r.status, r.floor, r.target)
        for r in list_standards(engine, all_versions=True)
        if r.key == "visit-window"
    ]


def _form(client: TestClient, **changes: str) -> dict[str, str]:
    page = client.get(EDIT)
    assert page.status_code == 200
    data = {
        "_csrf": hidden(page.text, "_csrf"),
        "floor": "0.85",
        "target": "0.95",
        "owner": "planning",
        "rationale": "",
        "effective_from": "",
        "effective_to": "",
    }
    data.update(changes)
    return data


def test_an_edit_of_an_approved_standard_is_a_new_proposed_version(
    client: TestClient, engine: Engine
) -> None:
    approve_standard(engine, "visit-window", actor="test")
    signed_in(client, engine, "manager")
    page = client.get(EDIT)
    assert 'value="0.85"' in page.text and 'value="planning"' in page.text
    data = _form(
        client,
        floor="0.9",
        target="0.97",
        owner="planning <b>east</b>",
        rationale="customers in the east wait longer",
        effective_to="2027-12-31",
    )
    answer = client.post(EDIT, data=data, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/dashboard/five-gaps"
    assert _versions(engine) == [(1, "approved", 0.85, 0.95), (2, "proposed", 0.9, 0.97)]
    latest = list_standards(engine, all_versions=True)[-1]
    assert latest.owner == "planning <b>east</b>"
    assert latest.rationale == "customers in the east wait longer"
    assert latest.effective_to is not None and latest.effective_to.isoformat() == "2027-12-31"
    events, _ = list_audit(engine, action="standard.edit")
    assert [(e.actor, e.target_id) for e in events] == [("manager@example.org", "visit-window@2")]
    # the owner is shown escaped in the next form
    again = client.get(EDIT)
    assert "planning <b>east</b>" not in again.text
    assert "planning &lt;b&gt;east&lt;/b&gt;" in again.text


def test_a_floor_beyond_the_target_is_refused_with_the_sentence_of_the_cli(
    client: TestClient, engine: Engine, cli: Cli
) -> None:
    signed_in(client, engine, "analyst")
    answer = client.post(EDIT, data=_form(client, floor="0.99", target="0.9"))
    assert answer.status_code == 422
    assert "The change was not saved" in answer.text
    assert "field &#39;floor&#39; is 0.99, above the target 0.9" in answer.text
    assert 'value="0.99"' in answer.text  # what was typed is kept
    assert _versions(engine) == [(1, "proposed", 0.85, 0.95)]
    # the CLI refuses the same change with the same sentence
    code, _, err = cli(
        "--db", engine.url.database, "standards", "edit", "visit-window",
        "--floor", "0.99", "--target", "0.9",
    )  # fmt: skip
    assert code != 0
    assert "field 'floor' is 0.99, above the target 0.9" in " ".join(err.split())
    for typed, field in (("soon", "floor"), ("2027-13-01", "effective_to")):
        data = _form(client, **{field: typed})
        refused = client.post(EDIT, data=data)
        assert refused.status_code == 422
        assert f"field &#39;{field}&#39; is &#39;{typed}&#39;" in refused.text
    assert _versions(engine) == [(1, "proposed", 0.85, 0.95)]


def test_rejecting_a_proposal_keeps_the_approved_version(
    client: TestClient, engine: Engine
) -> None:
    approve_standard(engine, "visit-window", actor="test")
    signed_in(client, engine, "manager")
    client.post(EDIT, data=_form(client, floor="0.8"), follow_redirects=False)
    token = hidden(client.get(EDIT).text, "_csrf")
    answer = client.post(
        "/dashboard/five-gaps/standards/visit-window/reject",
        data={"_csrf": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert _versions(engine) == [(1, "approved", 0.85, 0.95), (2, "retired", 0.8, 0.95)]
    events, _ = list_audit(engine, action="standard.reject")
    assert [e.target_id for e in events] == ["visit-window@2"]
    # nothing left to reject
    again = client.post("/dashboard/five-gaps/standards/visit-window/reject", data={"_csrf": token})
    assert again.status_code == 409


def test_csrf_and_roles_are_checked(client: TestClient, engine: Engine) -> None:
    signed_in(client, engine, "analyst")
    data = _form(client, floor="0.5")
    assert client.post(EDIT, data={**data, "_csrf": "forged"}).status_code == 400
    # an analyst may change a standard but not decide on one
    reject = client.post(
        "/dashboard/five-gaps/standards/visit-window/reject", data={"_csrf": data["_csrf"]}
    )
    assert reject.status_code == 403
    signed_in(client, engine, "viewer")
    assert client.get(EDIT).status_code == 403
    assert client.post(EDIT, data=data).status_code == 403
    client.cookies.clear()
    assert client.get(EDIT, follow_redirects=False).status_code in (302, 303)
    assert _versions(engine) == [(1, "proposed", 0.85, 0.95)]
    signed_in(client, engine, "manager")
    assert client.get("/dashboard/five-gaps/standards/no-such/edit").status_code == 404


@pytest.mark.parametrize(
    ("lang", "title", "direction"),
    [
        ("en", "Change a standard", "ltr"),
        ("zh", "修改标准", "ltr"),
        ("fa", "تغییر یک استاندارد", "rtl"),
    ],
)
def test_the_form_in_three_languages(
    client: TestClient, engine: Engine, lang: str, title: str, direction: str
) -> None:
    page = signed_in(client, engine, "manager").get(f"{EDIT}?lang={lang}")
    assert title in page.text and f'dir="{direction}"' in page.text
