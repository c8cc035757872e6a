"""An organisation's own customer attribute, imported from a file (``attribute:plan`` in
the mapping), is a segment everywhere a built-in one is: ``cxgap analyze --by`` and
``cxgap report --by``, the API's ``by`` and filters, and the dashboard's pickers."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from cxgap.errors import ValidationError
from cxgap.services.accounts import create_account, new_api_key
from cxgap.services.database import open_database
from cxgap.web.auth import SESSION_COOKIE, issue_session
from cxgap.web.main import create_app

DATA = Path(__file__).parent / "data"
SURVEY = "plans-w1"
PASSWORD = "correct horse battery staple"
PER_PLAN = 40
Cli = Callable[..., tuple[int, str, str]]


def _answers_file(path: Path) -> Path:
    """Respondents on two plans whose expectations differ (gold expects more)."""
    rng = np.random.default_rng(7)
    lines = [
        "respondent_id,customer_id,Plan,rel1_adequate,rel1_desired,rel1_perceived,"
        "emp1_expected,emp1_perceived,nps,kano_app_functional,kano_app_dysfunctional"
    ]
    for n in range(2 * PER_PLAN):
        plan = "gold" if n < PER_PLAN else "basic"
        low = 5 if plan == "gold" else 2
        adequate = int(rng.integers(low, low + 3))
        desired = min(9, adequate + int(rng.integers(1, 3)))
        perceived = int(rng.integers(1, 10))
        expected, felt = int(rng.integers(low, low + 3)), int(rng.integers(1, 8))
        lines.append(
            f"r{n},C{n},{plan},{adequate},{desired},{perceived},{expected},{felt},"
            f"{int(rng.integers(0, 11))},{int(rng.integers(1, 6))},{int(rng.integers(1, 6))}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database whose survey was imported with ``Plan`` mapped to ``attribute:plan``."""
    from cxgap.cli import main

    folder = tmp_path_factory.mktemp("plans")
    mapping = folder / "mapping.yaml"
    mapping.write_text("Plan: attribute:plan\n", encoding="utf-8")
    db = folder / "plans.db"
    args = [
        "--db", db, "import", _answers_file(folder / "answers.csv"), "--survey", SURVEY,
        "--instrument", DATA / "mini.yaml", "--mapping", mapping,
    ]  # fmt: skip
    with pytest.raises(SystemExit) as done:
        main([str(a) for a in args])
    assert done.value.code in (0, None)
    return db


@pytest.fixture(scope="module")
def plans_engine(database: Path) -> Engine:
    return open_database(str(database))


def _segment_sizes(analysis: dict[str, Any], segment: str) -> dict[str, int]:
    """Respondents per segment in the comparison by ``segment`` (its first column)."""
    segments = analysis["segments"]
    assert list(segments) == [segment]
    groups = segments[segment]["groups"]
    first = groups[0]["column"]
    return {str(g["segment"]): int(g["n"]) for g in groups if g["column"] == first}


@pytest.mark.parametrize("by", ["plan", "attribute:plan"])
def test_analyze_compares_by_an_own_attribute(
    cli: Cli, database: Path, tmp_path: Path, by: str
) -> None:
    out = tmp_path / "analysis.json"
    code, _, err = cli("--db", database, "analyze", "--survey", SURVEY, "--by", by, "--json", out)
    assert code == 0, err
    analysis = json.loads(out.read_text(encoding="utf-8"))
    assert _segment_sizes(analysis, "attribute:plan") == {"basic": PER_PLAN, "gold": PER_PLAN}


def test_analyze_names_the_own_attributes_when_one_is_missing(cli: Cli, database: Path) -> None:
    code, _, err = cli("--db", database, "analyze", "--survey", SURVEY, "--by", "tier")
    assert code != 0 and "Traceback" not in err
    assert "'attribute:tier'" in err and "attribute:plan" in err


def test_report_has_a_section_for_an_own_attribute(
    cli: Cli, database: Path, tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    code, _, err = cli("--db", database, "report", "--survey", SURVEY, "--by", "plan", "--out", out)
    assert code == 0, err
    assert "Expectations by segment: plan" in out.read_text(encoding="utf-8")


def _api(engine: Engine) -> TestClient:
    user = create_account(engine, "analyst@example.org", PASSWORD, role="analyst", actor="test")
    key = new_api_key(engine, user.id, "tests", actor="test").key
    return TestClient(create_app(engine), headers={"authorization": f"Bearer {key}"})


@pytest.fixture(scope="module")
def api(plans_engine: Engine) -> TestClient:
    return _api(plans_engine)


@pytest.mark.parametrize("by", ["plan", "attribute:plan"])
def test_the_api_compares_by_an_own_attribute(api: TestClient, by: str) -> None:
    answer = api.post("/api/v1/analyses", json={"survey": SURVEY, "by": [by]})
    assert answer.status_code == 200, answer.text
    assert _segment_sizes(answer.json(), "attribute:plan") == {
        "basic": PER_PLAN,
        "gold": PER_PLAN,
    }


def test_the_api_filters_by_an_own_attribute(api: TestClient) -> None:
    gold = api.get("/api/v1/responses", params={"survey": SURVEY, "attribute": "plan=gold"})
    assert gold.status_code == 200, gold.text
    assert gold.json()["total"] == PER_PLAN
    assert {r["segments"]["attribute:plan"] for r in gold.json()["items"]} == {"gold"}
    customers = api.get("/api/v1/customers", params={"attribute": "plan=basic", "limit": 500})
    assert customers.status_code == 200 and customers.json()["total"] == PER_PLAN
    bad = api.get("/api/v1/responses", params={"attribute": "plan"})
    assert bad.status_code == 422 and "NAME=VALUE" in bad.text


def test_the_dashboard_offers_an_own_attribute(plans_engine: Engine) -> None:
    client = TestClient(create_app(plans_engine))
    user = create_account(plans_engine, "viewer@example.org", PASSWORD, role="analyst", actor="t")
    client.cookies.set(
        SESSION_COOKIE,
        issue_session(plans_engine, client.app.state.secret, user),  # type: ignore[attr-defined]
    )
    picker = client.get("/dashboard/segments", params={"survey": SURVEY})
    assert picker.status_code == 200
    assert '<option value="attribute:plan"' in picker.text
    for by in ("plan", "attribute:plan"):
        chosen = client.get("/dashboard/segments", params={"survey": SURVEY, "by": by})
        assert '<option value="attribute:plan" selected' in chosen.text
        assert "<svg" in chosen.text
    responses = client.get(
        "/dashboard/responses", params={"survey": SURVEY, "attribute:plan": "gold"}
    )
    assert 'name="attribute:plan"' in responses.text
    assert f"{PER_PLAN} " in responses.text or f">{PER_PLAN}<" in responses.text


def test_segment_names() -> None:
    from cxgap.segments import COMPARABLE, segment_name

    assert segment_name("age_band") == "age_band"
    assert segment_name("plan") == "attribute:plan"
    assert segment_name("attribute:plan") == "attribute:plan"
    assert segment_name("طرح") == "attribute:طرح"
    with pytest.raises(ValidationError, match="allowed: gender, age_band"):
        segment_name("no spaces")
    assert COMPARABLE[-1] == "interests"
