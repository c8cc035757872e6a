"""``POST /baseline/{survey}``: store a form with no link, check or limit.

Mounted only when ``WebOptions.baseline`` is set, for the load benchmark's comparison.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from cxgap.services.collection import store_unchecked
from cxgap.web.deps import EngineDep

router = APIRouter(tags=["benchmark baseline"])


@router.post("/baseline/{survey}")
async def store_baseline(survey: str, request: Request, engine: EngineDep) -> JSONResponse:
    form = await request.form()
    data = {k: v for k, v in form.items() if isinstance(v, str)}
    response_id = await run_in_threadpool(store_unchecked, engine, survey, data)
    return JSONResponse({"response": response_id}, status_code=201)
