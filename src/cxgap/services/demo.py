"""Loading the demo organisation into a database."""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.orm import Session

from cxgap.calendars import BusinessCalendar, due_time, working_minutes
from cxgap.demo.generate import generate, wave_end, wave_start
from cxgap.demo.lifecycle import lifecycle
from cxgap.demo.recovery import (
    ASSIGN,
    OWNER_TRUTHS,
    RECOVERY_TRUTHS,
    RULE,
    SLA_TRUTHS,
    TIMES,
    ResolutionDraws,
    calendar,
    follow_up,
    owner_scores,
    resolution_draws,
)
from cxgap.demo.recovery import RULES as RECOVERY_RULES
from cxgap.demo.staff import DOMAIN as STAFF_DOMAIN
from cxgap.errors import ConflictError
from cxgap.ingest.importer import fingerprint_answers
from cxgap.instruments import Instrument, get_instrument
from cxgap.services.accounts import audit
from cxgap.services.cases.config import parse_rules
from cxgap.services.cases.sweep import sweep
from cxgap.services.cases.work import record_event, refresh_due
from cxgap.services.customers import customer_ids, upsert_customers
from cxgap.services.demo_actions import store_action_plans
from cxgap.services.demo_provider import store_provider_side
from cxgap.services.demo_staff import (
    case_teams,
    mark_notices_delivered,
    plant_staff,
    staff_accounts,
)
from cxgap.services.imports import ANSWER_COLUMNS, Progress, answer_rows, insert_responses
from cxgap.services.lifecycle import FIELDS as LIFECYCLE_FIELDS
from cxgap.services.lifecycle import insert_lifecycle
from cxgap.services.surveys import create_survey
from cxgap.settings import get_settings
from cxgap.store.accounts import User
from cxgap.store.bulk import binds_nan_as_null, bulk_insert
from cxgap.store.cases import Case, CaseEvent
from cxgap.store.database import sqlite_file, transaction
from cxgap.store.models import Customer, Encounter, FeedbackMessage, Response, Survey
from cxgap.times import as_utc, now

CUSTOMER_INSTRUMENT = "heating-cx"
MANAGEMENT_INSTRUMENT = "servqual-management"
SURVEY_PREFIX = "heating-"
MANAGEMENT_PREFIX = "management-"
FOLLOW_UP_PREFIX = "follow-up-"


@dataclass(frozen=True)
class DemoResult:
    customers: int
    surveys: int
    responses: int
    encounters: int
    feedback: int
    truths_file: str | None
    anchor: dt.date
    """The date the data lies before (see :func:`demo_anchor`)."""


def demo_anchor(anchor: dt.date | None = None) -> dt.date:
    """The date the demo is generated relative to: ``anchor``, else the
    ``CXGAP_DEMO_ANCHOR`` setting, else today (UTC)."""
    return anchor or get_settings().demo_anchor or now().date()


def _noop(stage: str, done: int, total: int) -> None:
    return None


def store_wide(
    session: Session,
    survey: Survey,
    instrument: Instrument,
    frame: pd.DataFrame,
    *,
    source: str,
    customer_of: dict[str, int] | None = None,
) -> int:
    """Store clean wide responses (canonical columns) in ``survey``; returns the count."""
    columns = [c for c in instrument.answer_columns() if c.name in frame.columns]
    values = {c.name: frame[c.name] for c in columns}
    fingerprints = fingerprint_answers(values, frame.index).tolist()
    keys = [str(k) for k in frame["respondent_id"]]
    customers: list[int | None] = (
        [(customer_of or {}).get(str(c)) for c in frame["customer_id"]]
        if "customer_id" in frame.columns
        else [None] * len(frame)
    )
    submitted = _utc(frame["submitted_at"]) if "submitted_at" in frame.columns else None
    rows = [
        {
            "survey_id": survey.id,
            "customer_id": customers[i],
            "respondent_key": keys[i],
            "fingerprint": fingerprints[i],
            "source": source,
            "status": "complete",
            "submitted_at": None if submitted is None else submitted[i],
        }
        for i in range(len(frame))
    ]
    ids = insert_responses(session, rows)
    connection = session.connection()
    answers = answer_rows(
        values, columns, np.arange(len(frame)), ids, nan_is_null=binds_nan_as_null(connection)
    )
    bulk_insert(connection, "answers", ANSWER_COLUMNS, answers)
    return len(ids)


