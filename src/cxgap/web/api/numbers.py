"""Numbers in JSON bodies are stored exactly as sent, or refused.

Python's JSON reader turns ``1e-400`` into ``0.0``, ``1e400`` into ``inf``, a 20-digit
decimal into the nearest double and accepts ``NaN`` and ``Infinity``, which are not
JSON; a value kept in free-form data (customer attributes, instrument definitions) would
be stored changed without a word. Every number of a request body is therefore read from
its own text: an integer must lie within +/- (2^53 - 1) (what every JSON reader holds
exactly), a decimal must be finite and equal to the double it is stored as; anything else
answers 422 naming the field.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError

from cxgap.services.customers import MAX_EXACT_INTEGER
from cxgap.web.auth import request_user

MAX_NUMBER_CHARS = 40
"""Longest number literal read at all (a double needs at most 24 characters)."""

INTEGER_ALLOWED = (
    f"a whole number between -{MAX_EXACT_INTEGER} and {MAX_EXACT_INTEGER}; send longer "
    "numbers as text"
)
DECIMAL_ALLOWED = (
    "a finite number that a double holds exactly as written (at most 17 significant "
    "digits, magnitude between about 1e-307 and 1e308); send other numbers as text"
)
CONSTANT_ALLOWED = "a finite number or null (NaN and Infinity are not JSON)"


class _Refused:
    """Stands in for a number that cannot be stored as sent."""

    def __init__(self, text: str, allowed: str) -> None:
        self.text = text
        self.allowed = allowed


def _shown(text: str) -> str:
    return text if len(text) <= 24 else f"{text[:12]}...{text[-6:]} ({len(text)} characters)"


def _integer(text: str) -> int | _Refused:
    if len(text) > MAX_NUMBER_CHARS or abs(int(text)) > MAX_EXACT_INTEGER:
        return _Refused(text, INTEGER_ALLOWED)
    return int(text)


def _decimal(text: str) -> float | _Refused:
    if len(text) > MAX_NUMBER_CHARS:
        return _Refused(text, DECIMAL_ALLOWED)
    value = float(text)
    try:
        exact = math.isfinite(value) and Decimal(text) == Decimal(repr(value))
    except InvalidOperation:
        exact = False
    return value if exact else _Refused(text, DECIMAL_ALLOWED)


def _constant(text: str) -> _Refused:
    return _Refused(text, CONSTANT_ALLOWED)


def _first_refused(
    value: Any, path: tuple[str | int, ...]
) -> tuple[tuple[str | int, ...], _Refused] | None:
    if isinstance(value, _Refused):
        return path, value
    items: Any = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, item in items:
        found = _first_refused(item, (*path, key))
        if found is not None:
            return found
    return None


def refused_number(body: bytes) -> tuple[tuple[str | int, ...], str] | None:
    """Where the first number of a JSON ``body`` that cannot be stored as sent is, and
    why; ``None`` when every number is fine or the body is not JSON at all."""
    try:
        data = json.loads(body, parse_int=_integer, parse_float=_decimal, parse_constant=_constant)
    except ValueError:  # not JSON: the body's own validation says so
        return None
    found = _first_refused(data, ())
    if found is None:
        return None
    path, refused = found
    return path, f"{_shown(refused.text)} cannot be stored as sent; allowed: {refused.allowed}"


async def exact_numbers(request: Request) -> None:
    """Refuse a JSON body holding a number that would be stored changed (422, with its field)."""
    if request.method in ("GET", "HEAD", "OPTIONS", "DELETE"):
        return
    if request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        return  # a file upload (read as a form before this runs), not a JSON body
    body = await request.body()
    problem = refused_number(body) if body else None
    if problem is not None:
        request_user(request)  # a caller without a valid credential learns nothing more
        path, message = problem
        raise RequestValidationError(
            [{"loc": ("body", *path), "msg": message, "type": "number_not_exact"}]
        )
