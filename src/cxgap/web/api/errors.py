"""One error body for the API: ``{"error": {"code", "message", "field"?}}``.

``field`` names the refused input: the parameter of a request the framework refused, or
the ``field`` of a :class:`cxgap.errors.CxgapError` a service raised.

:func:`is_api` tells API requests (JSON errors) from page requests (HTML pages and
redirects); :func:`api_error` turns any exception into the API's error response.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from cxgap.errors import (
    AuthenticationError,
    ConflictError,
    CxgapError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from cxgap.text import counted
from cxgap.web.deps import TooManyRequestsError

API_PREFIX = "/api/"

# (error, HTTP status, code), most specific first.
API_ERRORS: list[tuple[type[Exception], int, str]] = [
    (AuthenticationError, 401, "unauthenticated"),
    (PermissionDeniedError, 403, "forbidden"),
    (NotFoundError, 404, "not_found"),
    (ConflictError, 409, "conflict"),
    (ValidationError, 422, "invalid"),
    (TooManyRequestsError, 429, "rate_limited"),
]
HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
}


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None = None


class ErrorBody(BaseModel):
    """What every failed API request answers."""

    error: ErrorDetail


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": code}
    for status, code in {
        400: "the body cannot be read (not JSON or not UTF-8)",
        401: "no, wrong or revoked credentials",
        403: "the role lacks the permission",
        404: "not found",
        409: "conflicts with what is stored",
        413: "request body too large",
        422: "invalid request",
        429: "too many requests",
    }.items()
}
"""Documented in the OpenAPI description of every API operation."""


def is_api(request: Request) -> bool:
    """Whether the request is for the JSON API (errors as JSON, never redirects)."""
    return request.url.path.startswith(API_PREFIX)


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    field: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        body["field"] = field
    response = JSONResponse({"error": body}, status_code=status, headers=headers)
    if status == 401:
        response.headers["www-authenticate"] = 'Bearer realm="cxgap"'
    elif status == 429:
        response.headers["retry-after"] = "60"
    response.headers["cache-control"] = "no-store"
    return response


def _field(location: tuple[Any, ...] | list[Any]) -> str | None:
    parts = [str(p) for p in location if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or None


def api_error(exc: Exception) -> JSONResponse:
    """The API response for ``exc`` (unexpected errors give 500 without details)."""
    if isinstance(exc, RequestValidationError):
        errors = list(exc.errors())
        first = errors[0] if errors else {}
        loc = first.get("loc", ())
        more = f" (and {counted(len(errors) - 1, 'more problem')})" if len(errors) > 1 else ""
        problem = str(first.get("msg", "invalid")).removeprefix("Value error, ")
        message = f"{_field(loc) or 'request'}: {problem}{more}"
        return error_response(422, "invalid", message, field=_field(loc))
    if isinstance(exc, HTTPException):
        code = HTTP_CODES.get(exc.status_code, "error")
        return error_response(exc.status_code, code, str(exc.detail), headers=exc.headers)
    for kind, status, code in API_ERRORS:
        if isinstance(exc, kind):
            if isinstance(exc, CxgapError):
                return error_response(status, code, exc.message, field=exc.field)
            return error_response(status, code, "too many requests")
    if isinstance(exc, CxgapError):
        return error_response(400, "bad_request", exc.message, field=exc.field)
    return error_response(500, "server_error", "internal error; it has been logged")