def load_demo(
    engine: Engine,
    *,
    seed: int = 7,
    customers: int = 5000,
    if_empty: bool = False,
    progress: Progress = _noop,
    actor: User | str = "system",
    anchor: dt.date | None = None,
    recovery: bool = True,
) -> DemoResult | None:
    """Generate and store the demo organisation in one transaction (with the audit log
    entry of ``actor``), dated before ``anchor`` (:func:`demo_anchor`: by default today,
    so the last wave is the last whole quarter and nothing lies in the future).

    With ``recovery`` (the default) the rule ``detractors`` then opens cases on the
    latest wave's detractors, holds some out, resolves the others and stores a follow-up
    survey with a planted call-back effect (:mod:`cxgap.demo.recovery`; in the truths file
    under ``recovery``).

    Two action plans follow, stored through :func:`cxgap.services.actions.create_plan`:
    one whose targeted region's responsiveness was planted to improve and one without a
    change (:mod:`cxgap.demo.action_plans`; in the truths file under ``action_plans``).

    With ``if_empty`` nothing happens (``None`` is returned) when the database already
    has surveys. Loading twice into the same database is refused.
    """
    with transaction(engine) as session:
        surveys = session.scalar(select(func.count()).select_from(Survey)) or 0
        if surveys and if_empty:
            return None
        taken = session.scalar(select(Survey.key).where(Survey.key.like(f"{SURVEY_PREFIX}%")))
        if taken:
            raise ConflictError(
                f"the demo organisation is already loaded (survey {taken!r} exists); "
                "use a new database file with --db"
            )
    instrument = get_instrument(CUSTOMER_INSTRUMENT)
    management = get_instrument(MANAGEMENT_INSTRUMENT)
    progress("generate", 0, 1)
    anchor = demo_anchor(anchor)
    data = generate(instrument, management, seed=seed, customers=customers, anchor=anchor)
    progress("generate", 1, 1)
    steps = len(data.waves) + 3
    responses = 0
    with transaction(engine) as session:
        upsert_customers(
            session,
            {
                str(row["customer_id"]): {str(k): v for k, v in row.items() if k != "customer_id"}
                for row in data.customers.to_dict(orient="records")
            },
        )
        ids = customer_ids(session, data.customers["customer_id"])
        progress("store", 1, steps)
        for k, (wave, frame) in enumerate(data.waves.items(), start=2):
            survey = create_survey(
                session,
                f"{SURVEY_PREFIX}{wave.lower()}",
                instrument=instrument,
                name=f"Customer survey {wave}",
                wave=wave,
                period_start=wave_start(wave).date(),
                period_end=(wave_end(wave) - pd.Timedelta(days=1)).date(),
            )
            responses += store_wide(
                session, survey, instrument, frame, source="demo", customer_of=ids
            )
            progress("store", k, steps)
        last = next(reversed(data.waves))
        survey = create_survey(
            session,
            f"{MANAGEMENT_PREFIX}{last.lower()}",
            instrument=management,
            name=f"Management survey {last}",
            wave=last,
        )
        responses += store_wide(session, survey, management, data.management, source="demo")
        session.execute(insert(Encounter), _records(data.encounters, ids, "occurred_at"))
        session.execute(insert(FeedbackMessage), _records(data.feedback, ids, "received_at"))
        staff, provider_truths = store_provider_side(
            session, seed=seed, waves=tuple(data.waves), actor=actor, store_wide=store_wide
        )
        relationships, complaints = lifecycle(instrument, data.customers, data.waves, seed=seed)
        for kind, frame in (("relationships", relationships), ("complaints", complaints)):
            insert_lifecycle(session, kind, _lifecycle_rows(kind, frame), source="demo")
        audit(
            session,
            actor,
            "demo.load",
            details={
                "seed": seed,
                "customers": len(data.customers),
                "responses": responses,
                "anchor": anchor.isoformat(),
                "staff_responses": staff,
            },
        )
        responses += staff
        progress("store", steps, steps)
    planted = (
        _plant_recovery(engine, seed=seed, anchor=anchor, wave=last, actor=actor)
        if recovery
        else {}
    )
    planted |= plant_staff(engine, seed=seed, actor=actor)
    plans = store_action_plans(
        engine,
        waves=tuple(data.waves),
        survey_prefix=SURVEY_PREFIX,
        truths=data.truths["action_plans"],
        actor=actor,
    )
    truths_file = _write_truths(engine, {**data.truths, **provider_truths, **planted, **plans})
    return DemoResult(
        customers=len(data.customers),
        surveys=len(data.waves) + 2 + (1 if recovery else 0),
        responses=responses + int(planted.get("recovery", {}).get("follow_up_responses", 0)),
        encounters=len(data.encounters),
        feedback=len(data.feedback),
        truths_file=truths_file,
        anchor=anchor,
    )


