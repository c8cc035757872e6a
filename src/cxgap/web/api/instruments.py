"""``/api/v1/instruments``: the library and custom instruments (list, show, validate, add)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Request
from pydantic import BaseModel

from cxgap.services import instrument_catalog
from cxgap.web.api.common import InstrumentsWrite, Page, Paging, SurveysRead
from cxgap.web.deps import get_engine

router = APIRouter(tags=["instruments"])

InstrumentId = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_-]{0,79}$")]
Definition = Annotated[
    dict[str, Any],
    Body(description="The instrument as data (the YAML format of `docs`, as JSON)."),
]


class InstrumentPublic(BaseModel):
    id: str
    version: int
    title: str
    audience: str
    items: int
    languages: list[str]
    builtin: bool


class InstrumentDetail(InstrumentPublic):
    answer_columns: list[str]
    definition: dict[str, Any]


class InstrumentValidation(BaseModel):
    valid: bool
    problems: list[str]


def _public(info: instrument_catalog.InstrumentInfo) -> InstrumentPublic:
    return InstrumentPublic(
        id=info.id,
        version=info.version,
        title=info.title,
        audience=info.audience,
        items=info.items,
        languages=list(info.languages),
        builtin=info.builtin,
    )


@router.get("/instruments", response_model=Page[InstrumentPublic], summary="Instruments")
def list_instruments(request: Request, user: SurveysRead, paging: Paging) -> Page[InstrumentPublic]:
    found = instrument_catalog.list_instruments(get_engine(request))
    items = [_public(i) for i in found[paging.offset : paging.offset + paging.limit]]
    return Page(items=items, total=len(found), **paging.model_dump())


@router.get("/instruments/{instrument_id}", response_model=InstrumentDetail)
def show_instrument(
    request: Request, user: SurveysRead, instrument_id: InstrumentId
) -> InstrumentDetail:
    """An instrument's items, texts, scales and answer column names."""
    info, definition, columns = instrument_catalog.get_instrument_definition(
        get_engine(request), instrument_id
    )
    return InstrumentDetail(
        **_public(info).model_dump(), answer_columns=columns, definition=definition
    )


@router.post("/instruments/validate", response_model=InstrumentValidation)
def validate_instrument(user: InstrumentsWrite, definition: Definition) -> InstrumentValidation:
    """Check a custom instrument without storing it: every problem with its place."""
    checked = instrument_catalog.validate_instrument(definition)
    return InstrumentValidation(valid=checked.valid, problems=checked.problems)


@router.post("/instruments", status_code=201, response_model=InstrumentPublic)
def add_instrument(
    request: Request, user: InstrumentsWrite, definition: Definition
) -> InstrumentPublic:
    """Store a custom instrument version (immutable once stored; 422 when invalid)."""
    info = instrument_catalog.add_instrument(get_engine(request), definition, actor=user)
    return _public(info)
