"""``/api/v1/cases`` on the real app: opening, the queue, history, and version conflicts."""

from __future__ import annotations

import pytest
from tests.web.api_world import World, build_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    w = build_world(tmp_path_factory.mktemp("cases-api"), demo=False)
    for i in range(3):
        r = w.client.post("/api/v1/customers", headers=w.as_role("admin"), json={"id": f"K{i}"})
        assert r.status_code == 201
    return w


def _open(world: World, customer: str, cause: str = "complaint") -> dict[str, object]:
    r = world.client.post(
        "/api/v1/cases",
        headers=world.as_role("agent"),
        json={
            "customer": customer,
            "cause": cause,
            "priority": "high",
            "owner": "agent@example.org",
        },
    )
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def test_two_changes_on_one_version_one_wins_the_other_gets_409(world: World) -> None:
    case = _open(world, "K0")
    assert case["version"] == 1 and case["state"] == "new" and case["owner"] == "agent@example.org"
    url = f"/api/v1/cases/{case['id']}"
    first = world.client.patch(
        url, headers=world.as_role("agent"), json={"version": 1, "note": "called, no answer"}
    )
    second = world.client.patch(
        url, headers=world.as_role("manager"), json={"version": 1, "state": "closed"}
    )
    assert first.status_code == 200 and first.json()["version"] == 2
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "conflict"
    assert "changed by someone else" in second.json()["error"]["message"]
    detail = world.client.get(url, headers=world.as_role("manager")).json()
    assert detail["state"] == "new" and detail["version"] == 2
    assert [e["text"] for e in detail["events"] if e["kind"] == "note"] == ["called, no answer"]
    # Reloaded, the manager's change goes through.
    again = world.client.patch(
        url, headers=world.as_role("manager"), json={"version": 2, "state": "acknowledged"}
    )
    assert again.status_code == 200 and again.json()["state"] == "acknowledged"


def test_one_open_case_per_customer_and_cause(world: World) -> None:
    _open(world, "K1", "billing")
    r = world.client.post(
        "/api/v1/cases", headers=world.as_role("agent"), json={"customer": "K1", "cause": "billing"}
    )
    assert r.status_code == 409


def test_queue_sorted_filters_and_roles(world: World) -> None:
    _open(world, "K2", "queue")
    mine = world.client.get("/api/v1/cases?mine=true&open=true", headers=world.as_role("agent"))
    assert mine.status_code == 200
    assert mine.json()["total"] >= 1
    assert all(c["owner"] == "agent@example.org" for c in mine.json()["items"])
    assert world.client.get("/api/v1/cases", headers=world.as_role("viewer")).status_code == 403
    bad = world.client.patch(
        "/api/v1/cases/1", headers=world.as_role("analyst"), json={"version": 1, "note": "x"}
    )
    assert bad.status_code == 403
    wrong = world.client.patch(
        "/api/v1/cases/1", headers=world.as_role("agent"), json={"version": 1, "state": "gone"}
    )
    assert wrong.status_code == 422
    missing = world.client.get("/api/v1/cases/999999", headers=world.as_role("agent"))
    assert missing.status_code == 404


def test_moves_that_are_not_allowed_are_refused(world: World) -> None:
    case = _open(world, "K0", "moves")
    url = f"/api/v1/cases/{case['id']}"
    r = world.client.patch(
        url, headers=world.as_role("agent"), json={"version": 1, "state": "resolved"}
    )
    assert r.status_code == 200
    r = world.client.patch(
        url, headers=world.as_role("agent"), json={"version": 2, "state": "acknowledged"}
    )
    assert r.status_code == 422
    assert "can move to closed, in_progress" in r.json()["error"]["message"]


def test_stats_and_board_agents_see_only_themselves(world: World) -> None:
    stats = world.client.get("/api/v1/cases/stats", headers=world.as_role("manager"))
    assert stats.status_code == 200 and stats.json()["cases"] >= 1
    assert stats.json()["holdout"] is None
    board = world.client.get("/api/v1/cases/board", headers=world.as_role("agent"))
    assert board.status_code == 200 and board.json()["teams"] == []
    assert all(r["name"] == "agent@example.org" for r in board.json()["people"])
    bad = world.client.get("/api/v1/cases/board?quarter=Q4", headers=world.as_role("manager"))
    assert bad.status_code == 422
    assert (
        world.client.get("/api/v1/cases/board", headers=world.as_role("viewer")).status_code == 403
    )
