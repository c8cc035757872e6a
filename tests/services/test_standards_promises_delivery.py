"""Standards (propose, approve, edit, retire, versions), promises and delivery imports on a
real SQLite file: bad input names the row and field, and nothing is half-stored."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, text
from tests.databases import database_option, demo_database, query

from cxgap.engine.frames import load_survey
from cxgap.errors import ConflictError, ValidationError
from cxgap.services.accounts import list_audit
from cxgap.services.delivery import delivery_from_encounters, delivery_table, import_delivery
from cxgap.services.promises import add_promise, import_promises, list_promises
from cxgap.services.standards import (
    approve_standard,
    create_standard,
    edit_standard,
    list_standards,
    propose_standards,
    retire_standard,
)

ACTOR = "tester"


@pytest.fixture(scope="module")
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """The demo organisation on SQLite, or (parameter ``postgresql``) on PostgreSQL."""
    with demo_database(request, tmp_path_factory, seed=2, customers=400) as engine:
        yield engine


def _count(engine: Engine, table: str) -> int:
    return int(query(engine, f"select count(*) from {table}")[0][0])


def test_propose_stores_the_rule_and_levels_from_expectations(engine: Engine) -> None:
    proposal = propose_standards(engine, "heating-2026q4", by="channel", actor=ACTOR)
    frame = load_survey(engine, "heating-2026q4").frame
    stored = {s.key: s for s in list_standards(engine, status="proposed")}
    first = stored["tan1-level"]
    adequate = frame["tan1_adequate"].astype(float).dropna()
    assert first.floor == np.quantile(adequate, 0.8, method="inverted_cdf")
    assert first.measure_unit == "scale" and first.source is not None
    assert first.source["survey"] == "heating-2026q4" and first.source["floor_share"] == 0.8
    assert "80%" in proposal.rule
    assert set(proposal.keys) <= set(stored)
    segments = proposal.levels[proposal.levels["segment"] != ""]
    assert set(segments["segment"].str.partition("=")[0]) <= {"channel"}


def test_versions_approve_edit_retire_and_the_audit_log(engine: Engine) -> None:
    record = create_standard(
        engine,
        "call-answer",
        actor=ACTOR,
        instrument="heating-cx",
        item="res3",
        metric="seconds until a call is answered",
        measure_unit="minutes",
        higher_is_better=False,
        floor=5.0,
        target=1.0,
        owner="hotline lead",
    )
    assert (record.version, record.status) == (1, "proposed")
    assert approve_standard(engine, "call-answer", actor=ACTOR).status == "approved"
    edited = edit_standard(engine, "call-answer", actor=ACTOR, floor=4.0)
    assert (edited.version, edited.status, edited.floor, edited.target) == (2, "proposed", 4.0, 1.0)
    versions = list_standards(engine, all_versions=True)
    mine = [(r.version, r.status) for r in versions if r.key == "call-answer"]
    assert mine == [(1, "approved"), (2, "proposed")]
    approve_standard(engine, "call-answer", actor=ACTOR)
    mine = [
        (r.version, r.status)
        for r in list_standards(engine, all_versions=True)
        if r.key == "call-answer"
    ]
    assert mine == [(1, "retired"), (2, "approved")]
    assert retire_standard(engine, "call-answer", actor=ACTOR).version == 2
    with pytest.raises(ConflictError, match="no proposed version"):
        approve_standard(engine, "call-answer", actor=ACTOR)
    actions = [
        e.action
        for e in list_audit(engine, target_type="standard", limit=50)[0]
        if e.target_id and e.target_id.startswith("call-answer")
    ]
    assert {"standard.create", "standard.approve", "standard.edit", "standard.retire"} <= set(
        actions
    )


def test_a_floor_beyond_its_target_is_refused_and_not_stored(engine: Engine) -> None:
    before = _count(engine, "service_standards")
    with pytest.raises(
        ValidationError, match=r"standard 'bad': field 'floor' is 9, above the target 7"
    ):
        create_standard(
            engine,
            "bad",
            actor=ACTOR,
            instrument="heating-cx",
            item="res1",
            metric="level",
            measure_unit="scale",
            higher_is_better=True,
            floor=9.0,
            target=7.0,
            owner="x",
        )
    with pytest.raises(ValidationError, match=r"field 'item' is 'res9', not an item"):
        create_standard(
            engine,
            "bad",
            actor=ACTOR,
            instrument="heating-cx",
            item="res9",
            metric="level",
            measure_unit="scale",
            higher_is_better=True,
            floor=5.0,
            target=7.0,
            owner="x",
        )
    assert _count(engine, "service_standards") == before


def test_delivery_import_is_all_or_nothing_with_row_and_field(
    engine: Engine, tmp_path: Path
) -> None:
    before = _count(engine, "delivery_measurements")
    bad = tmp_path / "delivery.csv"
    bad.write_text(
        "standard,unit,period,value,cases,met\n"
        "response-time,north,2026-03,5.1,100,90\n"
        "response-time,atlantis,2026-04,5.0,100,90\n"
        "response-time,north,2026-13,5.0,100,90\n"
        "response-time,north,2019-01,5.0,100,90\n"
        "response-time,north,2026-05,fast,100,90\n"
        "response-time,north,2026-06,5.0,100,120\n",
        encoding="utf-8",
    )
    with pytest.raises(ValidationError) as caught:
        import_delivery(engine, bad, actor=ACTOR)
    message = caught.value.message
    assert "nothing imported, 5 problems" in message
    assert "row 3, column 'unit': 'atlantis' is not a known unit" in message
    assert "row 4, column 'period': '2026-13' is not a period" in message
    assert "row 5, column 'period': '2019-01' lies outside standard 'response-time'" in message
    assert "row 6, column 'value': 'fast' is not a number" in message
    assert "row 7, column 'met': 120 exceeds cases 100" in message
    assert _count(engine, "delivery_measurements") == before
    good = tmp_path / "delivery.xlsx"
    pd.DataFrame(
        {
            "unit": ["north", "south"],
            "period": ["2027-01", "2027-01"],
            "value": [5.5, 6.5],
            "cases": [100, 80],
            "met": [88, 60],
        }
    ).to_excel(good, index=False)
    assert import_delivery(engine, good, actor=ACTOR, standard="response-time") == 2
    table = delivery_table(engine, "response-time")
    row = table[(table["unit"] == "south") & (table["period"] == "2027-01")].iloc[0]
    assert (row["value"], row["cases"], row["met"]) == (6.5, 80, 60)


def test_delivery_computed_from_encounters_matches_a_direct_count(engine: Engine) -> None:
    create_standard(
        engine,
        "resolved-first",
        actor=ACTOR,
        instrument="heating-cx",
        item="rel1",
        metric="share of contacts resolved",
        measure_unit="share",
        higher_is_better=True,
        floor=0.6,
        target=0.8,
        owner="service desk",
        effective_from=pd.Timestamp("2025-01-01").date(),
    )
    count = delivery_from_encounters(engine, "resolved-first", touchpoint="billing", actor=ACTOR)
    with engine.connect() as conn:
        raw = pd.read_sql(
            text(
                "select e.occurred_at, e.outcome, c.region from encounters e join customers c "
                "on c.id = e.customer_id where e.touchpoint = 'billing'"
            ),
            conn,
        )
    raw["period"] = pd.to_datetime(raw["occurred_at"], format="mixed").dt.strftime("%Y-%m")
    expected = raw.groupby(["region", "period"])["outcome"].agg(
        cases="size", met=lambda s: int((s == "resolved").sum())
    )
    assert count == len(expected)
    stored = delivery_table(engine, "resolved-first").set_index(["unit", "period"])
    north = expected.loc[("north", "2025-03")]
    assert stored.loc[("north", "2025-03"), "cases"] == north["cases"]
    assert stored.loc[("north", "2025-03"), "met"] == north["met"]


def test_promises_add_import_and_bad_rows(engine: Engine, tmp_path: Path) -> None:
    add_promise(
        engine,
        actor=ACTOR,
        key="ad-friendly",
        channel="advertisement",
        texts={"en": "Friendly staff, always.", "fa": "کارکنان مهربان، همیشه."},
        valid_from=pd.Timestamp("2026-01-01").date(),
        instrument="heating-cx",
        dimension="assurance",
    )
    before = _count(engine, "service_promises")
    bad = tmp_path / "promises.csv"
    bad.write_text(
        "key,channel,text_en,text_zh,text_fa,audience,valid_from,valid_to,instrument,item,dimension,standard,level\n"
        "web-1,website,Fast repairs,,,,2026-01-01,,heating-cx,res2,,response-time,6\n"
        "web-2,website,Warm homes,,,,2026-01-01,,heating-cx,warmth,,,\n"
        "web-3,billboard,Big,,,,2026-01-01,,heating-cx,res1,,,\n"
        "ad-friendly,website,Again,,,,2026-01-01,,heating-cx,res1,,,\n",
        encoding="utf-8",
    )
    with pytest.raises(ValidationError) as caught:
        import_promises(engine, bad, actor=ACTOR)
    message = caught.value.message
    assert "row 3: field 'item' is 'warmth', not an item of instrument 'heating-cx'" in message
    assert "row 4: field 'channel' is 'billboard'" in message
    assert "row 5, field 'key': promise 'ad-friendly' exists already" in message
    assert _count(engine, "service_promises") == before
    good = tmp_path / "good.csv"
    good.write_text(
        "key,channel,text_en,text_zh,text_fa,audience,valid_from,instrument,item,standard,level\n"
        "web-1,website,Fast repairs,快速维修,تعمیر سریع,channel=web,2026-01-01,"
        "heating-cx,res2,response-time,6\n",
        encoding="utf-8",
    )
    assert import_promises(engine, good, actor=ACTOR) == 1
    web = next(p for p in list_promises(engine) if p.key == "web-1")
    assert (web.audience, web.promised_level, web.texts["zh"]) == ("channel=web", 6.0, "快速维修")


def test_commands_report_mistakes_without_a_traceback(
    engine: Engine, cli: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    db = database_option(engine)
    code, _, err = cli(
        "--db",
        db,
        "standards",
        "add",
        "worse",
        "--metric",
        "hours",
        "--unit",
        "hours",
        "--floor",
        "2",
        "--target",
        "6",
        "--owner",
        "me",
        "--instrument",
        "heating-cx",
        "--item",
        "res2",
        "--lower-is-better",
    )
    assert code == 3 and "field 'floor' is 2, below the target 6" in err
    assert "Traceback" not in err
    file = tmp_path / "d.csv"
    file.write_text("unit,period,value\nmoon,2026-02,3\n", encoding="utf-8")
    code, _, err = cli("--db", db, "delivery", "import", file, "--standard", "response-time")
    assert code == 3 and "row 2, column 'unit': 'moon'" in err
    code, out, _ = cli("--db", db, "standards", "list", "--status", "approved")
    assert code == 0 and "response-time" in out
    code, out, err = cli("--db", db, "promises", "list", "--json", tmp_path / "p.json")
    assert code == 0, err
    assert "brochure-4h" in (tmp_path / "p.json").read_text("utf-8")


def test_propose_command_states_the_rule_and_writes_json(
    engine: Engine, cli: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    out = tmp_path / "proposal.json"
    code, stdout, err = cli(
        "--db",
        database_option(engine),
        "standards",
        "propose",
        "--survey",
        "heating-2026q3",
        "--floor-share",
        "0.9",
        "--json",
        out,
    )
    assert code == 0, err
    assert "at least 90% of customers find adequate" in stdout
    document = json.loads(out.read_text("utf-8"))
    frame = load_survey(engine, "heating-2026q3").frame
    row = next(r for r in document["levels"] if r["item"] == "emp1" and r["segment"] == "")
    adequate = frame["emp1_adequate"].astype(float).dropna()
    assert row["floor"] == np.quantile(adequate, 0.9, method="inverted_cdf")
    perceived = frame["emp1_perceived"].astype(float).dropna()
    assert row["share_below_floor"] == pytest.approx((perceived < row["floor"]).mean())
    code, _, err = cli(
        "--db",
        database_option(engine),
        "standards",
        "propose",
        "--survey",
        "heating-2026q3",
        "--by",
        "shoe_size",
    )
    assert code == 3 and "--by 'shoe_size' is not a respondent attribute" in err
