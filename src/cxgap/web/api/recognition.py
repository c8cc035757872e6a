"""``/api/v1/cases/award``: the quarterly service award (docs/cases.md)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from cxgap.services.cases.recognition import service_award
from cxgap.web.api.common import CasesRead
from cxgap.web.deps import get_engine

router = APIRouter(tags=["cases"])


@router.get("/cases/award", response_model=dict[str, Any], summary="Service award")
def award(
    request: Request,
    user: CasesRead,
    quarter: Annotated[str, Query(pattern=r"^[0-9]{4}Q[1-4]$")],
    top: Annotated[int, Query(ge=1, le=100)] = 3,
    item: Annotated[str, Query(min_length=1, max_length=80)] = "nps",
) -> dict[str, Any]:
    """The quarter's top ``top`` people and teams for recovery and delight (the JSON of
    ``cxgap cases award --json``); an agent gets their own rows only."""
    return service_award(
        get_engine(request), viewer=user, quarter=quarter, item=item, top=top
    ).to_dict()
