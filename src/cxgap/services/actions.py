"""Action plans: aimed at a gap, owned, with tasks, cost and an expected effect, and an
effect that is measured on the survey waves rather than assumed.

The measured effect (:func:`measure_effect`) reads every wave of the plan's survey
instrument, takes each respondent's gap on the plan's item or dimension (perceived minus
adequate, or perceived minus expected; the perceived score where the format has no
reference level), the unit the respondent belongs to (the plan's ``unit_attribute``) and
the wave's period start, and hands the panel to :func:`cxgap.stats.action_effect`:
difference-in-differences when untargeted units have answers, else an interrupted time
series of the targeted units.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from cxgap import segments
from cxgap.engine.frames import load_survey, surveys_of_instrument
from cxgap.errors import CxgapError, NotFoundError, ValidationError
from cxgap.instruments import Instrument
from cxgap.services.accounts import audit
from cxgap.services.surveys import instrument_of
from cxgap.stats import ActionEffect, PlanPower, action_effect, plan_power
from cxgap.stats.result import to_jsonable
from cxgap.store.accounts import User
from cxgap.store.actions import ActionPlan, ActionTask
from cxgap.store.database import transaction
from cxgap.store.lookups import get_survey
from cxgap.text import check_text
from cxgap.times import now

GapKind = Literal["item", "dimension"]
GAP_KINDS: tuple[str, ...] = get_args(GapKind)
PlanStatus = Literal["planned", "active", "done", "cancelled"]
PLAN_STATUSES: tuple[str, ...] = get_args(PlanStatus)
TaskStatus = Literal["open", "doing", "done"]
TASK_STATUSES: tuple[str, ...] = get_args(TaskStatus)
Method = Literal["auto", "did", "its"]
METHODS: tuple[str, ...] = get_args(Method)

PANEL_COLUMNS = ("unit", "wave", "period", "targeted", "gap")
"""Columns of :func:`effect_panel`: one row per respondent with an answer."""


@dataclass(frozen=True)
class TaskInfo:
    id: int
    title: str
    due_on: dt.date | None
    status: str
    assignee: str | None
    done_on: dt.date | None


@dataclass(frozen=True)
class PlanInfo:
    """A stored action plan with its tasks (JSON form: :meth:`to_dict`)."""

    id: int
    title: str
    survey: str
    gap_kind: str
    gap_key: str
    segment: str | None
    unit_attribute: str | None
    targeted_units: tuple[str, ...]
    owner: str
    status: str
    starts_on: dt.date
    due_on: dt.date | None
    cost: float | None
    expected_effect: float | None
    expected_by: dt.date | None
    linked: tuple[str, ...]
    description: str | None
    tasks: tuple[TaskInfo, ...] = field(default=())

    @property
    def gap(self) -> str:
        return f"{self.gap_kind}:{self.gap_key}"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["gap"] = self.gap
        return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in data.items()} | {
            "tasks": [
                {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in asdict(t).items()}
                for t in self.tasks
            ]
        }


@dataclass(frozen=True)
class PlanEffect:
    """The measured effect of a plan: the statistics and what they were computed on."""

    plan: PlanInfo
    outcome: str
    """What was measured: ``gap`` (perceived minus the reference level) or ``perceived``."""
    waves: tuple[str, ...]
    start_wave: str | None
    result: ActionEffect | None
    """``None`` while no wave from the start has answers (see ``power``)."""
    power: PlanPower | None
    """Before the plan starts (or without post-start waves): the detectable effect."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "plan": self.plan.to_dict(),
            "outcome": self.outcome,
            "waves": list(self.waves),
            "start_wave": self.start_wave,
            "effect": None if self.result is None else to_jsonable(self.result),
            "power": None if self.power is None else to_jsonable(self.power),
        }


def _info(plan: ActionPlan) -> PlanInfo:
    return PlanInfo(
        id=plan.id,
        title=plan.title,
        survey=plan.survey_key,
        gap_kind=plan.gap_kind,
        gap_key=plan.gap_key,
        segment=plan.segment,
        unit_attribute=plan.unit_attribute,
        targeted_units=tuple(plan.targeted_units or ()),
        owner=plan.owner,
        status=plan.status,
        starts_on=plan.starts_on,
        due_on=plan.due_on,
        cost=plan.cost,
        expected_effect=plan.expected_effect,
        expected_by=plan.expected_by,
        linked=tuple(plan.linked or ()),
        description=plan.description,
        tasks=tuple(
            TaskInfo(t.id, t.title, t.due_on, t.status, t.assignee, t.done_on) for t in plan.tasks
        ),
    )


