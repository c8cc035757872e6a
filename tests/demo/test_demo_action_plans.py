"""The demo's two action plans: stored through the service, the planted improvement is
measured (interval above zero, covering the planted size), the plan without a change is
not, and the measured numbers agree with an independent regression on the stored data."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from sqlalchemy import Engine, select
from tests.databases import load_demo_copy

from cxgap.demo.action_plans import DID_NOT_WORK, WORKED
from cxgap.demo.generate import generate
from cxgap.engine import responses_frame
from cxgap.instruments import get_instrument
from cxgap.services.accounts import has_password
from cxgap.services.actions import get_plan, measure_effect
from cxgap.store.accounts import AuditEvent, User
from cxgap.store.database import get_engine, transaction, upgrade

ANCHOR = dt.date(2027, 1, 1)
"""The demo's data lies before this day (waves 2025Q1-2026Q4), whatever today is."""
WAVES = [f"{y}Q{q}" for y in (2025, 2026) for q in (1, 2, 3, 4)]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Engine, dict[str, Any]]:
    engine = get_engine(str(tmp_path_factory.mktemp("plans") / "demo.db"))
    upgrade(engine)
    result = load_demo_copy(engine, seed=3, customers=1500, anchor=ANCHOR)
    assert result is not None and result.truths_file is not None
    truths = json.loads(Path(result.truths_file).read_text(encoding="utf-8"))
    return engine, truths


def _planted(truths: dict[str, Any], title: str) -> dict[str, Any]:
    return next(p for p in truths["action_plans"] if p["title"] == title)


def _cells(engine: Engine, dimension: str) -> pd.DataFrame:
    """Region x wave mean gap (perceived minus adequate) on a dimension, read straight
    from the stored answers."""
    items = [i.id for i in get_instrument("heating-cx").items if i.dimension == dimension]
    rows = []
    for wave in WAVES:
        frame, _ = responses_frame(engine, f"heating-{wave.lower()}")
        gaps = np.column_stack(
            [frame[f"{i}_perceived"].to_numpy(float) - frame[f"{i}_adequate"].to_numpy(float)
             for i in items]
        )  # fmt: skip
        with np.errstate(all="ignore"):
            gap = np.nanmean(gaps, axis=1)
        part = pd.DataFrame({"region": frame["region"].to_numpy(), "gap": gap}).dropna()
        rows.append(part.groupby("region").gap.mean().rename(wave))
    stacked = pd.concat(rows, axis=1).stack().rename("gap")
    return stacked.rename_axis(["region", "wave"]).reset_index()


def test_both_plans_are_stored_with_owner_tasks_cost_and_expected_effect(
    demo: tuple[Engine, dict[str, Any]],
) -> None:
    engine, truths = demo
    for spec in (WORKED, DID_NOT_WORK):
        planted = _planted(truths, spec.title)
        plan = get_plan(engine, planted["plan_id"])
        assert plan.title == spec.title and plan.status == "active"
        assert plan.gap == f"dimension:{spec.dimension}" == planted["gap"]
        assert plan.unit_attribute == "region" and plan.targeted_units == (spec.region,)
        assert plan.starts_on == dt.date(2026, 4, 1) and planted["start_wave"] == "2026Q2"
        assert plan.cost == spec.cost and plan.expected_effect == spec.expected_effect
        assert [t.title for t in plan.tasks] == [t[0] for t in spec.tasks]
        assert plan.owner == "service.manager@riverside-heat.example"
    with transaction(engine) as session:
        owner = session.scalar(select(User).where(User.email == plan.owner))
        # nobody signs in as the demo owner: an active account without a password
        assert owner is not None and owner.active and not has_password(owner)
        actions = session.scalars(select(AuditEvent.action)).all()
    assert actions.count("action_plan.create") == 2 and actions.count("action_plan.update") == 2
    assert _planted(truths, WORKED.title)["planted_effect"] == 0.6
    assert _planted(truths, DID_NOT_WORK.title)["planted_effect"] == 0.0


def test_the_plan_that_worked_is_measured_and_the_other_is_not(
    demo: tuple[Engine, dict[str, Any]],
) -> None:
    engine, truths = demo
    for spec, worked in ((WORKED, True), (DID_NOT_WORK, False)):
        planted = _planted(truths, spec.title)
        measured = measure_effect(engine, planted["plan_id"])
        result = measured.result
        assert result is not None and measured.start_wave == "2026Q2"
        assert result.method == "did" and result.n_pre_periods == 5 and result.n_periods == 8
        if worked:
            assert 0 < result.ci_low <= planted["planted_effect"] <= result.ci_high
            assert 0.3 < result.effect < 0.9 and result.p_value < 0.001
        else:
            assert result.ci_low < 0 < result.ci_high
        # an independent two-way fixed-effects regression on the region x wave means
        cells = _cells(engine, spec.dimension)
        cells["d"] = ((cells.region == spec.region) & (cells.wave >= "2026Q2")).astype(float)
        fit = smf.ols("gap ~ d + C(region) + C(wave)", data=cells).fit()
        low, high = fit.conf_int().loc["d"]
        assert result.effect == pytest.approx(fit.params["d"], abs=1e-9)
        assert (result.ci_low, result.ci_high) == pytest.approx((low, high), abs=1e-9)


def test_the_improvement_is_planted_in_one_region_from_the_start_only() -> None:
    data = generate(
        get_instrument("heating-cx"), get_instrument("servqual-management"),
        seed=3, customers=1500, anchor=ANCHOR,
    )  # fmt: skip
    region = data.customers.set_index("customer_id").region
    rises = {}
    for wave, frame in data.waves.items():
        where = frame.customer_id.map(region)
        perceived = frame[[f"res{k}_perceived" for k in range(1, 5)]].mean(axis=1)
        rises[wave] = perceived[where == "south"].mean() - perceived[where != "south"].mean()
    before = np.mean([rises[w] for w in WAVES[:5]])
    after = np.mean([rises[w] for w in WAVES[5:]])
    assert 0.35 < after - before < 0.85
    assert set(data.waves["2026Q4"]["res1_perceived"].dropna()) <= set(range(1, 10))


def test_actions_list_shows_both_plans(
    demo: tuple[Engine, dict[str, Any]], cli: Callable[..., tuple[int, str, str]]
) -> None:
    engine, _ = demo
    code, out, err = cli("--db", str(engine.url.database), "actions", "list")
    assert code == 0, err
    assert WORKED.title[:20] in out and DID_NOT_WORK.title[:20] in out
    code, out, err = cli("--db", str(engine.url.database), "actions", "list", "--json")
    assert code == 0, err
    listed = json.loads(out)
    items = listed["items"] if isinstance(listed, dict) else listed
    assert {p["title"] for p in items} == {WORKED.title, DID_NOT_WORK.title}
