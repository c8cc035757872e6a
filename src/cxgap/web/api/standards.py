"""``/api/v1/standards``, ``/promises``, ``/delivery`` and ``/gaps``: service standards,
the register of promises, delivery measurements and the five gaps (the JSON of
``cxgap gaps``, ``docs/gaps-json.md``).

Reading standards needs ``standards:read``; proposing or changing one, registering
promises and storing delivery ``standards:write``; approving or retiring one
``standards:approve`` (``docs/permissions.md``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from cxgap.errors import ValidationError
from cxgap.services import standards as service
from cxgap.services.delivery import add_delivery
from cxgap.services.five_gaps import five_gaps
from cxgap.services.promises import add_promises, list_promises
from cxgap.web.api.common import (
    AnalysesRun,
    IsoDate,
    StandardsApprove,
    StandardsRead,
    StandardsWrite,
)
from cxgap.web.deps import get_engine

router = APIRouter(tags=["standards"])

Key = Annotated[str, Path(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")]
Name = Annotated[str, Field(min_length=1, max_length=80)]


class StandardCreate(BaseModel):
    """A new standard (version 1, proposed)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    key: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")
    instrument: Name
    item: Name | None = None
    dimension: Name | None = None
    segment: str | None = Field(default=None, min_length=3, max_length=120)
    metric: str = Field(min_length=1, max_length=200)
    measure_unit: Literal["scale", "hours", "minutes", "days", "percent", "share", "count"]
    higher_is_better: bool = True
    floor: float = Field(allow_inf_nan=False)
    target: float = Field(allow_inf_nan=False)
    owner: str = Field(min_length=1, max_length=200)
    effective_from: IsoDate | None = Field(default=None, description="Default: today.")
    effective_to: IsoDate | None = None
    rationale: str | None = Field(default=None, max_length=4000)


class StandardUpdate(BaseModel):
    """The fields to change; the others are copied from the latest version."""

    model_config = ConfigDict(extra="forbid", strict=True)

    metric: str | None = Field(default=None, min_length=1, max_length=200)
    measure_unit: (
        Literal["scale", "hours", "minutes", "days", "percent", "share", "count"] | None
    ) = None
    higher_is_better: bool | None = None
    floor: float | None = Field(default=None, allow_inf_nan=False)
    target: float | None = Field(default=None, allow_inf_nan=False)
    owner: str | None = Field(default=None, min_length=1, max_length=200)
    effective_from: IsoDate | None = None
    effective_to: IsoDate | None = None
    rationale: str | None = Field(default=None, max_length=4000)


Text = Annotated[str, Field(max_length=4000)]
Short = Annotated[str, Field(max_length=120)]


class PromiseRow(BaseModel):
    """One promise: the columns of a promises file (``docs/five-gaps.md``)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    key: Short
    channel: Short
    text_en: Text | None = None
    text_zh: Text | None = None
    text_fa: Text | None = None
    audience: Short | None = None
    valid_from: Short
    valid_to: Short | None = None
    instrument: Short | None = None
    item: Short | None = None
    dimension: Short | None = None
    standard: Short | None = None
    level: float | None = Field(default=None, allow_inf_nan=False)


class PromisesCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    rows: list[PromiseRow] = Field(min_length=1, max_length=10_000)


class DeliveryRow(BaseModel):
    """One measurement: the columns of a delivery file (``docs/five-gaps.md``)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    standard: Short | None = Field(default=None, description="Default: the body's standard.")
    unit: Short
    period: Short = Field(description="YYYY-MM or YYYYQn")
    value: float = Field(allow_inf_nan=False)
    cases: int | None = Field(default=None, ge=0)
    met: int | None = Field(default=None, ge=0)


class DeliveryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    standard: Short | None = None
    rows: list[DeliveryRow] = Field(min_length=1, max_length=10_000)


