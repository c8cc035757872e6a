"""``POST /baseline/{survey}``: store a form with no link, check or limit.

Mounted only when ``WebOptions.baseline`` is set, for the load benchmark's comparison.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from cxgap.services.collection import store_unchecked_async
from cxgap.web.deps import EngineDep

router = APIRouter(tags=["benchmark baseline"])


@router.post("/baseline/{survey}")
async def store_baseline(survey: str, request: Request, engine: EngineDep) -> JSONResponse:
    # Parsed and stored the way a submission is (see survey_pages.post_form), minus checks.
    data = dict(
        parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
    )
    response_id = await store_unchecked_async(engine, survey, data)
    return JSONResponse({"response": response_id}, status_code=201)
