"""``cxgap serve`` and ``cxgap invitations create`` through the real command line."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from cxgap.services.customers import upsert_customers
from cxgap.store.database import transaction

Cli = Callable[..., tuple[int, str, str]]


def test_invitations_create_for_customers_and_anonymous(
    cli: Cli, engine: Engine, mini_survey: str, tmp_path: Path
) -> None:
    db = str(engine.url.database)
    with transaction(engine) as session:
        upsert_customers(session, {"C1": {}, "C2": {}, "C3": {}})
    ids = tmp_path / "ids.csv"
    ids.write_text("customer_id\nC1\nC3\n", encoding="utf-8")
    out = tmp_path / "links.csv"
    code, stdout, _ = cli(
        "--db", db, "invitations", "create", "--survey", mini_survey, "--customers", ids,
        "--lang", "fa", "--expires-days", "7", "--out", out,
    )  # fmt: skip
    assert code == 0 and "2 links" in stdout
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["customer"] for r in rows] == ["C1", "C3"]
    assert all(r["link"].startswith("http://127.0.0.1:8000/s/") for r in rows)
    code, stdout, _ = cli(
        "--db", db, "invitations", "create", "--survey", mini_survey, "--anonymous", "1",
        "--base-url", "https://survey.example.org/",
    )  # fmt: skip
    assert code == 0 and "anonymous  https://survey.example.org/s/" in stdout
    # the printed link opens the form, in the invitation's language
    from cxgap.web.main import create_app

    client = TestClient(create_app(engine))
    page = client.get(rows[0]["link"].removeprefix("http://127.0.0.1:8000"))
    assert page.status_code == 200 and 'dir="rtl"' in page.text
    code, _, err = cli("--db", db, "invitations", "create", "--survey", "nope", "--all")
    assert code == 4 and "does not exist" in err


def test_serve_prints_the_address_and_runs_uvicorn(
    cli: Cli, engine: Engine, mini_survey: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append({"app": app, **kw}))
    code, stdout, _ = cli("--db", str(engine.url.database), "serve", "--port", "8123")
    assert code == 0
    assert "serving at http://127.0.0.1:8123" in stdout
    assert "loaded the demo" not in stdout  # the database already had a survey
    assert calls and calls[0]["port"] == 8123 and calls[0]["host"] == "127.0.0.1"
    client = TestClient(calls[0]["app"])
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.post("/baseline/mini-w1", data={}).status_code == 404


def test_serve_applies_secure_cookies_and_proxy_headers(
    cli: Cli, engine: Engine, mini_survey: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    from cxgap.settings import get_settings

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append({"app": app, **kw}))
    db = str(engine.url.database)

    def csrf_cookie(app: Any) -> str:
        return str(TestClient(app).get("/login").headers["set-cookie"])

    get_settings.cache_clear()
    assert cli("--db", db, "serve")[0] == 0
    assert calls[-1]["proxy_headers"] is False  # a client cannot claim another address
    assert "secure" not in csrf_cookie(calls[-1]["app"]).lower()
    monkeypatch.setenv("CXGAP_SECURE_COOKIES", "true")
    monkeypatch.setenv("CXGAP_PROXY_HEADERS", "1")
    monkeypatch.setenv("CXGAP_FORWARDED_ALLOW_IPS", "10.0.0.5")
    get_settings.cache_clear()
    try:
        code, stdout, _ = cli("--db", db, "serve")
        assert code == 0 and "proxy headers trusted from 10.0.0.5" in stdout
        assert calls[-1]["proxy_headers"] is True
        assert calls[-1]["forwarded_allow_ips"] == "10.0.0.5"
        assert "Secure" in csrf_cookie(calls[-1]["app"])
        monkeypatch.delenv("CXGAP_SECURE_COOKIES")
        monkeypatch.setenv("CXGAP_BASE_URL", "https://cx.example.org")
        get_settings.cache_clear()
        assert cli("--db", db, "serve", "--no-proxy-headers")[0] == 0
        assert calls[-1]["proxy_headers"] is False
        assert "Secure" in csrf_cookie(calls[-1]["app"])  # implied by the https address
        assert cli("--db", db, "serve", "--no-secure-cookies")[0] == 0
        assert "secure" not in csrf_cookie(calls[-1]["app"]).lower()
    finally:
        get_settings.cache_clear()


def test_serve_passes_every_web_setting_to_the_application(
    cli: Cli, engine: Engine, mini_survey: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    from cxgap.services import accounts
    from cxgap.settings import get_settings

    from .helpers import hidden

    with transaction(engine) as session:
        accounts.create_user(
            session, "m@example.org", "correct horse battery staple", role="analyst"
        )
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append({"app": app, **kw}))
    monkeypatch.setenv("CXGAP_SECURE_COOKIES", "true")
    monkeypatch.setenv("CXGAP_SESSION_HOURS", "2")
    monkeypatch.setenv("CXGAP_LOGIN_ATTEMPTS_PER_MINUTE", "1")
    monkeypatch.setenv("CXGAP_MAX_BODY_BYTES", "2048")
    get_settings.cache_clear()
    try:
        assert cli("--db", str(engine.url.database), "serve")[0] == 0
    finally:
        get_settings.cache_clear()
    client = TestClient(calls[-1]["app"], base_url="https://testserver")
    form = client.get("/login")
    signed_in = client.post(
        "/login",
        data={
            "_csrf": hidden(form.text, "_csrf"),
            "email": "m@example.org",
            "password": "correct horse battery staple",
        },
        follow_redirects=False,
    )
    assert signed_in.status_code == 303
    session_cookie = next(
        c for c in signed_in.headers.get_list("set-cookie") if c.startswith("cxgap_session=")
    )
    assert "Max-Age=7200" in session_cookie and "Secure" in session_cookie
    again = client.post(
        "/login",
        data={"_csrf": hidden(form.text, "_csrf"), "email": "m@example.org", "password": "x"},
    )
    assert again.status_code == 429  # one sign-in attempt a minute from this address
    assert client.post("/login", content=b"x" * 4096).status_code == 413
