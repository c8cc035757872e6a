"""``/healthz``: the application answers and its database is reachable."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import text

from cxgap.web.deps import EngineDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def health(engine: EngineDep) -> dict[str, str]:
    def ping() -> None:
        with engine.connect() as connection:
            connection.execute(text("select 1"))

    await run_in_threadpool(ping)
    return {"status": "ok"}
