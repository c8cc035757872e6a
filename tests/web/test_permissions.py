"""Every route of the application against every kind of caller (docs/permissions.md).

The routes are enumerated from the application itself, so a route added later without a
permission, or with a different one than documented, fails here. Public routes are an
explicit allow-list.
"""

from __future__ import annotations

import itertools
import re
import secrets
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import yaml
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount
from tests.web.api_world import (
    EARLIER,
    PASSWORD,
    ROLES,
    SURVEY,
    World,
    build_world,
    plan_body,
)

from cxgap.services import accounts
from cxgap.store.database import transaction
from cxgap.web.auth import SESSION_COOKIE, issue_session

from .helpers import standard_body

PUBLIC = re.compile(
    r"^(/$|/favicon\.ico$|/s/|/static|/healthz$|/login$|/logout$|/api/v1/openapi\.json$)"
)
"""Routes anyone may call: the root (a redirect to the dashboard, which then asks for a
sign-in), the icon, survey forms, static files, health, sign-in, the API description."""

API_PERMISSIONS: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/instruments"): "surveys:read",
    ("POST", "/api/v1/instruments"): "instruments:write",
    ("GET", "/api/v1/instruments/{instrument_id}"): "surveys:read",
    ("POST", "/api/v1/instruments/validate"): "instruments:write",
    ("GET", "/api/v1/surveys"): "surveys:read",
    ("POST", "/api/v1/surveys"): "surveys:write",
    ("GET", "/api/v1/surveys/{survey}"): "surveys:read",
    ("POST", "/api/v1/surveys/{survey}/invitations"): "invitations:write",
    ("GET", "/api/v1/responses"): "responses:read",
    ("GET", "/api/v1/responses/export"): "responses:export",
    ("GET", "/api/v1/customers"): "customers:read",
    ("POST", "/api/v1/customers"): "customers:write",
    ("POST", "/api/v1/customers/bulk"): "customers:write",
    ("GET", "/api/v1/customers/{customer_id}"): "customers:read",
    ("PATCH", "/api/v1/customers/{customer_id}"): "customers:write",
    ("GET", "/api/v1/customers/{customer_id}/export"): "privacy:manage",
    ("DELETE", "/api/v1/customers/{customer_id}"): "privacy:manage",
    ("POST", "/api/v1/feedback"): "feedback:write",
    ("GET", "/api/v1/feedback"): "feedback:read",
    ("GET", "/api/v1/feedback/{message_id}"): "feedback:read",
    ("GET", "/api/v1/cases"): "cases:read",
    ("POST", "/api/v1/cases"): "cases:write",
    ("GET", "/api/v1/cases/stats"): "cases:read",
    ("GET", "/api/v1/cases/board"): "cases:read",
    ("GET", "/api/v1/cases/award"): "cases:read",
    ("GET", "/api/v1/cases/{case_id}"): "cases:read",
    ("PATCH", "/api/v1/cases/{case_id}"): "cases:write",
    ("POST", "/api/v1/analyses"): "analyses:run",
    ("POST", "/api/v1/index"): "analyses:run",
    ("GET", "/api/v1/reports/{survey}"): "reports:read",
    ("GET", "/api/v1/me"): "dashboard:view",
    ("GET", "/api/v1/me/api-keys"): "dashboard:view",
    ("POST", "/api/v1/me/api-keys"): "dashboard:view",
    ("DELETE", "/api/v1/me/api-keys/{key_id}"): "dashboard:view",
    ("GET", "/api/v1/users"): "users:manage",
    ("POST", "/api/v1/users"): "users:manage",
    ("GET", "/api/v1/users/{user_id}"): "users:manage",
    ("PATCH", "/api/v1/users/{user_id}"): "users:manage",
    ("POST", "/api/v1/users/{user_id}/api-keys"): "users:manage",
    ("GET", "/api/v1/api-keys"): "users:manage",
    ("DELETE", "/api/v1/api-keys/{key_id}"): "users:manage",
    ("GET", "/api/v1/audit"): "audit:read",
    ("POST", "/api/v1/gaps"): "analyses:run",
    ("GET", "/api/v1/standards"): "standards:read",
    ("POST", "/api/v1/standards"): "standards:write",
    ("POST", "/api/v1/standards/{key}/approve"): "standards:approve",
    ("POST", "/api/v1/standards/{key}/retire"): "standards:approve",
    ("GET", "/api/v1/promises"): "standards:read",
    ("PATCH", "/api/v1/standards/{key}"): "standards:write",
    ("POST", "/api/v1/promises"): "standards:write",
    ("POST", "/api/v1/delivery"): "standards:write",
    ("GET", "/api/v1/kpis"): "kpis:read",
    ("GET", "/api/v1/actions"): "actions:read",
    ("POST", "/api/v1/actions"): "actions:write",
    ("GET", "/api/v1/actions/{plan_id}"): "actions:read",
    ("POST", "/api/v1/lifecycle/relationships"): "surveys:write",
    ("POST", "/api/v1/lifecycle/complaints"): "surveys:write",
    ("GET", "/api/v1/lifecycle/relationships"): "customers:read",
    ("GET", "/api/v1/lifecycle/complaints"): "customers:read",
}
"""The documented permission of each API operation (docs/api.md, docs/permissions.md)."""

