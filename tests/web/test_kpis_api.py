"""``/api/v1/kpis`` and ``/api/v1/actions`` through the real HTTP app on the demo
organisation in a real SQLite file."""

from __future__ import annotations

import datetime as dt
import html
import math
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.web.api_world import SURVEY, World, build_world, plan_body

from cxgap.locale import text
from cxgap.services.accounts import get_user
from cxgap.services.actions import create_plan, measure_effect
from cxgap.services.kpis import evaluate_kpis
from cxgap.store.database import transaction
from cxgap.web.auth import SESSION_COOKIE, issue_session


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
    # the demo has data for every built-in KPI, those of cases and delivery too
    assert {k["kpi"] for k in measured} >= {"satisfaction_index", "case_sla", "recovery_rate",
                                            "standard_compliance"}  # fmt: skip
    for kpi in got.values():  # a period not yet ended is shown but never alerted
        partial = {p["period"] for p in kpi["periods"] if p["partial"]}
        assert not partial & {a["period"] for a in kpi["alerts"]}


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


def _signed_in(world: World, role: str) -> TestClient:
    """A client of the world's app carrying a session of the ``role`` account (the
    world's own client stays without one)."""
    client = TestClient(world.client.app)
    with transaction(world.engine) as session:
        user = get_user(session, f"{role}@example.org")
        value = issue_session(world.engine, client.app.state.secret, user)  # type: ignore[attr-defined]
    client.cookies.set(SESSION_COOKIE, value)
    return client


@pytest.mark.parametrize("lang", ["zh", "fa"])
def test_unavailable_reasons_are_worded_in_the_language(tmp_path: Path, lang: str) -> None:
    empty = build_world(tmp_path, demo=False)
    r = empty.client.get("/api/v1/kpis", params={"lang": lang}, headers=empty.as_role("viewer"))
    sla = next(k for k in r.json() if k["kpi"] == "case_sla")
    assert (sla["unavailable"], sla["unavailable_code"]) == ("the cases table has no rows",
                                                             "no_rows")  # fmt: skip
    worded = text("report", lang, "kpi_unavailable_no_rows", table="cases")
    assert sla["unavailable_reason"] == worded != sla["unavailable"]
    page = _signed_in(empty, "manager").get("/dashboard/kpis", params={"lang": lang}).text
    assert html.escape(worded, quote=True) in page
    assert html.escape(text("report", lang, "kpi_unavailable_no_data"), quote=True) in page
    assert "the cases table has no rows" not in page


def test_effect_unavailable_reason_is_worded_in_the_language(world: World) -> None:
    plan = create_plan(world.engine, title="No units", survey=SURVEY,
                       gap="dimension:responsiveness", owner="manager@example.org",
                       starts_on=dt.date(2026, 10, 1), actor="test")  # fmt: skip
    r = world.client.get(f"/api/v1/actions/{plan.id}", headers=world.as_role("viewer"))
    detail = r.json()
    assert detail["effect_unavailable_code"] == "no_unit_attribute"
    assert detail["effect_unavailable"].startswith(f"action plan {plan.id} names no unit")
    for lang in ("zh", "fa"):
        page = _signed_in(world, "manager").get(f"/dashboard/actions/{plan.id}",
                                                 params={"lang": lang}).text  # fmt: skip
        worded = text("report", lang, "kpi_effect_no_unit_attribute", plan=str(plan.id))
        assert html.escape(worded, quote=True) in page
        assert "names no unit attribute" not in page
