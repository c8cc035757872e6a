"""A new organisation (no survey has responses yet) gets a page that says what to do on
every dashboard page, in each language, never a server error."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cxgap.services.accounts import create_user
from cxgap.store.database import get_engine, transaction, upgrade
from cxgap.web.dashboard import PAGES
from cxgap.web.main import create_app

from .helpers import hidden

PASSWORD = "correct horse battery staple"
TITLES = {"en": "No responses yet", "zh": "尚无答卷", "fa": "هنوز پاسخی نیست"}


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    engine = get_engine(str(tmp_path / "empty.db"))
    upgrade(engine)
    with transaction(engine) as session:
        create_user(session, "admin@example.org", PASSWORD, role="admin")
    client = TestClient(create_app(engine))
    form = client.get("/login")
    signed = client.post(
        "/login",
        data={
            "_csrf": hidden(form.text, "_csrf"),
            "email": "admin@example.org",
            "password": PASSWORD,
            "next": "/dashboard",
        },
        follow_redirects=False,
    )
    assert signed.status_code == 303, signed.text
    return client


@pytest.mark.parametrize("lang", sorted(TITLES))
def test_every_page_of_an_empty_database_says_what_to_do(client: TestClient, lang: str) -> None:
    for page in PAGES:
        path = page.path.replace("{dimension}", "reliability")
        answer = client.get(path, params={"lang": lang})
        assert answer.status_code < 500, (page.name, answer.status_code)
    overview = client.get("/dashboard", params={"lang": lang})
    assert overview.status_code == 200
    assert TITLES[lang] in overview.text
    assert "cxgap import" in overview.text