PAGE_VALUES = {"dimension": "reliability", "token": "x"}
"""Path parameter values for pages (a page may answer 404 for them; never 401/403)."""

_serial = itertools.count()
Call = tuple[str, str, dict[str, Any]]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("walk"))


def routes(client: TestClient) -> Iterator[tuple[str, str, Any]]:
    """(method, path, route) of every route of the application."""
    for context in iter_route_contexts(client.app.routes):  # type: ignore[attr-defined]
        route = context.original_route
        if isinstance(route, Mount):
            yield "GET", context.path or "", route
            continue
        for method in sorted(getattr(route, "methods", None) or {"GET"}):
            if method != "HEAD":
                yield method, context.path or "", route


def declared_permissions(route: Any) -> set[str]:
    """Permissions a route's dependencies check (``requires(...)`` names them)."""
    found: set[str] = set()
    stack = [route.dependant] if isinstance(route, APIRoute) else []
    while stack:
        dependant = stack.pop()
        name = getattr(dependant.call, "__name__", "")
        if name.startswith("requires_"):
            found.add(name.removeprefix("requires_").replace("_", ":", 1))
        stack.extend(dependant.dependencies)
    return found


def _unique(prefix: str) -> str:
    return f"{prefix}{next(_serial)}"


def _customer(world: World) -> str:
    external = _unique("walk-c")
    r = world.client.post(
        "/api/v1/customers", headers=world.as_role("admin"), json={"id": external}
    )
    assert r.status_code == 201
    return external


def _case(world: World) -> int:
    r = world.client.post(
        "/api/v1/cases",
        headers=world.as_role("admin"),
        json={"customer": _customer(world), "cause": "walk"},
    )
    assert r.status_code == 201
    return int(r.json()["id"])


def _user(world: World) -> int:
    with transaction(world.engine) as s:
        return accounts.create_user(s, f"{_unique('w')}@example.org", PASSWORD, role="viewer").id


def _key(world: World, user_id: int) -> int:
    with transaction(world.engine) as s:
        user = s.get(accounts.User, user_id)
        assert user is not None
        return accounts.create_api_key(s, user, "walk", actor="test").id


def _instrument() -> dict[str, Any]:
    from pathlib import Path

    data = yaml.safe_load((Path(__file__).parents[1] / "data" / "mini.yaml").read_text("utf-8"))
    return {**data, "id": _unique("walk-inst-")}