# ---------------------------------------------------------------------------- checks


def parse_gap(gap: str, instrument: Instrument, *, survey: str) -> tuple[str, str]:
    """``'dimension:responsiveness'`` or ``'item:rel2'`` -> (kind, key), checked against
    the survey's instrument."""
    kind, _, key = gap.partition(":")
    if kind not in GAP_KINDS or not key:
        raise ValidationError(
            f"gap {gap!r} is not allowed; allowed: dimension:NAME or item:ID (e.g. "
            "dimension:responsiveness)"
        )
    if kind == "dimension":
        known = sorted({i.dimension for i in instrument.items if i.dimension})
    else:
        known = [i.id for i in instrument.items if "perceived" in i.fields]
    if key not in known:
        raise ValidationError(
            f"gap {gap!r}: survey {survey!r} has no {kind} {key!r}; allowed: {', '.join(known)}"
        )
    return kind, key


def _segment_filter(segment: str | None) -> tuple[str, str] | None:
    if segment is None:
        return None
    name, sep, value = segment.partition("=")
    if not sep or not value.strip():
        raise ValidationError(
            f"segment {segment!r} is not allowed; allowed: ATTRIBUTE=VALUE (e.g. age_band=55+)"
        )
    return segments.segment_name(name, where="segment"), value.strip()


