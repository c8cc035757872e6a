"""Signing in and out of the dashboard (form posts with a CSRF token)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from cxgap.errors import AuthenticationError
from cxgap.web.auth import SESSION_COOKIE, end_session, read_session, sign_in
from cxgap.web.dashboard.common import show_page
from cxgap.web.deps import (
    CSRF_FIELD,
    CsrfError,
    TooManyRequestsError,
    check_csrf,
    get_engine,
    get_options,
    get_secret,
)

router = APIRouter(include_in_schema=False)

HOME = "/dashboard"
MAX_FIELD = 1024


def local_path(target: str | None) -> str:
    """``target`` when it is a path on this site, else the dashboard's home.

    Refuses absolute and scheme-relative URLs (``//host``, ``/\\host``), other schemes
    and control characters, so ``next`` cannot send a signed-in user elsewhere.
    """
    if (
        not target
        or len(target) > 2000
        or not target.startswith("/")
        or target.startswith(("//", "/\\"))
        or any(ord(c) < 32 or c == "\\" for c in target)
    ):
        return HOME
    return target


def _login_page(request: Request, next_path: str, error: str | None, status_code: int) -> Response:
    return show_page(
        request,
        "login",
        None,
        {"next": next_path, "error": error},
        status_code=status_code,
    )


@router.get("/login")
def login_form(request: Request) -> Response:
    """The sign-in form (or straight on, for someone already signed in)."""
    next_path = local_path(request.query_params.get("next"))
    user = read_session(
        get_engine(request),
        get_secret(request),
        request.cookies.get(SESSION_COOKIE),
        hours=get_options(request).session_hours,
    )
    if user is not None:
        return RedirectResponse(next_path, 303)
    return _login_page(request, next_path, None, 200)


@router.post("/login")
async def login(request: Request) -> Response:
    """Check the credentials; on success set the session cookie and go to ``next``."""
    form = await request.form(max_fields=10, max_files=0)
    data = {k: v[:MAX_FIELD] for k, v in form.items() if isinstance(v, str)}
    next_path = local_path(data.get("next"))
    try:
        check_csrf(request, get_secret(request), data.get(CSRF_FIELD))
    except CsrfError:
        return _login_page(request, next_path, "login_csrf", 403)
    try:
        _, session_value = await sign_in(request, data.get("email", ""), data.get("password", ""))
    except TooManyRequestsError:
        response = _login_page(request, next_path, "login_rate", 429)
        response.headers["retry-after"] = "60"
        return response
    except AuthenticationError:
        return _login_page(request, next_path, "login_failed", 401)
    response = RedirectResponse(next_path, 303)
    response.set_cookie(
        SESSION_COOKIE,
        session_value,
        max_age=int(get_options(request).session_hours * 3600),
        path="/",
        httponly=True,
        samesite="lax",
        secure=get_options(request).cookies_secure,
    )
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    """End the session: on the server (a copy of the cookie stops working) and in this
    browser."""
    form = await request.form(max_fields=5, max_files=0)
    token = form.get(CSRF_FIELD)
    check_csrf(request, get_secret(request), token if isinstance(token, str) else None)
    await run_in_threadpool(
        end_session,
        get_engine(request),
        get_secret(request),
        request.cookies.get(SESSION_COOKIE),
        hours=get_options(request).session_hours,
    )
    response = RedirectResponse("/login", 303)
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=get_options(request).cookies_secure,
    )
    return response