def valid_call(world: World, method: str, path: str, role: str) -> Call:
    """A request to ``method path`` that succeeds for a role holding its permission."""
    r = "/api/v1"
    samples: dict[tuple[str, str], Callable[[], Call]] = {
        ("GET", f"{r}/instruments"): lambda: ("GET", f"{r}/instruments", {}),
        ("POST", f"{r}/instruments"): lambda: ("POST", f"{r}/instruments", {"json": _instrument()}),
        ("GET", f"{r}/instruments/{{instrument_id}}"): lambda: (
            "GET",
            f"{r}/instruments/heating-cx",
            {},
        ),
        ("POST", f"{r}/instruments/validate"): lambda: (
            "POST",
            f"{r}/instruments/validate",
            {"json": _instrument()},
        ),
        ("GET", f"{r}/surveys"): lambda: ("GET", f"{r}/surveys", {}),
        ("POST", f"{r}/surveys"): lambda: (
            "POST",
            f"{r}/surveys",
            {"json": {"key": _unique("walk-s"), "instrument": "heating-cx"}},
        ),
        ("GET", f"{r}/surveys/{{survey}}"): lambda: ("GET", f"{r}/surveys/{SURVEY}", {}),
        ("POST", f"{r}/surveys/{{survey}}/invitations"): lambda: (
            "POST",
            f"{r}/surveys/{SURVEY}/invitations",
            {"json": {"unassigned": 1}},
        ),
        ("GET", f"{r}/responses"): lambda: ("GET", f"{r}/responses", {"params": {"limit": 2}}),
        ("GET", f"{r}/responses/export"): lambda: (
            "GET",
            f"{r}/responses/export",
            {"params": {"survey": EARLIER}},
        ),
        ("GET", f"{r}/customers"): lambda: ("GET", f"{r}/customers", {}),
        ("POST", f"{r}/customers"): lambda: (
            "POST",
            f"{r}/customers",
            {"json": {"id": _unique("walk-n")}},
        ),
        ("POST", f"{r}/customers/bulk"): lambda: (
            "POST",
            f"{r}/customers/bulk",
            {"json": {"customers": [{"id": _unique("walk-b")}]}},
        ),
        ("GET", f"{r}/customers/{{customer_id}}"): lambda: (
            "GET",
            f"{r}/customers/{_customer(world)}",
            {},
        ),
        ("PATCH", f"{r}/customers/{{customer_id}}"): lambda: (
            "PATCH",
            f"{r}/customers/{_customer(world)}",
            {"json": {"region": "East"}},
        ),
        ("GET", f"{r}/customers/{{customer_id}}/export"): lambda: (
            "GET",
            f"{r}/customers/{_customer(world)}/export",
            {},
        ),
        ("DELETE", f"{r}/customers/{{customer_id}}"): lambda: (
            "DELETE",
            f"{r}/customers/{_customer(world)}",
            {},
        ),
        ("POST", f"{r}/feedback"): lambda: (
            "POST",
            f"{r}/feedback",
            {"json": {"channel": "web", "language": "en", "text": "ok"}},
        ),
        ("GET", f"{r}/feedback"): lambda: ("GET", f"{r}/feedback", {}),
        ("GET", f"{r}/feedback/{{message_id}}"): lambda: ("GET", f"{r}/feedback/1", {}),
        ("GET", f"{r}/cases"): lambda: ("GET", f"{r}/cases", {}),
        ("POST", f"{r}/cases"): lambda: (
            "POST",
            f"{r}/cases",
            {"json": {"customer": _customer(world), "cause": "walk"}},
        ),
        ("GET", f"{r}/cases/stats"): lambda: ("GET", f"{r}/cases/stats", {}),
        ("GET", f"{r}/cases/board"): lambda: ("GET", f"{r}/cases/board", {}),
        ("GET", f"{r}/cases/award"): lambda: (
            "GET",
            f"{r}/cases/award",
            {"params": {"quarter": "2026Q3"}},
        ),
        ("GET", f"{r}/cases/{{case_id}}"): lambda: ("GET", f"{r}/cases/{_case(world)}", {}),
        ("PATCH", f"{r}/cases/{{case_id}}"): lambda: (
            "PATCH",
            f"{r}/cases/{_case(world)}",
            {"json": {"version": 1, "note": "walked"}},
        ),
        ("POST", f"{r}/analyses"): lambda: ("POST", f"{r}/analyses", {"json": {"survey": SURVEY}}),
        ("POST", f"{r}/index"): lambda: ("POST", f"{r}/index", {"json": {"survey": SURVEY}}),
        ("GET", f"{r}/reports/{{survey}}"): lambda: ("GET", f"{r}/reports/{SURVEY}", {}),
        ("GET", f"{r}/me"): lambda: ("GET", f"{r}/me", {}),
        ("GET", f"{r}/me/api-keys"): lambda: ("GET", f"{r}/me/api-keys", {}),
        ("POST", f"{r}/me/api-keys"): lambda: (
            "POST",
            f"{r}/me/api-keys",
            {"json": {"name": "x", "password": PASSWORD}},
        ),
        ("DELETE", f"{r}/me/api-keys/{{key_id}}"): lambda: (
            "DELETE",
            f"{r}/me/api-keys/{_key(world, world.users[role])}",
            {},
        ),
        ("GET", f"{r}/users"): lambda: ("GET", f"{r}/users", {}),
        ("POST", f"{r}/users"): lambda: (
            "POST",
            f"{r}/users",
            {
                "json": {
                    "email": f"{_unique('n')}@example.org",
                    "password": PASSWORD,
                    "role": "agent",
                }
            },
        ),
        ("GET", f"{r}/users/{{user_id}}"): lambda: ("GET", f"{r}/users/{_user(world)}", {}),
        ("PATCH", f"{r}/users/{{user_id}}"): lambda: (
            "PATCH",
            f"{r}/users/{_user(world)}",
            {"json": {"role": "agent"}},
        ),
        ("POST", f"{r}/users/{{user_id}}/api-keys"): lambda: (
            "POST",
            f"{r}/users/{_user(world)}/api-keys",
            {"json": {"name": "k", "password": PASSWORD}},
        ),
        ("GET", f"{r}/api-keys"): lambda: ("GET", f"{r}/api-keys", {}),
        ("DELETE", f"{r}/api-keys/{{key_id}}"): lambda: (
            "DELETE",
            f"{r}/api-keys/{_key(world, _user(world))}",
            {},
        ),
        ("GET", f"{r}/audit"): lambda: ("GET", f"{r}/audit", {}),
        ("POST", f"{r}/gaps"): lambda: ("POST", f"{r}/gaps", {"json": {"survey": SURVEY}}),
        ("GET", f"{r}/standards"): lambda: ("GET", f"{r}/standards", {}),
        ("POST", f"{r}/standards"): lambda: (
            "POST",
            f"{r}/standards",
            {"json": standard_body(_unique("walk-std-"))},
        ),
        ("POST", f"{r}/standards/{{key}}/approve"): lambda: (
            "POST",
            f"{r}/standards/{_proposed_standard(world)}/approve",
            {},
        ),
        ("POST", f"{r}/standards/{{key}}/retire"): lambda: (
            "POST",
            f"{r}/standards/{_proposed_standard(world)}/retire",
            {},
        ),
        ("GET", f"{r}/promises"): lambda: ("GET", f"{r}/promises", {}),
        ("PATCH", f"{r}/standards/{{key}}"): lambda: (
            "PATCH",
            f"{r}/standards/{_proposed_standard(world)}",
            {"json": {"floor": 6.0}},
        ),
        ("POST", f"{r}/promises"): lambda: (
            "POST",
            f"{r}/promises",
            {"json": {"rows": [_promise_row(_unique("walk-p-"))]}},
        ),
        ("POST", f"{r}/delivery"): lambda: (
            "POST",
            f"{r}/delivery",
            {"json": _delivery_body(world)},
        ),
        ("GET", f"{r}/kpis"): lambda: ("GET", f"{r}/kpis", {}),
        ("GET", f"{r}/actions"): lambda: ("GET", f"{r}/actions", {}),
        ("POST", f"{r}/actions"): lambda: (
            "POST",
            f"{r}/actions",
            {"json": plan_body(title=_unique("walk-plan-"))},
        ),
        ("GET", f"{r}/actions/{{plan_id}}"): lambda: (
            "GET",
            f"{r}/actions/{_plan(world)}",
            {},
        ),
        ("POST", f"{r}/lifecycle/relationships"): lambda: (
            "POST",
            f"{r}/lifecycle/relationships",
            _upload(f"customer,started_on\n{_unique('walk-r')},2024-01-01\n"),
        ),
        ("POST", f"{r}/lifecycle/complaints"): lambda: (
            "POST",
            f"{r}/lifecycle/complaints",
            _upload("channel,received_at\nweb,2026-01-05\n"),
        ),
        ("GET", f"{r}/lifecycle/relationships"): lambda: (
            "GET",
            f"{r}/lifecycle/relationships",
            {},
        ),
        ("GET", f"{r}/lifecycle/complaints"): lambda: ("GET", f"{r}/lifecycle/complaints", {}),
    }
    return samples[(method, path)]()


