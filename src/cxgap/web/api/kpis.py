"""``/api/v1/kpis`` and ``/api/v1/actions``: KPIs with their alerts, action plans with
their measured effect (docs/kpi.md)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated, Any, Literal, get_type_hints

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field, create_model

from cxgap.errors import CxgapError
from cxgap.reports.kpi_texts import alert_reason, unavailable_reason
from cxgap.services import actions
from cxgap.services.actions import PlanStatus
from cxgap.services.kpis import KpiAlert, evaluate_kpis
from cxgap.web.api.common import ActionsRead, ActionsWrite, KpisRead, RowId
from cxgap.web.deps import get_engine

router = APIRouter(tags=["kpis"])

Language = Literal["en", "zh", "fa"]
Title = Annotated[str, Field(min_length=1, max_length=200)]


class KpiPeriodPublic(BaseModel):
    period: str
    value: float | None
    ci_low: float | None
    ci_high: float | None
    n: float | None
    events: float | None
    exposure: float | None
    se: float | None
    partial: bool = Field(description="The period had not ended: shown, never alerted.")


class KpiChartPublic(BaseModel):
    kind: str
    signals: list[int]
    false_alarm_rate: float
    reference: float


def _public_model(name: str, source: type, **extra: Any) -> type[BaseModel]:
    """A response schema with the fields of a service's result dataclass (one source for
    both), plus ``extra`` fields as ``(type, default or FieldInfo)``."""
    hints = get_type_hints(source)
    fields: dict[str, Any] = {f.name: (hints[f.name], ...) for f in dataclasses.fields(source)}
    return create_model(name, **(fields | extra))


KpiAlertPublic = _public_model(
    "KpiAlertPublic",
    KpiAlert,
    reason=(str, Field(description="Why it fired, in the language asked for.")),
)
TaskPublic = _public_model("TaskPublic", actions.TaskInfo)
PlanPublic = _public_model(
    "PlanPublic",
    actions.PlanInfo,
    gap=(str, Field(description="`dimension:NAME` or `item:ID`.")),
    tasks=(list[TaskPublic], ...),  # type: ignore[valid-type]
)


class KpiPublic(BaseModel):
    kpi: str
    measure: str
    series: str
    segment: str | None
    direction: str
    target: float | None
    tolerance: float
    owner: str | None
    state: Literal["ok", "alert", "unavailable"]
    unavailable: str | None = Field(description="Why there are no values, in English.")
    unavailable_code: str | None = Field(description="The reason's stable code.")
    unavailable_params: dict[str, str] = Field(description="The values the reason names.")
    unavailable_reason: str | None = Field(description="The reason in the language asked for.")
    chart: KpiChartPublic | None
    periods: list[KpiPeriodPublic]
    alerts: list[KpiAlertPublic]  # type: ignore[valid-type]


class PlanDetailPublic(PlanPublic):  # type: ignore[valid-type,misc]
    outcome: str | None = Field(description="`gap` or `perceived`; null without an effect.")
    waves: list[str]
    start_wave: str | None
    effect: dict[str, Any] | None = Field(
        description="The fields of ActionEffect (docs/kpi.md), null before the plan starts."
    )
    power: dict[str, Any] | None
    effect_unavailable: str | None = Field(description="Why no effect could be measured.")
    effect_unavailable_code: str | None = Field(
        default=None, description="The reason's stable code (null: no code, see the text)."
    )


class TaskCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    title: Title
    due_on: Annotated[dt.date | None, Field(strict=False)] = None
    assignee: str | None = Field(default=None, max_length=254)


class PlanCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    title: Title
    survey: str = Field(min_length=1, max_length=120)
    gap: str = Field(min_length=1, max_length=120, description="`dimension:NAME` or `item:ID`.")
    owner: str = Field(min_length=3, max_length=254, description="The owner's e-mail.")
    starts_on: Annotated[dt.date, Field(strict=False)]
    unit_attribute: str | None = Field(default=None, max_length=120)
    targeted_units: list[Annotated[str, Field(min_length=1, max_length=120)]] = Field(
        default_factory=list, max_length=200
    )
    segment: str | None = Field(default=None, max_length=200, description="ATTRIBUTE=VALUE")
    due_on: Annotated[dt.date | None, Field(strict=False)] = None
    cost: Annotated[float | None, Field(ge=0, allow_inf_nan=False, strict=False)] = None
    expected_effect: Annotated[float | None, Field(allow_inf_nan=False, strict=False)] = None
    expected_by: Annotated[dt.date | None, Field(strict=False)] = None
    linked: list[Annotated[str, Field(min_length=1, max_length=80)]] = Field(
        default_factory=list, max_length=50
    )
    description: str | None = Field(default=None, max_length=5000)
    tasks: list[TaskCreate] = Field(default_factory=list, max_length=100)


def _plan(info: actions.PlanInfo) -> BaseModel:
    return PlanPublic.model_validate(info.to_dict())


@router.get("/kpis", response_model=list[KpiPublic], summary="KPIs and their alerts")
def list_kpis(
    request: Request,
    user: KpisRead,
    lang: Annotated[Language, Query(description="Language of the alert reasons.")] = "en",
) -> list[KpiPublic]:
    """Every built-in KPI series: values per period with intervals, target, chart and
    the alerts of the latest period (the JSON of ``cxgap kpi check``)."""
    out = []
    for series in evaluate_kpis(get_engine(request)):
        data = series.to_dict()
        data["alerts"] = [a.to_dict() | {"reason": alert_reason(a, lang)} for a in series.alerts]
        data["unavailable_reason"] = unavailable_reason(series, lang)
        out.append(KpiPublic.model_validate(data))
    return out


@router.get(
    "/actions",
    response_model=list[PlanPublic],  # type: ignore[valid-type]
    summary="Action plans",
)
def list_plans(
    request: Request, user: ActionsRead, status: PlanStatus | None = None
) -> list[BaseModel]:
    """Every action plan (optionally of one status), newest first."""
    return [_plan(p) for p in actions.list_plans(get_engine(request), status=status)]


@router.get("/actions/{plan_id}", response_model=PlanDetailPublic, summary="One action plan")
def get_plan(request: Request, user: ActionsRead, plan_id: RowId) -> PlanDetailPublic:
    """The plan, its tasks and its measured effect (``cxgap actions effect``); when the
    effect cannot be measured yet, ``effect_unavailable`` says why."""
    engine = get_engine(request)
    plan = actions.get_plan(engine, plan_id)
    try:
        measured = actions.measure_effect(engine, plan_id).to_dict()
    except CxgapError as exc:
        return PlanDetailPublic(**_plan(plan).model_dump(), outcome=None, waves=[],
                                start_wave=None, effect=None, power=None,
                                effect_unavailable=str(exc),
                                effect_unavailable_code=exc.code)  # fmt: skip
    return PlanDetailPublic(
        **_plan(plan).model_dump(),
        outcome=measured["outcome"],
        waves=measured["waves"],
        start_wave=measured["start_wave"],
        effect=measured["effect"],
        power=measured["power"],
        effect_unavailable=None,
    )


@router.post("/actions", status_code=201, response_model=PlanPublic, summary="Create a plan")
def create_plan(request: Request, user: ActionsWrite, body: PlanCreate) -> BaseModel:
    """Store a plan aimed at a gap of a survey's instrument (status ``planned``)."""
    fields = body.model_dump()
    fields["tasks"] = [{k: v for k, v in t.items() if v is not None} for t in fields["tasks"]]
    return _plan(actions.create_plan(get_engine(request), actor=user, **fields))
