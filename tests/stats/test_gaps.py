"""Gap scores against SciPy, pandas and hand-computed values."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cxgap.errors import DataError
from cxgap.stats import gap_scores
from cxgap.stats.gaps import WILCOXON_SCIPY_MAX_N, _signed_rank_normal_p, signed_rank_p

ITEMS = ["t1", "t2", "r1", "r2", "r3"]
DIMS = {
    "t1": "tangibles",
    "t2": "tangibles",
    "r1": "reliability",
    "r2": "reliability",
    "r3": "reliability",
}


def survey(n: int = 60, seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    e = pd.DataFrame(rng.integers(3, 8, size=(n, 5)), columns=ITEMS)
    p = (e + rng.integers(-3, 2, size=(n, 5))).clip(1, 7)
    return p, e


def test_items_match_scipy_paired_tests() -> None:
    p, e = survey()
    res = gap_scores(p, e, dimensions=DIMS)
    items = res.summary[res.summary.level == "item"].set_index("name")
    for col in ITEMS:
        gap = p[col] - e[col]
        row = items.loc[col]
        ttest = stats.ttest_rel(p[col], e[col])
        ci = ttest.confidence_interval(0.95)
        assert row.n == len(gap)
        assert row.mean_gap == pytest.approx(gap.mean(), abs=1e-12)
        assert row.mean_perceived == pytest.approx(p[col].mean(), abs=1e-12)
        assert row.mean_expected == pytest.approx(e[col].mean(), abs=1e-12)
        assert row.sd == pytest.approx(gap.std(ddof=1), abs=1e-12)
        assert row.se == pytest.approx(stats.sem(gap), abs=1e-12)
        assert row.t == pytest.approx(ttest.statistic, rel=1e-10)
        assert row.p_t == pytest.approx(ttest.pvalue, rel=1e-9)
        assert (row.ci_low, row.ci_high) == pytest.approx((ci.low, ci.high), rel=1e-10)
        assert row.p_wilcoxon == pytest.approx(stats.wilcoxon(p[col], e[col]).pvalue, rel=1e-9)
        assert row.d_z == pytest.approx(gap.mean() / gap.std(ddof=1), rel=1e-12)


def test_dimension_and_overall_are_respondent_level_means() -> None:
    p, e = survey()
    res = gap_scores(p, e, dimensions=DIMS)
    gaps = p - e
    per_dim = gaps.T.groupby(pd.Series(DIMS)).mean().T  # respondents x dimensions
    rows = res.summary.set_index(["level", "name"])
    for dim in ["tangibles", "reliability"]:
        row = rows.loc[("dimension", dim)]
        ttest = stats.ttest_1samp(per_dim[dim], 0.0)
        assert row.mean_gap == pytest.approx(per_dim[dim].mean(), abs=1e-12)
        assert row.p_t == pytest.approx(ttest.pvalue, rel=1e-9)
        assert row.p_wilcoxon == pytest.approx(stats.wilcoxon(per_dim[dim]).pvalue, rel=1e-9)
    overall = per_dim.mean(axis=1)
    ci = stats.ttest_1samp(overall, 0.0).confidence_interval(0.9)
    res90 = gap_scores(p, e, dimensions=DIMS, confidence=0.9)
    assert res90.overall_gap == pytest.approx(overall.mean(), abs=1e-12)
    assert (res90.overall_ci_low, res90.overall_ci_high) == pytest.approx((ci.low, ci.high))
    assert res.n_respondents == 60 and res.n_items == 5 and res.n_dimensions == 2
    assert np.isnan(res.weighted_gap)
    assert list(res.summary.level) == ["item"] * 5 + ["dimension"] * 2 + ["overall"]


def test_weighted_servqual_score_by_hand() -> None:
    # Two respondents, dimensions A = {a1, a2}, B = {b1}.
    # Respondent 1: gaps a1 = -1, a2 = -3 -> A = -2; b1 = +1 -> B = 1.
    # Respondent 2: gaps a1 = 0, a2 = -2 -> A = -1; b1 = -1 -> B = -1.
    # Unweighted: (-2 + 1)/2 = -0.5 and (-1 - 1)/2 = -1 -> mean -0.75.
    # Weights 30/10 -> 0.75/0.25: -1.5 + 0.25 = -1.25 and -0.75 - 0.25 = -1 -> mean -1.125.
    p = pd.DataFrame({"a1": [4, 5], "a2": [2, 3], "b1": [6, 4]})
    e = pd.DataFrame({"a1": [5, 5], "a2": [5, 5], "b1": [5, 5]})
    dims = {"A": ["a1", "a2"], "B": ["b1"]}
    res = gap_scores(p, e, dimensions=dims, weights={"A": 30, "B": 10})
    assert res.overall_gap == pytest.approx(-0.75)
    assert res.weighted_gap == pytest.approx(-1.125)
    # CI of the weighted score: t interval of (-1.25, -1), sd = 0.1767767, se = 0.125
    half = stats.t.ppf(0.975, 1) * 0.125
    assert (res.weighted_ci_low, res.weighted_ci_high) == pytest.approx(
        (-1.125 - half, -1.125 + half)
    )
    same = gap_scores(p, e, dimensions=dims, weights=pd.Series({"A": 0.75, "B": 0.25}))
    assert same.weighted_gap == pytest.approx(res.weighted_gap)


def test_missing_answers_pairwise_and_available_item_means() -> None:
    p, e = survey(n=40)
    p = p.astype(float)
    e = e.astype(float)
    p.iloc[0, 0] = np.nan  # t1 of respondent 0 unusable
    e.iloc[1, 2] = np.nan  # r1 of respondent 1 unusable
    p.iloc[2, [0, 1]] = np.nan  # respondent 2 has no tangibles
    res = gap_scores(p, e, dimensions=DIMS)
    gaps = p - e
    rows = res.summary.set_index(["level", "name"])
    assert rows.loc[("item", "t1")].n == 38
    assert rows.loc[("item", "r1")].n == 39
    assert rows.loc[("item", "t1")].mean_perceived == pytest.approx(p.t1[gaps.t1.notna()].mean())
    per_dim = gaps.T.groupby(pd.Series(DIMS)).mean().T  # pandas skips NaN per respondent
    assert rows.loc[("dimension", "tangibles")].n == 39
    assert rows.loc[("dimension", "tangibles")].mean_gap == pytest.approx(per_dim.tangibles.mean())
    assert res.overall_gap == pytest.approx(per_dim.mean(axis=1).mean())
    assert res.n_respondents == 40


def test_arrays_without_dimensions() -> None:
    p, e = survey(n=20)
    res = gap_scores(p.to_numpy(), e.to_numpy())
    assert list(res.summary.level) == ["item"] * 5 + ["overall"]
    assert list(res.summary.name[:5]) == [0, 1, 2, 3, 4]
    assert res.overall_gap == pytest.approx((p - e).mean(axis=1).mean())
    assert res.n_dimensions == 0
    by_position = gap_scores(
        p.to_numpy(), e.to_numpy(), dimensions={0: "x", 1: "x", 2: "y", 3: "y", 4: "y"}
    )
    assert by_position.n_dimensions == 2


def test_columns_are_matched_by_label() -> None:
    p, e = survey(n=20)
    shuffled = gap_scores(p, e[ITEMS[::-1]], dimensions=DIMS)
    assert shuffled.summary.equals(gap_scores(p, e, dimensions=DIMS).summary)


def test_result_interface() -> None:
    p, e = survey(n=20)
    res = gap_scores(p, e, dimensions=DIMS, weights={"tangibles": 1, "reliability": 2})
    json.dumps(res.to_dict())
    assert "GapScores" in res._repr_html_()
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.overall_gap = 0.0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"expected": np.ones((19, 5))}, r"expected: has 19 rows but perceived has 20"),
        ({"perceived": np.ones((20, 4))}, r"expected: has 5 columns but perceived has 4"),
        ({"dimensions": {"t1": "x"}}, r"dimensions: item\(s\) \['t2', .*have no dimension"),
        ({"dimensions": {**DIMS, "zz": "x"}}, r"dimensions: item\(s\) \['zz'\] are not columns"),
        ({"weights": {"tangibles": 1}}, r"weights: given without dimensions"),
        ({"dimensions": DIMS, "weights": {"tangibles": 1}}, r"missing key\(s\) \['reliability'\]"),
        (
            {"dimensions": DIMS, "weights": {"tangibles": -1, "reliability": 1}},
            r"weights: weight -1 for 'tangibles'",
        ),
        ({"dimensions": DIMS, "weights": {"tangibles": 0, "reliability": 0}}, r"positive total"),
        ({"confidence": 95}, r"confidence: got 95"),
        ({"scale": (1, 5)}, r"perceived: column '.*', row \d+ \(index \d+\): value .* is outside"),
    ],
)
def test_invalid_input_is_named(kwargs: dict, message: str) -> None:
    p, e = survey(n=20)
    args = {"perceived": p, "expected": e, **kwargs}
    with pytest.raises(DataError, match=message):
        gap_scores(**args)


def test_non_numeric_value_named_with_position() -> None:
    p, e = survey(n=10)
    p = p.astype(object)
    p.loc[4, "r2"] = "n/a"
    with pytest.raises(DataError, match=r"perceived: column 'r2', row 4 \(index 4\): value 'n/a'"):
        gap_scores(p, e)


def test_too_few_respondents() -> None:
    p, e = survey(n=10)
    with pytest.raises(DataError, match="perceived: has 1 row; at least 2 respondents needed"):
        gap_scores(p.iloc[:1], e.iloc[:1])
    p = p.astype(float)
    p.loc[1:, "t2"] = np.nan
    with pytest.raises(DataError, match="item 't2' has 1 respondent"):
        gap_scores(p, e)


def test_different_row_index_is_refused() -> None:
    p, e = survey(n=10)
    with pytest.raises(DataError, match="row index differs"):
        gap_scores(p, e.set_index(e.index + 100))


@pytest.mark.parametrize("seed", range(6))
def test_normal_approximation_matches_scipy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    samples = [
        rng.integers(-4, 4, size=700).astype(float),  # many ties and zeros
        rng.normal(0.1, 1, size=500),  # no ties
        np.round(rng.normal(0.2, 1, size=300), 1),
        np.r_[np.zeros(5), rng.integers(1, 3, size=30)].astype(float),  # one sign only
    ]
    for d in samples:
        expected = stats.wilcoxon(d, method="asymptotic").pvalue
        assert _signed_rank_normal_p(d) == pytest.approx(expected, rel=1e-9, abs=1e-300)


def test_large_samples_use_the_normal_approximation() -> None:
    rng = np.random.default_rng(7)
    n = WILCOXON_SCIPY_MAX_N + 1000
    values = rng.integers(-3, 4, size=(n, 2)).astype(float) + np.array([0.0, 0.02])
    values[:50, 1] = np.nan
    p = signed_rank_p(values)
    for j in range(2):
        column = values[~np.isnan(values[:, j]), j]
        assert p[j] == pytest.approx(stats.wilcoxon(column, method="asymptotic").pvalue, rel=1e-9)
    assert np.isnan(signed_rank_p(np.zeros((10, 1)))[0])


@pytest.mark.parametrize("missing", [False, True])
def test_large_survey_matches_pandas_and_scipy(missing: bool) -> None:
    # Above WILCOXON_SCIPY_MAX_N every level uses the normal approximation; check items,
    # dimensions and both overall scores against pandas means and scipy tests.
    p, e = survey(n=WILCOXON_SCIPY_MAX_N + 1500, seed=9)
    p, e = p.astype(float), e.astype(float)
    if missing:
        rng = np.random.default_rng(2)
        p = p.mask(rng.random(p.shape) < 0.03)
        e = e.mask(rng.random(e.shape) < 0.03)
    weights = {"tangibles": 30, "reliability": 70}
    res = gap_scores(p, e, dimensions=DIMS, weights=weights)
    rows = res.summary.set_index(["level", "name"])
    usable = p.notna() & e.notna()
    gaps = (p - e).where(usable)
    per_dim = gaps.T.groupby(pd.Series(DIMS)).mean().T
    levels = {
        name: frame.where(usable).T.groupby(pd.Series(DIMS)).mean().T
        for name, frame in {"p": p, "e": e}.items()
    }
    share = pd.Series(weights) / 100
    weighted = {
        name: (frame * share).sum(axis=1, min_count=1) / frame.notna().mul(share).sum(axis=1)
        for name, frame in {"gap": per_dim, **levels}.items()
    }
    checks = [("item", c, gaps[c], p[c][usable[c]], e[c][usable[c]]) for c in ITEMS]
    checks += [("dimension", d, per_dim[d], levels["p"][d], levels["e"][d]) for d in share.index]
    unweighted = [frame.mean(axis=1) for frame in (per_dim, levels["p"], levels["e"])]
    checks.append(("overall", "unweighted", unweighted[0], unweighted[1], unweighted[2]))
    checks.append(("overall", "weighted", weighted["gap"], weighted["p"], weighted["e"]))
    for level, name, values, perceived, expected in checks:
        values = values.dropna()
        row = rows.loc[(level, name)]
        assert row.n == len(values)
        assert row.mean_gap == pytest.approx(values.mean(), rel=1e-12)
        assert row.sd == pytest.approx(values.std(), rel=1e-10)
        assert row.p_t == pytest.approx(stats.ttest_1samp(values, 0.0).pvalue, rel=1e-8)
        wilcoxon = stats.wilcoxon(values, method="asymptotic").pvalue
        assert row.p_wilcoxon == pytest.approx(wilcoxon, rel=1e-9)
        assert row.mean_perceived == pytest.approx(perceived.mean(), rel=1e-12)
        assert row.mean_expected == pytest.approx(expected.mean(), rel=1e-12)
    # Row-major arrays give the same figures as the column-major frames.
    as_arrays = gap_scores(
        np.ascontiguousarray(p.to_numpy()),
        np.ascontiguousarray(e.to_numpy()),
        dimensions={j: DIMS[c] for j, c in enumerate(ITEMS)},
        weights=weights,
    )
    np.testing.assert_allclose(
        as_arrays.summary.select_dtypes("number"), res.summary.select_dtypes("number")
    )
