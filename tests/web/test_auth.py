"""Session cookies and request authentication (the building blocks of the API and pages)."""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine

from cxgap.services import accounts
from cxgap.services.collection import csrf_token
from cxgap.store.database import transaction
from cxgap.web.auth import (
    SESSION_COOKIE,
    SESSION_HOURS,
    PasswordChecks,
    issue_session,
    read_session,
)
from cxgap.web.deps import CSRF_COOKIE, TooManyRequestsError
from cxgap.web.limits import WebOptions
from cxgap.web.main import create_app

from .helpers import hidden, running_server

SECRET = b"s" * 32
PASSWORD = "correct horse battery"


def test_session_cookie_is_signed_expires_and_ends_with_password_change(engine: Engine) -> None:
    with transaction(engine) as s:
        user = accounts.create_user(s, "m@example.org", PASSWORD, role="manager")
    cookie = issue_session(engine, SECRET, user, now=1_000_000)
    assert read_session(engine, SECRET, cookie, now=1_000_100).email == "m@example.org"  # type: ignore[union-attr]
    assert read_session(engine, b"x" * 32, cookie, now=1_000_100) is None  # other secret
    assert read_session(engine, SECRET, cookie + "x", now=1_000_100) is None  # tampered
    forged = cookie.replace(f"{user.id}.", "999.", 1)
    assert read_session(engine, SECRET, forged, now=1_000_100) is None
    late = 1_000_000 + SESSION_HOURS * 3600 + 1
    assert read_session(engine, SECRET, cookie, now=late) is None  # expired
    for junk in (None, "", "a.b.c", "1.2.3.4.5", "x" * 500):
        assert read_session(engine, SECRET, junk) is None
    with transaction(engine) as s:
        accounts.set_password(
            s, accounts.get_user(s, "m@example.org"), "a new long password", actor="test"
        )
    assert read_session(engine, SECRET, cookie, now=1_000_100) is None  # password changed
    with transaction(engine) as s:
        accounts.set_active(s, accounts.get_user(s, "m@example.org"), False, actor="test")
        disabled = accounts.get_user(s, "m@example.org")
        s.flush()
        s.expunge(disabled)
    fresh = issue_session(engine, SECRET, disabled, now=1_000_000)
    assert read_session(engine, SECRET, fresh, now=1_000_100) is None  # disabled account


# --- over HTTP: the real application -----------------------------------------------------

ADMIN = "admin@example.org"
USER = "user@example.org"
STRONG = "violet copper lantern 1987"


def _accounts(engine: Engine) -> dict[str, int]:
    with transaction(engine) as s:
        admin = accounts.create_user(s, ADMIN, PASSWORD, role="admin")
        user = accounts.create_user(s, USER, PASSWORD, role="analyst")
        return {"admin": admin.id, "user": user.id}


def _client(engine: Engine, address: str = "10.0.0.1", **options: object) -> TestClient:
    return TestClient(
        create_app(engine, options=WebOptions(**options)),  # type: ignore[arg-type]
        client=(address, 50000),
    )


def _sign_in(client: TestClient, email: str, password: str) -> Response:
    form = client.get("/login")
    return client.post(
        "/login",
        data={"_csrf": hidden(form.text, "_csrf"), "email": email, "password": password},
        follow_redirects=False,
    )


def _signed_in(engine: Engine, email: str = USER) -> tuple[TestClient, str]:
    client = _client(engine)
    response = _sign_in(client, email, PASSWORD)
    assert response.status_code == 303, response.text
    return client, client.cookies[SESSION_COOKIE]


def _sign_out(client: TestClient) -> None:
    """Sign out with the form token of this browser."""
    token = csrf_token(client.app.state.secret, client.cookies[CSRF_COOKIE])  # type: ignore[attr-defined]
    response = client.post("/logout", data={"_csrf": token}, follow_redirects=False)
    assert response.status_code == 303


