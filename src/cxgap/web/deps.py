"""What the routers share: the database, the signing secret, CSRF, limits, rendering."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine

from cxgap.services.collection import csrf_token, csrf_valid, new_browser_key
from cxgap.web.i18n import LANGUAGE_NAMES, choose_language, digits, direction, text
from cxgap.web.limits import RateLimiter, WebOptions

CSRF_COOKIE = "cxgap_csrf"
CSRF_FIELD = "_csrf"

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def compile_templates() -> None:
    """Load and compile every page template now (a server does it before it accepts
    requests; Jinja keeps them compiled)."""
    for name in templates.env.list_templates(extensions=["html"]):
        templates.env.get_template(name)


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_secret(request: Request) -> bytes:
    secret: bytes = request.app.state.secret
    return secret


def get_options(request: Request) -> WebOptions:
    options: WebOptions = request.app.state.options
    return options


EngineDep = Annotated[Engine, Depends(get_engine)]
SecretDep = Annotated[bytes, Depends(get_secret)]
OptionsDep = Annotated[WebOptions, Depends(get_options)]


class TooManyRequestsError(Exception):
    """A rate limit was reached."""


class CsrfError(Exception):
    """The form's CSRF token does not match this browser's cookie, or a foreign origin."""


def link_url(request: Request, token: str) -> str:
    """The full address of a survey link, on the configured base address (never the
    request's ``Host`` header, which the client chooses)."""
    base: str = request.app.state.base_url
    return f"{base}/s/{token}"


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def check_new_respondent(request: Request) -> None:
    """Count a new respondent of an anonymous link against the client address's limit."""
    limiter: RateLimiter = request.app.state.respondent_limiter
    if not limiter.allow(client_address(request)):
        raise TooManyRequestsError


def check_rate(request: Request, link: str) -> None:
    """Count a POST against the link's and the client address's per-minute limits."""
    per_link: RateLimiter = request.app.state.link_limiter
    per_address: RateLimiter = request.app.state.address_limiter
    if not per_address.allow(client_address(request)) or not per_link.allow(link):
        raise TooManyRequestsError


def browser_key(request: Request) -> tuple[str, bool]:
    """This browser's CSRF cookie value and whether it is new (to be set)."""
    key = request.cookies.get(CSRF_COOKIE)
    if key and 16 <= len(key) <= 64:
        return key, False
    return new_browser_key(), True


def check_csrf(request: Request, secret: bytes, token: str | None) -> None:
    """Signed double-submit check, plus refusing requests from another origin."""
    origin = request.headers.get("origin")
    if origin and origin != "null":
        host = request.headers.get("host", "")
        if origin.split("://", 1)[-1] != host:
            raise CsrfError
    if not csrf_valid(secret, request.cookies.get(CSRF_COOKIE), token):
        raise CsrfError


def page_language(request: Request, available: tuple[str, ...], invited: str | None) -> str:
    return choose_language(
        available,
        requested=request.query_params.get("lang"),
        invited=invited,
        accept_language=request.headers.get("accept-language"),
    )


def render(
    request: Request,
    name: str,
    lang: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
    languages: tuple[str, ...] = ("en", "zh", "fa"),
) -> Response:
    """A page in ``lang``, with the CSRF cookie set when this browser has none."""
    key, new = browser_key(request)
    response: HTMLResponse = templates.TemplateResponse(
        request,
        name,
        {
            "lang": lang,
            "dir": direction(lang),
            "t": lambda k, **p: text(lang, k, **p),
            "digits": lambda v: digits(v, lang),
            "languages": [(code, LANGUAGE_NAMES.get(code, code)) for code in languages],
            "csrf": csrf_token(get_secret(request), key),
            **context,
        },
        status_code=status_code,
    )
    if new:
        response.set_cookie(
            CSRF_COOKIE,
            key,
            httponly=True,
            samesite="lax",
            secure=get_options(request).cookies_secure,
        )
    response.headers["cache-control"] = "no-store"
    return response
