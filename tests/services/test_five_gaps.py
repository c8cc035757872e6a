"""The five gaps on the demo organisation: the planted provider gaps are recovered and
nothing else is claimed; the command's JSON follows docs/gaps-json.md."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from scipy import stats as sps
from sqlalchemy import Engine
from tests.databases import load_demo_copy

from cxgap.engine.frames import load_survey
from cxgap.services.five_gaps import chain, five_gaps
from cxgap.store.database import get_engine, upgrade

SURVEY = "heating-2026q4"
MANAGEMENT = "management-2026q4"
EMPLOYEES = "employees-2026q4"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    engine = get_engine(str(tmp_path_factory.mktemp("gaps") / "demo.db"))
    upgrade(engine)
    load_demo_copy(engine, seed=5, customers=2500)
    return engine


def _truths(engine: Engine) -> dict:
    return json.loads(Path(f"{engine.url.database}.truths.json").read_text("utf-8"))


def test_planted_gaps_are_recovered_and_nothing_else_is_claimed(demo: Engine) -> None:
    truths = _truths(demo)
    result = five_gaps(demo, SURVEY, management=MANAGEMENT, employees=EMPLOYEES)
    # Gap 1: every item of the planted dimension, in both fields, and nothing else
    knowledge = result.knowledge_items()
    claimed = knowledge[knowledge["finding"] != "none"]
    planted = truths["gap1"]["dimension"]
    assert set(claimed["dimension"]) == {planted}
    assert set(claimed["finding"]) == {"underestimated"}
    items = [i for i, d in result.dimensions.items() if d == planted]
    for field in truths["gap1"]["fields"]:
        rows = claimed[(claimed["field"] == field) & (claimed["level"] == "item")]
        assert sorted(rows["item"]) == sorted(items)
    # Gap 3: one unit of one standard, from the planted period on
    findings = {
        (d.standard.key, row["unit"]): (row["finding"], row["first_signal"])
        for d in result.delivery
        for row in d.compliance.units.to_dict(orient="records")
    }
    gap3 = truths["gap3"]
    assert findings.pop((gap3["standard"], gap3["unit"])) == ("shift_down", gap3["from_period"])
    assert {f for f, _ in findings.values()} == {"none"}
    # Gap 4: the brochure over-promises; the other promises are kept
    by_key = {p.promise.key: p.check for p in result.communication}
    brochure = by_key.pop(truths["gap4"]["promise"])
    assert brochure is not None and brochure.finding == "over_promising"
    assert sorted(by_key) == sorted(truths["gap4"]["kept_promises"])
    assert all(c is not None and c.finding == "none" for c in by_key.values())
    # the staff factors: nothing is claimed from six units; the weak unit stands out
    assert result.factors is not None and not result.factors.summary["related"].any()
    scores = result.factor_scores
    assert scores is not None
    unit = truths["factors"]["unit"]
    for factor in truths["factors"]["weaker"]:
        column = scores[factor]
        expected = column.idxmax() if factor == "role_conflict" else column.idxmin()
        assert expected == unit, factor


def test_exposure_compares_the_audience_with_everyone_else(demo: Engine) -> None:
    result = five_gaps(demo, SURVEY)
    check = next(p.check for p in result.communication if p.promise.key == "brochure-4h")
    assert check is not None
    frame = load_survey(demo, SURVEY).frame
    app = frame["channel"] == "app"
    known = frame["channel"].notna()
    desired = frame["res2_desired"].astype(float)
    exposed, others = desired[app].dropna(), desired[~app & known].dropna()
    welch = sps.ttest_ind(exposed, others, equal_var=False)
    assert check.exposure_p == pytest.approx(welch.pvalue)
    assert check.exposure_difference == pytest.approx(exposed.mean() - others.mean())


def test_gaps_command_writes_the_documented_json(
    demo: Engine, cli: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    out = tmp_path / "gaps.json"
    code, stdout, err = cli(
        "--db",
        demo.url.database,
        "gaps",
        "--survey",
        SURVEY,
        "--management",
        MANAGEMENT,
        "--json",
        out,
    )
    assert code == 0, err
    assert "Gap 1, knowledge" in stdout and "over-promising" in stdout.lower()
    document = json.loads(out.read_text("utf-8"))
    assert document["schema"] == "cxgap.gaps/1"
    assert [g["gap"] for g in document["gaps"]] == [1, 2, 3, 4, 5]
    gap1 = document["gaps"][0]["items"]
    keys = {
        "item",
        "dimension",
        "manager_mean",
        "customer_mean",
        "difference",
        "ci_low",
        "ci_high",
        "p_adjusted",
        "finding",
    }
    assert all(keys <= set(row) for row in gap1)
    assert {row["finding"] for row in gap1} <= {"underestimated", "overestimated", "none"}
    row = next(r for r in gap1 if r["item"] == "res1" and r["field"] == "desired")
    managers = load_survey(demo, MANAGEMENT).frame["res1_desired"].astype(float).dropna()
    customers = load_survey(demo, SURVEY).frame["res1_desired"].astype(float).dropna()
    assert row["manager_mean"] == pytest.approx(managers.mean())
    assert row["difference"] == pytest.approx(managers.mean() - customers.mean())
    assert np.isclose(
        row["ci_high"] - row["difference"],
        sps.t.ppf(0.975, sps.ttest_ind(managers, customers, equal_var=False).df)
        * np.sqrt(managers.var() / len(managers) + customers.var() / len(customers)),
    )


def test_the_chain_of_one_dimension(demo: Engine) -> None:
    result = five_gaps(demo, SURVEY, management=MANAGEMENT)
    links = chain(result, dimension="responsiveness")
    assert links["items"] == ["res1", "res2", "res3", "res4"]
    assert {r["finding"] for r in links["gap1"]} == {"underestimated"}
    assert [r["standard"] for r in links["gap3"]] == ["response-time"]
    assert {r["promise"] for r in links["gap4"]} == {"brochure-4h", "sla-same-day"}
    assert [r["item"] for r in links["gap5"]] == ["res1", "res2", "res3", "res4"]
    with pytest.raises(Exception, match="not a dimension"):
        chain(result, dimension="speed")


def test_the_report_has_a_five_gaps_section_in_persian(demo: Engine) -> None:
    from cxgap.reports import build_report

    report = build_report(demo, SURVEY, lang="fa", gaps=True, management=MANAGEMENT)
    ids = [s.id for s in report.document.sections]
    assert ids[-6:] == ["gap1", "gap2", "gap3", "gap4", "gap5", ids[-1]]
    html = report.content.decode("utf-8")
    assert 'dir="rtl"' in html and "وعده‌ی بیش از حد: brochure-4h" in html
    gap3 = next(s for s in report.document.sections if s.id == "gap3")
    assert len(gap3.tables[0]["rows"]) == 12  # two standards x six districts


def test_a_segment_standard_is_compared_with_that_segments_customers(demo: Engine) -> None:
    from cxgap.services.standards import approve_standard, create_standard, retire_standard

    frame = load_survey(demo, SURVEY).frame
    region = str(frame["region"].dropna().iloc[0])
    create_standard(
        demo,
        "rel4-region",
        actor="test",
        instrument="heating-cx",
        item="rel4",
        segment=f"region={region}",
        metric="perceived level of rel4",
        measure_unit="scale",
        higher_is_better=True,
        floor=1.0,
        target=9.0,
        owner="planning",
    )
    approve_standard(demo, "rel4-region", actor="test")
    try:
        rows = five_gaps(demo, SURVEY).to_dict()["gaps"][1]["items"]
    finally:
        retire_standard(demo, "rel4-region", actor="test")
    mine = next(r for r in rows if r["standard"] == "rel4-region")
    theirs = frame.loc[frame["region"].astype(str) == region, "rel4_adequate"].dropna()
    everyone = frame["rel4_adequate"].dropna()
    assert len(theirs) < len(everyone)
    assert mine["segment"] == f"region={region}"
    assert mine["customer_adequate"] == pytest.approx(theirs.mean())
    # scipy: the segment's t interval of the mean
    low, high = sps.t.interval(0.95, len(theirs) - 1, theirs.mean(), sps.sem(theirs))
    assert (mine["adequate_ci_low"], mine["adequate_ci_high"]) == pytest.approx((low, high))
    assert mine["finding"] == "below_adequate"  # a floor of 1 lies below any segment's level
    # without an approved standard for every customer, rel4 is still reported as lacking one
    assert [r["finding"] for r in rows if r["item"] == "rel4" and not r["standard"]] == [
        "no_standard"
    ]
