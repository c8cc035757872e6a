"""The five gaps on linked data: knowledge, standards, delivery, communication, customer.

:func:`five_gaps` reads the customer survey, the management survey (Gap 1), the approved
standards (Gap 2), the delivery measurements (Gap 3), the promises (Gap 4) and, when
given, the employee survey (the factors behind Gaps 2-4 per unit), and returns one
:class:`FiveGaps` whose :meth:`FiveGaps.to_dict` is the documented JSON ``cxgap.gaps/1``
(``docs/gaps-json.md``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from cxgap.engine.frames import SurveyData, load_survey
from cxgap.errors import CxgapError, ValidationError
from cxgap.services.delivery import delivery_table
from cxgap.services.promises import PromiseRecord, list_promises
from cxgap.services.standards import StandardRecord, list_standards
from cxgap.stats.communication import PromiseCheck, promise_check
from cxgap.stats.delivery import DeliveryCompliance, delivery_compliance
from cxgap.stats.factors import FactorRelation, factor_relation
from cxgap.stats.knowledge import KnowledgeGap, knowledge_gap
from cxgap.stats.result import to_jsonable
from cxgap.stats.standards import STANDARD_COLUMNS, StandardsGap, standards_gap
from cxgap.stats.tolerance import ToleranceZone, tolerance_zone
from cxgap.text import counted

SCHEMA = "cxgap.gaps/1"
EXPECTATION_FIELDS = ("adequate", "desired")
UNIT_ATTRIBUTE = "attribute:unit"
"""The employee survey's respondent attribute naming the employee's unit."""


@dataclass(frozen=True)
class StandardDelivery:
    """Gap 3 of one standard."""

    standard: StandardRecord
    compliance: DeliveryCompliance


@dataclass(frozen=True)
class PromiseResult:
    """Gap 4 of one promise."""

    promise: PromiseRecord
    check: PromiseCheck | None
    note: str | None = None
    """Why it was not checked: ``no_level`` (no promised level of a standard's metric) or
    ``no_delivery`` (nothing measured while it was valid)."""


@dataclass(frozen=True)
class FiveGaps:
    """All five gaps of one customer survey (see the module's description)."""

    survey: str
    instrument: str
    management: str | None
    employees: str | None
    dimensions: Mapping[str, str]
    knowledge: Mapping[str, KnowledgeGap]
    """Gap 1 per expectation field (``adequate``, ``desired``)."""
    standards: StandardsGap | None
    delivery: list[StandardDelivery]
    communication: list[PromiseResult]
    customer: ToleranceZone | None
    factors: FactorRelation | None
    factor_scores: pd.DataFrame | None
    """Per unit (index), the mean score of each factor in the employee survey."""
    unit_gaps: pd.Series | None
    """Per unit: the mean shortfall from the standards' compliance (1 - share)."""
    labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Display names (``lang -> text``) of the dimensions and of the employee factors."""
    notes: list[str] = field(default_factory=list)

    def label(self, key: str, lang: str) -> str:
        """The display name of a dimension or factor in ``lang`` (the key when unknown)."""
        return self.labels.get(key, {}).get(lang, key.replace("_", " "))

    def knowledge_items(self) -> pd.DataFrame:
        """Gap 1 rows of every field with a ``field`` column."""
        frames = [r.summary.assign(field=f) for f, r in self.knowledge.items()]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def to_dict(self) -> dict[str, Any]:
        return gaps_json(self)


def _block(data: SurveyData, items: list[str], suffix: str) -> pd.DataFrame:
    columns = [f"{i}_{suffix}" for i in items]
    return data.frame[columns].set_axis(items, axis=1).astype("float64")


def _zot_items(data: SurveyData) -> list[str]:
    return [i.id for i in data.instrument.items_of_format("tolerance_zone")]


def _knowledge(
    customers: SurveyData, managers: SurveyData, dims: Mapping[str, str], notes: list[str]
) -> dict[str, KnowledgeGap]:
    shared = [i for i in _zot_items(customers) if i in set(_zot_items(managers))]
    if not shared:
        notes.append(
            f"gap1: survey {managers.key!r} has none of the tolerance-zone items of the "
            "customer survey"
        )
        return {}
    out = {}
    manager_points, customer_points = _importance(managers), _importance(customers)
    if manager_points is None or customer_points is None:
        manager_points = customer_points = None
    else:
        common = [c for c in manager_points.columns if c in customer_points.columns]
        manager_points, customer_points = manager_points[common], customer_points[common]
    for name in EXPECTATION_FIELDS:
        out[name] = knowledge_gap(
            _block(managers, shared, name),
            _block(customers, shared, name),
            dimensions={i: dims[i] for i in shared},
            manager_importance=manager_points,
            customer_importance=customer_points,
        )
    return out


def _importance(data: SurveyData) -> pd.DataFrame | None:
    """Importance points per dimension (the options of the first points item)."""
    item = next(iter(data.instrument.items_of_format("points")), None)
    if item is None:
        return None
    columns = {f"{item.id}_{o.id}": o.id for o in item.options}
    present = [c for c in columns if c in data.frame.columns]
    if not present:
        return None
    return data.frame[present].rename(columns=columns).astype("float64")


def _best_delivered(standard: StandardRecord, delivery: pd.DataFrame) -> float:
    mine = delivery[delivery["standard"] == standard.key]
    if mine.empty:
        return math.nan
    latest = mine[mine["period_start"] == mine["period_start"].max()]["value"]
    return float(latest.max() if standard.higher_is_better else latest.min())


def _standards_gap(
    data: SurveyData, standards: list[StandardRecord], delivery: pd.DataFrame
) -> StandardsGap | None:
    items = _zot_items(data)
    if not items:
        return None
    rows = [
        {
            "standard": s.key,
            "item": s.item,
            "floor": s.floor,
            "target": s.target,
            "on_scale": s.measure_unit == "scale",
            "higher_is_better": s.higher_is_better,
            "best_delivered": _best_delivered(s, delivery),
            "segment": s.segment or "",
        }
        for s in standards
        if s.item in items
        and s.instrument == data.instrument.id
        # a segment's standard is compared with that segment's customers
        and (s.segment is None or s.segment.partition("=")[0] in data.frame.columns)
    ]
    frame = pd.DataFrame(rows, columns=[*STANDARD_COLUMNS, "segment"])
    attributes = sorted({str(s).partition("=")[0] for s in frame["segment"] if s})
    return standards_gap(
        _block(data, items, "adequate"),
        frame,
        segments=data.frame[attributes].reset_index(drop=True) if attributes else None,
    )


def _delivery(
    standards: list[StandardRecord], delivery: pd.DataFrame, notes: list[str]
) -> list[StandardDelivery]:
    out = []
    for standard in standards:
        mine = delivery[(delivery["standard"] == standard.key) & delivery["cases"].notna()]
        if mine.empty:
            continue
        try:
            compliance = delivery_compliance(mine.assign(period=mine["period"].astype(str)))
        except CxgapError as exc:
            notes.append(f"gap3: standard {standard.key!r}: {exc.message}")
            continue
        out.append(StandardDelivery(standard, compliance))
    return out


def _expectation(data: SurveyData, promise: PromiseRecord) -> pd.Series | None:
    if promise.item and f"{promise.item}_desired" in data.frame.columns:
        return data.frame[f"{promise.item}_desired"].astype("float64")
    if promise.dimension:
        dims = data.instrument.dimension_map("tolerance_zone")
        columns = [f"{i}_desired" for i, d in dims.items() if d == promise.dimension]
        columns = [c for c in columns if c in data.frame.columns]
        if columns:
            return data.frame[columns].astype("float64").mean(axis=1)
    return None


def _in_validity(delivery: pd.DataFrame, promise: PromiseRecord) -> pd.DataFrame:
    start = delivery["period_start"]
    keep = start >= promise.valid_from.replace(day=1)
    if promise.valid_to is not None:
        keep &= start <= promise.valid_to
    return delivery[keep]


def _communication(
    data: SurveyData,
    promises: list[PromiseRecord],
    standards: dict[str, StandardRecord],
    delivery: pd.DataFrame,
) -> list[PromiseResult]:
    out = []
    for promise in promises:
        if promise.standard_key is None or promise.promised_level is None:
            out.append(PromiseResult(promise, None, "no_level"))
            continue
        standard = standards.get(promise.standard_key)
        mine = _in_validity(delivery[delivery["standard"] == promise.standard_key], promise)
        if standard is None or mine.empty:
            out.append(PromiseResult(promise, None, "no_delivery"))
            continue
        exposed = unexposed = None
        expectation = _expectation(data, promise)
        if promise.audience and expectation is not None:
            attribute, _, value = promise.audience.partition("=")
            if attribute in data.frame.columns:
                seen = data.frame[attribute].astype("string") == value
                known = data.frame[attribute].notna()
                exposed = expectation[seen.fillna(False)].to_numpy()
                unexposed = expectation[(~seen.fillna(False)) & known].to_numpy()
        check = promise_check(
            promise.promised_level,
            mine[["unit", "period", "value"]],
            higher_is_better=standard.higher_is_better,
            exposed=exposed,
            unexposed=unexposed,
        )
        out.append(PromiseResult(promise, check))
    return out


def _customer_gap(data: SurveyData, dims: Mapping[str, str]) -> ToleranceZone | None:
    items = _zot_items(data)
    if not items:
        return None
    return tolerance_zone(
        _block(data, items, "adequate"),
        _block(data, items, "desired"),
        _block(data, items, "perceived"),
        dimensions={i: dims[i] for i in items if i in dims} or None,
    )


def unit_shortfall(delivery: list[StandardDelivery]) -> pd.Series:
    """Per unit, the mean over standards of (1 - compliance share)."""
    frames = [d.compliance.units[["unit", "share"]] for d in delivery]
    if not frames:
        return pd.Series(dtype="float64")
    shares = pd.concat(frames, ignore_index=True)
    return (1 - shares.groupby("unit")["share"].mean()).rename("shortfall")


def _factors(
    engine: Engine, employees: str, gaps: pd.Series, notes: list[str]
) -> tuple[FactorRelation | None, pd.DataFrame | None]:
    data = load_survey(engine, employees)
    if UNIT_ATTRIBUTE not in data.frame.columns:
        raise ValidationError(
            f"survey {employees!r}: its respondents have no 'unit' attribute; allowed: an "
            "employee survey whose respondents carry the customer attribute unit"
        )
    dims = data.instrument.dimension_map("rating")
    if not dims:
        raise ValidationError(
            f"survey {employees!r} (instrument {data.instrument.id!r}) has no factor items"
        )
    scores = pd.DataFrame(
        {
            dim: data.frame[[i for i, d in dims.items() if d == dim]].astype("float64").mean(axis=1)
            for dim in dict.fromkeys(dims.values())
        }
    )
    by_unit = scores.groupby(data.frame[UNIT_ATTRIBUTE].astype("string")).mean()
    units = [u for u in by_unit.index if u in gaps.index]
    if len(units) < 3:
        notes.append(
            f"factors: {counted(len(units), 'unit')} with both employee answers and delivery; "
            "at least 3 needed"
        )
        return None, by_unit
    return factor_relation(by_unit.loc[units], gaps.loc[units]), by_unit


def five_gaps(
    engine: Engine,
    survey: str,
    *,
    management: str | None = None,
    employees: str | None = None,
) -> FiveGaps:
    """All five gaps for the customer survey ``survey`` (see the module's description)."""
    data = load_survey(engine, survey)
    notes: list[str] = []
    dims = data.instrument.dimension_map("tolerance_zone")
    knowledge: dict[str, KnowledgeGap] = {}
    if management is not None:
        knowledge = _knowledge(data, load_survey(engine, management), dims, notes)
    approved = list_standards(engine, status="approved")
    delivery = delivery_table(engine)
    delivered = _delivery(approved, delivery, notes)
    gaps = unit_shortfall(delivered)
    factors, scores = _factors(engine, employees, gaps, notes) if employees else (None, None)
    return FiveGaps(
        survey=survey,
        instrument=data.instrument.id,
        management=management,
        employees=employees,
        dimensions=dims,
        knowledge=knowledge,
        standards=_standards_gap(data, approved, delivery),
        delivery=delivered,
        communication=_communication(
            data, list_promises(engine), {s.key: s for s in approved}, delivery
        ),
        customer=_customer_gap(data, dims),
        factors=factors,
        factor_scores=scores,
        labels={
            d.id: dict(d.label)
            for d in [
                *data.instrument.dimensions,
                *(load_survey(engine, employees).instrument.dimensions if employees else ()),
            ]
        },
        unit_gaps=gaps if len(gaps) else None,
        notes=notes,
    )


def _records(frame: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    result = to_jsonable(frame[columns])
    return result if isinstance(result, list) else []


def gaps_json(result: FiveGaps) -> dict[str, Any]:
    """The ``cxgap.gaps/1`` document (``docs/gaps-json.md``)."""
    knowledge = result.knowledge_items()
    gap1_items: list[dict[str, Any]] = []
    gap1_dims: list[dict[str, Any]] = []
    rank: dict[str, Any] | None = None
    if not knowledge.empty:
        columns = [
            "field",
            "item",
            "dimension",
            "manager_mean",
            "customer_mean",
            "difference",
            "ci_low",
            "ci_high",
            "p_adjusted",
            "hedges_g",
            "n_managers",
            "n_customers",
            "finding",
        ]
        gap1_items = _records(knowledge[knowledge["level"] == "item"], columns)
        gap1_dims = _records(
            knowledge[knowledge["level"] == "dimension"], [c for c in columns if c != "item"]
        )
        first = next(iter(result.knowledge.values()))
        rank = {"kendall_tau": to_jsonable(first.rank_tau), "p": to_jsonable(first.rank_p)}
    gap2 = [] if result.standards is None else to_jsonable(result.standards.summary)
    gap3 = [
        {
            "standard": d.standard.key,
            "item": d.standard.item,
            "dimension": d.standard.dimension,
            "metric": d.standard.metric,
            "reference": d.compliance.reference,
            "false_alarm_rate": to_jsonable(d.compliance.false_alarm_rate),
            "units": to_jsonable(d.compliance.units),
            "periods": to_jsonable(d.compliance.summary),
        }
        for d in result.delivery
    ]
    gap4 = []
    for p in result.communication:
        entry: dict[str, Any] = {
            "promise": p.promise.key,
            "channel": p.promise.channel,
            "item": p.promise.item,
            "dimension": p.promise.dimension,
            "standard": p.promise.standard_key,
            "audience": p.promise.audience,
            "promised": p.promise.promised_level,
            "note": p.note,
        }
        if p.check is not None:
            check = p.check.to_dict()
            entry.update(
                {k: v for k, v in check.items() if k not in {"summary", "promised"}},
                units=check["summary"],
            )
        else:
            entry["finding"] = "not_checked"
        gap4.append(entry)
    gap5 = []
    if result.customer is not None:
        zone = result.customer.summary
        gap5 = _records(
            zone[zone["level"] == "item"],
            [
                "name",
                "dimension",
                "mean_adequate",
                "mean_desired",
                "mean_perceived",
                "msa",
                "msa_ci_low",
                "msa_ci_high",
                "mss",
                "position",
            ],
        )
        for row in gap5:
            row["item"] = row.pop("name")
    factors = None
    if result.factors is not None:
        factors = {
            "units": result.factors.units,
            "gap": "shortfall from the standards' compliance (1 - share), mean over standards",
            "items": to_jsonable(result.factors.summary),
            "unit_scores": to_jsonable(result.factor_scores),
            "unit_gaps": to_jsonable(result.unit_gaps),
        }
    return {
        "schema": SCHEMA,
        "survey": result.survey,
        "instrument": result.instrument,
        "management": result.management,
        "employees": result.employees,
        "gaps": [
            {
                "gap": 1,
                "name": "knowledge",
                "items": gap1_items,
                "dimensions": gap1_dims,
                "rank_agreement": rank,
            },
            {"gap": 2, "name": "standards", "items": gap2},
            {"gap": 3, "name": "delivery", "items": gap3},
            {"gap": 4, "name": "communication", "items": gap4},
            {"gap": 5, "name": "customer", "items": gap5},
        ],
        "factors": factors,
        "notes": list(result.notes),
    }


def chain(
    result: FiveGaps, *, item: str | None = None, dimension: str | None = None
) -> dict[str, Any]:
    """The five gaps of one item (or dimension), from Gap 1 to Gap 5, for the dashboard."""
    if (item is None) == (dimension is None):
        raise ValidationError("give an item or a dimension (one of them)")
    if item is not None and item not in result.dimensions:
        raise ValidationError(
            f"item {item!r} is not a tolerance-zone item of survey {result.survey!r}; allowed: "
            + ", ".join(result.dimensions)
        )
    if dimension is not None and dimension not in set(result.dimensions.values()):
        raise ValidationError(
            f"dimension {dimension!r} is not a dimension of survey {result.survey!r}; allowed: "
            + ", ".join(dict.fromkeys(result.dimensions.values()))
        )
    items = [item] if item else [i for i, d in result.dimensions.items() if d == dimension]
    dim = dimension or result.dimensions[item or ""]
    document = gaps_json(result)
    gaps = {g["gap"]: g for g in document["gaps"]}

    def touches(row: Mapping[str, Any]) -> bool:
        return row.get("item") in items or (row.get("item") is None and row.get("dimension") == dim)

    gap1 = [r for r in gaps[1]["items"] if r["item"] in items]
    if dimension is not None:
        gap1 = [r for r in gaps[1]["dimensions"] if r["dimension"] == dimension] or gap1
    return {
        "item": item,
        "dimension": dim,
        "items": items,
        "gap1": gap1,
        "gap2": [r for r in gaps[2]["items"] if r["item"] in items],
        "gap3": [r for r in gaps[3]["items"] if touches(r)],
        "gap4": [r for r in gaps[4]["items"] if touches(r)],
        "gap5": [r for r in gaps[5]["items"] if r["item"] in items],
    }


__all__ = [
    "SCHEMA",
    "FiveGaps",
    "PromiseResult",
    "StandardDelivery",
    "chain",
    "five_gaps",
    "gaps_json",
    "unit_shortfall",
]
