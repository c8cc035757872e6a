"""Control characters and formula text through the real app: every entrance refuses
control characters with a message, every spreadsheet export stays safe to open."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from tests.hostile import COMMENTS, HYPERLINK, NPS, sheet_xml, store_hostile_responses
from tests.web.api_world import World, build_world

from cxgap.instruments import load_instrument
from cxgap.services.surveys import create_survey
from cxgap.store.accounts import User
from cxgap.store.database import transaction
from cxgap.store.models import Customer, FeedbackMessage, Response, Survey

from .helpers import VALID, form_data

DATA = Path(__file__).resolve().parents[1] / "data"
SURVEY = "mini-hostile"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    built = build_world(tmp_path_factory.mktemp("text"), demo=False)
    with transaction(built.engine) as session:
        create_survey(session, SURVEY, instrument=load_instrument(DATA / "mini.yaml"))
    store_hostile_responses(built.engine, SURVEY)
    return built


def count(engine: Engine, model: type[object]) -> int:
    with transaction(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_api_xlsx_export_is_text_numbers_and_no_formulas(world: World) -> None:
    r = world.client.get(
        "/api/v1/responses/export",
        headers=world.as_role("analyst"),
        params={"survey": SURVEY, "format": "xlsx"},
    )
    assert r.status_code == 200, r.text  # a stored NUL does not break the export
    assert "<f>" not in sheet_xml(r.content)
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).active
    assert sheet is not None
    cells = list(sheet.iter_rows())
    header = [c.value for c in cells[0]]
    by_key = {row[header.index("respondent_id")].value: row for row in cells[1:]}
    first = by_key["r1"][header.index("comment")]
    assert first.data_type == "s" and first.value == "'" + HYPERLINK
    assert by_key["r6"][header.index("comment")].value == "broken\ufffdanswer"
    for key, row in by_key.items():
        assert row[header.index("nps")].data_type == "n"
        assert row[header.index("nps")].value == NPS[key]


def test_api_csv_export_quotes_formula_text(world: World) -> None:
    r = world.client.get(
        "/api/v1/responses/export",
        headers=world.as_role("analyst"),
        params={"survey": SURVEY, "format": "csv"},
    )
    assert r.status_code == 200, r.text
    table = pd.read_csv(io.BytesIO(r.content), keep_default_na=False).set_index("respondent_id")
    for key in ("r1", "r2", "r3", "r4", "r5"):
        assert table.loc[key, "comment"] == "'" + COMMENTS[key]
    assert table.loc["r1", "region"].startswith("'=")
    assert table["nps"].dtype.kind == "i"


@pytest.fixture
def open_form(
    client: TestClient, new_link: Callable[..., str], mini_survey: str
) -> Callable[[str], tuple[str, str]]:
    """``open_form(lang)``: a new link to the mini survey and its first page."""

    def run(lang: str) -> tuple[str, str]:
        link = new_link(mini_survey)
        return link, client.get(f"/s/{link}?lang={lang}").text

    return run


@pytest.mark.parametrize(
    "case",
    [
        ("en", "\x00", "U+0000"),
        ("en", "\x1b", "U+001B"),
        ("zh", "\x1b", "U+001B"),
        ("fa", "\x7f", "U+۰۰۷F"),  # digits as Persian pages write them
    ],
)
def test_control_character_in_a_form_answer_is_a_field_error(
    engine: Engine,
    client: TestClient,
    open_form: Callable[[str], tuple[str, str]],
    case: tuple[str, str, str],
) -> None:
    lang, char, message = case
    link, page = open_form(lang)
    data = form_data(page, **{**VALID, "comment": f"fine{char}[31m red"})
    response = client.post(f"/s/{link}?lang={lang}", data=data, follow_redirects=False)
    assert response.status_code == 422
    assert 'id="err-comment"' in response.text and message in response.text
    assert count(engine, Response) == 0
    fixed = {**data, "comment": "fine, thanks"}
    again = client.post(f"/s/{link}?lang={lang}", data=fixed, follow_redirects=False)
    assert again.status_code == 303
    assert count(engine, Response) == 1


def test_feedback_refuses_control_characters(world: World) -> None:
    agent = world.as_role("agent")
    before = count(world.engine, FeedbackMessage)
    body = {"channel": "web", "language": "en", "text": "hi \x1b]0;owned\x07 there"}
    r = world.client.post("/api/v1/feedback", headers=agent, json=body)
    assert r.status_code == 422 and "U+001B" in r.json()["error"]["message"]
    with_id = {**body, "text": "fine", "external_id": "web\x1b1"}
    assert world.client.post("/api/v1/feedback", headers=agent, json=with_id).status_code == 422
    ok = world.client.post(
        "/api/v1/feedback", headers=agent, json={**body, "text": "line one\n\tline two"}
    )
    assert ok.status_code == 201
    assert count(world.engine, FeedbackMessage) == before + 1


@pytest.mark.parametrize(
    "body",
    [
        {"id": "ctl-1", "region": "North\x1b[2J"},
        {"id": "ctl-2", "attributes": {"plan": "gold\x00"}},
        {"id": "ctl-3", "interests": ["heat", "\x85pumps"]},
        {"id": "ctl-4\u0085"},
    ],
)
def test_customer_fields_refuse_control_characters(world: World, body: dict[str, object]) -> None:
    agent = world.as_role("agent")
    created = world.client.post("/api/v1/customers", headers=agent, json=body)
    assert created.status_code == 422, created.text
    assert "is not allowed" in created.json()["error"]["message"]
    bulk = world.client.post("/api/v1/customers/bulk", headers=agent, json={"customers": [body]})
    assert bulk.status_code == 422
    with transaction(world.engine) as session:
        assert session.scalar(select(Customer).where(Customer.external_id == body["id"])) is None


def test_customer_update_refuses_control_characters(world: World) -> None:
    agent = world.as_role("agent")
    made = world.client.post("/api/v1/customers", headers=agent, json={"id": "ctl-upd"})
    assert made.status_code == 201
    r = world.client.patch(
        "/api/v1/customers/ctl-upd", headers=agent, json={"attributes": {"note": "a\x00b"}}
    )
    assert r.status_code == 422
    shown = world.client.get("/api/v1/customers/ctl-upd", headers=agent).json()
    assert shown["attributes"] == {}


def test_survey_and_account_names_refuse_control_characters(world: World) -> None:
    admin = world.as_role("admin")
    survey = world.client.post(
        "/api/v1/surveys",
        headers=admin,
        json={"key": "ctl-survey", "instrument": "servqual-ep", "name": "Q1\x1b[8m"},
    )
    assert survey.status_code == 422 and "U+001B" in survey.json()["error"]["message"]
    account = {"email": "ctl@example.org", "password": "a long enough password", "role": "viewer"}
    for changed, code in (
        ({"email": "ctl\x7f@example.org"}, "U+007F"),
        ({"name": "Eve\x00"}, "U+0000"),
    ):
        user = world.client.post("/api/v1/users", headers=admin, json={**account, **changed})
        assert user.status_code == 422 and code in user.json()["error"]["message"]
    with transaction(world.engine) as session:
        assert session.scalar(select(Survey).where(Survey.key == "ctl-survey")) is None
        assert session.scalar(select(User).where(User.email.like("ctl%"))) is None


def test_instrument_texts_and_key_names_refuse_control_characters(world: World) -> None:
    import yaml

    admin = world.as_role("admin")
    definition = yaml.safe_load((DATA / "mini.yaml").read_text(encoding="utf-8"))
    definition["id"] = "ctl-mini"
    definition["title"] = {**definition["title"], "en": "Mini\x1b[5m survey"}
    checked = world.client.post("/api/v1/instruments/validate", headers=admin, json=definition)
    assert checked.json()["valid"] is False
    assert any("title[en]" in p and "U+001B" in p for p in checked.json()["problems"])
    assert (
        world.client.post("/api/v1/instruments", headers=admin, json=definition).status_code == 422
    )
    key = world.client.post("/api/v1/me/api-keys", headers=admin, json={"name": "ci\x00key"})
    assert key.status_code == 422