def test_a_cookie_replayed_after_sign_out_is_refused(engine: Engine) -> None:
    _accounts(engine)
    client, cookie = _signed_in(engine)
    assert client.get("/api/v1/me").json()["email"] == USER
    _sign_out(client)
    replay = _client(engine, "10.0.0.2")
    replayed = replay.get("/api/v1/me", headers={"Cookie": f"{SESSION_COOKIE}={cookie}"})
    assert replayed.status_code == 401
    assert (
        replay.get(
            "/dashboard", headers={"Cookie": f"{SESSION_COOKIE}={cookie}"}, follow_redirects=False
        )
        .headers["location"]
        .startswith("/login")
    )


def test_a_password_change_ends_sessions_and_the_keys_they_created(engine: Engine) -> None:
    ids = _accounts(engine)
    client, cookie = _signed_in(engine)
    minted = client.post("/api/v1/me/api-keys", json={"name": "laptop", "password": PASSWORD})
    assert minted.status_code == 201, minted.text
    key = {"Authorization": f"Bearer {minted.json()['key']}"}
    with transaction(engine) as s:  # a key an administrator made for a script
        script_key = accounts.create_api_key(
            s, s.get(accounts.User, ids["user"]), "nightly", actor="test"
        ).key
    other = _client(engine, "10.0.0.2")
    assert other.get("/api/v1/me", headers=key).status_code == 200
    with transaction(engine) as s:
        accounts.set_password(s, accounts.get_user(s, USER), STRONG, actor="test")
    stale = other.get("/api/v1/me", headers={"Cookie": f"{SESSION_COOKIE}={cookie}"})
    assert stale.status_code == 401
    assert other.get("/api/v1/me", headers=key).status_code == 401
    script = other.get("/api/v1/me", headers={"Authorization": f"Bearer {script_key}"})
    assert script.status_code == 200


def test_a_disabled_account_is_refused_with_its_keys_and_sessions(engine: Engine) -> None:
    ids = _accounts(engine)
    _, cookie = _signed_in(engine)
    with transaction(engine) as s:
        key = accounts.create_api_key(s, s.get(accounts.User, ids["user"]), "k", actor="t").key
        admin_key = accounts.create_api_key(
            s, s.get(accounts.User, ids["admin"]), "a", actor="t"
        ).key
    other = _client(engine, "10.0.0.2")
    admin = {"Authorization": f"Bearer {admin_key}"}
    off = other.patch(f"/api/v1/users/{ids['user']}", headers=admin, json={"active": False})
    assert off.status_code == 200 and off.json()["active"] is False
    assert other.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"}).status_code == 401
    with_cookie = {"Cookie": f"{SESSION_COOKIE}={cookie}"}
    assert other.get("/api/v1/me", headers=with_cookie).status_code == 401
    # enabling the account again does not bring its old sessions back
    other.patch(f"/api/v1/users/{ids['user']}", headers=admin, json={"active": True})
    assert other.get("/api/v1/me", headers=with_cookie).status_code == 401
    assert other.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"}).status_code == 200


def test_an_account_without_a_password_is_refused_like_a_wrong_password(engine: Engine) -> None:
    _accounts(engine)
    staff = "staff@example.org"
    with transaction(engine) as s:
        accounts.create_user(s, staff, None, role="agent")
    wrong = _sign_in(_client(engine, "10.0.0.3"), USER, "not the password at all")
    assert wrong.status_code == 401 and "The email or password is not right." in wrong.text
    for n, attempt in enumerate(("", "!", PASSWORD, "x" * 20)):
        client = _client(engine, f"10.0.1.{n}")
        refused = _sign_in(client, staff, attempt)
        assert refused.status_code == wrong.status_code, attempt
        assert "The email or password is not right." in refused.text
        assert SESSION_COOKIE not in client.cookies
        assert client.get("/api/v1/me").status_code == 401


def test_creating_a_key_from_a_session_needs_the_current_password(engine: Engine) -> None:
    _accounts(engine)
    client, _ = _signed_in(engine)
    missing = client.post("/api/v1/me/api-keys", json={"name": "stolen cookie"})
    assert missing.status_code == 401
    assert "current password" in missing.json()["error"]["message"]
    wrong = client.post("/api/v1/me/api-keys", json={"name": "x", "password": "not it at all"})
    assert wrong.status_code == 401
    assert client.get("/api/v1/me/api-keys").json()["total"] == 0
    right = client.post("/api/v1/me/api-keys", json={"name": "laptop", "password": PASSWORD})
    assert right.status_code == 201 and right.json()["key"].startswith("cxg_")


