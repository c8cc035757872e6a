"""What the server reads from a request is what the client wrote: unsupported methods name
the allowed ones, times are ISO 8601 only, numbers are never quietly changed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.routing import iter_route_contexts
from sqlalchemy import Engine
from tests.postgres_server import BACKENDS
from tests.web.api_world import SURVEY, World, world_on

from cxgap.errors import ValidationError
from cxgap.services.customers import MAX_EXACT_INTEGER, upsert_customers
from cxgap.store.database import transaction


@pytest.fixture(scope="module", params=BACKENDS)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    yield from world_on(request, tmp_path_factory.mktemp("input"))


def _error(response: Any, field: str) -> str:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"]["code"] == "invalid" and body["error"]["field"] == field, body
    message: str = body["error"]["message"]
    assert message.startswith(f"{field}: ")
    return message


# --- 405 with Allow ------------------------------------------------------------------


def _methods_by_path(world: World) -> dict[str, set[str]]:
    """Each route's path (parameters filled in) -> every method some route takes there."""

    def pattern(path: str) -> re.Pattern[str]:
        whole = re.sub(r"\{[^}:]+:int\}", "[0-9]+", path)  # Starlette's int convertor
        return re.compile(re.sub(r"\{[^}]+\}", "[^/]+", whole) + "$")

    routes = [
        (pattern(r.path), r.path, r.methods)
        for r in iter_route_contexts(world.client.app.routes)  # type: ignore[attr-defined]
        if r.methods
    ]
    paths: dict[str, set[str]] = {}
    for _, template, _ in routes:
        concrete = re.sub(r"\{[^}]+\}", "1", template)
        paths[concrete] = set().union(*(m for rx, _, m in routes if rx.match(concrete)))
    return paths


def test_every_route_answers_an_unsupported_method_with_allow(world: World) -> None:
    paths = _methods_by_path(world)
    assert len(paths) > 30  # pages, dashboard, survey links, API, the OpenAPI description
    for path, methods in paths.items():
        for method in ("TRACE", "PUT"):
            if method in methods:
                continue
            r = world.client.request(method, path, headers=world.as_role("admin"))
            assert r.status_code == 405, (method, path, r.status_code)
            allowed = {m.strip() for m in r.headers.get("allow", "").split(",") if m.strip()}
            assert allowed == methods, (method, path, r.headers.get("allow"))
            if path.startswith("/api/"):
                assert r.json()["error"]["code"] == "method_not_allowed"


def test_static_files_and_unknown_paths(world: World) -> None:
    r = world.client.request("TRACE", "/static/form.css")
    assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD"
    assert world.client.request("TRACE", "/nowhere").status_code == 404
    # one path, one route per method: the answer lists both
    r = world.client.request("TRACE", "/s/some-link")
    assert r.status_code == 405 and r.headers["allow"] == "GET, POST"


# --- times ----------------------------------------------------------------------------

NOT_ISO = [
    "0.5",
    "1700000000",
    "-1",
    "1e9",
    "yesterday",
    "2026-13-01",
    "2026-01-31T25:00",
    "20260131",
]


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/v1/feedback", "since"),
        ("/api/v1/feedback", "until"),
        ("/api/v1/audit", "since"),
        ("/api/v1/audit", "until"),
        ("/api/v1/responses", "submitted_from"),
        ("/api/v1/responses", "submitted_to"),
    ],
)
def test_time_filters_take_iso_8601_only(world: World, path: str, name: str) -> None:
    admin = world.as_role("admin")
    for value in NOT_ISO:
        r = world.client.get(path, headers=admin, params={name: value})
        message = _error(r, name)
        assert "ISO 8601" in message and "Unix timestamps are not accepted" in message
        assert repr(value) in message


def test_iso_8601_time_filters_filter(world: World) -> None:
    admin = world.as_role("admin")

    def total(**params: str) -> int:
        r = world.client.get("/api/v1/feedback", headers=admin, params=params)
        assert r.status_code == 200, r.text
        n: int = r.json()["total"]
        return n

    everything = total()
    assert everything > 0
    assert total(since="2000-01-01") == everything
    assert total(until="2000-01-01T00:00:00Z") == 0
    middle = "2025-09-01T00:00:00+02:00"
    assert 0 < total(since=middle) < everything
    assert total(since=middle) + total(until=middle) == everything
    assert total(since="2025-09-01t00:00:00z") == total(since="2025-09-01T00:00:00Z")
    # no offset: UTC
    assert total(since="2025-09-01T00:00:00") == total(since="2025-09-01T00:00:00Z")


def test_times_in_bodies_are_iso_8601_only(world: World) -> None:
    admin = world.as_role("admin")
    for value in (1700000000, 0.5, "1700000000"):
        r = world.client.post(
            "/api/v1/feedback",
            headers=admin,
            json={"channel": "web", "language": "en", "text": "ok", "received_at": value},
        )
        assert "ISO 8601" in _error(r, "received_at")
    for value in (0, "0", "2026-01-31T00:00:00"):
        r = world.client.post(
            "/api/v1/surveys",
            headers=admin,
            json={"key": "dates", "instrument": "servqual", "period_start": value},
        )
        assert "ISO 8601 date" in _error(r, "period_start")


# --- numbers --------------------------------------------------------------------------

REFUSED = {
    "9" * 501: "whole number between",
    "1e-501": "double holds exactly",
    "0." + "0" * 498 + "1": "double holds exactly",
    "1e999": "double holds exactly",
    "1.23456789012345678901": "double holds exactly",
    str(MAX_EXACT_INTEGER + 1): "whole number between",
    "NaN": "NaN and Infinity",
    "-Infinity": "NaN and Infinity",
}


