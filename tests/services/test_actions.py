"""Action plans and lifecycle records on a real SQLite file, and the measured effect of a
plan on stored survey waves (checked against action_effect on the same panel built
independently from the generating arrays)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, select

from cxgap.errors import NotFoundError, ValidationError
from cxgap.instruments import Instrument
from cxgap.services.accounts import create_user
from cxgap.services.actions import create_plan, get_plan, list_plans, measure_effect, update_plan
from cxgap.services.customers import customer_ids, upsert_customers
from cxgap.services.demo import store_wide
from cxgap.services.lifecycle import import_lifecycle, lifecycle_records, store_lifecycle
from cxgap.services.surveys import create_survey
from cxgap.stats import action_effect
from cxgap.store.accounts import AuditEvent
from cxgap.store.database import transaction
from cxgap.store.lifecycle import Complaint, Relationship

DISTRICTS = ("d1", "d2", "d3", "d4", "d5", "d6")
WAVES = ("W1", "W2", "W3", "W4", "W5", "W6")
PER_CELL = 25


def _store_waves(engine: Engine, instrument: Instrument, *, lift: float, seed: int) -> pd.DataFrame:
    """Six waves of rel1 answers; district d1 gets ``lift`` on perception from W4 on."""
    rng = np.random.default_rng(seed)
    people = [f"C{d}-{k}" for d in DISTRICTS for k in range(PER_CELL * len(WAVES))]
    truth = []
    with transaction(engine) as session:
        upsert_customers(session, {p: {"district": p[1:3]} for p in people})
        ids = customer_ids(session, people)
        for w, wave in enumerate(WAVES):
            survey = create_survey(
                session, f"pulse-{wave.lower()}", instrument=instrument, wave=wave,
                period_start=dt.date(2025, 1, 1) + dt.timedelta(days=91 * w),
            )  # fmt: skip
            rows = []
            for d, district in enumerate(DISTRICTS):
                shock = rng.normal(scale=0.2)
                for k in range(PER_CELL):
                    person = f"C{district}-{w * PER_CELL + k}"
                    adequate = int(rng.integers(4, 7))
                    perceived = adequate - 1 + d * 0.1 + shock + rng.normal(scale=1.0)
                    perceived += lift * (district == "d1") * (w >= 3)
                    value = int(np.clip(np.rint(perceived), 1, 9))
                    rows.append((person, person, adequate, min(9, adequate + 2), value))
                    truth.append((district, wave, w, district == "d1", value - adequate))
            frame = pd.DataFrame(
                rows,
                columns=["respondent_id", "customer_id", "rel1_adequate", "rel1_desired",
                         "rel1_perceived"],
            )  # fmt: skip
            store_wide(session, survey, instrument, frame, source="test", customer_of=ids)
        create_user(session, "owner@example.org", "a long pass phrase 42!", role="manager")
    return pd.DataFrame(truth, columns=["unit", "wave", "t", "targeted", "gap"])


def _plan(engine: Engine, **changes: object) -> int:
    spec: dict[str, object] = {
        "title": "Faster call-backs in d1",
        "survey": "pulse-w1",
        "gap": "dimension:reliability",
        "owner": "owner@example.org",
        "starts_on": dt.date(2025, 9, 1),
        "unit_attribute": "district",
        "targeted_units": ["d1"],
        "expected_effect": 0.8,
        "tasks": [{"title": "Hire two agents", "due_on": "2025-08-15"}],
        "actor": "tester",
    }
    spec.update(changes)
    return create_plan(engine, **spec).id  # type: ignore[arg-type]


def test_plan_that_worked_is_measured_like_the_panel_it_came_from(
    engine: Engine, mini: Instrument
) -> None:
    truth = _store_waves(engine, mini, lift=1.5, seed=1)
    plan_id = _plan(engine)
    measured = measure_effect(engine, plan_id)
    assert measured.start_wave == "W4" and measured.outcome == "gap"
    assert measured.waves == WAVES
    result = measured.result
    assert result is not None and result.method == "did"
    assert result.inference == "cells"  # one targeted district of six
    assert "few_treated_units" in result.warnings
    independent = action_effect(
        truth, outcome="gap", unit="unit", period="t", treated="targeted", start=3
    )
    assert result.effect == pytest.approx(independent.effect, rel=1e-9)
    assert result.p_value == pytest.approx(independent.p_value)
    assert result.ci_low > 0
    assert result.n_rows == len(truth) and result.n_units == 6
    assert measured.power is not None and measured.power.min_detectable_effect > 0
    assert measured.to_dict()["effect"]["effect"] == pytest.approx(result.effect)


def test_plan_that_did_not_work_has_an_interval_with_zero(engine: Engine, mini: Instrument) -> None:
    _store_waves(engine, mini, lift=0.0, seed=2)
    result = measure_effect(engine, _plan(engine)).result
    assert result is not None
    assert result.ci_low < 0 < result.ci_high


def test_plan_lifecycle_is_audited(engine: Engine, mini: Instrument) -> None:
    _store_waves(engine, mini, lift=0.0, seed=3)
    plan_id = _plan(engine, cost=12000.0, linked=["call-back-48h"])
    plan = update_plan(
        engine, plan_id, actor="tester", status="active",
        add_tasks=[{"title": "Train the team", "status": "doing"}],
    )  # fmt: skip
    assert plan.status == "active" and [t.title for t in plan.tasks] == [
        "Hire two agents",
        "Train the team",
    ]
    first = plan.tasks[0].id
    plan = update_plan(engine, plan_id, actor="tester", task_status={first: "done"})
    assert plan.tasks[0].status == "done" and plan.tasks[0].done_on is not None
    assert [p.id for p in list_plans(engine, status="active")] == [plan_id]
    assert list_plans(engine, status="done") == []
    assert get_plan(engine, plan_id).linked == ("call-back-48h",)
    with transaction(engine) as session:
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.target_type == "action_plan")
        ).all()
    assert actions == ["action_plan.create", "action_plan.update", "action_plan.update"]
    with pytest.raises(NotFoundError, match="has no task 999"):
        update_plan(engine, plan_id, actor="tester", task_status={999: "done"})
    with pytest.raises(ValidationError, match="nothing to change"):
        update_plan(engine, plan_id, actor="tester")
    with pytest.raises(ValidationError, match="status 'finished' is not allowed"):
        update_plan(engine, plan_id, actor="tester", status="finished")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"gap": "dimension:speed"}, "has no dimension 'speed'; allowed: empathy, reliability"),
        ({"gap": "speed"}, "allowed: dimension:NAME or item:ID"),
        ({"owner": "nobody@example.org"}, "is not a user"),
        ({"survey": "nope"}, "survey 'nope' does not exist"),
        ({"unit_attribute": None}, "without unit_attribute"),
        ({"cost": -5.0}, "cost -5.0 is not allowed"),
    ],
)
def test_plan_mistakes_are_named(
    engine: Engine, mini: Instrument, change: dict[str, object], message: str
) -> None:
    with transaction(engine) as session:
        create_survey(session, "pulse-w1", instrument=mini, wave="W1")
        create_user(session, "owner@example.org", "a long pass phrase 42!", role="manager")
    with pytest.raises((ValidationError, NotFoundError), match=message):
        _plan(engine, **change)


def test_lifecycle_file_import(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "relationships.csv"
    path.write_text(
        "customer,started_on,ended_on,end_reason,voluntary,plan,unit\n"
        "C1,2024-01-05,2025-03-31,price,yes,basic,d1\n"
        "C2,2024-02-01,,,,premium,d2\n",
        encoding="utf-8",
    )
    done = import_lifecycle(engine, path, "relationships", actor="tester")
    assert (done.rows, done.customers_created) == (2, 2)
    with transaction(engine) as session:
        stored = session.scalars(select(Relationship).order_by(Relationship.id)).all()
        assert [(r.ended_on, r.voluntary, r.end_reason) for r in stored] == [
            (dt.date(2025, 3, 31), True, "price"),
            (None, None, None),
        ]
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "customer,started_on,ended_on,voluntary\nC3,2024-01-05,2023-12-31,yes\n", encoding="utf-8"
    )
    with pytest.raises(ValidationError, match=r"bad.csv, row 2, column 'ended_on'.*before"):
        import_lifecycle(engine, bad, "relationships", actor="tester")
    bad.write_text("customer,started_on,voluntary\nC3,2024-01-05,maybe\n", encoding="utf-8")
    with pytest.raises(ValidationError, match=r"row 2, column 'voluntary': 'maybe'.*yes/no"):
        import_lifecycle(engine, bad, "relationships", actor="tester")
    bad.write_text("customer,ended_on\nC3,2024-01-05\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="column 'started_on' is missing"):
        import_lifecycle(engine, bad, "relationships", actor="tester")


def test_complaints_from_the_api_and_xlsx(engine: Engine, tmp_path: Path) -> None:
    records = lifecycle_records(
        "complaints",
        [("request, complaint 1", {"complaint_id": "K1", "customer": "C9", "channel": "Hotline",
                                    "received_at": "2026-01-03 10:00", "case_id": 4})],
    )  # fmt: skip
    store_lifecycle(engine, "complaints", records, actor="tester")
    frame = pd.DataFrame(
        {"complaint_id": ["K2"], "channel": ["letter"], "received_at": ["2026-02-01"],
         "resolved_at": ["2026-02-03"], "text": ["Radiator cold\nfor a week"]}
    )  # fmt: skip
    path = tmp_path / "complaints.xlsx"
    frame.to_excel(path, index=False)
    import_lifecycle(engine, path, "complaints", actor="tester")
    with transaction(engine) as session:
        stored = session.scalars(select(Complaint).order_by(Complaint.id)).all()
        assert [(c.external_id, c.channel, c.case_id) for c in stored] == [
            ("K1", "hotline", 4),
            ("K2", "letter", None),
        ]
    with pytest.raises(ValidationError, match="complaint 'K2' is already stored"):
        import_lifecycle(engine, path, "complaints", actor="tester")
    with pytest.raises(ValidationError, match="'fax' is not allowed; allowed: hotline"):
        lifecycle_records(
            "complaints", [("row 1", {"channel": "fax", "received_at": "2026-01-01"})]
        )
