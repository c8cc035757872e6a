"""Gaps 1, 2 and 4, proposed standards and the factor relation against scipy, statsmodels
and pingouin."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from cxgap.errors import DataError
from cxgap.stats.communication import promise_check
from cxgap.stats.factors import factor_relation
from cxgap.stats.knowledge import knowledge_gap, welch
from cxgap.stats.standards import propose_levels, quantile_interval, standards_gap


def _surveys(seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    rng = np.random.default_rng(seed)
    items = {
        "rel1": "reliability",
        "rel2": "reliability",
        "res1": "responsiveness",
        "emp1": "empathy",
    }
    customers = pd.DataFrame({i: np.round(rng.normal(7, 1.2, 300)) for i in items})
    managers = pd.DataFrame({i: np.round(rng.normal(7, 1.0, 35)) for i in items})
    managers["res1"] -= 1.0  # managers underestimate responsiveness
    customers.iloc[[4, 9], 1] = np.nan
    return managers, customers, items


def test_welch_matches_statsmodels_and_pingouin() -> None:
    managers, customers, _ = _surveys()
    a, b = managers["res1"].to_numpy(), customers["res1"].to_numpy()
    w = welch(a, b, confidence=0.9)
    # statsmodels: CompareMeans(DescrStatsW(a), DescrStatsW(b)).ttest_ind(usevar="unequal")
    cm = CompareMeans(DescrStatsW(a), DescrStatsW(b))
    t, p, df = cm.ttest_ind(usevar="unequal")
    low, high = cm.tconfint_diff(alpha=0.1, usevar="unequal")
    assert (w.t, w.p, w.df) == pytest.approx((t, p, df), rel=1e-10)
    assert (w.ci_low, w.ci_high) == pytest.approx((low, high), rel=1e-10)
    # pingouin.compute_effsize(a, b, eftype="hedges")
    assert w.hedges_g == pytest.approx(pg.compute_effsize(a, b, eftype="hedges"), rel=2e-3)


def test_knowledge_gap_items_dimensions_and_bh() -> None:
    managers, customers, items = _surveys()
    result = knowledge_gap(managers, customers, dimensions=items, alpha=0.05)
    rows = result.summary.set_index(["level", "item", "dimension"])
    item_rows = result.summary[result.summary["level"] == "item"]
    raw = [
        sps.ttest_ind(managers[i], customers[i], equal_var=False, nan_policy="omit").pvalue
        for i in items
    ]
    assert item_rows["p"].to_numpy() == pytest.approx(raw, rel=1e-10)
    adjusted = multipletests(raw, method="fdr_bh")[1]
    assert item_rows["p_adjusted"].to_numpy() == pytest.approx(adjusted, rel=1e-10)
    assert item_rows.set_index("item")["finding"].to_dict() == {
        "rel1": "none",
        "rel2": "none",
        "res1": "underestimated",
        "emp1": "none",
    }
    # a dimension compares each respondent's mean over its items
    rel_m = managers[["rel1", "rel2"]].mean(axis=1)
    rel_c = customers[["rel1", "rel2"]].mean(axis=1)
    expected = sps.ttest_ind(rel_m, rel_c, equal_var=False)
    row = rows.loc[("dimension", "", "reliability")]
    assert row["t"] == pytest.approx(expected.statistic, rel=1e-10)
    assert row["manager_mean"] == pytest.approx(rel_m.mean())
    assert result.underestimated == 1 and result.overestimated == 0
    assert np.isnan(result.rank_tau)


def test_knowledge_gap_rank_agreement_is_kendall_tau() -> None:
    managers, customers, items = _surveys()
    rng = np.random.default_rng(5)
    dims = ["reliability", "responsiveness", "assurance", "empathy", "tangibles"]
    mi = pd.DataFrame(rng.dirichlet([5, 4, 3, 2, 1], 30) * 100, columns=dims)
    ci = pd.DataFrame(rng.dirichlet([4, 5, 3, 1, 2], 200) * 100, columns=dims)
    result = knowledge_gap(
        managers, customers, dimensions=items, manager_importance=mi, customer_importance=ci
    )
    tau = sps.kendalltau(mi.mean(), ci.mean())
    assert (result.rank_tau, result.rank_p) == pytest.approx((tau.statistic, tau.pvalue))
    assert list(result.importance["dimension"]) == dims


def test_knowledge_gap_bad_input_names_the_column() -> None:
    managers, customers, items = _surveys()
    with pytest.raises(DataError, match=r"lacks item column\(s\) \['emp1'\]"):
        knowledge_gap(managers, customers.drop(columns="emp1"), dimensions=items)
    bad = managers.astype(object)
    bad.iloc[2, 0] = "high"
    with pytest.raises(DataError, match="column 'rel1', row 2"):
        knowledge_gap(bad, customers, dimensions=items)


@pytest.mark.parametrize("share", [0.1, 0.5, 0.8, 0.95])
@pytest.mark.parametrize("n", [7, 30, 211])
def test_quantile_interval_matches_scipy_quantile_test(share: float, n: int) -> None:
    rng = np.random.default_rng(n)
    x = rng.normal(5, 2, n)
    r = quantile_interval(x, share, confidence=0.9)
    # scipy.stats.quantile_test(x, p=share).confidence_interval(0.9)
    ci = sps.quantile_test(x, q=np.median(x), p=share).confidence_interval(0.9)
    np.testing.assert_allclose([r.ci_low, r.ci_high], [ci.low, ci.high])
    assert r.value == np.quantile(x, share, method="inverted_cdf")
    # the rule: at least `share` of customers find the level at least adequate
    assert (x <= r.value).mean() >= share


def test_propose_levels_segments_and_cost() -> None:
    rng = np.random.default_rng(8)
    n = 400
    seg = pd.Series(rng.choice(["app", "phone"], n))
    older = (seg == "app").to_numpy()
    adequate = pd.DataFrame(
        {"res1": np.round(rng.normal(5, 1, n) + 1.2 * older), "tan1": np.round(rng.normal(5, 1, n))}
    )
    desired = adequate + np.round(rng.uniform(1, 3, (n, 2)))
    perceived = pd.DataFrame(np.round(rng.normal(6, 1.2, (n, 2))), columns=adequate.columns)
    result = propose_levels(adequate, desired, perceived=perceived, segments=seg)
    s = result.summary
    assert s[s["item"] == "tan1"]["segment"].tolist() == [""]
    assert s[s["item"] == "res1"]["segment"].tolist() == ["", "app", "phone"]
    p_raw = [
        sps.kruskal(*(adequate.loc[seg == g, c] for g in ("phone", "app"))).pvalue for c in adequate
    ]
    adjusted = multipletests(p_raw, method="fdr_bh")[1]
    first = s[s["segment"] == ""].reset_index()
    assert first["segment_p_adjusted"].to_numpy() == pytest.approx(adjusted)
    app = s[(s["item"] == "res1") & (s["segment"] == "app")].iloc[0]
    x = adequate.loc[seg == "app", "res1"]
    assert app["floor"] == np.quantile(x, 0.8, method="inverted_cdf")
    assert app["share_below_floor"] == pytest.approx(
        (perceived.loc[seg == "app", "res1"] < app["floor"]).mean()
    )
    with pytest.raises(DataError, match=r"floor_share: got 1\.5"):
        propose_levels(adequate, desired, floor_share=1.5)


def test_standards_gap_findings_and_one_sample_t() -> None:
    rng = np.random.default_rng(2)
    adequate = pd.DataFrame({i: np.round(rng.normal(5.5, 1, 120)) for i in ("a", "b", "c", "d")})
    standards = pd.DataFrame(
        {
            "standard": ["S-a", "S-b", "S-c"],
            "item": ["a", "b", "c"],
            "floor": [4.0, 5.5, 2.0],
            "target": [7.0, 7.0, 8.0],
            "on_scale": [True, True, False],
            "higher_is_better": [True, True, False],
            "best_delivered": [7.5, np.nan, 9.0],
        }
    )
    result = standards_gap(adequate, standards)
    findings = result.summary.set_index("item")["finding"].to_dict()
    assert findings == {
        "a": "below_adequate",
        "b": "none",
        "c": "beyond_feasible",
        "d": "no_standard",
    }
    p = [
        sps.ttest_1samp(adequate[i], f, alternative="greater").pvalue
        for i, f in (("a", 4), ("b", 5.5))
    ]
    got = result.summary.set_index("item").loc[["a", "b"], "p_adjusted"].to_numpy()
    assert got == pytest.approx(multipletests(p, method="fdr_bh")[1])
    mean = DescrStatsW(adequate["d"]).tconfint_mean()
    row = result.summary.set_index("item").loc["d"]
    assert (row["adequate_ci_low"], row["adequate_ci_high"]) == pytest.approx(mean)
    assert (result.no_standard, result.below_adequate, result.beyond_feasible) == (1, 1, 1)


def test_promise_check_broken_units_and_exposure() -> None:
    rng = np.random.default_rng(4)
    units = ["north", "centre", "south"]
    periods = [f"2026-{m:02d}" for m in range(1, 13)]
    rows = [
        {"unit": u, "period": p, "value": rng.normal(5.5 if u == "south" else 3.6, 0.3)}
        for u in units
        for p in periods
    ]
    delivered = pd.DataFrame(rows)
    exposed, unexposed = rng.normal(7.9, 1, 150), rng.normal(7.4, 1, 300)
    result = promise_check(
        4.0, delivered, higher_is_better=False, exposed=exposed, unexposed=unexposed
    )
    one = sps.ttest_1samp(delivered["value"], 4.0)
    assert result.p == pytest.approx(one.pvalue)
    low, high = one.confidence_interval(0.95)
    assert (result.ci_low, result.ci_high) == pytest.approx((low, high))
    per_unit = [
        sps.ttest_1samp(delivered.loc[delivered.unit == u, "value"], 4.0).pvalue
        for u in sorted(units)
    ]
    summary = result.summary.set_index("unit")
    assert summary.loc[sorted(units), "p_adjusted"].to_numpy() == pytest.approx(
        multipletests(per_unit, method="fdr_bh")[1]
    )
    assert summary["broken"].to_dict() == {"centre": False, "north": False, "south": True}
    assert result.share_broken == pytest.approx((delivered["value"] > 4.0).mean())
    welch_p = sps.ttest_ind(exposed, unexposed, equal_var=False).pvalue
    assert result.exposure_p == pytest.approx(welch_p)
    assert result.raises_expectations and result.broken and result.finding == "over_promising"
    kept = promise_check(6.5, delivered, higher_is_better=False)
    assert (kept.broken, kept.finding, np.isnan(kept.exposure_p)) == (False, "none", True)


def test_factor_relation_matches_spearman() -> None:
    rng = np.random.default_rng(6)
    units = [f"d{i}" for i in range(8)]
    factors = pd.DataFrame(
        rng.normal(3, 0.6, (8, 3)),
        index=units,
        columns=["teamwork", "role_conflict", "feasibility"],
    )
    gap = pd.Series(rng.normal(0.1, 0.05, 8), index=units) - 0.08 * factors["teamwork"]
    result = factor_relation(factors, gap)
    rho = [sps.spearmanr(factors[c], gap) for c in factors]
    assert result.summary["rho"].to_numpy() == pytest.approx([r.statistic for r in rho])
    assert result.summary["p_adjusted"].to_numpy() == pytest.approx(
        multipletests([r.pvalue for r in rho], method="fdr_bh")[1]
    )
    with pytest.raises(DataError, match=r"no value for unit\(s\) \['d7'\]"):
        factor_relation(factors, gap.drop("d7"))