def _status(world: World, path: str) -> int:
    return world.client.get(path, headers=world.as_role("admin")).status_code


def _post_raw(world: World, path: str, body: str, method: str = "POST") -> Any:
    headers = {**world.as_role("admin"), "content-type": "application/json"}
    return world.client.request(method, path, headers=headers, content=body.encode())


def test_numeric_attributes_that_cannot_be_stored_exactly_are_refused(world: World) -> None:
    for index, (literal, allowed) in enumerate(REFUSED.items()):
        customer = f"N{index}"
        r = _post_raw(
            world, "/api/v1/customers", f'{{"id": "{customer}", "attributes": {{"n": {literal}}}}}'
        )
        assert allowed in _error(r, "attributes.n"), literal
        assert _status(world, f"/api/v1/customers/{customer}") == 404

        refused = f'{{"id": "C{index}", "attributes": {{"n": {literal}}}}}'
        bulk = f'{{"customers": [{{"id": "B{index}"}}, {refused}]}}'
        r = _post_raw(world, "/api/v1/customers/bulk", bulk)
        assert allowed in _error(r, "customers.1.attributes.n")
        assert _status(world, f"/api/v1/customers/B{index}") == 404

    created = _post_raw(world, "/api/v1/customers", '{"id": "kept", "attributes": {"n": 7}}')
    assert created.status_code == 201
    r = _post_raw(world, "/api/v1/customers/kept", '{"attributes": {"n": 1e-400}}', "PATCH")
    _error(r, "attributes.n")
    stored = world.client.get("/api/v1/customers/kept", headers=world.as_role("admin")).json()
    assert stored["attributes"] == {"n": 7}


def test_numbers_a_double_holds_are_stored_as_sent(world: World) -> None:
    values = (
        '{"a": 0.1, "b": 9007199254740991, "c": -0.5, "d": 1e300, '
        '"e": 0.30000000000000004, "f": 5e-324}'
    )
    r = _post_raw(world, "/api/v1/customers", f'{{"id": "exact", "attributes": {values}}}')
    assert r.status_code == 201, r.text
    stored = world.client.get("/api/v1/customers/exact", headers=world.as_role("admin")).json()
    assert stored["attributes"] == {
        "a": 0.1,
        "b": MAX_EXACT_INTEGER,
        "c": -0.5,
        "d": 1e300,
        "e": 0.30000000000000004,
        "f": 5e-324,
    }


def test_a_refused_number_does_not_reveal_anything_without_a_credential(world: World) -> None:
    r = world.client.post(
        "/api/v1/customers",
        headers={"content-type": "application/json"},
        content=b'{"id": "x", "attributes": {"n": 1e999}}',
    )
    assert r.status_code == 401


def test_stored_attributes_refuse_numbers_they_cannot_hold(engine: Engine) -> None:
    """Imports and the command line store customers without the API in between."""
    for value, words in ((10**500, "501 digits"), (float("inf"), "inf"), (float("nan"), "nan")):
        with pytest.raises(ValidationError, match=words) as caught, transaction(engine) as session:
            upsert_customers(session, {"R1": {"score": value}})
        assert "customer 'R1', attribute 'score'" in caught.value.message


@pytest.mark.parametrize(
    "value", ["1.0", "+5", " 5", "5 ", "1_0", "١", "５", "1e1", "0x10", "true"]
)
def test_query_and_path_numbers_are_digits_only(world: World, value: str) -> None:
    admin = world.as_role("admin")
    for name in ("limit", "offset"):
        r = world.client.get("/api/v1/customers", headers=admin, params={name: value})
        assert "digits 0-9 only" in _error(r, name)
    r = world.client.get("/api/v1/api-keys", headers=admin, params={"user_id": value})
    _error(r, "user_id")
    r = world.client.get(f"/api/v1/feedback/{quote(value)}", headers=admin)
    _error(r, "message_id")
    r = world.client.get(f"/api/v1/users/{quote(value)}", headers=admin)
    _error(r, "user_id")


def test_plain_numbers_in_query_and_path_still_work(world: World) -> None:
    admin = world.as_role("admin")
    page = world.client.get(
        "/api/v1/customers", headers=admin, params={"limit": "3", "offset": "010"}
    )
    assert page.status_code == 200 and page.json()["limit"] == 3 and page.json()["offset"] == 10
    assert world.client.get("/api/v1/feedback/1", headers=admin).json()["id"] == 1


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/analyses", {"survey": SURVEY, "confidence": "0.9"}, "confidence"),
        ("/api/v1/index", {"survey": SURVEY, "bootstrap": "5"}, "bootstrap"),
        ("/api/v1/index", {"survey": SURVEY, "seed": 1.0}, "seed"),
        ("/api/v1/surveys/heating-2026q4/invitations", {"unassigned": "2"}, "unassigned"),
        (
            "/api/v1/surveys/heating-2026q4/invitations",
            {"unassigned": 1, "expires_days": "30"},
            "expires_days",
        ),
        ("/api/v1/users/1", {"active": "yes"}, "active"),
    ],
)
def test_bodies_take_numbers_and_flags_as_json_types(
    world: World, path: str, body: dict[str, Any], field: str
) -> None:
    method = "PATCH" if path.startswith("/api/v1/users/") else "POST"
    r = world.client.request(method, path, headers=world.as_role("admin"), json=body)
    _error(r, field)
