"""Statistics across waves, checked against independent computations with scipy."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from cxgap import stats
from cxgap.stats.waves import (
    mean_interval,
    overall_gap,
    perception_trend,
    se_from_interval,
    wave_change,
)


def test_mean_interval_matches_scipy() -> None:
    rng = np.random.default_rng(3)
    values = pd.Series(rng.normal(6.0, 1.3, 250))
    values[::17] = np.nan
    kept = values.dropna().to_numpy()
    result = mean_interval(values, confidence=0.9)
    low, high = sps.norm.interval(0.9, loc=kept.mean(), scale=sps.sem(kept))
    assert result.n == kept.size
    assert result.mean == pytest.approx(kept.mean(), rel=1e-12)
    assert result.se == pytest.approx(sps.sem(kept), rel=1e-12)
    assert (result.ci_low, result.ci_high) == pytest.approx((low, high), rel=1e-12)


def test_mean_interval_of_tiny_samples() -> None:
    one = mean_interval(np.array([5.0]))
    assert one.n == 1 and one.mean == 5.0 and math.isnan(one.se) and math.isnan(one.ci_low)
    empty = mean_interval(np.array([np.nan]))
    assert empty.n == 0 and math.isnan(empty.mean)


def test_perception_trend_rows() -> None:
    a = pd.DataFrame({"speed": [5.0, 6.0, 7.0], "care": [4.0, np.nan, 4.5]})
    b = pd.DataFrame({"speed": [4.0, 5.0], "care": [3.0, 3.5]})
    trend = perception_trend([("s1", "Q1", a), ("s2", "Q2", b)], confidence=0.95)
    assert list(trend.columns) == list(stats.waves.TREND_COLUMNS)
    assert list(zip(trend["survey"], trend["dimension"], strict=True)) == [
        ("s1", "speed"),
        ("s1", "care"),
        ("s2", "speed"),
        ("s2", "care"),
    ]
    care = trend.iloc[1]
    assert care["n"] == 2 and care["mean_perceived"] == pytest.approx(4.25)
    assert care["se"] == pytest.approx(sps.sem([4.0, 4.5]))


def test_wave_change_matches_a_two_sample_z_test_on_the_data() -> None:
    rng = np.random.default_rng(8)
    before, after = rng.normal(6.3, 1.2, 400), rng.normal(6.1, 1.4, 350)
    result = wave_change(after.mean(), sps.sem(after), before.mean(), sps.sem(before))
    # independent computation: z from the pooled-free variance of the difference
    var = after.var(ddof=1) / after.size + before.var(ddof=1) / before.size
    z = (after.mean() - before.mean()) / math.sqrt(var)
    assert result.z == pytest.approx(z, rel=1e-12)
    assert result.p == pytest.approx(2 * sps.norm.cdf(-abs(z)), rel=1e-12)
    # with samples this large Welch's t test agrees to two digits
    welch = sps.ttest_ind(after, before, equal_var=False)
    assert result.p == pytest.approx(welch.pvalue, rel=2e-2)


def test_wave_change_without_spread_has_no_p() -> None:
    result = wave_change(0.5, 0.0, 0.4, 0.0)
    assert result.change == pytest.approx(0.1) and math.isnan(result.p)


def test_se_from_interval_inverts_the_normal_interval() -> None:
    low, high = sps.norm.interval(0.9, loc=2.0, scale=0.37)
    assert se_from_interval(low, high, 0.9) == pytest.approx(0.37, rel=1e-12)


def test_overall_gap_of_a_zone_battery() -> None:
    rng = np.random.default_rng(5)
    n, items = 120, ["a", "b", "c"]
    adequate = pd.DataFrame(rng.integers(3, 6, (n, 3)), columns=items).astype(float)
    desired = adequate + pd.DataFrame(rng.integers(1, 3, (n, 3)), columns=items)
    perceived = pd.DataFrame(rng.integers(2, 9, (n, 3)), columns=items).astype(float)
    result = overall_gap(perceived, adequate=adequate, desired=desired, confidence=0.95)
    msa = perceived.mean(axis=1) - adequate.mean(axis=1)
    assert result.reference == "adequate" and result.n == n
    assert result.value == pytest.approx(msa.mean(), rel=1e-12)
    assert result.share_below == pytest.approx(float((msa < 0).mean()))
    low, high = sps.binomtest(int((msa < 0).sum()), n).proportion_ci(0.95, method="wilson")
    assert (result.share_ci_low, result.share_ci_high) == pytest.approx((low, high), rel=1e-9)
    # The interval is a t interval: its SE is the SD of the respondents' MSA over sqrt(n)
    # (the normal quantile would overstate it, by 15% at n = 10).
    assert result.se == pytest.approx(msa.std(ddof=1) / math.sqrt(n), rel=1e-9)


@pytest.mark.parametrize("n", [80, 10])
def test_overall_gap_of_an_expectation_battery(n: int) -> None:
    rng = np.random.default_rng(6)
    expected = pd.DataFrame(rng.normal(5.5, 1.0, (n, 4)), columns=list("wxyz"))
    perceived = pd.DataFrame(rng.normal(5.2, 1.0, (n, 4)), columns=list("wxyz"))
    result = overall_gap(perceived, expected=expected, confidence=0.95)
    gap = perceived.mean(axis=1) - expected.mean(axis=1)
    assert result.reference == "expected" and result.n == n
    assert result.share_below == pytest.approx(float((gap < 0).mean()))
    assert result.share_se == pytest.approx(
        math.sqrt(result.share_below * (1 - result.share_below) / n)
    )
    assert result.se == pytest.approx(gap.std(ddof=1) / math.sqrt(n), rel=1e-9)
    overall = stats.gap_scores(perceived, expected).summary.query("level == 'overall'").iloc[0]
    assert result.value == pytest.approx(float(overall["mean_gap"]))
