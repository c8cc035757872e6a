"""Service-recovery statistics against independent implementations (statsmodels, scipy,
lifelines) and simulations with a planted effect."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from cxgap.errors import DataError
from cxgap.stats.recovery import (
    compare_groups,
    kaplan_meier,
    paired_change,
    proportion,
    shrunk_rates,
)


@pytest.mark.parametrize(("k", "n"), [(45, 60), (0, 12), (12, 12), (1, 1), (317, 1000)])
def test_proportion_matches_statsmodels_wilson(k: int, n: int) -> None:
    result = proportion(k, n, confidence=0.9)
    low, high = proportion_confint(k, n, alpha=0.1, method="wilson")
    assert result.rate == k / n
    assert (result.ci_low, result.ci_high) == pytest.approx((low, high), abs=1e-12)


def test_proportion_refuses_impossible_counts() -> None:
    with pytest.raises(DataError, match="at most n"):
        proportion(5, 4)
    with pytest.raises(DataError, match="n"):
        proportion(0, 0)


def test_paired_change_matches_statsmodels_and_scipy() -> None:
    rng = np.random.default_rng(3)
    before = rng.integers(0, 11, 80).astype(float)
    after = np.clip(before + rng.normal(0.8, 1.5, 80).round(), 0, 10)
    before[5] = np.nan  # a missing pair is left out
    result = paired_change(before, after)
    keep = ~np.isnan(before)
    d = DescrStatsW(after[keep] - before[keep])
    low, high = d.tconfint_mean(alpha=0.05)
    t, p, _ = d.ttest_mean(0)
    assert result.n == 79
    assert result.mean_change == pytest.approx(d.mean)
    assert (result.ci_low, result.ci_high) == pytest.approx((low, high))
    assert (result.t, result.p_value) == pytest.approx((t, p))
    from scipy.stats import wilcoxon

    assert result.wilcoxon_p == pytest.approx(wilcoxon(after[keep], before[keep]).pvalue)


def test_welch_comparison_matches_statsmodels() -> None:
    rng = np.random.default_rng(5)
    recovered = rng.normal(8.2, 1.1, 60)
    never = rng.normal(7.9, 1.6, 140)
    result = compare_groups(recovered, never, names=("recovered", "never"), alternative="greater")
    cm = CompareMeans(DescrStatsW(recovered), DescrStatsW(never))
    low, high = cm.tconfint_diff(alpha=0.05, usevar="unequal")
    t, p, df = cm.ttest_ind(usevar="unequal", alternative="larger")
    assert result.difference == pytest.approx(recovered.mean() - never.mean())
    assert (result.ci_low, result.ci_high) == pytest.approx((low, high))
    assert (result.t, result.p_value, result.df) == pytest.approx((t, p, df))
    assert list(result.summary["group"]) == ["recovered", "never"]


@pytest.mark.parametrize("seed", [1, 2])
def test_kaplan_meier_matches_lifelines(seed: int) -> None:
    rng = np.random.default_rng(seed)
    durations = rng.exponential(30, 300).round(1)
    observed = rng.random(300) < 0.75  # a quarter still open: censored
    ours = kaplan_meier(durations, observed)
    kmf = KaplanMeierFitter().fit(durations, observed)
    theirs = kmf.survival_function_["KM_estimate"]
    ci = kmf.confidence_interval_survival_function_
    for row in ours.summary.itertuples():
        assert row.survival == pytest.approx(theirs.loc[row.time], abs=1e-12)
        assert row.ci_low == pytest.approx(ci.loc[row.time].iloc[0], abs=1e-9)
        assert row.ci_high == pytest.approx(ci.loc[row.time].iloc[1], abs=1e-9)
    assert ours.median == pytest.approx(kmf.median_survival_time_)
    assert ours.events == int(observed.sum())


def test_kaplan_meier_refuses_bad_flags() -> None:
    with pytest.raises(DataError, match="observed"):
        kaplan_meier([1, 2], [1, 2])
    with pytest.raises(DataError, match="negative"):
        kaplan_meier([-1, 2], [1, 1])


def test_shrinkage_formula_and_that_three_good_answers_do_not_beat_three_hundred() -> None:
    successes = pd.Series({"ana": 3, "ben": 285, "chen": 60, "dara": 40})
    trials = pd.Series({"ana": 3, "ben": 300, "chen": 100, "dara": 80})
    result = shrunk_rates(successes, trials)
    # Independent computation of the weighted method of moments.
    p = successes / trials
    m = successes.sum() / trials.sum()
    w = trials / trials.sum()
    between = (w * (p - m) ** 2).sum() - (w * m * (1 - m) / trials).sum()
    strength = m * (1 - m) / between - 1
    expected = (successes + m * strength) / (trials + strength)
    assert result.summary["shrunk"].to_dict() == pytest.approx(expected.to_dict())
    assert result.summary.index[0] == "ben"  # 285/300 beats 3/3
    assert result.summary.loc["ana", "raw"] == 1.0
    assert result.summary.loc["ana", "shrunk"] < result.summary.loc["ben", "shrunk"]


def test_shrinkage_lowers_the_error_of_small_units_in_simulation() -> None:
    rng = np.random.default_rng(11)
    true = rng.beta(8, 4, 200)
    trials = rng.integers(2, 60, 200)
    successes = rng.binomial(trials, true)
    result = shrunk_rates(pd.Series(successes), pd.Series(trials)).summary.sort_index()
    raw_error = np.mean((result["raw"] - true) ** 2)
    shrunk_error = np.mean((result["shrunk"] - true) ** 2)
    assert shrunk_error < 0.8 * raw_error


def test_a_randomised_holdout_recovers_a_planted_call_back_effect() -> None:
    """Cases are held out at random; calling back adds 1.0 to the later loyalty score.
    Over repeated samples the randomised comparison is unbiased and its 95% interval
    covers the effect about 95% of the time. Customers who pick up the phone are also
    more loyal to begin with, so comparing the reached with the held out overstates it."""
    rng = np.random.default_rng(2026)
    effect, n, runs = 1.0, 2000, 300
    estimates, covered, naive = [], 0, []
    for _ in range(runs):
        baseline = rng.normal(5, 2, n)
        held = rng.random(n) < 0.2
        later = baseline + rng.normal(0, 1.5, n) + np.where(held, 0, effect)
        result = compare_groups(later[~held], later[held], names=("contacted", "held out"))
        estimates.append(result.difference)
        covered += result.ci_low < effect < result.ci_high
        reached = (~held) & (baseline + rng.normal(0, 1, n) > 5)  # who answered the call
        naive.append(later[reached].mean() - later[held].mean())
    se = np.std(estimates) / np.sqrt(runs)
    assert abs(np.mean(estimates) - effect) < 4 * se
    assert 0.91 <= covered / runs <= 0.985  # binomial(300, 0.95): within about 3 sd
    assert np.mean(naive) > effect + 1.0