def _upload(content: str) -> dict[str, Any]:
    """A CSV file upload (``/api/v1/lifecycle/...``)."""
    return {"files": {"file": ("walk.csv", content.encode(), "text/csv")}}


def _plan(world: World) -> int:
    r = world.client.post(
        "/api/v1/actions",
        headers=world.as_role("admin"),
        json=plan_body(title=_unique("walk-plan-")),
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _proposed_standard(world: World) -> str:
    from cxgap.services.standards import create_standard

    key = _unique("walk-std-")
    body = standard_body(key)
    del body["key"]
    create_standard(world.engine, key, actor="test", **body)
    return key


def _promise_row(key: str) -> dict[str, Any]:
    return {
        "key": key,
        "channel": "website",
        "text_en": "A technician the same day",
        "valid_from": "2026-01-01",
        "instrument": "heating-cx",
        "item": "res2",
    }


def _delivery_body(world: World) -> dict[str, Any]:
    """A measurement of a new standard in a new unit, in the standard's first month."""
    from cxgap.services.delivery import add_units
    from cxgap.times import now

    unit = _unique("walk-u")
    add_units(world.engine, [(unit, "team", None)], actor="test")
    row = {"unit": unit, "period": now().strftime("%Y-%m"), "value": 5.0}
    return {"standard": _proposed_standard(world), "rows": [row]}


def _fill(path: str) -> str:
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: PAGE_VALUES.get(m.group(1), "1"), path)


