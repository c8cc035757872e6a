"""Editing a standard on the "Five gaps" page: a form that stores a new (proposed)
version, never an overwrite; the refusal of the service (the same sentence as the CLI's)
is shown above the form with what was typed."""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from cxgap.errors import ConflictError, NotFoundError, ValidationError
from cxgap.services.accounts import User
from cxgap.services.standards import StandardRecord, edit_standard, list_standards
from cxgap.web.auth import requires
from cxgap.web.dashboard.common import message_page, show_page
from cxgap.web.deps import CSRF_FIELD, CsrfError, check_csrf, get_engine, get_secret

router = APIRouter(prefix="/dashboard", include_in_schema=False)

EditUser = Annotated[User, Depends(requires("standards:write"))]
FIELDS = ("floor", "target", "owner", "rationale", "effective_from", "effective_to")
"""The form's fields, named as in ``cxgap standards edit`` and the API."""


def _current(request: Request, key: str) -> StandardRecord | None:
    """The version the form starts from: the latest one still in force or proposed."""
    return next(
        (r for r in list_standards(get_engine(request)) if r.key == key and r.status != "retired"),
        None,
    )


def _values(record: StandardRecord) -> dict[str, str]:
    return {
        "floor": f"{record.floor:g}",
        "target": f"{record.target:g}",
        "owner": record.owner,
        "rationale": record.rationale or "",
        "effective_from": record.effective_from.isoformat(),
        "effective_to": record.effective_to.isoformat() if record.effective_to else "",
    }


def _changes(key: str, typed: dict[str, str]) -> dict[str, Any]:
    """The typed texts as the service's values; a blank field keeps the current value."""
    where = f"standard {key!r}"
    changes: dict[str, Any] = {}
    for name in ("floor", "target"):
        text = typed[name].strip()
        if not text:
            continue
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise ValidationError(f"{where}: field {name!r} is {text!r}; allowed: a finite number")
        changes[name] = number
    for name in ("effective_from", "effective_to"):
        text = typed[name].strip()
        if not text:
            continue
        try:
            changes[name] = dt.date.fromisoformat(text)
        except ValueError:
            raise ValidationError(
                f"{where}: field {name!r} is {text!r}; allowed: a date YYYY-MM-DD"
            ) from None
    for name in ("owner", "rationale"):
        if typed[name].strip():
            changes[name] = typed[name].strip()
    return changes


def _form(
    request: Request,
    user: User,
    record: StandardRecord,
    values: dict[str, str],
    *,
    problem: str | None = None,
    status_code: int = 200,
) -> Response:
    context = {"s": record, "values": values, "problem": problem, "fields": FIELDS}
    return show_page(
        request, "standard_edit", user, context, status_code=status_code, active="five_gaps"
    )


@router.get("/five-gaps/standards/{key}/edit")
def edit_form(request: Request, key: str, user: EditUser) -> Response:
    """The form, filled in with the current version."""
    record = _current(request, key)
    if record is None:
        return message_page(request, user, "not_found", 404)
    return _form(request, user, record, _values(record))


@router.post("/five-gaps/standards/{key}/edit")
async def edit_save(request: Request, key: str, user: EditUser) -> Response:
    """Store the changes as a new proposed version (analyst, manager, admin)."""
    form = await request.form(max_fields=len(FIELDS) + 2, max_files=0)
    token = form.get(CSRF_FIELD)
    try:
        check_csrf(request, get_secret(request), token if isinstance(token, str) else None)
    except CsrfError:
        return message_page(request, user, "fg_expired", 400)
    record = _current(request, key)
    if record is None:
        return message_page(request, user, "not_found", 404)
    typed = {name: str(form.get(name) or "")[:4000] for name in FIELDS}
    try:
        changes = _changes(key, typed)
        await run_in_threadpool(edit_standard, get_engine(request), key, actor=user, **changes)
    except ValidationError as error:
        return _form(request, user, record, typed, problem=str(error), status_code=422)
    except (ConflictError, NotFoundError):
        return message_page(request, user, "fg_refused", 409)
    return RedirectResponse("/dashboard/five-gaps", 303)