def _lifecycle_rows(kind: str, frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Demo lifecycle frames as the records :func:`insert_lifecycle` stores (times in UTC)."""
    names = [f.name for f in LIFECYCLE_FIELDS[kind]]
    rows = []
    for record in frame.to_dict(orient="records"):
        row: dict[str, Any] = dict.fromkeys(names)
        for name, value in record.items():
            if isinstance(value, pd.Timestamp):
                row[str(name)] = as_utc(value.to_pydatetime())
            elif value is not None and not (isinstance(value, float) and math.isnan(value)):
                row[str(name)] = None if value is pd.NaT else value
        rows.append(row)
    return rows


def _utc(values: pd.Series) -> list[dt.datetime]:
    stamps = pd.to_datetime(values).dt.tz_localize("UTC")
    return [t.to_pydatetime() for t in stamps]


def _records(frame: pd.DataFrame, ids: dict[str, int], time_column: str) -> list[dict[str, Any]]:
    """Rows of ``frame`` as insert parameters: customer ids resolved, times in UTC."""
    customers = [None if c is None else ids.get(str(c)) for c in frame["customer_id"]]
    times = _utc(frame[time_column])
    records = [{str(k): v for k, v in row.items()} for row in frame.to_dict(orient="records")]
    for record, customer, time in zip(records, customers, times, strict=True):
        record["customer_id"] = customer
        record[time_column] = time
    return records


def _write_truths(engine: Engine, truths: dict[str, object]) -> str | None:
    database = sqlite_file(engine.url)
    if database is None:
        return None
    path = Path(f"{database}.truths.json")
    path.write_text(json.dumps(truths, indent=2, ensure_ascii=False), encoding="utf-8")
    return str(path)


def _plant_recovery(
    engine: Engine, *, seed: int, anchor: dt.date, wave: str, actor: User | str
) -> dict[str, Any]:
    """Cases opened by the demo rule on the latest wave's detractors, the contacted ones
    resolved, and a follow-up survey (see :mod:`cxgap.demo.recovery`); returns the truths.

    Times lie between each detractor's answer and the anchor date."""
    rules = parse_rules(
        {
            **RECOVERY_RULES,
            "calendar": calendar(anchor),
            "teams": case_teams(),
            "assign": ASSIGN,
            "rules": [{**RECOVERY_RULES["rules"][0], "survey": _key(wave)}],
        },
        source="demo rules",
    )
    accounts = staff_accounts(engine, actor=actor)
    sweep(engine, rules, actor=actor)
    end = dt.datetime.combine(anchor, dt.time(), tzinfo=dt.UTC)
    with transaction(engine) as session:
        cases = list(session.scalars(select(Case).where(Case.rule == RULE).order_by(Case.id)))
        answered = {
            r.id: as_utc(r.submitted_at)
            for r in session.scalars(
                select(Response).where(Response.id.in_([c.source_id for c in cases]))
            )
        }
        contacted = np.array([not c.holdout for c in cases], dtype=bool)
        owner_of = dict(session.execute(select(User.id, User.email)).all())
        owners = [None if c.owner_id is None else owner_of[c.owner_id].split("@")[0] for c in cases]
        scores, moments = follow_up(seed, contacted)
        scores = owner_scores(seed, scores, owners)
        draws = resolution_draws(seed, len(cases))
        mark_notices_delivered(session, accounts)
        survey = create_survey(
            session,
            f"{FOLLOW_UP_PREFIX}{wave.lower()}",
            instrument=get_instrument("loyalty"),
            name=f"Follow-up survey {wave}",
            wave=wave,
        )
        customers = dict(
            session.execute(
                select(Customer.id, Customer.external_id).where(
                    Customer.id.in_([c.customer_id for c in cases])
                )
            ).all()
        )
        rows = []
        late = 0
        for i, (case, worked, score, moment) in enumerate(
            zip(cases, contacted, scores, moments, strict=True)
        ):
            start = answered.get(case.source_id or 0)
            if start is None:  # the rule reads responses, which all have a time
                continue
            span = end - start
            case.created_at = case.updated_at = _second(start + span * TIMES.opened)
            refresh_due(case)  # the due times run from the planted opening
            for event in session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)):
                event.at = case.created_at
            if worked:
                called, resolved = _worked_times(
                    rules.calendar, case, latest=start + span * TIMES.resolved_by, draws=draws, i=i
                )
                late += int(case.resolution_due_at is not None and
                            resolved > as_utc(case.resolution_due_at))  # fmt: skip
                record_event(session, case, actor, "contact", text="Called back")
                record_event(
                    session, case, actor, "state", details={"from": case.state, "to": "resolved"}
                )
                case.state, case.open_key = "resolved", None
                case.acknowledged_at, case.resolved_at = called, resolved
                case.updated_at = resolved
                case.recovery_action, case.apology = "Called back", True
                case.version += 1
                session.flush()
                for event in session.scalars(
                    select(CaseEvent).where(
                        CaseEvent.case_id == case.id, CaseEvent.kind.in_(("contact", "state"))
                    )
                ):
                    event.at = called if event.kind == "contact" else resolved
            rows.append(
                {
                    "respondent_id": f"follow-up-{customers[case.customer_id]}",
                    "customer_id": customers[case.customer_id],
                    "submitted_at": _second(start + span * float(moment)).replace(tzinfo=None),
                    "nps": float(score),
                }
            )
        frame = pd.DataFrame(rows, columns=["respondent_id", "customer_id", "submitted_at", "nps"])
        ids = customer_ids(session, frame["customer_id"])
        store_wide(
            session, survey, get_instrument("loyalty"), frame, source="demo", customer_of=ids
        )
        audit(session, actor, "demo.recovery", details={"cases": len(cases)})
    held = int((~contacted).sum())
    return {
        "recovery": {
            "follow_up_responses": len(rows),
            **RECOVERY_TRUTHS,
            "rule": RULE,
            "follow_up_survey": f"{FOLLOW_UP_PREFIX}{wave.lower()}",
            "cases": len(cases),
            "held_out": held,
            "contacted": len(cases) - held,
            "owners": _owner_truths(cases, owners, seed=seed),
            "sla": {
                **SLA_TRUTHS,
                "stream": [seed, 67],
                "calendar": rules.calendar.name,
                "resolution_minutes": RECOVERY_RULES["sla"][0]["resolution"],
                "worked": len(cases) - held,
                "late": late,
            },
        }
    }