def _bad_principals(world: World) -> dict[str, dict[str, str]]:
    with transaction(world.engine) as s:
        gone = accounts.create_user(s, f"{_unique('gone')}@example.org", PASSWORD, role="admin")
        revoked = accounts.create_api_key(s, gone, "revoked", actor="test")
        accounts.revoke_api_key(s, revoked.id, actor="test")
        disabled_user = accounts.create_user(
            s, f"{_unique('off')}@example.org", PASSWORD, role="admin"
        )
        disabled = accounts.create_api_key(s, disabled_user, "disabled", actor="test").key
        accounts.set_active(s, disabled_user, False, actor="test")
    forged = f"cxg_{secrets.token_hex(6)}_{secrets.token_urlsafe(32)}"
    prefix = world.keys["admin"].split("_")[1]
    return {
        "anonymous": {},
        "well-formed unknown key": {"Authorization": f"Bearer {forged}"},
        "known prefix, wrong secret": {"X-API-Key": f"cxg_{prefix}_{secrets.token_urlsafe(32)}"},
        "junk key": {"Authorization": "Bearer ' OR 1=1 --"},
        "revoked key": {"Authorization": f"Bearer {revoked.key}"},
        "disabled account": {"Authorization": f"Bearer {disabled}"},
        "forged session cookie": {"Cookie": f"{SESSION_COOKIE}=1.{10**9}.abc.def"},
    }