def _owner(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFoundError(f"owner {email!r} is not a user; allowed: the e-mail of a user")
    return user


def _text(value: str | None, where: str, *, limit: int = 200) -> str | None:
    if value is None:
        return None
    value = value.strip()
    check_text(value, where=where, multiline=where == "description")
    if not value or len(value) > limit:
        raise ValidationError(f"{where}: {len(value)} characters; allowed: 1 to {limit}")
    return value


def _choice(value: str, allowed: Sequence[str], where: str) -> str:
    if value not in allowed:
        raise ValidationError(f"{where} {value!r} is not allowed; allowed: {', '.join(allowed)}")
    return value


# ---------------------------------------------------------------------------- writes


def create_plan(
    engine: Engine,
    *,
    title: str,
    survey: str,
    gap: str,
    owner: str,
    starts_on: dt.date,
    actor: User | str,
    unit_attribute: str | None = None,
    targeted_units: Iterable[str] = (),
    segment: str | None = None,
    due_on: dt.date | None = None,
    cost: float | None = None,
    expected_effect: float | None = None,
    expected_by: dt.date | None = None,
    linked: Iterable[str] = (),
    description: str | None = None,
    tasks: Iterable[Mapping[str, Any]] = (),
) -> PlanInfo:
    """Store a new plan (status ``planned``) with its tasks."""
    title = _text(title, "title") or ""
    units = [_text(u, "targeted unit", limit=120) or "" for u in targeted_units]
    if units and unit_attribute is None:
        raise ValidationError(
            "targeted units given without unit_attribute; allowed: name the attribute whose "
            "values the units are (e.g. region or attribute:district)"
        )
    unit_name = None if unit_attribute is None else segments.segment_name(unit_attribute)
    _segment_filter(segment)
    _check_numbers(cost=cost, expected_effect=expected_effect)
    if due_on is not None and due_on < starts_on:
        raise ValidationError(f"due_on {due_on} is before starts_on {starts_on}")
    with transaction(engine) as session:
        stored = get_survey(session, survey)
        kind, key = parse_gap(gap, instrument_of(stored), survey=survey)
        user = _owner(session, owner)
        plan = ActionPlan(
            title=title,
            survey_key=survey,
            gap_kind=kind,
            gap_key=key,
            segment=segment,
            unit_attribute=unit_name,
            targeted_units=units,
            owner_id=user.id,
            owner=user.email,
            status="planned",
            starts_on=starts_on,
            due_on=due_on,
            cost=cost,
            expected_effect=expected_effect,
            expected_by=expected_by,
            linked=[_text(k, "linked standard", limit=80) for k in linked],
            description=_text(description, "description", limit=5000),
        )
        plan.tasks = [_task(t) for t in tasks]
        session.add(plan)
        session.flush()
        audit(
            session,
            actor,
            "action_plan.create",
            target_type="action_plan",
            target_id=plan.id,
            details={"title": title, "gap": f"{kind}:{key}", "survey": survey},
        )
        return _info(plan)


def _check_numbers(**values: float | None) -> None:
    for name, value in values.items():
        if value is not None and (not isinstance(value, int | float) or not math.isfinite(value)):
            raise ValidationError(f"{name} {value!r} is not allowed; allowed: a finite number")
    cost = values.get("cost")
    if cost is not None and cost < 0:
        raise ValidationError(f"cost {cost!r} is not allowed; allowed: 0 or more")


def _task(spec: Mapping[str, Any]) -> ActionTask:
    unknown = sorted(set(spec) - {"title", "due_on", "status", "assignee"})
    if unknown:
        raise ValidationError(
            f"task field {unknown[0]!r} is not allowed; allowed: title, due_on, status, assignee"
        )
    status = _choice(str(spec.get("status", "open")), TASK_STATUSES, "task status")
    due = spec.get("due_on")
    if isinstance(due, str):
        try:
            due = dt.date.fromisoformat(due)
        except ValueError:
            raise ValidationError(
                f"task due_on {due!r} is not a date; allowed: YYYY-MM-DD"
            ) from None
    return ActionTask(
        title=_text(str(spec.get("title", "")), "task title") or "",
        due_on=due,
        status=status,
        assignee=_text(spec.get("assignee"), "task assignee", limit=254),
        done_on=now().date() if status == "done" else None,
    )


def update_plan(
    engine: Engine,
    plan_id: int,
    *,
    actor: User | str,
    status: str | None = None,
    due_on: dt.date | None = None,
    cost: float | None = None,
    expected_effect: float | None = None,
    expected_by: dt.date | None = None,
    add_tasks: Iterable[Mapping[str, Any]] = (),
    task_status: Mapping[int, str] | None = None,
) -> PlanInfo:
    """Change a plan's status, dates, cost or expected effect; add tasks; set task states."""
    _check_numbers(cost=cost, expected_effect=expected_effect)
    changes: dict[str, Any] = {}
    if status is not None:
        changes["status"] = _choice(status, PLAN_STATUSES, "status")
    given = {"due_on": due_on, "cost": cost, "expected_effect": expected_effect,
             "expected_by": expected_by}  # fmt: skip
    changes.update({name: value for name, value in given.items() if value is not None})
    with transaction(engine) as session:
        plan = _get(session, plan_id)
        for name, value in changes.items():
            setattr(plan, name, value)
        new_tasks = [_task(t) for t in add_tasks]
        plan.tasks.extend(new_tasks)
        by_id = {t.id: t for t in plan.tasks}
        for task_id, state in (task_status or {}).items():
            if task_id not in by_id:
                raise NotFoundError(
                    f"plan {plan_id} has no task {task_id}; its tasks: "
                    f"{', '.join(map(str, sorted(k for k in by_id if k is not None))) or 'none'}"
                )
            task = by_id[task_id]
            task.status = _choice(state, TASK_STATUSES, "task status")
            task.done_on = now().date() if state == "done" else None
            changes[f"task {task_id}"] = state
        if not changes and not new_tasks:
            raise ValidationError(
                "nothing to change; give a status, date, cost, expected effect, a task to add "
                "or a task status"
            )
        plan.updated_at = now()
        session.flush()
        audit(
            session,
            actor,
            "action_plan.update",
            target_type="action_plan",
            target_id=plan.id,
            details={k: str(v) for k, v in changes.items()} | {"tasks_added": len(new_tasks)},
        )
        return _info(plan)


# ---------------------------------------------------------------------------- reads


def _get(session: Session, plan_id: int) -> ActionPlan:
    plan = session.get(ActionPlan, plan_id)
    if plan is None:
        raise NotFoundError(f"action plan {plan_id} does not exist")
    return plan


def get_plan(engine: Engine, plan_id: int) -> PlanInfo:
    with transaction(engine) as session:
        return _info(_get(session, plan_id))


def list_plans(engine: Engine, *, status: str | None = None) -> list[PlanInfo]:
    """Every plan (optionally of one status), newest first."""
    query = select(ActionPlan).order_by(ActionPlan.id.desc())
    if status is not None:
        query = query.where(ActionPlan.status == _choice(status, PLAN_STATUSES, "status"))
    with transaction(engine) as session:
        return [_info(p) for p in session.scalars(query).all()]


# ---------------------------------------------------------------------------- effect


def _respondent_outcome(frame: pd.DataFrame, instrument: Instrument, plan: PlanInfo) -> pd.Series:
    """Each respondent's gap on the plan's item or dimension (see the module doc)."""
    if plan.gap_kind == "item":
        items = [instrument.item(plan.gap_key)]
    else:
        items = [i for i in instrument.items if i.dimension == plan.gap_key]
    parts = []
    for item in items:
        perceived = f"{item.id}_perceived"
        if perceived not in frame:
            continue
        reference = next((f for f in ("adequate", "expected") if f in item.fields), None)
        value = frame[perceived].astype("float64")
        if reference is not None:
            value = value - frame[f"{item.id}_{reference}"].astype("float64")
        parts.append(value)
    if not parts:
        raise ValidationError(
            f"gap {plan.gap}: survey {plan.survey!r} has no perceived answers",
            code="no_perceived", params={"gap": plan.gap, "survey": plan.survey},
        )  # fmt: skip
    return pd.concat(parts, axis=1).mean(axis=1)


def effect_panel(engine: Engine, plan: PlanInfo) -> tuple[pd.DataFrame, str]:
    """The respondent panel of a plan (columns :data:`PANEL_COLUMNS`) and the outcome name."""
    if plan.unit_attribute is None:
        raise ValidationError(
            f"action plan {plan.id} names no unit attribute; the effect compares units "
            "(set unit_attribute and targeted units)",
            code="no_unit_attribute", params={"plan": str(plan.id)},
        )  # fmt: skip
    with transaction(engine) as session:
        instrument_key = get_survey(session, plan.survey).instrument.key
    only = _segment_filter(plan.segment)
    pieces = []
    outcome = "perceived"
    for key in surveys_of_instrument(engine, instrument_key):
        data = load_survey(engine, key)
        if data.period_start is None:
            raise ValidationError(
                f"survey {key!r} has no period start; the effect orders waves by it "
                "(set the survey's period)",
                code="no_period_start", params={"survey": key},
            )  # fmt: skip
        frame = data.frame
        if only is not None and only[0] in frame:
            frame = frame[frame[only[0]] == only[1]]
        if plan.unit_attribute not in frame:
            continue
        gap = _respondent_outcome(frame, data.instrument, plan)
        item = data.instrument.items_of_format("tolerance_zone", "expectation_perception")
        if item:
            outcome = "gap"
        units = frame[plan.unit_attribute]
        pieces.append(
            pd.DataFrame(
                {
                    "unit": units,
                    "wave": data.wave or key,
                    "period": pd.Timestamp(data.period_start),
                    "targeted": units.isin(plan.targeted_units),
                    "gap": gap,
                }
            ).dropna(subset=["unit", "gap"])
        )
    if not pieces:
        raise ValidationError(
            f"no wave of survey {plan.survey!r} has respondents with {plan.unit_attribute!r}",
            code="no_unit_answers",
            params={"survey": plan.survey, "attribute": plan.unit_attribute},
        )
    return pd.concat(pieces, ignore_index=True)[list(PANEL_COLUMNS)], outcome


def measure_effect(
    engine: Engine,
    plan_id: int,
    *,
    method: str = "auto",
    confidence: float = 0.95,
    post_periods: int = 2,
) -> PlanEffect:
    """The plan's measured effect (and, before it starts, the effect it can detect)."""
    _choice(method, METHODS, "method")
    plan = get_plan(engine, plan_id)
    panel, outcome = effect_panel(engine, plan)
    start = pd.Timestamp(plan.starts_on)
    waves = panel.drop_duplicates("period").sort_values("period")
    started = waves[waves.period >= start]
    start_wave = None if started.empty else str(started.wave.iloc[0])
    has_controls = not panel.targeted.all()
    if not panel.targeted.any():
        units = ", ".join(plan.targeted_units)
        raise ValidationError(
            f"no respondent belongs to the targeted units {units} "
            f"of {plan.unit_attribute!r}; allowed: values of that attribute in the survey",
            code="no_targeted_answers",
            params={"units": units, "attribute": str(plan.unit_attribute)},
        )
    chosen = ("did" if has_controls else "its") if method == "auto" else method
    result = None
    if start_wave is not None and (waves.period < start).any():
        result = action_effect(
            panel,
            outcome="gap",
            unit="unit",
            period="period",
            treated="targeted",
            start=start,
            method=chosen,  # type: ignore[arg-type]
            confidence=confidence,
        )
        labels = dict(zip(waves.period, waves.wave.astype(str), strict=True))
        study = result.event_study.assign(period=result.event_study.period.map(labels))
        result = dataclasses.replace(result, event_study=study)
    power = _power(panel, start, plan, post_periods=post_periods, confidence=confidence)
    return PlanEffect(
        plan=plan,
        outcome=outcome,
        waves=tuple(waves.wave.astype(str)),
        start_wave=start_wave,
        result=result,
        power=power,
    )


@dataclass(frozen=True)
class MeasuredPlan:
    """A plan with its measured effect, or why its effect cannot be measured."""

    plan: PlanInfo
    effect: PlanEffect | None
    problem: CxgapError | None
    """Why :func:`measure_effect` refused (no unit attribute, no wave with the targeted
    units, ...; with its ``code`` for translation), else ``None``."""

    @property
    def unavailable(self) -> str | None:
        """The refusal in English words, else ``None``."""
        return None if self.problem is None else self.problem.message


def measured_plan(engine: Engine, plan: PlanInfo, *, confidence: float = 0.95) -> MeasuredPlan:
    """``plan`` with its measured effect; a plan whose effect cannot be measured carries
    the reason instead (a plan that does not exist is still an error)."""
    try:
        return MeasuredPlan(plan, measure_effect(engine, plan.id, confidence=confidence), None)
    except NotFoundError:
        raise
    except CxgapError as exc:
        return MeasuredPlan(plan, None, exc)


def measured_plans(engine: Engine, *, confidence: float = 0.95) -> list[MeasuredPlan]:
    """Every plan (newest first, as :func:`list_plans`) with its measured effect."""
    return [measured_plan(engine, p, confidence=confidence) for p in list_plans(engine)]


def _power(
    panel: pd.DataFrame, start: pd.Timestamp, plan: PlanInfo, *, post_periods: int,
    confidence: float,
) -> PlanPower | None:  # fmt: skip
    """The design's detectable effect from the waves before the start."""
    before = panel[panel.period < start]
    if before.empty or before.targeted.all() or not before.targeted.any():
        return None
    cells = before.groupby(["unit", "period"]).gap.agg(["mean", "var", "count"])
    sd = float(before.gap.std())
    per_wave = float(cells["count"].mean())
    # unit x wave variance beyond sampling: the cell means' spread net of unit and wave
    # effects, less the part sampling explains (method of moments, floored at zero)
    means = cells["mean"].unstack().to_numpy(dtype="float64")
    net = means - np.nanmean(means, 1, keepdims=True) - np.nanmean(means, 0) + np.nanmean(means)
    spread = float(np.nanvar(net, ddof=1)) if np.isfinite(net).sum() > 2 else 0.0
    sampling = np.nanmean((cells["var"] / cells["count"]).to_numpy(dtype="float64"))
    tau = math.sqrt(max(0.0, spread - float(sampling)))
    units = before.drop_duplicates("unit")
    if not sd > 0:
        return None
    return plan_power(
        sd=sd,
        responses_per_wave=per_wave,
        treated_units=int(units.targeted.sum()),
        control_units=int((~units.targeted).sum()),
        pre_periods=int(before.period.nunique()),
        post_periods=post_periods,
        unit_wave_sd=tau,
        expected_effect=plan.expected_effect or None,
        alpha=1 - confidence,
    )
