"""What the API routers share: pagination, the rate limit, the acting user."""

from __future__ import annotations

import datetime as dt
import hashlib
import inspect
import re
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query, Request
from fastapi import Path as FastApiPath
from fastapi.exceptions import RequestValidationError
from fastapi.security import APIKeyHeader, HTTPBearer
from pydantic import AfterValidator, BaseModel, BeforeValidator, Field

from cxgap import segments
from cxgap.errors import PermissionDeniedError, ValidationError
from cxgap.services.accounts import User
from cxgap.settings import WebSettings
from cxgap.times import as_utc
from cxgap.web.auth import SESSION_COOKIE, requires
from cxgap.web.deps import TooManyRequestsError
from cxgap.web.limits import RateLimiter

API_REQUESTS_PER_MINUTE = WebSettings.model_fields["api_requests_per_minute"].default
"""Per API key, or per client address for requests without one (each process counts), by
default (the ``api_requests_per_minute`` setting)."""
MAX_PAGE = 500

T = TypeVar("T")

# Declared for the OpenAPI description only; :func:`cxgap.web.auth.request_user` checks.
bearer = HTTPBearer(auto_error=False, description="API key: `Authorization: Bearer cxg_...`")
api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)


def api_limiter(request: Request) -> RateLimiter:
    state = request.app.state
    if not hasattr(state, "api_limiter"):
        state.api_limiter = RateLimiter(state.options.api_requests_per_minute)
    limiter: RateLimiter = state.api_limiter
    return limiter


def rate_limit(request: Request) -> None:
    """Count the request against its key's (or address's) per-minute allowance."""
    header = request.headers.get("authorization") or request.headers.get("x-api-key")
    if header:  # hashed: the limiter's keys must not hold credentials
        who = "key:" + hashlib.sha256(header.encode()).hexdigest()[:24]
    else:
        who = "address:" + (request.client.host if request.client else "unknown")
    if not api_limiter(request).allow(who):
        raise TooManyRequestsError


def no_nul(request: Request) -> None:
    """Refuse NUL characters in query and path: SQLite cuts strings at them (a filter
    "%" followed by NUL would match everything) and PostgreSQL rejects them."""
    for name, value in request.query_params.multi_items():
        if "\x00" in value or "\x00" in name:
            raise RequestValidationError(
                [{"loc": ("query", name), "msg": "NUL characters are not allowed", "type": "nul"}]
            )
    if "\x00" in request.url.path:
        raise RequestValidationError(
            [{"loc": ("path",), "msg": "NUL characters are not allowed", "type": "nul"}]
        )


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def same_site(request: Request) -> None:
    """Refuse a cross-site change made with a browser's session cookie.

    API keys are sent deliberately by scripts, so they need no such check; a session
    cookie travels with any request the browser makes, so a change it authorises must
    come from this site's own pages.
    """
    if request.method in SAFE_METHODS or _has_key(request):
        return
    if SESSION_COOKIE not in request.cookies:
        return
    origin = request.headers.get("origin")
    foreign = origin is not None and origin.split("://", 1)[-1] != request.headers.get("host")
    if foreign or request.headers.get("sec-fetch-site") == "cross-site":
        raise PermissionDeniedError("a change from another site is refused; use an API key")


def _has_key(request: Request) -> bool:
    return bool(request.headers.get("authorization") or request.headers.get("x-api-key"))


WHOLE_NUMBER = re.compile(r"[0-9]{1,19}")


def _whole_number(value: Any) -> Any:
    """Query and path numbers: the digits 0-9 only (no sign, spaces, ``_``, ``1.0``, ``1e1``
    or other scripts' digits, all of which Python's ``int()`` would quietly accept)."""
    if isinstance(value, str) and not WHOLE_NUMBER.fullmatch(value):
        raise ValueError(
            f"a whole number written with the digits 0-9 only, such as 42; got {value!r}"
        )
    return value


WholeNumber = BeforeValidator(_whole_number)


class PageParams(BaseModel):
    limit: int
    offset: int