class GapsRun(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    survey: Name
    management: Name | None = None
    employees: Name | None = None


@router.get("/standards", response_model=list[dict[str, Any]], summary="Service standards")
def standards_list(
    request: Request,
    user: StandardsRead,
    status: Literal["proposed", "approved", "retired"] | None = None,
    all_versions: bool = False,
) -> list[dict[str, Any]]:
    """The latest version of each standard (or every version)."""
    records = service.list_standards(get_engine(request), status=status, all_versions=all_versions)
    return [r.to_dict() for r in records]


@router.post(
    "/standards", status_code=201, response_model=dict[str, Any], summary="Propose a standard"
)
def standards_create(
    request: Request, user: StandardsWrite, body: StandardCreate
) -> dict[str, Any]:
    """Version 1 of a new standard, status ``proposed`` (409 when the key exists)."""
    fields = body.model_dump(exclude={"key"})
    fields["effective_from"] = body.effective_from or dt.date.today()
    return service.create_standard(get_engine(request), body.key, actor=user, **fields).to_dict()


@router.patch("/standards/{key}", response_model=dict[str, Any], summary="Change a standard")
def standards_edit(
    request: Request, user: StandardsWrite, key: Key, body: StandardUpdate
) -> dict[str, Any]:
    """A new version (``proposed``) with the fields given changed; the versions before
    stay as they are, the approved one in force until the new one is approved."""
    changes = body.model_dump(exclude_none=True)
    if not changes:
        raise ValidationError(
            f"standard {key!r}: nothing to change; allowed: {', '.join(service.EDITABLE)}"
        )
    return service.edit_standard(get_engine(request), key, actor=user, **changes).to_dict()


@router.post(
    "/standards/{key}/approve", response_model=dict[str, Any], summary="Approve a standard"
)
def standards_approve(request: Request, user: StandardsApprove, key: Key) -> dict[str, Any]:
    """Approve the latest proposed version; the version approved before is retired."""
    return service.approve_standard(get_engine(request), key, actor=user).to_dict()


@router.post("/standards/{key}/retire", response_model=dict[str, Any], summary="Retire")
def standards_retire(request: Request, user: StandardsApprove, key: Key) -> dict[str, Any]:
    """Retire the approved version, or reject the latest proposal."""
    return service.retire_standard(get_engine(request), key, actor=user).to_dict()


@router.get("/promises", response_model=list[dict[str, Any]], summary="The promises")
def promises_list(request: Request, user: StandardsRead) -> list[dict[str, Any]]:
    return [p.to_dict() for p in list_promises(get_engine(request))]


@router.post(
    "/promises", status_code=201, response_model=dict[str, int], summary="Register promises"
)
def promises_create(request: Request, user: StandardsWrite, body: PromisesCreate) -> dict[str, int]:
    """Every row or none: a refusal (422) names each problem by row (from 1) and field."""
    rows = [row.model_dump(exclude_none=True) for row in body.rows]
    return {"added": add_promises(get_engine(request), rows, actor=user)}


@router.post("/delivery", status_code=201, response_model=dict[str, int], summary="Store delivery")
def delivery_create(request: Request, user: StandardsWrite, body: DeliveryCreate) -> dict[str, int]:
    """Measurements per standard, unit and period (a repeat replaces the stored one);
    every row or none, problems named by row (from 1) and field (422)."""
    rows = [row.model_dump() for row in body.rows]
    stored = add_delivery(get_engine(request), rows, actor=user, standard=body.standard)
    return {"stored": stored}


@router.post("/gaps", response_model=dict[str, Any], summary="The five gaps (cxgap.gaps/1)")
def gaps_run(request: Request, user: AnalysesRun, body: GapsRun) -> dict[str, Any]:
    """The JSON of ``cxgap gaps`` (``docs/gaps-json.md``)."""
    result = five_gaps(
        get_engine(request), body.survey, management=body.management, employees=body.employees
    )
    return result.to_dict()
