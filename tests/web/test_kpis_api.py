"""``/api/v1/kpis`` and ``/api/v1/actions`` through the real HTTP app on the demo
organisation in a real SQLite file."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from tests.web.api_world import World, build_world, plan_body

from cxgap.services.actions import measure_effect
from cxgap.services.kpis import evaluate_kpis


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(Path(tmp_path_factory.mktemp("kpis")))


def _plan_body(**change: object) -> dict[str, object]:
    return plan_body(expected_effect=0.5, tasks=[{"title": "Hire two agents",
                                                 "due_on": "2026-09-15"}], **change)  # fmt: skip


def test_kpis_carry_values_intervals_targets_and_alerts(world: World) -> None:
    r = world.client.get("/api/v1/kpis", headers=world.as_role("viewer"))
    assert r.status_code == 200, r.text
    got = {k["series"]: k for k in r.json()}
    expected = {s.series: s for s in evaluate_kpis(world.engine)}
    assert set(got) == set(expected)
    measured = [k for k in got.values() if k["state"] != "unavailable"]
    assert measured, "the demo organisation has KPI data"
    for kpi in measured:
        series = expected[kpi["series"]]
        assert [p["period"] for p in kpi["periods"]] == list(series.periods.period)
        for period, row in zip(kpi["periods"], series.periods.itertuples(), strict=True):
            assert math.isclose(period["value"], row.value)
            assert period["ci_low"] <= period["value"] <= period["ci_high"]
        assert kpi["state"] == ("alert" if series.alerts else "ok")
        assert [a["kind"] for a in kpi["alerts"]] == [a.kind for a in series.alerts]
    assert {k["state"] for k in got.values()} >= {"unavailable"}
    assert all(k["unavailable"] for k in got.values() if k["state"] == "unavailable")


def test_alert_reasons_follow_the_language(world: World) -> None:
    alerts = [a for s in evaluate_kpis(world.engine) for a in s.alerts]
    r = world.client.get("/api/v1/kpis", params={"lang": "fa"}, headers=world.as_role("admin"))
    reasons = [a["reason"] for k in r.json() for a in k["alerts"]]
    assert len(reasons) == len(alerts)
    assert all(any("\u0600" <= c <= "\u06ff" for c in reason) for reason in reasons)


def test_roles_without_the_permission_are_refused(world: World) -> None:
    assert world.client.get("/api/v1/kpis", headers=world.as_role("agent")).status_code == 403
    assert world.client.get("/api/v1/actions", headers=world.as_role("agent")).status_code == 403
    r = world.client.post("/api/v1/actions", headers=world.as_role("viewer"), json=_plan_body())
    assert r.status_code == 403
    assert world.client.get("/api/v1/kpis").status_code == 401


def test_a_plan_is_created_listed_and_shown_with_its_measured_effect(world: World) -> None:
    r = world.client.post("/api/v1/actions", headers=world.as_role("analyst"), json=_plan_body())
    assert r.status_code == 201, r.text
    plan = r.json()
    assert plan["gap"] == "dimension:responsiveness" and plan["status"] == "planned"
    assert plan["tasks"][0]["title"] == "Hire two agents"
    assert plan["tasks"][0]["due_on"] == "2026-09-15"
    listed = world.client.get("/api/v1/actions", headers=world.as_role("viewer")).json()
    assert plan["id"] in [p["id"] for p in listed]
    r = world.client.get(f"/api/v1/actions/{plan['id']}", headers=world.as_role("viewer"))
    assert r.status_code == 200, r.text
    detail = r.json()
    service = measure_effect(world.engine, plan["id"]).to_dict()
    assert detail["waves"] == service["waves"] and detail["start_wave"] == service["start_wave"]
    assert detail["effect"] == service["effect"] and detail["power"] == service["power"]
    assert detail["effect_unavailable"] is None and detail["effect"]["method"] == "did"
    audit = world.client.get("/api/v1/audit", headers=world.as_role("admin")).json()
    rows = audit["items"] if isinstance(audit, dict) else audit
    assert any(e["action"] == "action_plan.create" for e in rows)


def test_plan_mistakes_name_the_field(world: World) -> None:
    admin = world.as_role("admin")
    r = world.client.post("/api/v1/actions", headers=admin, json=_plan_body(gap="dimension:x"))
    assert r.status_code == 422 and "dimension" in r.json()["error"]["message"]
    r = world.client.post("/api/v1/actions", headers=admin, json=_plan_body(cost=-1))
    assert r.status_code == 422 and r.json()["error"]["field"].endswith("cost")
    r = world.client.post("/api/v1/actions", headers=admin, json=_plan_body(owner="x@nobody.org"))
    assert r.status_code == 404
    assert world.client.get("/api/v1/actions/99999", headers=admin).status_code == 404
