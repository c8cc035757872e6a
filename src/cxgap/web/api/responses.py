"""``/api/v1/responses``: browse with filters; export a survey as CSV, XLSX or Parquet."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from cxgap.services import response_browser
from cxgap.services.response_browser import MEDIA_TYPES, ExportFormat
from cxgap.web.api.common import (
    IsoDateTime,
    Page,
    Paging,
    ResponsesExport,
    ResponsesRead,
    SegmentFilters,
    Timestamp,
)
from cxgap.web.deps import get_engine

router = APIRouter(tags=["responses"])


class ResponsePublic(BaseModel):
    id: int
    survey: str
    respondent_key: str
    customer: str | None
    source: str
    status: str
    submitted_at: Timestamp | None
    segments: dict[str, str | None]
    answers: dict[str, float | str] | None


@router.get("/responses", response_model=Page[ResponsePublic], summary="Browse responses")
def browse(
    request: Request,
    user: ResponsesRead,
    paging: Paging,
    filters: SegmentFilters,
    survey: Annotated[str | None, Query(max_length=80)] = None,
    customer: Annotated[str | None, Query(max_length=120)] = None,
    submitted_from: IsoDateTime | None = None,
    submitted_to: IsoDateTime | None = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    answers: bool = False,
) -> Page[ResponsePublic]:
    """Responses matching every filter given; ``answers=true`` adds the answers by column."""
    found, total = response_browser.list_responses(
        get_engine(request),
        survey=survey,
        customer=customer,
        submitted_from=submitted_from,
        submitted_to=submitted_to,
        status=status,
        segments=filters,
        with_answers=answers,
        limit=paging.limit,
        offset=paging.offset,
    )
    items = [ResponsePublic.model_validate(r, from_attributes=True) for r in found]
    return Page(items=items, total=total, **paging.model_dump())


EXPORT_CONTENT: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            m.split(";")[0]: {"schema": {"type": "string", "format": "binary"}}
            for m in MEDIA_TYPES.values()
        },
        "description": "The file (wide layout: it imports again unchanged).",
    }
}


@router.get(
    "/responses/export",
    response_class=Response,
    responses=EXPORT_CONTENT,
    summary="Export a survey's responses",
)
def export(
    request: Request,
    user: ResponsesExport,
    survey: Annotated[str, Query(min_length=1, max_length=80)],
    format: ExportFormat = "csv",
) -> Response:
    content, rows = response_browser.export_responses(
        get_engine(request), survey, format, actor=user
    )
    return Response(
        content,
        media_type=MEDIA_TYPES[format],
        headers={
            "content-disposition": f'attachment; filename="responses.{format}"',
            "x-cxgap-rows": str(rows),
        },
    )
