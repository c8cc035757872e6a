"""The REST API end to end: real app, real SQLite file, demo organisation."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from tests.postgres_server import BACKENDS
from tests.web.api_world import EARLIER, SURVEY, World, build_world, world_on

from cxgap.engine.frames import load_survey
from cxgap.instruments import get_instrument
from cxgap.services.analysis import analyze_survey
from cxgap.services.satisfaction_index import fit_index
from cxgap.services.surveys import list_surveys

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module", params=BACKENDS)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    yield from world_on(request, tmp_path_factory.mktemp("api"))


def test_me_lists_the_permissions_of_the_role(world: World) -> None:
    me = world.client.get("/api/v1/me", headers=world.as_role("agent")).json()
    assert me["email"] == "agent@example.org" and me["role"] == "agent"
    assert "customers:write" in me["permissions"] and "reports:read" not in me["permissions"]


def test_instruments_list_show_validate_and_add(world: World) -> None:
    admin = world.as_role("admin")
    listed = world.client.get("/api/v1/instruments", headers=admin).json()
    assert listed["total"] == len(listed["items"]) >= 2
    shown = world.client.get("/api/v1/instruments/heating-cx", headers=admin).json()
    assert shown["answer_columns"] == [
        c.name for c in get_instrument("heating-cx").answer_columns()
    ]
    import yaml

    definition = yaml.safe_load((DATA / "mini.yaml").read_text(encoding="utf-8"))
    definition["id"] = "shop-mini"
    ok = world.client.post("/api/v1/instruments/validate", headers=admin, json=definition)
    assert ok.json() == {"valid": True, "problems": []}
    broken = {**definition, "items": [{**definition["items"][0], "dimension": "nowhere"}]}
    bad = world.client.post("/api/v1/instruments/validate", headers=admin, json=broken).json()
    assert bad["valid"] is False and any("nowhere" in p for p in bad["problems"])
    added = world.client.post("/api/v1/instruments", headers=admin, json=definition)
    assert added.status_code == 201 and added.json()["builtin"] is False
    again = world.client.post("/api/v1/instruments", headers=admin, json=definition)
    assert again.status_code == 201  # the same version stored again is the same row
    changed = {**definition, "title": {**definition["title"], "en": "Another title"}}
    conflict = world.client.post("/api/v1/instruments", headers=admin, json=changed)
    assert conflict.status_code == 409 and conflict.json()["error"]["code"] == "conflict"
    builtin = world.client.post(
        "/api/v1/instruments", headers=admin, json={**definition, "id": "heating-cx"}
    )
    assert builtin.status_code == 409
    survey = world.client.post(
        "/api/v1/surveys",
        headers=admin,
        json={"key": "shop-w1", "instrument": "shop-mini", "wave": "W1"},
    )
    assert survey.status_code == 201, survey.text
    assert survey.json()["instrument"] == "shop-mini" and survey.json()["responses"] == 0
    ids = [i["id"] for i in world.client.get("/api/v1/instruments", headers=admin).json()["items"]]
    assert "shop-mini" in ids


def test_instrument_names_never_reach_the_file_system(world: World) -> None:
    admin = world.as_role("admin")
    for name in ("/etc/hosts.yaml", "../x.yaml", "tests/data/mini.yaml"):
        r = world.client.post(
            "/api/v1/surveys", headers=admin, json={"key": "sneaky", "instrument": name}
        )
        assert r.status_code == 422 and r.json()["error"]["field"] == "instrument"


def test_surveys_list_and_show_with_counts(world: World) -> None:
    viewer = world.as_role("viewer")
    page = world.client.get("/api/v1/surveys?instrument=heating-cx&limit=3", headers=viewer).json()
    assert page["total"] == 8 and len(page["items"]) == 3
    expected = {s.key: s.responses for s in list_surveys(world.engine)}
    shown = world.client.get(f"/api/v1/surveys/{SURVEY}", headers=viewer).json()
    assert shown["responses"] == expected[SURVEY] > 0
    missing = world.client.get("/api/v1/surveys/nope", headers=viewer)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_invitations_from_a_customer_list_return_working_links(world: World) -> None:
    analyst = world.as_role("analyst")
    customers = world.client.get("/api/v1/customers?limit=3", headers=analyst).json()["items"]
    ids = [c["id"] for c in customers]
    r = world.client.post(
        f"/api/v1/surveys/{SURVEY}/invitations",
        headers=analyst,
        json={"customers": ids, "anonymous": 1, "language": "fa"},
    )
    assert r.status_code == 201, r.text
    links = r.json()["links"]
    assert [link["customer"] for link in links] == [*ids, None]
    assert [link["kind"] for link in links] == ["personal"] * 3 + ["anonymous"]
    path = links[0]["url"].split("testserver", 1)[1]
    assert world.client.get(path).status_code == 200  # the survey form opens
    shown = world.client.get(f"/api/v1/surveys/{SURVEY}", headers=analyst).json()
    assert shown["invitations"] >= 3
    unknown = world.client.post(
        f"/api/v1/surveys/{SURVEY}/invitations", headers=analyst, json={"customers": ["x-none"]}
    )
    assert unknown.status_code == 404
    nobody = world.client.post(f"/api/v1/surveys/{SURVEY}/invitations", headers=analyst, json={})
    assert nobody.status_code == 422


def test_responses_filters_agree_with_the_survey_table(world: World) -> None:
    manager = world.as_role("manager")
    frame = load_survey(world.engine, SURVEY).frame
    band = str(frame["age_band"].dropna().iloc[0])
    page = world.client.get(
        "/api/v1/responses",
        headers=manager,
        params={"survey": SURVEY, "age_band": band, "limit": 500},
    ).json()
    assert page["total"] == int((frame["age_band"] == band).sum())
    assert {r["segments"]["age_band"] for r in page["items"]} == {band}
    times = pd.to_datetime(frame["submitted_at"], utc=True).dropna().sort_values()
    middle = times.iloc[len(times) // 2]
    later = world.client.get(
        "/api/v1/responses",
        headers=manager,
        params={"survey": SURVEY, "submitted_from": middle.isoformat()},
    ).json()
    assert later["total"] == int((times >= middle).sum())
    one = world.client.get(
        "/api/v1/responses",
        headers=manager,
        params={"survey": SURVEY, "answers": "true", "limit": 1},
    ).json()["items"][0]
    row = frame[frame["respondent_id"] == one["respondent_key"]].iloc[0]
    for name, value in one["answers"].items():
        assert row[name] == pytest.approx(value)
    everyone = world.client.get("/api/v1/responses", headers=manager).json()
    assert everyone["total"] == sum(s.responses for s in list_surveys(world.engine))


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_export_gives_the_whole_survey(world: World, fmt: str) -> None:
    r = world.client.get(
        "/api/v1/responses/export",
        headers=world.as_role("analyst"),
        params={"survey": SURVEY, "format": fmt},
    )
    assert r.status_code == 200, r.text
    content = io.BytesIO(r.content)
    table = (
        pd.read_csv(content)
        if fmt == "csv"
        else pd.read_excel(content)
        if fmt == "xlsx"
        else pd.read_parquet(content)
    )
    assert len(table) == len(load_survey(world.engine, SURVEY).frame)
    assert "attachment" in r.headers["content-disposition"]


def test_customers_create_update_merge_bulk_and_filter(world: World) -> None:
    agent = world.as_role("agent")
    body = {"id": "api-c1", "gender": "f", "region": "North", "attributes": {"plan": "gold"}}
    created = world.client.post("/api/v1/customers", headers=agent, json=body)
    assert created.status_code == 201, created.text
    assert world.client.post("/api/v1/customers", headers=agent, json=body).status_code == 409
    patched = world.client.patch(
        "/api/v1/customers/api-c1", headers=agent, json={"attributes": {"tenure": 3}}
    ).json()
    assert patched["attributes"] == {"plan": "gold", "tenure": 3} and patched["gender"] == "f"
    clash = world.client.patch(
        "/api/v1/customers/api-c1", headers=agent, json={"attributes": {"gender": "m"}}
    )
    assert clash.status_code == 422
    bulk = world.client.post(
        "/api/v1/customers/bulk",
        headers=agent,
        json={
            "customers": [{"id": "api-c1", "channel": "app"}, {"id": "api-c2", "region": "North"}]
        },
    ).json()
    assert bulk == {"created": 1, "updated": 1}
    north = world.client.get(
        "/api/v1/customers", headers=agent, params={"region": "North", "q": "api-c"}
    ).json()
    assert [c["id"] for c in north["items"]] == ["api-c1", "api-c2"] and north["total"] == 2
    assert world.client.get("/api/v1/customers/api-c1", headers=agent).json()["channel"] == "app"
    assert world.client.get("/api/v1/customers/none", headers=agent).status_code == 404


def test_right_of_access_and_erasure(world: World) -> None:
    admin = world.as_role("admin")
    world.client.post("/api/v1/customers", headers=admin, json={"id": "api-erase", "gender": "m"})
    world.client.post(
        "/api/v1/feedback",
        headers=admin,
        json={"channel": "hotline", "language": "en", "text": "call me", "customer": "api-erase"},
    )
    data = world.client.get("/api/v1/customers/api-erase/export", headers=admin).json()
    assert data["customer"]["gender"] == "m" and data["feedback"][0]["text"] == "call me"
    erased = world.client.delete("/api/v1/customers/api-erase", headers=admin)
    assert erased.status_code == 200 and erased.json()["feedback_deleted"] == 1
    assert world.client.get("/api/v1/customers/api-erase", headers=admin).status_code == 404
    actions = [
        e["action"] for e in world.client.get("/api/v1/audit", headers=admin).json()["items"]
    ]
    assert "customer.erase" in actions and "customer.export" in actions


def test_feedback_intake_and_inbox(world: World) -> None:
    agent = world.as_role("agent")
    posts = [
        {"channel": "hotline", "language": "en", "text": "Radiator cold for 3 days (flat 12B-zq)"},
        {"channel": "social", "language": "fa", "text": "پشتیبانی خیلی کند است"},
        {"channel": "web", "language": "zh", "text": "账单太贵了", "external_id": "web-77"},
    ]
    for post in posts:
        assert world.client.post("/api/v1/feedback", headers=agent, json=post).status_code == 201
    dup = world.client.post("/api/v1/feedback", headers=agent, json=posts[2])
    assert dup.status_code == 409
    social = world.client.get("/api/v1/feedback", headers=agent, params={"channel": "social"})
    assert "پشتیبانی خیلی کند است" in [m["text"] for m in social.json()["items"]]
    found = world.client.get("/api/v1/feedback", headers=agent, params={"q": "12B-zq"}).json()
    assert found["total"] == 1 and found["items"][0]["channel"] == "hotline"
    message = world.client.get(f"/api/v1/feedback/{found['items'][0]['id']}", headers=agent)
    assert message.json()["text"] == "Radiator cold for 3 days (flat 12B-zq)"
    too_long = {**posts[0], "text": "x" * 5001}
    r = world.client.post("/api/v1/feedback", headers=agent, json=too_long)
    assert r.status_code == 422 and r.json()["error"]["field"] == "text"
    bad_channel = world.client.post(
        "/api/v1/feedback", headers=agent, json={**posts[0], "channel": "fax"}
    )
    assert bad_channel.status_code == 422 and bad_channel.json()["error"]["field"] == "channel"


def test_analysis_is_the_json_of_cxgap_analyze(world: World) -> None:
    r = world.client.post(
        "/api/v1/analyses",
        headers=world.as_role("manager"),
        json={"survey": SURVEY, "by": ["age_band"]},
    )
    assert r.status_code == 200, r.text
    expected = json.loads(json.dumps(analyze_survey(world.engine, SURVEY, by="age_band").to_dict()))
    assert r.json() == expected
    both = world.client.post(
        "/api/v1/analyses",
        headers=world.as_role("manager"),
        json={"survey": SURVEY, "compare": EARLIER},
    ).json()
    assert both["schema"] == "cxgap.comparison/1"
    assert both["previous"]["survey"]["key"] == EARLIER
    assert both["current"]["survey"]["key"] == SURVEY


def test_satisfaction_index(world: World) -> None:
    r = world.client.post(
        "/api/v1/index", headers=world.as_role("analyst"), json={"survey": SURVEY, "model": "ecsi"}
    )
    assert r.status_code == 200, r.text
    expected = json.loads(json.dumps(fit_index(world.engine, SURVEY, model="ecsi").to_dict()))
    assert r.json() == expected


def test_reports_download(world: World) -> None:
    viewer = world.as_role("viewer")
    html = world.client.get(f"/api/v1/reports/{SURVEY}", headers=viewer)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert b"<html" in html.content[:500].lower()
    pdf = world.client.get(f"/api/v1/reports/{SURVEY}", headers=viewer, params={"format": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_accounts_roles_and_keys(world: World) -> None:
    admin = world.as_role("admin")
    r = world.client.post(
        "/api/v1/users",
        headers=admin,
        json={
            "email": "New.Person@example.org",
            "password": "long enough secret",
            "role": "viewer",
        },
    )
    assert r.status_code == 201 and r.json()["email"] == "new.person@example.org"
    uid = r.json()["id"]
    weak = world.client.post(
        "/api/v1/users",
        headers=admin,
        json={"email": "w@example.org", "password": "short", "role": "viewer"},
    )
    assert weak.status_code == 422 and weak.json()["error"]["field"] == "password"
    created = world.client.post(f"/api/v1/users/{uid}/api-keys", headers=admin, json={"name": "ci"})
    key = created.json()["key"]
    own = {"Authorization": f"Bearer {key}"}
    assert world.client.get("/api/v1/me", headers=own).json()["role"] == "viewer"
    listed = world.client.get("/api/v1/api-keys", headers=admin, params={"user_id": uid}).text
    assert key.split("_", 2)[2] not in listed  # the secret is never shown again
    promoted = world.client.patch(f"/api/v1/users/{uid}", headers=admin, json={"role": "analyst"})
    assert promoted.json()["role"] == "analyst"
    assert world.client.get("/api/v1/me", headers=own).json()["role"] == "analyst"
    world.client.patch(f"/api/v1/users/{uid}", headers=admin, json={"active": False})
    assert world.client.get("/api/v1/me", headers=own).status_code == 401
    world.client.patch(f"/api/v1/users/{uid}", headers=admin, json={"active": True})
    assert (
        world.client.delete(f"/api/v1/api-keys/{created.json()['id']}", headers=admin).status_code
        == 204
    )
    assert world.client.get("/api/v1/me", headers=own).status_code == 401
    self_demote = world.client.patch(
        f"/api/v1/users/{world.users['admin']}", headers=admin, json={"role": "viewer"}
    )
    assert self_demote.status_code == 409
    events = world.client.get(
        "/api/v1/audit", headers=admin, params={"actor": "admin@example.org", "limit": 500}
    ).json()["items"]
    actions = {e["action"] for e in events}
    assert {"user.create", "apikey.create", "user.role", "user.disable", "apikey.revoke"} <= actions


def test_own_api_keys(world: World) -> None:
    agent = world.as_role("agent")
    made = world.client.post("/api/v1/me/api-keys", headers=agent, json={"name": "laptop"}).json()
    mine = world.client.get("/api/v1/me/api-keys", headers=agent).json()
    assert made["id"] in [k["id"] for k in mine["items"]]
    others = world.client.get("/api/v1/me/api-keys", headers=world.as_role("viewer")).json()
    assert made["id"] not in [k["id"] for k in others["items"]]
    viewer_revokes = world.client.delete(
        f"/api/v1/me/api-keys/{made['id']}", headers=world.as_role("viewer")
    )
    assert viewer_revokes.status_code == 404  # someone else's key looks absent
    assert (
        world.client.delete(f"/api/v1/me/api-keys/{made['id']}", headers=agent).status_code == 204
    )


def test_every_write_is_audited_with_the_acting_user(world: World) -> None:
    analyst = world.as_role("analyst")
    world.client.post(
        "/api/v1/feedback",
        headers=analyst,
        json={"channel": "email", "language": "en", "text": "hi"},
    )
    world.client.post("/api/v1/customers", headers=analyst, json={"id": "api-audit"})
    world.client.post(
        "/api/v1/surveys", headers=analyst, json={"key": "audit-w1", "instrument": "heating-cx"}
    )
    events = world.client.get(
        "/api/v1/audit", headers=world.as_role("admin"), params={"actor": "analyst@example.org"}
    ).json()["items"]
    assert {"feedback.create", "customer.create", "survey.create"} <= {e["action"] for e in events}


def test_pagination_and_the_error_body(world: World) -> None:
    agent = world.as_role("agent")
    first = world.client.get("/api/v1/customers", headers=agent, params={"limit": 7}).json()
    second = world.client.get(
        "/api/v1/customers", headers=agent, params={"limit": 7, "offset": 7}
    ).json()
    assert first["total"] == second["total"] >= 300
    assert not {c["id"] for c in first["items"]} & {c["id"] for c in second["items"]}
    for params in ({"limit": 0}, {"limit": 501}, {"offset": -1}, {"limit": "many"}):
        r = world.client.get("/api/v1/customers", headers=agent, params=params)
        assert r.status_code == 422
        assert set(r.json()) == {"error"} and r.json()["error"]["code"] == "invalid"
        assert r.json()["error"]["field"] in ("limit", "offset")
    broken = world.client.post("/api/v1/feedback", headers=agent, content=b"{not json", params={})
    assert broken.status_code == 422 and broken.json()["error"]["code"] == "invalid"
    assert world.client.get("/api/v1/nowhere", headers=agent).json()["error"]["code"] == "not_found"
    wrong_method = world.client.put("/api/v1/customers", headers=agent)
    assert wrong_method.status_code == 405 and "error" in wrong_method.json()


def test_rate_limit_and_body_size(tmp_path: Path) -> None:
    small = build_world(tmp_path, demo=False, api_limit=5)
    headers = small.as_role("viewer")
    codes = [small.client.get("/api/v1/me", headers=headers).status_code for _ in range(7)]
    assert codes == [200] * 5 + [429] * 2
    limited = small.client.get("/api/v1/me", headers=headers)
    assert limited.json()["error"]["code"] == "rate_limited" and limited.headers["retry-after"]
    assert small.client.get("/api/v1/me", headers=small.as_role("agent")).status_code == 200
    huge = small.client.post(
        "/api/v1/feedback",
        headers=small.as_role("admin"),
        content=b'{"text": "' + b"x" * 400_000 + b'"}',
    )
    assert huge.status_code == 413 and huge.json()["error"]["code"] == "too_large"
