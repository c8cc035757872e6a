"""The REST API under ``/api/v1``: one router per resource, described at
``/api/v1/openapi.json``.

Every operation needs a credential (an API key, or a signed-in session) and the permission
of ``docs/permissions.md``; every change is written to the audit log; failures answer
``{"error": {"code", "message", "field"?}}``; requests are rate-limited per key or address.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request, Security
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException
from starlette.routing import compile_path

from cxgap.web.api import (
    accounts,
    analyses,
    cases,
    customers,
    feedback,
    instruments,
    kpis,
    lifecycle,
    recognition,
    responses,
    standards,
    surveys,
)
from cxgap.web.api.common import api_key_header, bearer, no_nul, rate_limit, same_site
from cxgap.web.api.errors import ERROR_RESPONSES, api_error, error_response, is_api
from cxgap.web.api.numbers import exact_numbers

PREFIX = "/api/v1"
OPENAPI_URL = f"{PREFIX}/openapi.json"

router = APIRouter(
    prefix=PREFIX,
    dependencies=[
        Depends(rate_limit),
        Depends(same_site),
        Depends(no_nul),
        Depends(exact_numbers),
        Security(bearer),
        Security(api_key_header),
    ],
    responses=ERROR_RESPONSES,
)
for module in (
    instruments,
    surveys,
    responses,
    customers,
    feedback,
    recognition,  # before cases: /cases/award is not a case number
    cases,
    analyses,
    standards,
    kpis,
    lifecycle,
    accounts,
):
    router.include_router(module.router)


def api_openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI description of the API routes only (pages are not part of it)."""
    if app.openapi_schema is None:
        routes = [
            r for r in iter_route_contexts(app.routes) if (r.path or "").startswith(PREFIX + "/")
        ]
        app.openapi_schema = get_openapi(
            title="cxgap API",
            version="1",
            description=(
                "Customer expectation management: surveys, responses, customers, feedback, "
                "analyses. Send an API key as `Authorization: Bearer cxg_...`; the permission "
                "each operation needs is in docs/permissions.md."
            ),
            routes=routes,
        )
    return app.openapi_schema


async def _validation_error(request: Request, exc: Exception) -> Response:
    if is_api(request):
        return api_error(exc)
    assert isinstance(exc, RequestValidationError)  # registered for this type only
    return await request_validation_exception_handler(request, exc)


def allowed_methods(app: Any, path: str) -> list[str]:
    """Every method some route of ``app`` answers at ``path`` (routes of one path may be
    split by method, so the route that refused the request knows only its own)."""
    methods: set[str] = set()
    for route in iter_route_contexts(app.routes):
        if route.methods and route.path and compile_path(route.path)[0].match(path):
            methods.update(route.methods)
    return sorted(methods)


def _with_allow(request: Request, exc: HTTPException) -> HTTPException:
    """A 405 answer names the methods that are allowed (RFC 9110, section 15.5.6)."""
    if exc.status_code != 405:
        return exc
    methods = allowed_methods(request.app, request.url.path)
    if not methods:  # a mounted application (static files) says so itself
        return exc
    return HTTPException(
        405, exc.detail, headers={**(exc.headers or {}), "Allow": ", ".join(methods)}
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)  # registered for this type only
    exc = _with_allow(request, exc)
    if is_api(request):
        return api_error(exc)
    return await http_exception_handler(request, exc)


async def _server_error(request: Request, exc: Exception) -> Response:
    if is_api(request):
        return api_error(exc)
    return JSONResponse({"detail": "internal error"}, status_code=500)


def install(app: FastAPI) -> None:
    """Mount the API on ``app``: routes, its OpenAPI description, JSON error bodies."""
    app.include_router(router)
    app.openapi = lambda: api_openapi(app)  # type: ignore[method-assign]

    async def openapi_json(request: Request) -> Response:
        return JSONResponse(app.openapi())

    app.add_route(OPENAPI_URL, openapi_json, include_in_schema=False)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _server_error)


__all__ = [
    "OPENAPI_URL",
    "api_error",
    "api_openapi",
    "error_response",
    "install",
    "is_api",
    "router",
]
