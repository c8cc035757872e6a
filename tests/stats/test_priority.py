"""Tests of the priority list: the documented rule, deterministic ties, degenerate inputs."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from cxgap.errors import DataError
from cxgap.stats import priority_ranking
from cxgap.stats.priority import REASONS, TIERS


def _codes(ranking, area: str) -> list[str]:
    entry = next(e for e in ranking.entries if e.area == area)
    return [r.code for r in entry.reasons]


def _tier_by_rule(row: dict, cuts: dict) -> str:
    """The rule of the module docstring, written out again independently."""
    if row["position"] == "below" or row["share"] >= 0.5:
        return "act_now"
    if (row["change"] < 0 and row["p"] < 0.05) or row["items_below"] > 0:
        return "act_soon"
    if row["imp"] >= cuts["imp"] or row["stated"] >= cuts["stated"]:
        return "protect"
    return "maintain"


def test_below_zone_ranks_first_even_with_low_importance() -> None:
    dims = pd.DataFrame(
        {
            "position": ["within", "below", "within"],
            "msa": [0.8, -0.4, 1.3],
            "share_below_adequate": [0.12, 0.59, 0.05],
            "importance": [0.6, 0.15, 0.25],
        },
        index=["reliability", "responsiveness", "tangibles"],
    )
    ranking = priority_ranking(dims)
    assert [e.area for e in ranking.entries] == ["responsiveness", "reliability", "tangibles"]
    assert [e.tier for e in ranking.entries] == ["act_now", "protect", "maintain"]
    # the reason says why a dimension of below-average importance still comes first
    assert _codes(ranking, "responsiveness") == [
        "below_zone",
        "majority_below",
        "less_important_derived",
        "below_first",
    ]
    first = ranking.entries[0].reasons[0]
    assert first.value == pytest.approx(-0.4)
    assert ranking.summary.index.tolist() == ["responsiveness", "reliability", "tangibles"]
    assert ranking.summary["rank"].tolist() == [1, 2, 3]


def test_majority_below_within_zone_is_act_now() -> None:
    dims = pd.DataFrame(
        {"position": ["within", "within"], "share_below_adequate": [0.5, 0.49]}, index=["a", "b"]
    )
    ranking = priority_ranking(dims)
    assert [(e.area, e.tier) for e in ranking.entries] == [("a", "act_now"), ("b", "maintain")]
    assert priority_ranking(dims, majority=0.4).entries[1].tier == "act_now"


def test_worsening_and_items_below_are_act_soon() -> None:
    dims = pd.DataFrame(
        {
            "position": ["within", "within", "within", "within"],
            "trend_change": [-0.5, -0.5, 0.3, np.nan],
            "trend_p": [0.01, 0.2, 0.01, np.nan],
            "items_below": [0, 0, 0, 2],
        },
        index=["falling", "noisy", "rising", "items"],
    )
    ranking = priority_ranking(dims)
    tiers = {e.area: e.tier for e in ranking.entries}
    assert tiers == {
        "falling": "act_soon",
        "items": "act_soon",
        "noisy": "maintain",
        "rising": "maintain",
    }
    assert "worsening" in _codes(ranking, "falling")
    assert "worsening" not in _codes(ranking, "noisy")


def test_kano_features_in_matzler_order_after_dimensions_of_the_same_tier() -> None:
    ranking = priority_ranking(
        pd.DataFrame({"position": ["within"], "importance": [1.0]}, index=["dim"]),
        {"z_attr": "A", "a_indiff": "I", "m_basic": "M", "o_linear": "O", "q": None},
    )
    assert [e.area for e in ranking.entries] == [
        "dim",
        "m_basic",
        "o_linear",
        "z_attr",
        "a_indiff",
        "q",
    ]
    assert [e.tier for e in ranking.entries][1:4] == ["opportunity"] * 3
    assert ranking.entries[-1].reasons == ()
    assert ranking.summary.loc["m_basic", "kano_category"] == "M"


def test_ties_are_broken_by_name_and_do_not_depend_on_input_order() -> None:
    dims = pd.DataFrame(
        {"position": ["below"] * 3, "share_below_adequate": [0.6] * 3, "importance": [0.2] * 3},
        index=["c", "a", "b"],
    )
    orders = {
        tuple(e.area for e in priority_ranking(dims.loc[list(perm)]).entries)
        for perm in itertools.permutations(dims.index)
    }
    assert orders == {("a", "b", "c")}


def test_random_inputs_follow_the_rule_written_out_independently() -> None:
    rng = np.random.default_rng(11)
    for _ in range(30):
        k = int(rng.integers(1, 8))
        rows = {
            f"d{j}": {
                "position": str(rng.choice(["below", "within", "above"])),
                "share": float(rng.uniform()),
                "imp": float(rng.uniform()),
                "stated": float(rng.uniform()),
                "change": float(rng.normal()),
                "p": float(rng.uniform(0, 0.1)),
                "items_below": int(rng.integers(0, 2)),
            }
            for j in range(k)
        }
        frame = pd.DataFrame(
            {
                "position": [r["position"] for r in rows.values()],
                "share_below_adequate": [r["share"] for r in rows.values()],
                "importance": [r["imp"] for r in rows.values()],
                "stated_importance": [r["stated"] for r in rows.values()],
                "trend_change": [r["change"] for r in rows.values()],
                "trend_p": [r["p"] for r in rows.values()],
                "items_below": [r["items_below"] for r in rows.values()],
            },
            index=list(rows),
        )
        cuts = {
            "imp": np.mean([r["imp"] for r in rows.values()]),
            "stated": np.mean([r["stated"] for r in rows.values()]),
        }
        expected = sorted(
            rows,
            key=lambda d: (
                TIERS.index(_tier_by_rule(rows[d], cuts)),
                -rows[d]["share"],
                -(rows[d]["imp"] + rows[d]["stated"]) / 2,
                d,
            ),
        )
        ranking = priority_ranking(frame)
        assert [e.area for e in ranking.entries] == expected
        assert [e.tier for e in ranking.entries] == [_tier_by_rule(rows[d], cuts) for d in expected]


def test_missing_evidence_is_left_out_of_the_reasons() -> None:
    dims = pd.DataFrame(
        {"position": [None, "above"], "share_below_adequate": [np.nan, 0.0]}, index=["x", "y"]
    )
    ranking = priority_ranking(dims)
    assert _codes(ranking, "x") == []
    assert _codes(ranking, "y") == ["above_zone", "share_below"]
    assert all(e.tier == "maintain" for e in ranking.entries)
    assert math.isnan(ranking.summary.loc["x", "share_below_adequate"])


def test_single_feature_only() -> None:
    ranking = priority_ranking(None, pd.Series({"app": "A"}))
    assert [(e.rank, e.area, e.kind, e.tier) for e in ranking.entries] == [
        (1, "app", "feature", "opportunity")
    ]


def test_to_dict_is_plain_json() -> None:
    dims = pd.DataFrame({"position": ["below"], "msa": [np.float64(-0.3)]}, index=["r"])
    out = priority_ranking(dims).to_dict()
    assert out["entries"] == [
        {
            "rank": 1,
            "area": "r",
            "kind": "dimension",
            "tier": "act_now",
            "reasons": [{"code": "below_zone", "value": pytest.approx(-0.3)}],
        }
    ]
    assert type(out["entries"][0]["reasons"][0]["value"]) is float
    assert out["summary"][0]["area"] == "r"


def test_every_reason_code_is_a_report_text() -> None:
    from cxgap.locale import messages

    for lang, texts in messages("report").items():
        missing = [code for code in REASONS if f"pr_{code}" not in texts]
        assert not missing, (lang, missing)
        assert all(f"tier_{tier}" in texts for tier in TIERS), lang


@pytest.mark.parametrize(
    ("dims", "features", "kwargs", "message"),
    [
        (None, None, {}, "nothing to rank"),
        (pd.DataFrame(index=pd.Index([], dtype=object)), {}, {}, "nothing to rank"),
        (pd.DataFrame({"colour": [1]}, index=["a"]), None, {}, "unknown column(s) colour"),
        (pd.DataFrame({"position": ["under"]}, index=["a"]), None, {}, "'under'"),
        (pd.DataFrame({"share_below_adequate": [1.5]}, index=["a"]), None, {}, "from 0 to 1"),
        (pd.DataFrame({"msa": [np.inf]}, index=["a"]), None, {}, "finite number"),
        (pd.DataFrame({"msa": ["low"]}, index=["a"]), None, {}, "finite number"),
        (pd.DataFrame({"items_below": [1.5]}, index=["a"]), None, {}, "whole number"),
        (pd.DataFrame({"msa": [1.0, 2.0]}, index=["a", "a"]), None, {}, "unique"),
        (None, {"app": "X"}, {}, "category 'X'"),
        (pd.DataFrame({"msa": [1.0]}, index=["a"]), {"a": "A"}, {}, "distinct names"),
        (pd.DataFrame({"msa": [1.0]}, index=["a"]), None, {"majority": 0}, "majority"),
        (pd.DataFrame({"msa": [1.0]}, index=["a"]), None, {"alpha": 1.0}, "alpha"),
        ([1, 2], None, {}, "allowed: a DataFrame"),
    ],
)
def test_bad_inputs_are_refused_with_a_clear_message(dims, features, kwargs, message) -> None:
    with pytest.raises(DataError, match=None) as caught:
        priority_ranking(dims, features, **kwargs)
    assert message in str(caught.value)
