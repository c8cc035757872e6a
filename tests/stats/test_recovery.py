"""Service recovery statistics against scipy and statsmodels."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.duration.survfunc import SurvfuncRight, survdiff
from statsmodels.stats.proportion import confint_proportions_2indep

from cxgap.errors import DataError
from cxgap.stats.recovery import (
    holdout_effect,
    paired_change,
    recovery_paradox,
    recovery_rate,
    resolution_times,
)


def test_recovery_rate_is_a_wilson_interval() -> None:
    from statsmodels.stats.proportion import proportion_confint

    result = recovery_rate(45, 60)
    low, high = proportion_confint(45, 60, method="wilson")
    assert (result.ci_low, result.ci_high) == pytest.approx((low, high), abs=1e-12)
    assert recovery_rate(0, 5).ci_low == pytest.approx(0, abs=1e-12)
    assert recovery_rate(5, 5).ci_high == pytest.approx(1)


def test_paired_change_equals_scipy() -> None:
    rng = np.random.default_rng(3)
    before = rng.integers(1, 8, 80).astype(float)
    after = np.clip(before + rng.integers(-1, 3, 80), 1, 7)
    result = paired_change(before, after)
    assert result.p_value == pytest.approx(sps.ttest_rel(after, before).pvalue, rel=1e-10)
    changes = after - before
    assert result.wilcoxon_p == pytest.approx(sps.wilcoxon(changes[changes != 0]).pvalue)
    ci = sps.ttest_rel(after, before).confidence_interval(0.95)
    assert (result.ci_low, result.ci_high) == pytest.approx((ci.low, ci.high), rel=1e-10)
    assert result.d_z == pytest.approx(changes.mean() / changes.std(ddof=1))


def test_paired_change_of_identical_scores_is_no_change_not_an_error() -> None:
    result = paired_change([3, 4, 5], [3, 4, 5])
    assert result.mean_change == 0
    assert np.isnan(result.p_value) and np.isnan(result.wilcoxon_p)


def test_recovery_paradox_without_strata_is_welch() -> None:
    rng = np.random.default_rng(4)
    recovered = rng.normal(8.6, 1.2, 70)
    reference = rng.normal(8.0, 1.6, 300)
    result = recovery_paradox(recovered, reference)
    welch = sps.ttest_ind(recovered, reference, equal_var=False)
    assert result.p_value == pytest.approx(welch.pvalue, rel=1e-10)
    ci = welch.confidence_interval(0.95)
    assert (result.ci_low, result.ci_high) == pytest.approx((ci.low, ci.high), rel=1e-10)
    assert result.finding == "paradox"


def test_recovery_paradox_within_strata_removes_a_confounded_difference() -> None:
    # recovered customers sit mostly in a region whose customers score higher anyway:
    # the crude difference is large, the comparable one is about zero
    rng = np.random.default_rng(8)
    rec_strata = ["north"] * 90 + ["south"] * 10
    ref_strata = ["north"] * 100 + ["south"] * 400 + ["west"] * 50
    level = {"north": 9.0, "south": 7.0, "west": 6.0}
    recovered = [rng.normal(level[s], 1.0) for s in rec_strata]
    reference = [rng.normal(level[s], 1.0) for s in ref_strata]
    crude = recovery_paradox(recovered, reference)
    adjusted = recovery_paradox(
        recovered, reference, recovered_strata=rec_strata, reference_strata=ref_strata
    )
    assert crude.finding == "paradox"
    assert adjusted.finding == "no_difference"
    assert adjusted.strata_used == 2 and adjusted.strata_dropped == ("west",)
    by_hand = 0.9 * (np.mean(recovered[:90]) - np.mean(reference[:100])) + 0.1 * (
        np.mean(recovered[90:]) - np.mean(reference[100:500])
    )
    assert adjusted.difference == pytest.approx(by_hand, rel=1e-12)


def test_kaplan_meier_and_logrank_equal_statsmodels() -> None:
    rng = np.random.default_rng(1)
    t = np.round(rng.exponential(5, 90), 1)
    resolved = rng.random(90) < 0.8
    teams = rng.choice(["a", "b", "c"], 90)
    result = resolution_times(t, resolved, teams)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for team in ["a", "b", "c"]:
            mask = teams == team
            reference = SurvfuncRight(t[mask], resolved[mask].astype(int))
            curve = result.curves[result.curves["group"] == team]
            np.testing.assert_allclose(curve["time"], reference.surv_times)
            np.testing.assert_allclose(curve["survival"], reference.surv_prob, rtol=1e-12)
            row = result.summary.set_index("group").loc[team]
            assert row["median"] == pytest.approx(reference.quantile(0.5))
            low, high = reference.quantile_ci(0.5)
            assert row["median_low"] == pytest.approx(low)
            assert (np.isnan(row["median_high"]) and np.isinf(high)) or row[
                "median_high"
            ] == pytest.approx(high)
        chi2, p = survdiff(t, resolved.astype(int), teams)
    assert result.logrank_chi2 == pytest.approx(chi2, rel=1e-10)
    assert result.logrank_p == pytest.approx(p, rel=1e-10)


def test_open_cases_are_censored_not_dropped() -> None:
    result = resolution_times([1, 2, 3, 10, 10], [1, 1, 1, 0, 0])
    row = result.summary.iloc[0]
    assert (row["n"], row["resolved"], row["open"]) == (5, 3, 2)
    assert result.curves["survival"].iloc[-1] == pytest.approx(0.4)
    assert np.isnan(result.logrank_p)


def test_holdout_effect_on_a_share_uses_newcombe() -> None:
    contacted = np.r_[np.ones(70), np.zeros(30)]
    holdout = np.r_[np.ones(50), np.zeros(50)]
    result = holdout_effect(contacted, holdout)
    low, high = confint_proportions_2indep(70, 100, 50, 100, method="newcomb")
    assert result.outcome == "share"
    assert (result.ci_low, result.ci_high) == pytest.approx((low, high), rel=1e-9)
    z = sps.norm.sf(abs(0.2) / np.sqrt(0.6 * 0.4 * 2 / 100)) * 2
    assert result.p_value == pytest.approx(z)


def test_holdout_effect_on_a_score_is_welch() -> None:
    rng = np.random.default_rng(2)
    a, b = rng.normal(8, 2, 120), rng.normal(7.5, 2.5, 40)
    result = holdout_effect(a, b)
    assert result.outcome == "mean"
    assert result.p_value == pytest.approx(sps.ttest_ind(a, b, equal_var=False).pvalue)


def test_randomised_holdout_recovers_a_planted_effect() -> None:
    rng = np.random.default_rng(12)
    covered = 0
    for _ in range(400):
        contacted = rng.normal(7.3, 2, 200)
        held = rng.normal(7.0, 2, 100)
        result = holdout_effect(contacted, held)
        covered += result.ci_low <= 0.3 <= result.ci_high
    assert 0.92 <= covered / 400 <= 0.98


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: recovery_rate(6, 5), r"recovered 6 of 5 cases"),
        (lambda: recovery_rate(True, 5), r"recovered: got True"),
        (lambda: paired_change([1, 2], [1, 2, 3]), r"after: 3 values for 2 before"),
        (lambda: paired_change([1, np.nan, 3], [np.nan, 2, 3]), r"1 complete pairs"),
        (lambda: recovery_paradox([1, 2], [1, 2], recovered_strata=["a", "a"]), r"both"),
        (
            lambda: recovery_paradox(
                [1, 2],
                [3],
            ),
            r"reference: 1 non-missing values",
        ),
        (lambda: resolution_times([1, -2], [1, 1]), r"durations: every case"),
        (lambda: resolution_times([1, 2], [1, 2]), r"resolved: 2 values for 2 cases"),
        (lambda: holdout_effect([True, False], [1, 0]), r"contacted: booleans"),
    ],
)
def test_bad_input_gets_a_clear_error(call: object, message: str) -> None:
    with pytest.raises(DataError, match=message):
        call()  # type: ignore[operator]
