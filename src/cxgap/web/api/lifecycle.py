"""``/api/v1/lifecycle``: import customer relationships and complaints from an uploaded
CSV or XLSX file (all rows or none, like ``cxgap lifecycle import``) and list them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, UploadFile
from pydantic import BaseModel

from cxgap.services import lifecycle
from cxgap.services.lifecycle import ComplaintInfo, RelationshipInfo
from cxgap.web.api.common import CustomersRead, Page, Paging, SurveysWrite
from cxgap.web.deps import get_engine

router = APIRouter(tags=["lifecycle"])

Upload = Annotated[
    UploadFile,
    File(description="A CSV or XLSX file with a header row; the columns are in docs/kpi.md."),
]
Text = Annotated[str | None, Query(min_length=1, max_length=120)]


class LifecycleImported(BaseModel):
    """What an import stored: rows and the customers it created (named by their id)."""

    kind: str
    rows: int
    customers_created: int


FILE_REFUSED: dict[int | str, dict[str, Any]] = {
    422: {"description": "a row, column or the file is refused (`field`: file)"}
}


def _import(request: Request, user: SurveysWrite, file: UploadFile, kind: str) -> object:
    """Store the upload; a refusal (422) names the file, row and column (``field``: file,
    which the service sets on every refusal of an upload)."""
    done = lifecycle.import_lifecycle_upload(
        get_engine(request), file.filename or "", file.file.read(), kind, actor=user
    )
    return LifecycleImported(
        kind=done.kind, rows=done.rows, customers_created=done.customers_created
    )


@router.post(
    "/lifecycle/relationships",
    status_code=201,
    response_model=LifecycleImported,
    responses=FILE_REFUSED,
    summary="Import relationships",
)
def import_relationships(request: Request, user: SurveysWrite, file: Upload) -> object:
    """Store the relationship spells of a file (columns ``customer``, ``started_on``,
    ``ended_on``, ``end_reason``, ``voluntary``, ``plan``, ``unit``)."""
    return _import(request, user, file, "relationships")


@router.post(
    "/lifecycle/complaints",
    status_code=201,
    response_model=LifecycleImported,
    responses=FILE_REFUSED,
    summary="Import complaints",
)
def import_complaints(request: Request, user: SurveysWrite, file: Upload) -> object:
    """Store the complaints of a file (columns ``complaint_id``, ``customer``, ``case_id``,
    ``channel``, ``category``, ``received_at``, ``resolved_at``, ``unit``, ``text``)."""
    return _import(request, user, file, "complaints")


@router.get(
    "/lifecycle/relationships",
    response_model=Page[RelationshipInfo],
    summary="Relationships",
)
def relationships(
    request: Request,
    user: CustomersRead,
    paging: Paging,
    customer: Text = None,
    unit: Text = None,
    ended: bool | None = None,
) -> Page[RelationshipInfo]:
    """Relationship spells in the order stored; filters ``customer`` (id), ``unit``,
    ``ended`` (true: spells with an end date)."""
    found, total = lifecycle.list_relationships(
        get_engine(request),
        customer=customer,
        unit=unit,
        ended=ended,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(items=found, total=total, **paging.model_dump())


@router.get("/lifecycle/complaints", response_model=Page[ComplaintInfo], summary="Complaints")
def complaints(
    request: Request,
    user: CustomersRead,
    paging: Paging,
    customer: Text = None,
    channel: Annotated[str | None, Query(max_length=20)] = None,
    unit: Text = None,
    resolved: bool | None = None,
) -> object:
    """Complaints, oldest received first; filters ``customer`` (id), ``channel``,
    ``unit``, ``resolved`` (true: with a resolution time). A refused filter answers 422
    naming it in ``field``."""
    found, total = lifecycle.list_complaints(
        get_engine(request),
        customer=customer,
        channel=channel,
        unit=unit,
        resolved=resolved,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(items=found, total=total, **paging.model_dump())
