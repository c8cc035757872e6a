"""``/api/v1/analyses``, ``/index`` and ``/reports``: analyses, satisfaction index, reports.

An analysis answers the documented JSON of ``cxgap analyze`` (``docs/analysis-json.md``,
schema ``cxgap.analysis/1``); the index the JSON of ``cxgap index`` (``cxgap.index/1``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from cxgap.reports.service import build_report
from cxgap.services.analysis import cached_analysis
from cxgap.services.satisfaction_index import fit_index
from cxgap.web.api.common import AnalysesRun, ReportsRead, SegmentName
from cxgap.web.deps import get_engine

router = APIRouter(tags=["analyses"])

SurveyKey = Annotated[str, Field(min_length=1, max_length=80)]
Attribute = SegmentName
MAX_BOOTSTRAP = 2000


class AnalysisRun(BaseModel):
    """A survey to analyse; ``by`` compares segments, ``compare`` an earlier wave."""

    model_config = ConfigDict(extra="forbid", strict=True)

    survey: SurveyKey
    by: list[Attribute] = Field(default_factory=list, max_length=6)
    confidence: float = Field(default=0.95, ge=0.5, le=0.999)
    compare: SurveyKey | None = Field(
        default=None, description="An earlier wave: both analyses are returned."
    )


class IndexRun(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    survey: SurveyKey
    model: Literal["acsi", "ecsi"] = "acsi"
    bootstrap: int = Field(default=0, ge=0, le=MAX_BOOTSTRAP)
    seed: int | None = Field(default=1, ge=0, le=2**32 - 1)
    confidence: float = Field(default=0.95, ge=0.5, le=0.999)
    missing: Literal["mean", "listwise"] = "mean"


@router.post(
    "/analyses",
    response_model=dict[str, Any],
    summary="Run every analysis of a survey (JSON of `cxgap analyze`)",
)
def run_analysis(request: Request, user: AnalysesRun, body: AnalysisRun) -> dict[str, Any]:
    """Schema ``cxgap.analysis/1``; with ``compare``, ``{"schema": "cxgap.comparison/1",
    "current": ..., "previous": ...}`` holding one analysis of each wave."""
    engine = get_engine(request)
    by: list[str] | None = list(dict.fromkeys(body.by)) or None
    current = cached_analysis(engine, body.survey, by=by, confidence=body.confidence).to_dict()
    if body.compare is None:
        return current
    previous = cached_analysis(engine, body.compare, by=by, confidence=body.confidence)
    return {"schema": "cxgap.comparison/1", "current": current, "previous": previous.to_dict()}


@router.post(
    "/index",
    response_model=dict[str, Any],
    summary="Satisfaction index (ACSI/ECSI PLS path model; JSON of `cxgap index`)",
)
def run_index(request: Request, user: AnalysesRun, body: IndexRun) -> dict[str, Any]:
    result = fit_index(
        get_engine(request),
        body.survey,
        model=body.model,
        bootstrap=body.bootstrap,
        seed=body.seed,
        confidence=body.confidence,
        missing=body.missing,
    )
    return result.to_dict()


REPORT_CONTENT: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "text/html": {"schema": {"type": "string"}},
            "application/pdf": {"schema": {"type": "string", "format": "binary"}},
        },
        "description": "The report (HTML is one self-contained file).",
    }
}


@router.get(
    "/reports/{survey}",
    response_class=Response,
    responses=REPORT_CONTENT,
    summary="Download a survey's report (HTML or PDF)",
)
def download_report(
    request: Request,
    user: ReportsRead,
    survey: Annotated[str, Path(min_length=1, max_length=80)],
    format: Literal["html", "pdf"] = "html",
    lang: Literal["en", "zh", "fa"] = "en",
    compare: Annotated[str | None, Query(min_length=1, max_length=80)] = None,
    by: Annotated[list[Attribute] | None, Query(max_length=6)] = None,
    public: bool = False,
) -> Response:
    report = build_report(
        get_engine(request),
        survey,
        compare=compare,
        by=list(dict.fromkeys(by)) if by else None,
        lang=lang,
        format=format,
        public=public,
    )
    media = "application/pdf" if format == "pdf" else "text/html; charset=utf-8"
    return Response(
        report.content,
        media_type=media,
        headers={"content-disposition": f'attachment; filename="report.{format}"'},
    )
