"""Session cookies and request authentication (the building blocks of the API and pages)."""

from __future__ import annotations

from sqlalchemy import Engine

from cxgap.services import accounts
from cxgap.store.database import transaction
from cxgap.web.auth import SESSION_HOURS, issue_session, read_session

SECRET = b"s" * 32
PASSWORD = "correct horse battery"


def test_session_cookie_is_signed_expires_and_ends_with_password_change(engine: Engine) -> None:
    with transaction(engine) as s:
        user = accounts.create_user(s, "m@example.org", PASSWORD, role="manager")
    cookie = issue_session(SECRET, user, now=1_000_000)
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
        fresh = issue_session(SECRET, accounts.get_user(s, "m@example.org"), now=1_000_000)
    assert read_session(engine, SECRET, fresh, now=1_000_100) is None  # disabled account
