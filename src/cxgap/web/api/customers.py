"""``/api/v1/customers``: records with segment attributes; access and erasure requests."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from cxgap.segments import CUSTOM_NAME, NAMES
from cxgap.services import customers as customer_service
from cxgap.services import privacy
from cxgap.web.api.common import (
    CustomersRead,
    CustomersWrite,
    Page,
    Paging,
    PrivacyManage,
    SegmentFilters,
    Timestamp,
)
from cxgap.web.deps import get_engine

router = APIRouter(tags=["customers"])

CustomerId = Annotated[str, Path(min_length=1, max_length=120)]
Band = Annotated[str, Field(min_length=1, max_length=40)]
AttributeName = Annotated[str, Field(pattern=CUSTOM_NAME.pattern)]
AttributeValue = Annotated[str, Field(max_length=500)] | int | float | bool | None
SEGMENTS = NAMES


class CustomerFields(BaseModel):
    """Segment fields (their own columns) and custom attributes (merged when updated)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    gender: Band | None = None
    age_band: Band | None = None
    income_band: Band | None = None
    interests: list[Annotated[str, Field(min_length=1, max_length=80)]] | None = Field(
        default=None, max_length=50
    )
    region: Annotated[str, Field(min_length=1, max_length=80)] | None = None
    channel: Band | None = None
    attributes: dict[AttributeName, AttributeValue] | None = Field(default=None, max_length=50)

    def segments(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in SEGMENTS if getattr(self, f) is not None}


class CustomerCreate(CustomerFields):
    id: str = Field(min_length=1, max_length=120, pattern=r"^[^/\x00-\x1f\x7f]+$")


class CustomerUpdate(CustomerFields):
    pass


class CustomerPublic(BaseModel):
    id: str
    gender: str | None
    age_band: str | None
    income_band: str | None
    interests: list[str] | None
    region: str | None
    channel: str | None
    attributes: dict[str, Any]
    created_at: Timestamp | None
    updated_at: Timestamp | None


class CustomerBulk(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    customers: list[CustomerCreate] = Field(min_length=1, max_length=customer_service.MAX_BULK)


class BulkResult(BaseModel):
    created: int
    updated: int


class ErasureResult(BaseModel):
    """What an erasure removed; numeric answers stay, unlinked (see docs/permissions.md)."""

    responses_anonymised: int
    text_answers_deleted: int
    encounters_deleted: int
    feedback_deleted: int


def _public(info: customer_service.CustomerInfo) -> CustomerPublic:
    return CustomerPublic.model_validate(info, from_attributes=True)


@router.get("/customers", response_model=Page[CustomerPublic], summary="Customers")
def list_customers(
    request: Request,
    user: CustomersRead,
    paging: Paging,
    filters: SegmentFilters,
    q: Annotated[str | None, Query(max_length=120, description="Part of the id.")] = None,
) -> Page[CustomerPublic]:
    found, total = customer_service.list_customers(
        get_engine(request),
        filters=filters,
        id_contains=q,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(items=[_public(c) for c in found], total=total, **paging.model_dump())


@router.post("/customers", status_code=201, response_model=CustomerPublic)
def create_customer(request: Request, user: CustomersWrite, body: CustomerCreate) -> CustomerPublic:
    """A new customer (409 when the id exists: update it instead)."""
    info = customer_service.create_customer(
        get_engine(request), body.id, body.segments(), body.attributes, actor=user
    )
    return _public(info)


@router.post("/customers/bulk", response_model=BulkResult, summary="Create or update many")
def upsert_customers(request: Request, user: CustomersWrite, body: CustomerBulk) -> BulkResult:
    records = {c.id: (c.segments(), c.attributes) for c in body.customers}
    counts = customer_service.upsert_many(get_engine(request), records, actor=user)
    return BulkResult(**counts)


@router.get("/customers/{customer_id}", response_model=CustomerPublic)
def get_customer(request: Request, user: CustomersRead, customer_id: CustomerId) -> CustomerPublic:
    return _public(customer_service.get_customer(get_engine(request), customer_id))


@router.patch("/customers/{customer_id}", response_model=CustomerPublic)
def update_customer(
    request: Request, user: CustomersWrite, customer_id: CustomerId, body: CustomerUpdate
) -> CustomerPublic:
    """Change the fields given; attributes are merged with the stored ones."""
    info = customer_service.update_customer(
        get_engine(request), customer_id, body.segments(), body.attributes, actor=user
    )
    return _public(info)


@router.get(
    "/customers/{customer_id}/export",
    response_model=dict[str, Any],
    summary="Everything stored about a customer (right of access)",
)
def export_customer(
    request: Request, user: PrivacyManage, customer_id: CustomerId
) -> dict[str, Any]:
    return customer_service.export_customer_data(get_engine(request), customer_id, actor=user)


@router.delete(
    "/customers/{customer_id}",
    response_model=ErasureResult,
    summary="Erase a customer (right of erasure)",
)
def erase_customer(request: Request, user: PrivacyManage, customer_id: CustomerId) -> ErasureResult:
    """Deletes the person's records and keeps their numeric answers, unlinked."""
    return ErasureResult(**privacy.erase_customer(get_engine(request), customer_id, actor=user))
