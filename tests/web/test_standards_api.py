"""Changing standards, registering promises and storing delivery through the API, over the
real app and a real SQLite file: a change is a new version, rows are stored all or none
and refusals name the row and field as the file imports do."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from tests.web.api_world import World, build_world

from cxgap.errors import ValidationError
from cxgap.services.accounts import list_audit
from cxgap.services.delivery import add_units, delivery_table, import_delivery
from cxgap.services.promises import list_promises
from cxgap.services.standards import list_standards

from .helpers import standard_body

R = "/api/v1"
STANDARD = {**standard_body("arrival"), "effective_from": "2026-01-01"}


@pytest.fixture
def world(tmp_path: Path) -> World:
    world = build_world(tmp_path, demo=False)
    created = world.client.post(f"{R}/standards", headers=world.as_role("analyst"), json=STANDARD)
    assert created.status_code == 201
    add_units(world.engine, [("north", "district", None), ("south", "district", None)], actor="t")
    return world


def _versions(world: World) -> list[tuple[int, str, float, float, str]]:
    return [
        (r.version, r.status, r.floor, r.target, r.owner)
        for r in list_standards(world.engine, all_versions=True)
    ]


def _refusal(answer: Any) -> str:
    assert answer.status_code == 422, answer.text
    return str(answer.json()["error"]["message"])


def test_patch_stores_a_new_version_and_keeps_the_approved_one(world: World) -> None:
    manager = world.as_role("manager")
    assert world.client.post(f"{R}/standards/arrival/approve", headers=manager).status_code == 200
    answer = world.client.patch(
        f"{R}/standards/arrival",
        headers=world.as_role("analyst"),
        json={"floor": 6.0, "owner": "night shift", "effective_to": "2027-06-30"},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["version"], body["status"], body["floor"], body["target"]) == (
        2,
        "proposed",
        6.0,
        4.0,
    )
    assert body["effective_to"] == "2027-06-30" and body["created_by"] == "analyst@example.org"
    assert _versions(world) == [
        (1, "approved", 8.0, 4.0, "field service"),
        (2, "proposed", 6.0, 4.0, "night shift"),
    ]
    events, _ = list_audit(world.engine, action="standard.edit")
    assert [(e.actor, e.target_id) for e in events] == [("analyst@example.org", "arrival@2")]


def test_patch_refusals_name_the_field(world: World) -> None:
    analyst = world.as_role("analyst")
    # lower is better: a floor below the target is refused, naming the floor
    message = _refusal(
        world.client.patch(f"{R}/standards/arrival", headers=analyst, json={"floor": 3.0})
    )
    assert "field 'floor' is 3, below the target 4" in message
    assert "nothing to change" in _refusal(
        world.client.patch(f"{R}/standards/arrival", headers=analyst, json={})
    )
    wrong = world.client.patch(f"{R}/standards/arrival", headers=analyst, json={"item": "res3"})
    assert _refusal(wrong) and wrong.json()["error"]["field"] == "item"
    text = world.client.patch(f"{R}/standards/arrival", headers=analyst, json={"floor": "6"})
    assert _refusal(text) and text.json()["error"]["field"] == "floor"
    missing = world.client.patch(f"{R}/standards/nowhere", headers=analyst, json={"floor": 6.0})
    assert missing.status_code == 404
    viewer = world.client.patch(
        f"{R}/standards/arrival", headers=world.as_role("viewer"), json={"floor": 6.0}
    )
    assert viewer.status_code == 403
    assert _versions(world) == [(1, "proposed", 8.0, 4.0, "field service")]


PROMISES = [
    {
        "key": "brochure-6h",
        "channel": "brochure",
        "text_en": "A technician within six hours",
        "text_fa": "تکنسین در کمتر از شش ساعت",
        "valid_from": "2026-01-01",
        "instrument": "heating-cx",
        "item": "res2",
        "standard": "arrival",
        "level": 6.0,
    },
    {
        "key": "web-app",
        "channel": "website",
        "text_zh": "随时在应用中预约",
        "audience": "channel=app",
        "valid_from": "2026-03-01",
        "valid_to": "2026-12-31",
        "instrument": "heating-cx",
        "dimension": "responsiveness",
    },
]


def test_promises_are_registered_all_or_none(world: World) -> None:
    analyst = world.as_role("analyst")
    bad = [
        PROMISES[0],
        {**PROMISES[1], "channel": "billboard"},
        {**PROMISES[1], "key": "sla-2", "level": 2.0},
        {**PROMISES[0], "valid_from": "soon"},
    ]
    message = _refusal(world.client.post(f"{R}/promises", headers=analyst, json={"rows": bad}))
    assert message.startswith("request: nothing imported, 3 problems")
    assert "request: row 2: field 'channel' is 'billboard'" in message
    assert "request: row 3: field 'level' is given without a standard" in message
    assert "request: row 4: field 'valid_from' is 'soon'" in message
    assert list_promises(world.engine) == []
    answer = world.client.post(f"{R}/promises", headers=analyst, json={"rows": PROMISES})
    assert answer.status_code == 201 and answer.json() == {"added": 2}
    stored = {p.key: p for p in list_promises(world.engine)}
    assert sorted(stored) == ["brochure-6h", "web-app"]
    assert stored["brochure-6h"].promised_level == 6.0
    assert stored["web-app"].audience == "channel=app"
    again = world.client.post(f"{R}/promises", headers=analyst, json={"rows": PROMISES[:1]})
    assert "row 1, field 'key': promise 'brochure-6h' exists already" in _refusal(again)
    viewer = world.client.post(
        f"{R}/promises", headers=world.as_role("viewer"), json={"rows": PROMISES}
    )
    assert viewer.status_code == 403
    events, _ = list_audit(world.engine, action="promise.import")
    assert [(e.actor, e.target_type) for e in events] == [("analyst@example.org", "request")]


def test_delivery_rows_are_checked_like_a_file(world: World, tmp_path: Path) -> None:
    analyst = world.as_role("analyst")
    rows: list[dict[str, Any]] = [
        {"unit": "north", "period": "2026-02", "value": 5.5, "cases": 40, "met": 31},
        {"unit": "west", "period": "2026-02", "value": 4.0},
        {"unit": "south", "period": "2026-02", "value": 7.0, "cases": 10, "met": 12},
        {"unit": "south", "period": "2025-12", "value": 7.0},
        {"unit": "north", "period": "2026-02", "value": 6.0},
    ]
    message = _refusal(
        world.client.post(
            f"{R}/delivery", headers=analyst, json={"standard": "arrival", "rows": rows}
        )
    )
    # the same rows in a file are refused for the same problems, named the same way
    csv = tmp_path / "delivery.csv"
    csv.write_text(
        "unit,period,value,cases,met\n"
        + "".join(
            f"{r['unit']},{r['period']},{r['value']},{r.get('cases', '')},{r.get('met', '')}\n"
            for r in rows
        ),
        encoding="utf-8",
    )
    with pytest.raises(ValidationError) as refused:
        import_delivery(world.engine, csv, actor="t", standard="arrival")
    from_file = str(refused.value).replace(str(csv), "request").replace("column", "field")
    # file rows are numbered from the header line (row 1), request rows from 1
    shifted = re.sub(r"row (\d+)", lambda m: f"row {int(m.group(1)) - 1}", from_file)
    assert message.splitlines()[1:] == shifted.splitlines()[1:]
    assert "request: row 2, field 'unit': 'west' is not a known unit" in message
    assert "request: row 3, field 'met': 12 exceeds cases 10" in message
    assert "request: row 4, field 'period': '2025-12' lies outside" in message
    assert "request: row 5, standard, unit and period repeat row 1" in message
    assert delivery_table(world.engine).empty
    good = [
        rows[0],
        {**rows[2], "met": 9},
        {**rows[1], "unit": "south", "period": "2026-03", "standard": "arrival"},
    ]
    answer = world.client.post(f"{R}/delivery", headers=analyst, json={"rows": good})
    assert "row 1, field 'standard': '' is not a stored standard" in _refusal(answer)
    answer = world.client.post(
        f"{R}/delivery", headers=analyst, json={"standard": "arrival", "rows": good}
    )
    assert answer.status_code == 201 and answer.json() == {"stored": 3}
    table = delivery_table(world.engine).sort_values(["unit", "period"])
    stored = table[["unit", "period", "value", "cases", "met"]].astype(object)
    assert stored.where(stored.notna(), None).values.tolist() == [
        ["north", "2026-02", 5.5, 40, 31],
        ["south", "2026-02", 7.0, 10, 9],
        ["south", "2026-03", 4.0, None, None],
    ]
    viewer = world.client.post(
        f"{R}/delivery", headers=world.as_role("viewer"), json={"standard": "arrival", "rows": good}
    )
    assert viewer.status_code == 403
    events, _ = list_audit(world.engine, action="delivery.import")
    assert [(e.actor, e.target_type) for e in events] == [("analyst@example.org", "request")]
