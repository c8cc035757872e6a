"""Who is asking: API keys for scripts, signed session cookies for pages, and roles.

- Scripts send ``Authorization: Bearer cxg_...`` (or ``X-API-Key``); see
  :func:`cxgap.services.accounts.authenticate_api_key`.
- People sign in on ``/login``; the session cookie is ``<user>.<issued>.<nonce>.<mac>``,
  HMAC-signed with the application secret over the value *and* a fragment of the user's
  password hash, so changing the password ends every session. It is ``HttpOnly``,
  ``SameSite=Lax`` and ``Secure`` when the server runs behind HTTPS
  (``WebOptions.secure_cookies``), and lasts :data:`SESSION_HOURS`.
- Every endpoint declares the permission it needs with :func:`requires` (the matrix is in
  ``cxgap.services.accounts`` and ``docs/permissions.md``): no or bad credentials give
  :class:`AuthenticationError` (401), a role without the permission
  :class:`PermissionDeniedError` (403).
- Sign-in attempts are rate-limited per client address and per email.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine

from cxgap.errors import AuthenticationError
from cxgap.services import accounts
from cxgap.store.accounts import User
from cxgap.store.database import transaction
from cxgap.web.deps import TooManyRequestsError, get_engine, get_secret
from cxgap.web.limits import RateLimiter

SESSION_COOKIE = "cxgap_session"
SESSION_HOURS = 12
LOGIN_ATTEMPTS_PER_MINUTE = 10
"""Per client address and, separately, per email address."""


def _mac(secret: bytes, value: str, password_hash: str) -> str:
    material = f"session:{value}:{password_hash[-16:]}".encode()
    digest = hmac.new(secret, material, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def issue_session(secret: bytes, user: User, *, now: float | None = None) -> str:
    """A new signed session value for ``user``."""
    value = f"{user.id}.{int(now if now is not None else time.time())}.{secrets.token_hex(8)}"
    return f"{value}.{_mac(secret, value, user.password_hash)}"


def read_session(
    engine: Engine, secret: bytes, cookie: str | None, *, now: float | None = None
) -> User | None:
    """The active user of a valid, unexpired session cookie; ``None`` otherwise."""
    if not cookie or len(cookie) > 200 or cookie.count(".") != 3:
        return None
    user_id, issued, nonce, mac = cookie.split(".")
    if not (user_id.isdigit() and issued.isdigit()):
        return None
    age = (now if now is not None else time.time()) - int(issued)
    if not 0 <= age <= SESSION_HOURS * 3600:
        return None
    with transaction(engine) as session:
        user = session.get(User, int(user_id))
        if user is None or not user.active:
            return None
        expected = _mac(secret, f"{user_id}.{issued}.{nonce}", user.password_hash)
        if not hmac.compare_digest(mac.encode(), expected.encode()):
            return None
        session.expunge(user)
        return user


def _api_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return request.headers.get("x-api-key")


def request_user(request: Request) -> User:
    """The user behind this request (API key first, then session cookie)."""
    engine = get_engine(request)
    key = _api_key(request)
    if key is not None:
        with transaction(engine) as session:
            user = accounts.authenticate_api_key(session, key)
            session.flush()
            session.expunge(user)
        return user
    found = read_session(engine, get_secret(request), request.cookies.get(SESSION_COOKIE))
    if found is None:
        raise AuthenticationError("sign in first, or send an API key")
    return found


def requires(permission: str) -> Callable[[Request], User]:
    """A dependency giving the signed-in user, who must hold ``permission``."""
    if permission not in accounts.PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")

    def dependency(request: Request) -> User:
        user = request_user(request)
        accounts.require(user, permission)
        request.state.user = user
        return user

    dependency.__name__ = f"requires_{permission.replace(':', '_')}"
    return dependency


def login_limiters(request: Request) -> tuple[RateLimiter, RateLimiter]:
    state = request.app.state
    if not hasattr(state, "login_address_limiter"):
        state.login_address_limiter = RateLimiter(LOGIN_ATTEMPTS_PER_MINUTE)
        state.login_email_limiter = RateLimiter(LOGIN_ATTEMPTS_PER_MINUTE)
    return state.login_address_limiter, state.login_email_limiter


def sign_in(request: Request, email: str, password: str) -> tuple[User, str]:
    """Check credentials (rate-limited) and return the user and a new session value."""
    by_address, by_email = login_limiters(request)
    address = request.client.host if request.client else "unknown"
    if not by_address.allow(address) or not by_email.allow(email.strip().lower()[:254]):
        raise TooManyRequestsError
    engine = get_engine(request)
    with transaction(engine) as session:
        user = accounts.authenticate(session, email, password)
        session.flush()
        session.expunge(user)
    return user, issue_session(get_secret(request), user)


AnyUser = Annotated[User, Depends(requires("dashboard:view"))]
