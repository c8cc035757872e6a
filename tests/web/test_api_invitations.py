"""``POST /api/v1/surveys/{key}/invitations`` and second links: like the command line, a
customer who has a link gets another only when asked (``again``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from cxgap.services.customers import upsert_customers
from cxgap.store.database import transaction
from cxgap.store.models import Invitation

from .api_world import World, build_world

CUSTOMERS = {"C1": {"gender": "female"}, "C2": {"region": "north"}, "C3": {}}


@pytest.fixture
def world(tmp_path: Path) -> World:
    world = build_world(tmp_path, demo=False)
    with transaction(world.engine) as session:
        upsert_customers(session, CUSTOMERS)
    created = world.client.post(
        "/api/v1/surveys",
        headers=world.as_role("analyst"),
        json={"key": "visit", "instrument": "loyalty"},
    )
    assert created.status_code == 201, created.text
    return world


def links(world: World) -> int:
    with transaction(world.engine) as session:
        return int(session.scalar(select(func.count()).select_from(Invitation)) or 0)


def test_a_second_link_needs_again(world: World) -> None:
    analyst = world.as_role("analyst")
    url = "/api/v1/surveys/visit/invitations"
    first = world.client.post(url, headers=analyst, json={"all_customers": True})
    assert first.status_code == 201 and first.json()["count"] == 3
    # everyone has a link now: refused, saying what exists and how to ask, nothing issued
    refused = world.client.post(url, headers=analyst, json={"all_customers": True})
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "conflict"
    assert "3 of the 3 customers already have a link to survey 'visit'" in error["message"]
    assert '"again": true' in error["message"] and "nothing was issued" in error["message"]
    one = world.client.post(url, headers=analyst, json={"customers": ["C2"]})
    assert (
        one.status_code == 409 and "1 of the 1 customer already" in one.json()["error"]["message"]
    )
    assert links(world) == 3
    # asked for: a second link each, which opens the form
    again = world.client.post(url, headers=analyst, json={"all_customers": True, "again": True})
    assert again.status_code == 201 and again.json()["count"] == 3
    assert sorted(link["customer"] for link in again.json()["links"]) == ["C1", "C2", "C3"]
    path = again.json()["links"][0]["url"].split("testserver", 1)[1]
    assert world.client.get(path).status_code == 200
    assert links(world) == 6
    # a customer without a link needs no again
    with transaction(world.engine) as session:
        upsert_customers(session, {"C4": {}})
    new = world.client.post(url, headers=analyst, json={"customers": ["C4"]})
    assert new.status_code == 201 and links(world) == 7


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_again_is_true_or_false(world: World, value: object) -> None:
    sent = world.client.post(
        "/api/v1/surveys/visit/invitations",
        headers=world.as_role("analyst"),
        json={"customers": ["C1"], "again": value},
    )
    assert sent.status_code == 422 and sent.json()["error"]["field"] == "again"
