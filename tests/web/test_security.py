"""Hostile input through the API: stored scripts, SQL metacharacters, path tricks."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import func, select
from tests.web.api_world import World, build_world

from cxgap.store.database import transaction
from cxgap.store.models import Customer, FeedbackMessage, Response

SCRIPTS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(document.cookie)>',
    "javascript:alert(1)",
    "<svg/onload=alert(1)>",
    "{{7*7}} ${7*7} <%= 7*7 %>",
]
SQL = [
    "' OR 1=1 --",
    "%",
    "_",
    ";",
    "'; DROP TABLE customers; --",
    '" OR ""="',
    "\\",
    "%_%",
    "\x00",
]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    w = build_world(tmp_path_factory.mktemp("security"))
    admin = w.as_role("admin")
    for i, script in enumerate(SCRIPTS):
        w.client.post(
            "/api/v1/feedback",
            headers=admin,
            json={"channel": "web", "language": "en", "text": f"note {i}: {script}"},
        )
        w.client.post(
            "/api/v1/customers",
            headers=admin,
            json={"id": f"xss-{i}", "region": script[:80], "attributes": {"note": script}},
        )
    # values that contain the metacharacters literally, so filters must match them exactly
    w.client.post(
        "/api/v1/feedback",
        headers=admin,
        json={"channel": "hotline", "language": "en", "text": "discount 100% off_peak; ok"},
    )
    w.client.post("/api/v1/customers", headers=admin, json={"id": "a'b;--%_c", "gender": "x'y"})
    return w


def _counts(world: World) -> tuple[int, int, int]:
    with transaction(world.engine) as s:
        return (
            s.scalar(select(func.count(Customer.id))) or 0,
            s.scalar(select(func.count(FeedbackMessage.id))) or 0,
            s.scalar(select(func.count(Response.id))) or 0,
        )


def test_stored_scripts_come_back_verbatim_as_json_never_as_html(world: World) -> None:
    admin = world.as_role("admin")
    inbox = world.client.get("/api/v1/feedback", headers=admin, params={"q": "note ", "limit": 50})
    assert inbox.headers["content-type"] == "application/json"
    assert inbox.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'self'" in inbox.headers["content-security-policy"]
    texts = {m["text"] for m in inbox.json()["items"]}
    assert texts == {f"note {i}: {s}" for i, s in enumerate(SCRIPTS)}
    for i, script in enumerate(SCRIPTS):
        c = world.client.get(f"/api/v1/customers/xss-{i}", headers=admin)
        assert c.headers["content-type"] == "application/json"
        assert c.json()["attributes"] == {"note": script} and c.json()["region"] == script[:80]


def test_stored_scripts_are_escaped_on_the_pages(world: World) -> None:
    manager = world.as_role("manager")
    page = world.client.get("/dashboard/feedback", headers=manager, follow_redirects=False)
    assert page.status_code == 200, "the feedback inbox page must exist and be served"
    assert page.headers["content-type"].startswith("text/html")
    body = page.text
    for script in SCRIPTS[:2] + SCRIPTS[3:4]:
        assert script not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def _string_filters(world: World) -> list[tuple[str, str, int]]:
    """(list path, query parameter, longest value) of every free-text filter documented."""
    spec = world.client.get("/api/v1/openapi.json").json()
    found = []
    for path, ops in spec["paths"].items():
        if "get" not in ops or "{" in path:
            continue
        for p in ops["get"].get("parameters", []):
            variants = p["schema"].get("anyOf", [p["schema"]])
            free_text = [
                v
                for v in variants
                if v.get("type") == "string" and "enum" not in v and "format" not in v
            ]
            if p["in"] == "query" and free_text:
                found.append((path, p["name"], max(v.get("maxLength", 10**6) for v in free_text)))
    return found


def _expected(world: World, path: str, name: str, value: str) -> int | None:
    """How many rows a filter value must match (``None``: a 404 is the right answer)."""
    with transaction(world.engine) as s:
        if (path, name) == ("/api/v1/feedback", "q"):
            return sum(value in t for t in s.scalars(select(FeedbackMessage.text)))
        if (path, name) == ("/api/v1/customers", "q"):
            return sum(value in e for e in s.scalars(select(Customer.external_id)))
        if name == "survey":
            return None  # an unknown survey is named in a 404
        if path == "/api/v1/customers" and name != "q":
            return s.scalar(select(func.count()).where(getattr(Customer, name) == value)) or 0
    return 0  # exact matches: no stored value equals these strings


def test_sql_metacharacters_in_every_filter(world: World) -> None:
    admin = world.as_role("admin")
    before = _counts(world)
    filters = _string_filters(world)
    assert len(filters) >= 15, filters
    tried = 0
    for path, name, longest in filters:
        for value in SQL:
            required = {"quarter": "2026Q3"} if path.endswith("/cases/award") else {}
            params = {**required, name: value, "limit": 500}
            r = world.client.get(path, headers=admin, params=params)
            expected = _expected(world, path, name, value)
            assert r.status_code < 500, (path, name, value, r.text)
            if len(value) > longest or "\x00" in value:
                assert r.status_code == 422 and r.json()["error"]["field"] == name
            elif expected is None:
                assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
            elif r.status_code == 422:  # a filter with a declared form (e.g. 2026Q4) refuses it
                assert r.json()["error"]["field"] == name, (path, name, value, r.text)
            else:
                assert r.status_code == 200, (path, name, value, r.text)
                body = r.json()
                if "total" in body:  # a list: the filter matched literally
                    assert body["total"] == expected, (path, name, value)
                elif path.endswith("/cases/stats"):  # figures over the item's answers: none
                    assert body["recovery_rate"] is None and body["before_after"] is None
                else:  # the recognition board or award over the item's answers: nobody
                    assert path.endswith(("/cases/board", "/cases/award")), (path, r.text[:300])
                    assert body["people"] == [] and body["teams"] == []
            tried += 1
    assert _counts(world) == before
    print(f"SQL metacharacters: {tried} filter requests")


def test_metacharacters_match_literally(world: World) -> None:
    admin = world.as_role("admin")
    pct = world.client.get("/api/v1/feedback", headers=admin, params={"q": "100%"}).json()
    assert [m["text"] for m in pct["items"]] == ["discount 100% off_peak; ok"]
    under = world.client.get("/api/v1/feedback", headers=admin, params={"q": "f_p"}).json()
    assert under["total"] == 1  # 'f_p' in 'off_peak', not any character in place of '_'
    odd = world.client.get("/api/v1/customers", headers=admin, params={"q": "%_c"}).json()
    assert [c["id"] for c in odd["items"]] == ["a'b;--%_c"]
    gender = world.client.get("/api/v1/customers", headers=admin, params={"gender": "x'y"}).json()
    assert [c["id"] for c in gender["items"]] == ["a'b;--%_c"]
    exact = world.client.get(f"/api/v1/customers/{quote(odd['items'][0]['id'])}", headers=admin)
    assert exact.status_code == 200 and exact.json()["gender"] == "x'y"


@pytest.mark.parametrize("value", [*SQL, "../../etc/passwd", "%2e%2e%2f", "x" * 121])
def test_metacharacters_in_path_parameters(world: World, value: str) -> None:
    admin = world.as_role("admin")
    for template in ("/api/v1/customers/{}", "/api/v1/surveys/{}", "/api/v1/reports/{}"):
        r = world.client.get(template.format(quote(value, safe="")), headers=admin)
        assert r.status_code in (404, 422), (template, value, r.status_code)
        assert set(r.json()) == {"error"}


@pytest.mark.parametrize(
    "params",
    [
        {"since": "' OR 1=1 --"},
        {"since": "2026-13-45"},
        {"limit": "1;DROP"},
        {"channel": "%"},
        {"offset": "1e99"},
    ],
)
def test_typed_filters_refuse_bad_values(world: World, params: dict[str, Any]) -> None:
    r = world.client.get("/api/v1/feedback", headers=world.as_role("admin"), params=params)
    assert r.status_code == 422 and r.json()["error"]["field"] == next(iter(params))
