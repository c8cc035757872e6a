"""Tests of compare_segments against pingouin, scipy and statsmodels."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests

from cxgap.errors import DataError
from cxgap.stats import compare_segments
from cxgap.stats.segments import _range_ppf, _range_quantile, _range_sf_pdf, fdr_bh


def _survey(seed: int = 1) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    seg = np.array(["north"] * 40 + ["east"] * 35 + ["south"] * 50 + ["west"] * 45)
    n = seg.size
    values = pd.DataFrame(
        {
            "reliability": rng.normal(5, 1, n) + (seg == "south") * 0.8,
            "empathy": rng.normal(4, 1, n) * np.where(seg == "east", 2.5, 1.0),
            "tangibles": np.round(rng.normal(4, 1.2, n)),  # many ties for Kruskal-Wallis
        }
    )
    values.iloc[[3, 60], 1] = np.nan
    return values, seg


def test_omnibus_tests_match_pingouin_and_scipy() -> None:
    values, seg = _survey()
    res = compare_segments(values, seg)
    data = values.assign(segment=seg)
    for column in values.columns:
        row = res.summary.loc[column]
        # pingouin.welch_anova(dv=column, between="segment", data=data)
        welch = pg.welch_anova(dv=column, between="segment", data=data).iloc[0]
        assert row["welch_F"] == pytest.approx(welch["F"], rel=1e-10)
        assert row["welch_df1"] == welch["ddof1"]
        assert row["welch_df2"] == pytest.approx(welch["ddof2"], rel=1e-10)
        assert row["welch_p"] == pytest.approx(welch["p_unc"], rel=1e-8)
        assert row["eta_sq"] == pytest.approx(welch["np2"], rel=1e-10)  # one-way: np2 = eta^2
        complete = data[[column, "segment"]].dropna()
        groups = [complete.loc[complete["segment"] == s, column] for s in sorted(set(seg))]
        kw = sps.kruskal(*groups)
        assert row["kruskal_H"] == pytest.approx(kw.statistic, rel=1e-10)
        assert row["kruskal_p"] == pytest.approx(kw.pvalue, rel=1e-8)
        assert row["epsilon_sq"] == pytest.approx(kw.statistic / (len(complete) - 1))
        for s, group in zip(sorted(set(seg)), groups, strict=True):
            assert row[f"n_{s}"] == len(group)
            assert row[f"mean_{s}"] == pytest.approx(group.mean())
    for test in ("welch", "kruskal"):
        expected = multipletests(res.summary[f"{test}_p"], method="fdr_bh")[1]
        np.testing.assert_allclose(res.summary[f"{test}_p_adj"], expected, rtol=1e-12)
    assert res.summary.loc["empathy", "n"] == 168 and res.n == 170 and res.n_segments == 4


def test_pairwise_games_howell_matches_pingouin() -> None:
    values, seg = _survey(seed=4)
    res = compare_segments(values, seg, confidence=0.9)
    data = values.assign(segment=seg)
    for column in values.columns:
        ours = res.pairwise[res.pairwise["column"] == column].reset_index(drop=True)
        # pingouin.pairwise_gameshowell(dv=column, between="segment", data=data)
        ref = pg.pairwise_gameshowell(dv=column, between="segment", data=data)
        assert list(ours["A"]) == list(ref["A"]) and list(ours["B"]) == list(ref["B"])
        for mine, theirs in [("diff", "diff"), ("se", "se"), ("t", "T"), ("df", "df")]:
            np.testing.assert_allclose(ours[mine], ref[theirs], rtol=1e-10)
        np.testing.assert_allclose(ours["p"], ref["pval"], rtol=1e-6, atol=1e-12)
    expected = multipletests(res.pairwise["p"], method="fdr_bh")[1]
    np.testing.assert_allclose(res.pairwise["p_adj"], expected, rtol=1e-12)
    assert len(res.pairwise) == 3 * 6
    assert "SegmentComparison" in res._repr_html_() and len(res.to_dict()["pairwise"]) == 18


def test_games_howell_interval_agrees_with_its_p_value() -> None:
    # The interval excludes 0 exactly when p < 1 - confidence (same studentized range).
    values, seg = _survey(seed=7)
    for confidence in (0.9, 0.95):
        pw = compare_segments(values, seg, confidence=confidence).pairwise
        excludes_zero = (pw["ci_low"] > 0) | (pw["ci_high"] < 0)
        assert (excludes_zero == (pw["p"] < 1 - confidence)).all()
        assert ((pw["ci_low"] < pw["diff"]) & (pw["diff"] < pw["ci_high"])).all()
    assert excludes_zero.any() and not excludes_zero.all()


def test_interval_half_width_is_studentized_range_quantile() -> None:
    # 2 columns x 6 pairs: more pairs than interpolation nodes, so the fast path is used.
    values, seg = _survey(seed=2)
    pw = compare_segments(values[["reliability", "empathy"]], seg).pairwise
    q = sps.studentized_range.ppf(0.95, 4, pw["df"].to_numpy())
    half = (pw["ci_high"] - pw["diff"]) / pw["se"] * np.sqrt(2)
    np.testing.assert_allclose(half, q, rtol=1e-7)
    np.testing.assert_allclose(pw["diff"] - pw["ci_low"], pw["ci_high"] - pw["diff"])


def test_small_segments_warn_and_are_listed() -> None:
    values, seg = _survey()
    with pytest.warns(UserWarning, match=r"\['east', 'north'\] have fewer than 41"):
        res = compare_segments(values, seg, min_size=41)
    assert res.small_segments == ("east", "north")
    with pytest.warns(UserWarning, match=r"\['east'\]"):
        assert compare_segments(values, seg, min_size=36).small_segments == ("east",)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert compare_segments(values, seg, min_size=10).small_segments == ()


def test_missing_labels_dropped_and_series_input() -> None:
    values, seg = _survey()
    labels = pd.Series(seg, dtype=object)
    labels.iloc[[0, 1, 2]] = None
    res = compare_segments(values, labels, min_size=0)
    assert res.n == 167
    ref = compare_segments(values.iloc[3:], seg[3:], min_size=0)
    pd.testing.assert_frame_equal(res.summary, ref.summary)
    assert set(res.groups.columns) == {"column", "segment", "n", "mean", "sd"}


def test_categorical_segments_keep_category_order() -> None:
    values, seg = _survey()
    cat = pd.Categorical(seg, categories=["west", "south", "unused", "north", "east"])
    res = compare_segments(values, cat, min_size=0)
    assert res.n_segments == 4
    assert list(res.pairwise["A"][:3]) == ["west", "west", "west"]
    assert [c for c in res.summary.columns if c.startswith("mean_")] == [
        "mean_west",
        "mean_south",
        "mean_north",
        "mean_east",
    ]


def test_fdr_bh_keeps_nan_out_of_the_family() -> None:
    p = np.array([0.01, np.nan, 0.04, 0.03, 0.5])
    expected = multipletests(p[~np.isnan(p)], method="fdr_bh")[1]
    out = fdr_bh(p)
    assert np.isnan(out[1])
    np.testing.assert_allclose(out[~np.isnan(p)], expected)


def test_bad_inputs() -> None:
    values, seg = _survey()
    with pytest.raises(DataError, match="has 169 labels but the data have 170 rows"):
        compare_segments(values, seg[1:])
    with pytest.raises(DataError, match="at least 2 segments"):
        compare_segments(values, ["a"] * len(seg))
    tiny = seg.copy()
    tiny[0] = "solo"
    with pytest.raises(DataError, match=r"1 value.*segment 'solo'"):
        compare_segments(values, tiny, min_size=0)
    with pytest.raises(DataError, match="not numeric"):
        compare_segments(values.assign(reliability="high"), seg)
    with pytest.raises(DataError, match=r"values: column 'reliability'.*from 1 to 5"):
        compare_segments(values, seg, scale=(1, 5))
    with pytest.raises(DataError, match="confidence"):
        compare_segments(values, seg, confidence=95)
    with pytest.raises(DataError, match="min_size"):
        compare_segments(values, seg, min_size=-1)


def test_studentized_range_matches_scipy() -> None:
    # scipy.stats.studentized_range integrates each value adaptively (epsabs=1e-11) and
    # treats df >= 1e5 as infinite; for k = 2, Q = sqrt(2)|T| with T ~ t(df) is exact.
    q = np.array([0.3, 1.5, 3.0, 4.5, 7.0, 12.0])
    for k in (2, 3, 4, 6, 10):
        for df in (1.0, 1.5, 2.5, 7.0, 30.0, 200.0, 5000.0, 1e5):
            sf, pdf = _range_sf_pdf(q, k, np.full(q.size, df), density=True)
            np.testing.assert_allclose(
                sf, sps.studentized_range.sf(q, k, df), rtol=1e-6, atol=1e-11
            )
            np.testing.assert_allclose(pdf[2], sps.studentized_range.pdf(q[2], k, df), rtol=1e-6)
            if k == 2:
                exact = 2 * sps.t.sf(q / np.sqrt(2), df if df < 1e5 else np.inf)
                np.testing.assert_allclose(sf, exact, rtol=1e-10, atol=1e-14)


def test_studentized_range_quantile_matches_scipy() -> None:
    df = np.array([1.0, 2.3, 48.0])
    for k, confidence in [(2, 0.95), (3, 0.9), (4, 0.99), (7, 0.5)]:
        q = _range_ppf(confidence, k, df)
        np.testing.assert_allclose(q, sps.studentized_range.ppf(confidence, k, df), rtol=1e-7)
    # Many pairs: interpolated in 1/df between solved nodes.
    many = np.geomspace(3.0, 400.0, 12)
    np.testing.assert_allclose(
        _range_quantile(0.95, 4, many), sps.studentized_range.ppf(0.95, 4, many), rtol=1e-7
    )


def test_games_howell_needs_no_adaptive_integration(monkeypatch: pytest.MonkeyPatch) -> None:
    # SciPy's studentized range costs milliseconds per value; a comparison of 10 columns x
    # 4 segments must not call it (the figures are checked against it above).
    values, seg = _survey(seed=3)
    expected = compare_segments(values, seg).pairwise
    rng = np.random.default_rng(0)
    wide = pd.DataFrame(rng.normal(size=(seg.size, 10)))

    class Refused:
        def __getattr__(self, name: str) -> None:
            raise AssertionError(f"scipy.stats.studentized_range.{name} was called")

    monkeypatch.setattr(sps, "studentized_range", Refused())
    pd.testing.assert_frame_equal(compare_segments(values, seg).pairwise, expected)
    assert len(compare_segments(wide, seg, confidence=0.9).pairwise) == 60