def test_every_route_answers_every_caller_as_documented(world: World) -> None:
    client = world.client
    checked = 0
    seen_api: set[tuple[str, str]] = set()
    bad = _bad_principals(world)
    sessions = {role: _session(world, role) for role in ROLES}
    all_routes = list(routes(client))
    assert len(all_routes) > len(API_PERMISSIONS)
    for method, path, route in all_routes:
        if PUBLIC.match(path):
            assert not declared_permissions(route), f"{method} {path} is public yet checks a role"
            continue
        declared = declared_permissions(route)
        assert len(declared) == 1, (
            f"{method} {path} is not public and checks {declared or 'nothing'}"
        )
        permission = declared.pop()
        api = path.startswith("/api/")
        if api:
            assert API_PERMISSIONS.get((method, path)) == permission, (
                f"{method} {path}: {permission}"
            )
            seen_api.add((method, path))
        url = _fill(path)
        for name, headers in bad.items():
            r = client.request(method, url, headers=headers, follow_redirects=False)
            if api:
                assert r.status_code == 401, (name, method, path, r.status_code)
                assert r.json()["error"]["code"] == "unauthenticated"
                assert r.headers["www-authenticate"].startswith("Bearer")
            else:
                assert r.status_code == 303 and r.headers["location"].startswith("/login?next="), (
                    name,
                    method,
                    path,
                    r.status_code,
                )
            checked += 1
        for role in ROLES:
            permitted = accounts.allowed(role, permission)
            for how, headers in (("key", world.as_role(role)), ("session", sessions[role])):
                if api and permitted:
                    verb, target, kwargs = valid_call(world, method, path, role)
                    r = client.request(verb, target, headers=headers, **kwargs)
                    assert 200 <= r.status_code < 300, (role, how, method, path, r.text[:300])
                else:
                    r = client.request(method, url, headers=headers, follow_redirects=False)
                    if permitted:
                        assert r.status_code not in (401, 403) and r.status_code < 500, (
                            role,
                            how,
                            method,
                            path,
                            r.status_code,
                        )
                    else:
                        assert r.status_code == 403, (role, how, method, path, r.status_code)
                        if api:
                            assert r.json()["error"]["code"] == "forbidden"
                checked += 1
    assert seen_api == set(API_PERMISSIONS), set(API_PERMISSIONS) ^ seen_api
    print(f"permission walk: {len(all_routes)} routes, {checked} requests")
    assert checked >= len(API_PERMISSIONS) * (len(bad) + 2 * len(ROLES))


def _session(world: World, role: str) -> dict[str, str]:
    secret = world.client.app.state.secret  # type: ignore[attr-defined]
    value = issue_session(world.engine, secret, _session_user(world, role))
    return {"Cookie": f"{SESSION_COOKIE}={value}"}


def _session_user(world: World, role: str) -> accounts.User:
    with transaction(world.engine) as s:
        user = s.get(accounts.User, world.users[role])
        assert user is not None
        s.expunge(user)
        return user


def test_public_routes_answer_without_credentials(world: World) -> None:
    client = world.client
    assert client.get("/healthz").status_code == 200
    assert client.get("/login").status_code == 200
    assert client.get("/static/form.css").status_code == 200
    spec = client.get("/api/v1/openapi.json").json()
    documented = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    assert documented == set(API_PERMISSIONS)
    assert all(ops[m]["security"] for p, ops in spec["paths"].items() for m in ops)


def test_a_session_cookie_cannot_make_cross_site_changes(world: World) -> None:
    cookie = _session(world, "admin")
    body = {"json": {"channel": "web", "language": "en", "text": "from elsewhere"}}
    foreign = world.client.post(
        "/api/v1/feedback", headers={**cookie, "Origin": "https://evil.example"}, **body
    )
    assert foreign.status_code == 403 and foreign.json()["error"]["code"] == "forbidden"
    cross = world.client.post(
        "/api/v1/feedback", headers={**cookie, "Sec-Fetch-Site": "cross-site"}, **body
    )
    assert cross.status_code == 403
    own = world.client.post(
        "/api/v1/feedback", headers={**cookie, "Origin": "http://testserver"}, **body
    )
    assert own.status_code == 201