def test_the_health_check_answers_while_sign_ins_hash(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Password checks run off the event loop: while sign-ins are held in the middle of
    their Argon2 work, the server still answers (were the work on the event loop, the
    health check would wait for it and time out)."""
    _accounts(engine)
    real = accounts._hasher
    hashing = threading.Semaphore(0)
    release = threading.Event()

    class HeldHasher:
        """Argon2, held until the test releases it."""

        def _held(self) -> None:
            hashing.release()
            release.wait(60)

        def verify(self, stored: str, password: str) -> bool:
            self._held()
            return bool(real.verify(stored, password))

        def hash(self, password: str) -> str:
            self._held()
            return str(real.hash(password))

        def check_needs_rehash(self, stored: str) -> bool:
            return bool(real.check_needs_rehash(stored))

    monkeypatch.setattr(accounts, "_hasher", HeldHasher())
    with running_server(engine) as base:

        def failed_sign_in(n: int) -> int:
            with httpx.Client(base_url=base, timeout=90) as web:
                form = web.get("/login")
                return web.post(
                    "/login",
                    data={
                        "_csrf": hidden(form.text, "_csrf"),
                        "email": USER if n % 2 else f"nobody{n}@example.org",
                        "password": f"wrong password {n}",
                    },
                ).status_code

        with ThreadPoolExecutor(2) as pool:
            attempts = [pool.submit(failed_sign_in, n) for n in range(2)]
            try:
                for _ in range(2):  # both sign-ins are in the middle of their checks
                    assert hashing.acquire(timeout=60)
                with httpx.Client(base_url=base, timeout=15) as probe:
                    health = probe.get("/healthz")
                    page = probe.get("/login")
            finally:
                release.set()
            codes = [a.result() for a in attempts]
    assert health.status_code == 200 and page.status_code == 200
    assert codes == [401, 401]


def test_wrong_passwords_slow_an_account_down_instead_of_locking_it_out(engine: Engine) -> None:
    _accounts(engine)
    app = create_app(engine, options=WebOptions(login_delay_max_seconds=0.3))
    attacker = TestClient(app, client=("203.0.113.9", 50000))
    owner = TestClient(app, client=("198.51.100.7", 50000))
    codes = [_sign_in(attacker, USER, f"guess number {n}").status_code for n in range(11)]
    assert codes == [401] * 10 + [429]  # the guessing address is limited
    delays = app.state.login_failure_delays
    assert delays.delay(accounts.normalize_email(USER)) == 0.3  # the most allowed
    started = time.monotonic()
    response = _sign_in(owner, USER, PASSWORD)  # the owner, from elsewhere, still gets in
    assert response.status_code == 303 and owner.cookies.get(SESSION_COOKIE)
    assert time.monotonic() - started >= 0.3  # after the account's wait
    assert delays.delay(accounts.normalize_email(USER)) == 0.0  # success forgot the failures
    owner.cookies.clear()
    assert _sign_in(owner, USER, PASSWORD).status_code == 303


def test_password_checks_run_a_few_at_a_time_and_refuse_a_flood() -> None:
    checks = PasswordChecks(workers=2, queue=1)
    release = threading.Event()
    running: list[int] = []

    def work(n: int) -> int:
        running.append(n)
        release.wait(5)
        return n

    async def flood() -> tuple[list[int], int]:
        tasks = [asyncio.create_task(checks.run(functools.partial(work, n))) for n in range(3)]
        await asyncio.sleep(0.2)
        assert len(running) == 2  # two at once; the third waits its turn
        with pytest.raises(TooManyRequestsError):  # a fourth has no room to wait
            await checks.run(functools.partial(work, 3))
        release.set()
        return list(await asyncio.gather(*tasks)), len(running)

    done, ran = asyncio.run(flood())
    assert done == [0, 1, 2] and ran == 3
