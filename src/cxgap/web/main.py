"""Builds the FastAPI application; ``cxgap serve`` runs it under uvicorn."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from cxgap.errors import ConflictError, CxgapError, NotFoundError, ValidationError
from cxgap.services.collection import LinkCompletedError, LinkExpiredError, signing_secret
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

# (message page, HTTP status) for each error, most specific first.
ERROR_PAGES: list[tuple[type[Exception], str, int]] = [
    (LinkExpiredError, "expired", 410),
    (LinkCompletedError, "completed", 409),
    (NotFoundError, "invalid", 404),
    (ConflictError, "completed", 409),
    (ValidationError, "error", 422),
    (CsrfError, "csrf", 403),
    (TooManyRequestsError, "rate", 429),
    (survey_pages.TooManyAnswersError, "too_large", 413),
]


def _message(request: Request, exc: Exception) -> Response:
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


def create_app(engine: Engine, *, options: WebOptions | None = None) -> FastAPI:
    """The web application on ``engine`` (its schema must be up to date)."""
    options = options or WebOptions()
    app = FastAPI(title="cxgap", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.engine = engine
    app.state.options = options
    app.state.secret = signing_secret(engine.url.render_as_string(hide_password=False))
    app.state.link_limiter = RateLimiter(options.link_posts_per_minute)
    app.state.address_limiter = RateLimiter(options.address_posts_per_minute)
    for kind in (CxgapError, CsrfError, TooManyRequestsError, survey_pages.TooManyAnswersError):
        app.add_exception_handler(kind, _message)
    app.include_router(survey_pages.router)
    app.include_router(health.router)
    if options.baseline:
        app.include_router(baseline.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    async def too_large(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        lang = page_language(request, LANGUAGES, None)
        response = render(request, "message.html", lang, {"key": "too_large"}, status_code=413)
        await response(scope, receive, send)

    app.add_middleware(BodySizeLimit, max_bytes=options.max_body_bytes, on_too_large=too_large)
    app.add_middleware(SecurityHeaders)
    return app
