"""action_effect and plan_power against independent implementations (statsmodels, brute force)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.stats.sandwich_covariance import cov_hac

from cxgap.errors import DataError
from cxgap.stats import action_effect, plan_power
from cxgap.stats.effects import _WEBB


def _panel(
    rng: np.random.Generator,
    *,
    units: int = 12,
    treated: int = 4,
    waves: int = 6,
    start: int = 3,
    effect: float = 0.4,
    responses: tuple[int, int] = (3, 9),
) -> pd.DataFrame:
    """Unbalanced response-level panel: unit and wave effects, unit x wave shocks, noise."""
    rows = []
    unit_level = rng.normal(scale=0.5, size=units)
    wave_level = rng.normal(scale=0.3, size=waves)
    for u in range(units):
        for t in range(waves):
            shock = rng.normal(scale=0.2)
            for _ in range(rng.integers(*responses)):
                y = unit_level[u] + wave_level[t] + shock + rng.normal()
                y += effect * (u < treated) * (t >= start)
                rows.append((f"u{u:02d}", f"2025W{t}", u < treated, y))
    return pd.DataFrame(rows, columns=["site", "wave", "targeted", "score"])


def _statsmodels_did(df: pd.DataFrame, start: str) -> object:
    df = df.assign(d=(df.targeted & (df.wave >= start)).astype(float))
    return smf.ols("score ~ d + C(site) + C(wave)", data=df).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(df.site)[0]}, use_t=True
    )


def _nested_ratio(df: pd.DataFrame, *, units: int) -> float:
    """sqrt of ((N-1)/(N-K) without the unit dummies) / ((N-1)/(N-K) with them)."""
    n, k_all = len(df), 1 + 1 + (units - 1) + (df.wave.nunique() - 1)
    return math.sqrt((n - k_all) / (n - (k_all - (units - 1))))


def test_did_matches_statsmodels_cluster_robust_ols() -> None:
    df = _panel(np.random.default_rng(3), units=40, treated=15)
    res = action_effect(
        df, outcome="score", unit="site", period="wave", treated="targeted", start="2025W3"
    )
    sm = _statsmodels_did(df, "2025W3")
    assert res.inference == "cluster"
    assert res.effect == pytest.approx(sm.params["d"], rel=1e-9)
    # statsmodels counts the 39 unit dummies in the small-sample factor (N-1)/(N-K);
    # cxgap leaves them out (they are nested in the clusters, as Stata's xtreg, fe does)
    assert res.se == pytest.approx(sm.bse["d"] * _nested_ratio(df, units=40), rel=1e-9)
    crit = stats.t.ppf(0.975, 39)
    assert (res.ci_low, res.ci_high) == pytest.approx(
        (res.effect - crit * res.se, res.effect + crit * res.se), rel=1e-12
    )
    assert res.p_value == pytest.approx(2 * stats.t.sf(abs(res.effect / res.se), 39), rel=1e-9)
    assert res.n_units == 40 and res.n_treated_units == 15 and res.n_rows == len(df)


def test_event_study_and_pre_trend_test_match_statsmodels() -> None:
    df = _panel(np.random.default_rng(4), units=40, treated=15)
    res = action_effect(
        df, outcome="score", unit="site", period="wave", treated="targeted", start="2025W3"
    )
    waves = sorted(df.wave.unique())
    for k, wave in enumerate(waves):
        df[f"e{k}"] = (df.targeted & (df.wave == wave)).astype(float)
    terms = " + ".join(f"e{k}" for k in range(6) if k != 2)
    sm = smf.ols(f"score ~ {terms} + C(site) + C(wave)", data=df).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(df.site)[0]}, use_t=True
    )
    study = res.event_study.set_index("relative_period")
    for k in range(6):
        if k == 2:
            assert study.loc[-1, "estimate"] == 0.0
            continue
        assert study.loc[k - 3, "estimate"] == pytest.approx(sm.params[f"e{k}"], rel=1e-8)
        n, k_all = len(df), 5 + 40 + 5
        ratio = math.sqrt((n - k_all) / (n - k_all + 39))  # see the test above
        assert study.loc[k - 3, "se"] == pytest.approx(sm.bse[f"e{k}"] * ratio, rel=1e-8)
    wald = sm.wald_test("e0 = 0, e1 = 0", use_f=True, scalar=True)
    assert wald.df_denom == 39  # clusters - 1, as in cxgap
    assert res.pre_trend_p_value == pytest.approx(
        float(stats.f.sf(float(wald.statistic) / ratio**2, 2, 39)), rel=1e-9
    )


def test_wild_cluster_bootstrap_matches_refitting_every_replicate() -> None:
    """Brute force: refit statsmodels on each bootstrap sample drawn with the same weights."""
    df = _panel(np.random.default_rng(5), units=8, treated=3, effect=0.3)
    n_boot, seed = 199, 11
    res = action_effect(
        df, outcome="score", unit="site", period="wave", treated="targeted", start="2025W3",
        n_boot=n_boot, seed=seed,
    )  # fmt: skip
    assert res.inference == "wild_cluster_bootstrap"
    codes = pd.factorize(df.site, sort=True)[0]
    weights = np.random.default_rng(seed).choice(_WEBB, size=(8, n_boot))
    restricted = smf.ols("score ~ C(site) + C(wave)", data=df).fit()
    full = _statsmodels_did(df, "2025W3")
    t_hat = abs(full.params["d"] / full.bse["d"])
    hits = 0
    for b in range(n_boot):
        star = df.assign(score=restricted.fittedvalues + restricted.resid * weights[codes, b])
        refit = _statsmodels_did(star, "2025W3")
        hits += abs(refit.params["d"] / refit.bse["d"]) >= t_hat - 1e-12
    assert res.p_value == pytest.approx(hits / n_boot, abs=1e-12)
    assert res.ci_low < res.effect < res.ci_high


def test_one_targeted_unit_uses_cell_means_like_statsmodels_ols() -> None:
    df = _panel(np.random.default_rng(6), units=7, treated=1, effect=0.8)
    res = action_effect(
        df, outcome="score", unit="site", period="wave", treated="targeted", start="2025W3"
    )
    assert res.inference == "cells" and "few_treated_units" in res.warnings
    cells = df.groupby(["site", "wave"], as_index=False).agg(
        score=("score", "mean"), targeted=("targeted", "first")
    )
    sm = smf.ols("score ~ d + C(site) + C(wave)", data=cells.assign(
        d=(cells.targeted & (cells.wave >= "2025W3")).astype(float))).fit()  # fmt: skip
    assert res.effect == pytest.approx(sm.params["d"], rel=1e-9)
    assert res.se == pytest.approx(sm.bse["d"], rel=1e-9)
    assert res.p_value == pytest.approx(sm.pvalues["d"], rel=1e-9)
    low, high = sm.conf_int().loc["d"]
    assert (res.ci_low, res.ci_high) == pytest.approx((low, high), rel=1e-9)
    assert res.n_rows == len(df)


def test_its_matches_statsmodels_newey_west() -> None:
    rng = np.random.default_rng(8)
    rows = []
    for t in range(10):
        mean = 3.0 + 0.05 * t + 0.6 * (t >= 5) + 0.1 * (t - 5) * (t >= 5)
        rows += [("d1", t, True, mean + rng.normal(scale=0.5)) for _ in range(30)]
    df = pd.DataFrame(rows, columns=["site", "wave", "targeted", "score"])
    res = action_effect(
        df, outcome="score", unit="site", period="wave", treated="targeted", start=5,
        method="its", maxlags=2,
    )  # fmt: skip
    means = df.groupby("wave").score.mean().reset_index()
    means["post"] = (means.wave >= 5).astype(float)
    means["since"] = (means.wave - 5) * means.post
    sm = smf.ols("score ~ wave + post + since", data=means).fit()
    cov = cov_hac(sm, nlags=2, use_correction=True)
    assert res.effect == pytest.approx(sm.params["post"], rel=1e-9)
    assert res.se == pytest.approx(math.sqrt(cov[2, 2]), rel=1e-9)
    assert res.summary.set_index("term").loc["slope_change", "se"] == pytest.approx(
        math.sqrt(cov[3, 3]), rel=1e-9
    )
    assert res.inference == "hac" and math.isnan(res.pre_trend_p_value)
    assert res.ci_low < 0.6 < res.ci_high


def test_regression_to_the_mean_warning_when_the_worst_units_are_targeted() -> None:
    rng = np.random.default_rng(9)
    df = _panel(rng, units=10, treated=0, effect=0.0)
    last_pre = df[df.wave == "2025W2"].groupby("site").score.mean().sort_values()
    worst = set(last_pre.index[:2])
    df["targeted"] = df.site.isin(worst)
    res = action_effect(
        df, outcome="score", unit="site", period="wave", treated="targeted", start="2025W3"
    )
    assert "regression_to_the_mean" in res.warnings
    best = set(last_pre.index[-2:])
    res = action_effect(
        df.assign(targeted=df.site.isin(best)),
        outcome="score", unit="site", period="wave", treated="targeted", start="2025W3",
        higher_is_better=False,
    )  # fmt: skip
    assert "regression_to_the_mean" in res.warnings
    res = action_effect(
        df.assign(targeted=df.site.isin(best)),
        outcome="score", unit="site", period="wave", treated="targeted", start="2025W3",
    )  # fmt: skip
    assert "regression_to_the_mean" not in res.warnings


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"start": "2025W0"}, "before and after the start"),
        ({"start": "2099W1"}, "before and after the start"),
        ({"outcome": "nope"}, "column 'nope' is not in the frame"),
        ({"method": "rdd"}, "allowed: 'did', 'its'"),
        ({"confidence": 1.5}, "between 0 and 1"),
    ],
)
def test_bad_arguments_are_named(change: dict[str, object], message: str) -> None:
    df = _panel(np.random.default_rng(1), units=6, treated=2)
    kwargs: dict[str, object] = {
        "outcome": "score", "unit": "site", "period": "wave", "treated": "targeted",
        "start": "2025W3",
    }  # fmt: skip
    kwargs.update(change)
    with pytest.raises(DataError, match=message):
        action_effect(df, **kwargs)  # type: ignore[arg-type]


def test_bad_data_is_located() -> None:
    df = _panel(np.random.default_rng(1), units=6, treated=2)
    mixed = df.copy()
    mixed.loc[mixed.index[0], "targeted"] = not mixed.loc[mixed.index[0], "targeted"]
    with pytest.raises(DataError, match="varies within unit 'u00'"):
        action_effect(mixed, outcome="score", unit="site", period="wave", treated="targeted",
                      start="2025W3")  # fmt: skip
    text = df.astype({"score": object})
    text.loc[text.index[4], "score"] = "high"
    with pytest.raises(DataError, match=r"row 4: value 'high' is not a number"):
        action_effect(text, outcome="score", unit="site", period="wave", treated="targeted",
                      start="2025W3")  # fmt: skip
    with pytest.raises(DataError, match="some targeted and some untargeted"):
        action_effect(df.assign(targeted=True), outcome="score", unit="site", period="wave",
                      treated="targeted", start="2025W3")  # fmt: skip


def test_plan_power_matches_brute_force_simulation() -> None:
    """At the minimum detectable effect the simulated test rejects about 80% of the time."""
    rng = np.random.default_rng(21)
    sd, tau, m, n_t, n_c, pre, post = 1.0, 0.15, 40, 10, 30, 3, 3
    plan = plan_power(
        sd=sd, responses_per_wave=m, treated_units=n_t, control_units=n_c,
        pre_periods=pre, post_periods=post, unit_wave_sd=tau, expected_effect=0.3,
    )  # fmt: skip
    reps, units, waves = 4000, n_t + n_c, pre + post
    cell_sd = math.sqrt(tau**2 + sd**2 / m)
    cells = rng.normal(scale=cell_sd, size=(reps, units, waves))
    cells[:, :n_t, pre:] += plan.min_detectable_effect
    did = (cells[:, :n_t, pre:].mean((1, 2)) - cells[:, :n_t, :pre].mean((1, 2))) - (
        cells[:, n_t:, pre:].mean((1, 2)) - cells[:, n_t:, :pre].mean((1, 2))
    )
    assert did.std() == pytest.approx(plan.se, rel=0.03)
    rejected = np.mean(np.abs(did / plan.se) > 1.959964)
    assert rejected == pytest.approx(0.8, abs=0.02)
    # responses_needed gives exactly the expected effect as the detectable one
    again = plan_power(
        sd=sd, responses_per_wave=plan.responses_needed, treated_units=n_t,
        control_units=n_c, pre_periods=pre, post_periods=post, unit_wave_sd=tau,
    )  # fmt: skip
    assert again.min_detectable_effect == pytest.approx(0.3, rel=1e-12)
    hopeless = plan_power(
        sd=sd, responses_per_wave=m, treated_units=1, control_units=1, pre_periods=1,
        post_periods=1, unit_wave_sd=1.0, expected_effect=0.3,
    )  # fmt: skip
    assert hopeless.responses_needed == math.inf


def test_plan_power_rejects_bad_input() -> None:
    with pytest.raises(DataError, match="treated_units: got 0"):
        plan_power(sd=1, responses_per_wave=10, treated_units=0, control_units=3,
                   pre_periods=2, post_periods=2)  # fmt: skip