def _worked_times(
    cal: BusinessCalendar, case: Case, *, latest: dt.datetime, draws: ResolutionDraws, i: int
) -> tuple[dt.datetime, dt.datetime]:
    """When the worked case ``i`` is called back and resolved: its planted working time
    after the opening (:func:`cxgap.demo.recovery.resolution_draws`), the call-back within
    the first-response target; when that does not fit before ``latest``, a share of the
    working time left (of the wall-clock time left when no working time is)."""
    opened = as_utc(case.created_at)
    left = working_minutes(cal, opened, latest)
    if left <= 0:
        moment = _second(opened + (latest - opened) * float(draws.left_fraction[i]))
        return moment, moment
    minutes = float(draws.target_fraction[i]) * (case.resolution_minutes or 0)
    if minutes >= left:
        minutes = left * float(draws.left_fraction[i])
    call = min(minutes, float(draws.contact_fraction[i]) * (case.first_response_minutes or 0))
    called = due_time(cal, opened, call).astimezone(dt.UTC)
    return _second(called), _second(due_time(cal, opened, minutes).astimezone(dt.UTC))


def _owner_truths(cases: list[Case], owners: list[str | None], *, seed: int) -> dict[str, Any]:
    """The truths file's ``recovery.owners``: the accounts, the teams' case counts and the
    planted difference (:data:`cxgap.demo.recovery.OWNER_TRUTHS`)."""
    domain = "@" + STAFF_DOMAIN
    teams = case_teams()
    worked = [o for c, o in zip(cases, owners, strict=True) if o and not c.holdout]
    return {
        "accounts": sorted(m for t in teams.values() for m in t["members"]),
        "teams": sorted(teams),
        "stream": [seed, 59],
        "better": OWNER_TRUTHS["better"] + domain,
        "worse": OWNER_TRUTHS["worse"] + domain,
        "worked_cases": {o + domain: worked.count(o) for o in sorted(set(worked))},
    }


def _second(moment: dt.datetime) -> dt.datetime:
    return moment.replace(microsecond=0)


def _key(wave: str) -> str:
    return f"{SURVEY_PREFIX}{wave.lower()}"
