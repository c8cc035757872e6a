"""``analyze_survey`` on the demo organisation recovers what was planted in it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import Engine
from tests.databases import database_option, load_demo_copy
from tests.postgres_server import BACKENDS, PostgresServer

from cxgap.demo import planted_truths
from cxgap.errors import DataError, ValidationError
from cxgap.services.analysis import (
    SCHEMA,
    AttractiveFeature,
    BelowAdequate,
    Finding,
    KeyDriver,
    SegmentDifference,
    WorseningDimension,
    analyze_survey,
)
from cxgap.store.database import get_engine, upgrade

SEED = 5


@pytest.fixture(scope="module", params=BACKENDS)
def demo_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """The demo organisation in a SQLite file, or in a PostgreSQL database."""
    server: PostgresServer | None = None
    if request.param == "sqlite":
        engine = get_engine(str(tmp_path_factory.mktemp("demo") / "demo.db"))
        upgrade(engine)
    else:
        server = request.getfixturevalue("postgres_server")
        engine = get_engine(server.new_database())
    load_demo_copy(engine, seed=SEED, customers=2500)
    yield engine
    if server is not None:
        engine.dispose()
        server.drop_database(engine.url.render_as_string(hide_password=False))


F = TypeVar("F")


def kinds(findings: tuple[Finding, ...], kind: type[F]) -> list[F]:
    return [f for f in findings if isinstance(f, kind)]


def test_planted_truths_are_recovered(demo_engine: Engine) -> None:
    truths = planted_truths(SEED)
    result = analyze_survey(demo_engine, "heating-2026q4", by=["age_band", "channel"])
    findings = result.findings
    below = {f.item for f in kinds(findings, BelowAdequate)}
    assert truths["below_adequate_item"] in below
    assert [f.dimension for f in kinds(findings, KeyDriver)] == [truths["key_driver"]["dimension"]]
    assert [f.feature for f in kinds(findings, AttractiveFeature)] == [truths["attractive_feature"]]
    worsening = kinds(findings, WorseningDimension)
    assert [f.dimension for f in worsening] == [truths["worsening_dimension"]["dimension"]]
    differences = {(f.attribute, f.column, f.highest) for f in kinds(findings, SegmentDifference)}
    for planted in truths["segment_differences"]:
        for name in planted["fields"]:
            key = (planted["attribute"], f"{planted['dimension']}_{name}", planted["level"])
            assert key in differences
    # no difference is claimed where none was planted
    assert all(col.split("_")[0] in ("empathy", "responsiveness") for _, col, _ in differences)


def test_an_early_wave_shows_no_worsening_but_the_same_floor(demo_engine: Engine) -> None:
    result = analyze_survey(demo_engine, "heating-2025q2")
    assert kinds(result.findings, WorseningDimension) == []
    assert [f.item for f in kinds(result.findings, BelowAdequate)] == ["rel2"]
    assert result.trend is not None and set(result.trend["wave"]) == {"2025Q1", "2025Q2"}


def test_json_structure(demo_engine: Engine) -> None:
    data = analyze_survey(demo_engine, "heating-2026q1", by="gender").to_dict()
    assert data["schema"] == SCHEMA
    assert set(data) == {
        "schema",
        "survey",
        "tolerance_zone",
        "gaps",
        "reliability",
        "loyalty",
        "importance",
        "kano",
        "segments",
        "trend",
        "findings",
        "priorities",
        "notes",
    }
    assert data["survey"]["n_responses"] == 600
    assert data["gaps"] is None  # a zone-of-tolerance instrument has no E/P gaps
    assert -100 <= data["loyalty"]["nps"]["nps"] <= 100
    assert set(data["reliability"]) == {
        "tangibles",
        "reliability",
        "responsiveness",
        "assurance",
        "empathy",
    }
    json.dumps(data, allow_nan=False)  # strict JSON: NaN became null


def test_management_survey_and_bad_requests(demo_engine: Engine) -> None:
    managers = analyze_survey(demo_engine, "management-2026q4")
    assert managers.tolerance_zone is not None and managers.nps is None
    with pytest.raises(ValidationError, match="not a respondent attribute"):
        analyze_survey(demo_engine, "heating-2026q4", by="shoe_size")
    with pytest.raises(ValidationError, match="no respondent of this survey has it"):
        analyze_survey(demo_engine, "management-2026q4", by="gender")


def test_too_few_responses(engine: Engine, mini_survey: str) -> None:
    with pytest.raises(DataError, match="at least 10 are needed"):
        analyze_survey(engine, mini_survey)


def test_cli_analyze(
    demo_engine: Engine, cli: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    out_file = tmp_path / "a.json"
    code, out, err = cli(
        "--db",
        database_option(demo_engine),
        "analyze",
        "--survey",
        "heating-2026q4",
        "--by",
        "age_band",
        "--json",
        out_file,
    )
    assert code == 0, err
    assert (
        "Gap by dimension" in out and "Problems put right (Reliability) is delivered below" in out
    )
    assert json.loads(out_file.read_text("utf-8"))["schema"] == SCHEMA


def test_tiny_segments_are_left_out_and_named(demo_engine: Engine) -> None:
    from sqlalchemy import select, update

    from cxgap.store.database import transaction
    from cxgap.store.models import Customer, Response, Survey

    with transaction(demo_engine) as s:
        survey_id = s.scalar(select(Survey.id).where(Survey.key == "heating-2025q3"))
        one = s.scalar(select(Response.customer_id).where(Response.survey_id == survey_id))
        s.execute(update(Customer).where(Customer.id == one).values(region="island"))
    result = analyze_survey(demo_engine, "heating-2025q3", by="region")
    assert "region" in result.segments
    assert "island" not in set(result.segments["region"].groups["segment"])
    assert any("island left out" in note for note in result.notes)


def test_the_analysis_is_read_only(demo_engine: Engine) -> None:
    import dataclasses

    result = analyze_survey(demo_engine, "heating-2026q1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.nps = None  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.findings[0].dimension = "x"  # type: ignore[misc]
    assert isinstance(result.findings, tuple) and isinstance(result.notes, tuple)


def test_the_priority_list_puts_the_dimension_below_the_zone_first(demo_engine: Engine) -> None:
    result = analyze_survey(demo_engine, "heating-2026q4")
    assert result.tolerance_zone is not None and result.priorities is not None
    zone = result.tolerance_zone.summary
    dims = zone[zone["level"] == "dimension"].set_index("name")
    # the planted truth: responsiveness below the zone for most customers
    assert dims.loc["responsiveness", "position"] == "below"
    assert dims.loc["responsiveness", "share_below_adequate"] > 0.5
    first = result.priorities.entries[0]
    assert (first.area, first.kind, first.tier) == ("responsiveness", "dimension", "act_now")
    codes = [r.code for r in first.reasons]
    assert codes[:2] == ["below_zone", "majority_below"]
    share = next(r.value for r in first.reasons if r.code == "majority_below")
    assert share == pytest.approx(dims.loc["responsiveness", "share_below_adequate"])
    # its derived importance is below average (the IPA's "low priority" quadrant) and
    # the list says why it still comes first
    assert result.ipa is not None
    assert result.ipa.summary.loc["responsiveness", "quadrant"] == "low priority"
    assert "less_important_derived" in codes and "below_first" in codes
    # every dimension and Kano feature has one rank, 1..k
    expected = set(dims.index) | set(result.kano.summary.index)  # type: ignore[union-attr]
    assert {e.area for e in result.priorities.entries} == expected
    assert [e.rank for e in result.priorities.entries] == list(range(1, len(expected) + 1))
    assert result.to_dict()["priorities"]["entries"][0]["area"] == "responsiveness"
