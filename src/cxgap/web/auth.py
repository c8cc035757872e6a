"""Who is asking: API keys for scripts, signed session cookies for pages, and roles.

- Scripts send ``Authorization: Bearer cxg_...`` (or ``X-API-Key``); see
  :func:`cxgap.services.accounts.authenticate_api_key`.
- People sign in on ``/login``; the session cookie is ``<user>.<issued>.<session>.<mac>``,
  HMAC-signed with the application secret over the value *and* a fragment of the user's
  password hash. ``<session>`` names a row kept on the server: signing out deletes it, and
  a password change or disabling the account deletes all of the user's, so a copied
  cookie stops working at once. It is ``HttpOnly``, ``SameSite=Lax`` and ``Secure`` when
  the server runs behind HTTPS (the ``secure_cookies`` setting), and lasts the
  ``session_hours`` setting (:data:`SESSION_HOURS` by default).
- Every endpoint declares the permission it needs with :func:`requires` (the matrix is in
  ``cxgap.services.accounts`` and ``docs/permissions.md``): no or bad credentials give
  :class:`AuthenticationError` (401), a role without the permission
  :class:`PermissionDeniedError` (403).
- Argon2 work (signing in, confirming a password) runs off the event loop on
  :class:`PasswordChecks`: a few at a time, a bounded queue, the rest refused with 429,
  so other requests are served meanwhile.
- Sign-in attempts are rate-limited per client address; an account's failed attempts
  slow its next ones down (:class:`FailureDelays`) instead of locking it, so someone
  guessing from elsewhere cannot keep the owner out.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import hashlib
import hmac
import os
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from fastapi import Request
from sqlalchemy import Engine

from cxgap.errors import AuthenticationError, ValidationError
from cxgap.services import accounts
from cxgap.services.accounts import User
from cxgap.settings import WebSettings
from cxgap.times import from_timestamp
from cxgap.web.deps import TooManyRequestsError, get_engine, get_options, get_secret
from cxgap.web.limits import RateLimiter

T = TypeVar("T")

SESSION_COOKIE = "cxgap_session"
SESSION_HOURS = WebSettings.model_fields["session_hours"].default
"""How long a sign-in lasts by default (the ``session_hours`` setting)."""
LOGIN_ATTEMPTS_PER_MINUTE = WebSettings.model_fields["login_attempts_per_minute"].default
"""Per client address, by default (the ``login_attempts_per_minute`` setting)."""
SESSION_CREDENTIAL = "session"
API_KEY_CREDENTIAL = "api_key"


def _mac(secret: bytes, value: str, password_hash: str) -> str:
    material = f"session:{value}:{password_hash[-16:]}".encode()
    digest = hmac.new(secret, material, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _moment(now: float | None) -> float:
    return now if now is not None else time.time()


def _when(now: float) -> dt.datetime:
    return from_timestamp(now)


def issue_session(
    engine: Engine,
    secret: bytes,
    user: User,
    *,
    now: float | None = None,
    hours: float = SESSION_HOURS,
) -> str:
    """Start a sign-in session of ``user`` on the server, lasting ``hours``; its signed
    cookie value."""
    moment = _moment(now)
    token = accounts.open_sign_in(engine, user, hours=hours, now=_when(moment))
    value = f"{user.id}.{int(moment)}.{token}"
    return f"{value}.{_mac(secret, value, user.password_hash)}"


def _parts(cookie: str | None) -> tuple[str, str, str, str] | None:
    if not cookie or len(cookie) > 200 or cookie.count(".") != 3:
        return None
    user_id, issued, token, mac = cookie.split(".")
    if not (user_id.isdigit() and issued.isdigit() and token):
        return None
    return user_id, issued, token, mac


def read_session(
    engine: Engine,
    secret: bytes,
    cookie: str | None,
    *,
    now: float | None = None,
    hours: float = SESSION_HOURS,
) -> User | None:
    """The active user of a valid session, begun at most ``hours`` ago and not ended;
    ``None`` otherwise."""
    parts = _parts(cookie)
    if parts is None:
        return None
    user_id, issued, token, mac = parts
    moment = _moment(now)
    if not 0 <= moment - int(issued) <= hours * 3600:
        return None
    user = accounts.signed_in_user(engine, int(user_id), token, now=_when(moment))
    if user is None:
        return None
    expected = _mac(secret, f"{user_id}.{issued}.{token}", user.password_hash)
    if not hmac.compare_digest(mac.encode(), expected.encode()):
        return None
    return user


def end_session(
    engine: Engine, secret: bytes, cookie: str | None, *, hours: float = SESSION_HOURS
) -> None:
    """Sign out: the session of ``cookie`` (when it is one) ends on the server."""
    if read_session(engine, secret, cookie, hours=hours) is None:
        return
    parts = _parts(cookie)
    assert parts is not None
    accounts.close_sign_in(engine, parts[2])


def _api_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return request.headers.get("x-api-key")


def request_user(request: Request) -> User:
    """The user behind this request (API key first, then session cookie).

    ``request.state.credential`` tells which: :data:`API_KEY_CREDENTIAL` or
    :data:`SESSION_CREDENTIAL`.
    """
    engine = get_engine(request)
    key = _api_key(request)
    if key is not None:
        user = accounts.api_key_user(engine, key)
        request.state.credential = API_KEY_CREDENTIAL
        return user
    found = read_session(
        engine,
        get_secret(request),
        request.cookies.get(SESSION_COOKIE),
        hours=get_options(request).session_hours,
    )
    if found is None:
        raise AuthenticationError("sign in first, or send an API key")
    request.state.credential = SESSION_CREDENTIAL
    return found


def signed_in_with_session(request: Request) -> bool:
    """Whether this request's user came from a session cookie (not an API key)."""
    return getattr(request.state, "credential", None) == SESSION_CREDENTIAL


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


