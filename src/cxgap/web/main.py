"""Builds the FastAPI application; ``cxgap serve`` runs it under uvicorn."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from cxgap.errors import (
    AuthenticationError,
    ConflictError,
    CxgapError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from cxgap.services.collection import (
    DraftTooLargeError,
    LinkCompletedError,
    LinkExpiredError,
    signing_secret,
)
from cxgap.settings import get_settings
from cxgap.web import api, dashboard
from cxgap.web.deps import CsrfError, TooManyRequestsError, page_language, render
from cxgap.web.limits import (
    BodySizeLimit,
    RateLimiter,
    Receive,
    Scope,
    SecurityHeaders,
    Send,
    WebOptions,
)
from cxgap.web.routers import baseline, health, survey_pages

STATIC = Path(__file__).parent / "static"
LANGUAGES = ("en", "zh", "fa")
DEFAULT_BASE_URL = "http://127.0.0.1:8000"

# (message page, HTTP status) for each error, most specific first.
ERROR_PAGES: list[tuple[type[Exception], str, int]] = [
    (LinkExpiredError, "expired", 410),
    (LinkCompletedError, "completed", 409),
    (NotFoundError, "invalid", 404),
    (ConflictError, "completed", 409),
    (DraftTooLargeError, "too_large", 413),
    (ValidationError, "error", 422),
    (CsrfError, "csrf", 403),
    (TooManyRequestsError, "rate", 429),
    (survey_pages.TooManyAnswersError, "too_large", 413),
]


def _message(request: Request, exc: Exception) -> Response:
    if api.is_api(request):
        return api.api_error(exc)
    key, status = next(
        ((k, s) for kind, k, s in ERROR_PAGES if isinstance(exc, kind)), ("error", 500)
    )
    if not request.url.path.startswith("/s/"):
        detail = exc.message if isinstance(exc, CxgapError) else key
        return JSONResponse({"detail": detail}, status_code=status)
    lang = page_language(request, LANGUAGES, None)
    response = render(request, "message.html", lang, {"key": key}, status_code=status)
    if status == 429:
        response.headers["retry-after"] = "60"
    return response


def _page_access(request: Request, exc: Exception) -> Response:
    """Pages: no session leads to the sign-in form, a role without the permission to a
    403 page in the user's language. Other paths answer as every other error."""
    path = request.url.path
    if path.startswith("/api/") or path.startswith("/s/"):
        return _message(request, exc)
    if isinstance(exc, PermissionDeniedError):
        return dashboard.forbidden_page(request)
    target = path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?{urlencode({'next': target})}", 303)


def _root() -> Response:
    """The site's address leads to the dashboard (which asks for a sign-in first)."""
    return RedirectResponse("/dashboard", 303)


def _icon() -> Response:
    """The site's icon, for browsers that ask for ``/favicon.ico``."""
    return FileResponse(
        STATIC / "favicon.svg",
        media_type="image/svg+xml",
        headers={"cache-control": "public, max-age=86400"},
    )


def create_app(
    engine: Engine, *, options: WebOptions | None = None, base_url: str | None = None
) -> FastAPI:
    """The web application on ``engine`` (its schema must be up to date).

    Survey links are built on ``base_url``: by default the ``base_url`` setting, or
    ``DEFAULT_BASE_URL`` when that is unset.
    """
    options = options or get_settings().web
    app = FastAPI(title="cxgap", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.engine = engine
    app.state.options = options
    app.state.secret = signing_secret(engine.url.render_as_string(hide_password=False))
    app.state.link_limiter = RateLimiter(options.link_posts_per_minute)
    app.state.address_limiter = RateLimiter(options.address_posts_per_minute)
    app.state.respondent_limiter = RateLimiter(options.address_respondents_per_minute)
    app.state.base_url = (base_url or options.base_url or DEFAULT_BASE_URL).rstrip("/")
    for kind in (CxgapError, CsrfError, TooManyRequestsError, survey_pages.TooManyAnswersError):
        app.add_exception_handler(kind, _message)
    app.add_exception_handler(AuthenticationError, _page_access)
    app.add_exception_handler(PermissionDeniedError, _page_access)
    app.include_router(survey_pages.router)
    app.include_router(dashboard.router)
    app.include_router(health.router)
    api.install(app)
    if options.baseline:
        app.include_router(baseline.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_api_route("/", _root, methods=["GET", "HEAD"], include_in_schema=False)
    app.add_api_route("/favicon.ico", _icon, methods=["GET", "HEAD"], include_in_schema=False)

    async def too_large(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        if api.is_api(request):
            refusal = api.error_response(413, "too_large", "request body too large")
            await refusal(scope, receive, send)
            return
        lang = page_language(request, LANGUAGES, None)
        response = render(request, "message.html", lang, {"key": "too_large"}, status_code=413)
        await response(scope, receive, send)

    app.add_middleware(BodySizeLimit, max_bytes=options.max_body_bytes, on_too_large=too_large)
    app.add_middleware(SecurityHeaders)
    return app