def page_params(
    limit: Annotated[
        int, WholeNumber, Query(ge=1, le=MAX_PAGE, description="Items per page.")
    ] = 50,
    offset: Annotated[int, WholeNumber, Query(ge=0, le=10**9, description="Items to skip.")] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


Paging = Annotated[PageParams, Depends(page_params)]


class Page(BaseModel, Generic[T]):
    """One page of a list: ``items``, and ``total`` matching the filters."""

    items: list[T]
    total: int = Field(ge=0)
    limit: int
    offset: int


# The signed-in user holding a permission (401/403 otherwise), one alias per permission.
DashboardView = Annotated[User, Depends(requires("dashboard:view"))]
SurveysRead = Annotated[User, Depends(requires("surveys:read"))]
ReportsRead = Annotated[User, Depends(requires("reports:read"))]
AnalysesRun = Annotated[User, Depends(requires("analyses:run"))]
ResponsesRead = Annotated[User, Depends(requires("responses:read"))]
ResponsesExport = Annotated[User, Depends(requires("responses:export"))]
SurveysWrite = Annotated[User, Depends(requires("surveys:write"))]
InstrumentsWrite = Annotated[User, Depends(requires("instruments:write"))]
InvitationsWrite = Annotated[User, Depends(requires("invitations:write"))]
CustomersRead = Annotated[User, Depends(requires("customers:read"))]
CustomersWrite = Annotated[User, Depends(requires("customers:write"))]
FeedbackRead = Annotated[User, Depends(requires("feedback:read"))]
FeedbackWrite = Annotated[User, Depends(requires("feedback:write"))]
CasesRead = Annotated[User, Depends(requires("cases:read"))]
CasesWrite = Annotated[User, Depends(requires("cases:write"))]
PrivacyManage = Annotated[User, Depends(requires("privacy:manage"))]
UsersManage = Annotated[User, Depends(requires("users:manage"))]
AuditRead = Annotated[User, Depends(requires("audit:read"))]
StandardsRead = Annotated[User, Depends(requires("standards:read"))]
StandardsWrite = Annotated[User, Depends(requires("standards:write"))]
StandardsApprove = Annotated[User, Depends(requires("standards:approve"))]
KpisRead = Annotated[User, Depends(requires("kpis:read"))]
ActionsRead = Annotated[User, Depends(requires("actions:read"))]
ActionsWrite = Annotated[User, Depends(requires("actions:write"))]


Timestamp = Annotated[dt.datetime, AfterValidator(as_utc)]
"""A stored time, always with its offset (SQLite gives UTC times back without one)."""

MAX_ID = 2**31 - 1
"""Largest row id (a 32-bit integer column on PostgreSQL)."""
RowId = Annotated[int, WholeNumber, FastApiPath(ge=1, le=MAX_ID)]
UserIdFilter = Annotated[int | None, WholeNumber, Query(ge=1, le=MAX_ID)]

ISO_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
ISO_DATETIME = re.compile(
    ISO_DATE
    + r"(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?",
    re.IGNORECASE,
)
DATETIME_ALLOWED = (
    "an ISO 8601 date or date and time, such as 2026-01-31 or 2026-01-31T09:30:00+01:00 "
    "(without an offset: UTC; Unix timestamps are not accepted)"
)
DATE_ALLOWED = "an ISO 8601 date, such as 2026-01-31"


def _iso_datetime(value: Any) -> Any:
    """A time from text in ISO 8601 only: pydantic would read ``0.5`` or ``1700000000``
    (a number or a numeric string) as a Unix timestamp."""
    if isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str) or not ISO_DATETIME.fullmatch(value):
        raise ValueError(f"{DATETIME_ALLOWED}; got {value!r}")
    try:
        return dt.datetime.fromisoformat(value.upper())
    except ValueError as exc:
        raise ValueError(f"{DATETIME_ALLOWED}; got {value!r} ({exc})") from None


def _iso_date(value: Any) -> Any:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str) or not re.fullmatch(ISO_DATE, value):
        raise ValueError(f"{DATE_ALLOWED}; got {value!r}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{DATE_ALLOWED}; got {value!r} ({exc})") from None


IsoDateTime = Annotated[dt.datetime, BeforeValidator(_iso_datetime)]
"""A time given by a client: ISO 8601 text only (see :data:`DATETIME_ALLOWED`)."""
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
"""A calendar date given by a client: ``YYYY-MM-DD`` only."""


MAX_SEGMENT_FILTER = 80
"""Longest segment value a filter compares with."""
SegmentName = Annotated[str, Field(min_length=1, max_length=73, pattern=segments.SEGMENT_PATTERN)]
"""A segment asked for: a built-in attribute, ``attribute:NAME`` or a bare ``NAME``."""


def _own_filters(given: list[str]) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for one in given:
        name, equals, value = one.partition("=")
        if not equals or not segments.CUSTOM_NAME.match(name):
            raise ValidationError(
                f"query parameter attribute={one!r}: expected NAME=VALUE, NAME one of your "
                "own customer attributes (a letter or '_' first, then letters, digits, '_', "
                "'.' or '-')",
                field="attribute",
            )
        found[segments.custom_segment(name)] = value
    return found


def _segment_filters(**values: Any) -> dict[str, str | None]:
    own = values.pop("attribute", None) or []
    return {**values, **_own_filters(own)}


_segment_filters.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
    [
        inspect.Parameter(
            name,
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[str | None, Query(max_length=MAX_SEGMENT_FILTER)],
        )
        for name in segments.FILTERABLE
    ]
    + [
        inspect.Parameter(
            "attribute",
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[
                list[str] | None,
                Query(
                    max_length=10,
                    description="One of your own customer attributes equal to a value: "
                    "NAME=VALUE (repeatable).",
                ),
            ],
        )
    ],
    return_annotation=dict[str, str | None],
)

SegmentFilters = Annotated[dict[str, str | None], Depends(_segment_filters)]
"""Segment filters of a query: one parameter per built-in attribute of one value
(:data:`cxgap.segments.FILTERABLE`) and ``attribute=NAME=VALUE`` for the organisation's
own ones; absent ones are ``None``."""