class PasswordChecks:
    """Runs Argon2 work on ``workers`` threads, never on the event loop.

    At most ``queue`` calls wait for a thread; more raise :class:`TooManyRequestsError`
    (429), so a flood of sign-ins neither stalls other requests nor piles up memory.
    """

    NICENESS = 10
    """Scheduling priority of the worker threads (Linux: per thread, and inherited by
    Argon2's own lane threads), below the event loop's, so that it keeps answering."""

    def __init__(self, workers: int, queue: int) -> None:
        self._pool = ThreadPoolExecutor(
            workers, thread_name_prefix="cxgap-password", initializer=self._lower_priority
        )
        self._capacity = workers + queue
        self._pending = 0
        self._lock = threading.Lock()

    @classmethod
    def _lower_priority(cls) -> None:
        if sys.platform.startswith("linux"):
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), cls.NICENESS)

    async def run(self, work: Callable[[], T]) -> T:
        with self._lock:
            if self._pending >= self._capacity:
                raise TooManyRequestsError
            self._pending += 1
        try:
            return await asyncio.wrap_future(self._pool.submit(work))
        finally:
            with self._lock:
                self._pending -= 1


class FailureDelays:
    """Per-account slow-down after failed sign-ins (no lockout).

    The first ``free`` failures cost nothing; each later one doubles the wait before the
    next attempt on that account is checked, from a quarter second up to ``most`` seconds.
    A success, or an hour without failures, forgets them. The right password still signs
    in, after the wait.
    """

    FORGET_SECONDS = 3600.0
    MAX_ACCOUNTS = 100_000

    def __init__(self, free: int, most: float) -> None:
        self.free = free
        self.most = most
        self._failures: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def delay(self, account: str, *, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        with self._lock:
            count, last = self._failures.get(account, (0, now))
        if count <= self.free or now - last > self.FORGET_SECONDS:
            return 0.0
        return float(min(self.most, 0.25 * 2 ** (count - self.free - 1)))

    def failed(self, account: str, *, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            if len(self._failures) >= self.MAX_ACCOUNTS:
                self._failures = {
                    k: v for k, v in self._failures.items() if now - v[1] <= self.FORGET_SECONDS
                }
                if len(self._failures) >= self.MAX_ACCOUNTS:
                    self._failures.clear()
            count, last = self._failures.get(account, (0, now))
            if now - last > self.FORGET_SECONDS:
                count = 0
            self._failures[account] = (count + 1, now)

    def succeeded(self, account: str) -> None:
        with self._lock:
            self._failures.pop(account, None)


_STATE_LOCK = threading.Lock()


def _state_object(request: Request, name: str, make: Callable[[], T]) -> T:
    state = request.app.state
    with _STATE_LOCK:
        if not hasattr(state, name):
            setattr(state, name, make())
        found: T = getattr(state, name)
    return found


async def _slowed_check(request: Request, account: str, work: Callable[[], T]) -> T:
    """``work`` (an Argon2 check) on the password threads, after the account's wait;
    an :class:`AuthenticationError` counts as a failure of ``account``."""
    options = get_options(request)
    checks = _state_object(
        request,
        "password_checks",
        lambda: PasswordChecks(options.password_workers, options.password_queue),
    )
    delays = _state_object(
        request,
        "login_failure_delays",
        lambda: FailureDelays(options.login_free_failures, options.login_delay_max_seconds),
    )
    wait = delays.delay(account)
    if wait:
        await asyncio.sleep(wait)
    try:
        result = await checks.run(work)
    except AuthenticationError:
        delays.failed(account)
        raise
    delays.succeeded(account)
    return result


def _account_key(email: str) -> str:
    try:
        return accounts.normalize_email(email)[:254]
    except ValidationError:
        return email.strip().lower()[:254]


async def sign_in(request: Request, email: str, password: str) -> tuple[User, str]:
    """Check credentials (rate-limited per address, slowed per account) off the event
    loop, and return the user and a new session value."""
    options = get_options(request)
    by_address = _state_object(
        request, "login_address_limiter", lambda: RateLimiter(options.login_attempts_per_minute)
    )
    address = request.client.host if request.client else "unknown"
    if not by_address.allow(address):
        raise TooManyRequestsError
    engine, secret = get_engine(request), get_secret(request)

    def check() -> tuple[User, str]:
        user = accounts.sign_in_user(engine, email, password)
        return user, issue_session(engine, secret, user, hours=options.session_hours)

    return await _slowed_check(request, _account_key(email), check)


async def confirm_password(request: Request, user: User, password: str | None) -> None:
    """Re-authentication: raise :class:`AuthenticationError` unless ``password`` is the
    user's current one (checked off the event loop, slowed like sign-ins)."""
    engine = get_engine(request)

    def check() -> None:
        accounts.reconfirm_password(engine, user.id, password)

    await _slowed_check(request, user.email, check)
