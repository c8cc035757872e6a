"""Reliability against R plspm (ECSI bank data), pingouin and scikit-learn."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from sklearn.decomposition import FactorAnalysis

from cxgap.errors import DataError
from cxgap.stats import composite_reliability, cronbach_alpha, mcdonald_omega

# ECSI "satisfaction" data of R package plspm (G. Sanchez), redistributed with the test data
# of GoogleCloudPlatform/plspm-python (commit addf5843); outputs computed by R plspm.
ECSI = Path(__file__).resolve().parents[1] / "reference" / "ecsi-bank"  # see its README.md
BLOCKS = ["IMAG", "EXPE", "QUAL", "VAL", "SAT", "LOY"]


@pytest.fixture(scope="module")
def ecsi() -> pd.DataFrame:
    return pd.read_csv(ECSI / "satisfaction.csv", index_col=0)


def block(data: pd.DataFrame, name: str) -> pd.DataFrame:
    return data[[c for c in data.columns if c.startswith(name.lower())]]


@pytest.mark.parametrize("name", BLOCKS)
def test_standardised_alpha_and_dg_rho_match_plspm(ecsi: pd.DataFrame, name: str) -> None:
    # R: plspm(satisfaction, ...)$unidim  (cronbach_alpha, dillon_goldstein_rho)
    unidim = pd.read_csv(ECSI / "satisfaction_unidim.csv", index_col=0)
    items = block(ecsi, name)
    alpha = cronbach_alpha(items, standardized=True)
    assert alpha.alpha == pytest.approx(unidim.loc[name, "cronbach_alpha"], abs=1e-6)
    rho = composite_reliability(items)
    assert rho.rho_c == pytest.approx(unidim.loc[name, "dillon_goldstein_rho"], abs=1e-6)
    assert rho.n == 250 and rho.k == items.shape[1]


@pytest.mark.parametrize("name", BLOCKS)
def test_ave_and_rho_a_from_plspm_outer_model(ecsi: pd.DataFrame, name: str) -> None:
    # R: plspm(...)$outer_model (weights, loadings) and $inner_summary (AVE)
    outer = pd.read_csv(ECSI / "satisfaction.outer-model.csv")
    outer = outer[outer.block == name]
    inner = pd.read_csv(ECSI / "satisfaction.inner-summary.csv", index_col=0)
    items = block(ecsi, name)
    # plspm ran on unscaled indicators: weights for standardised indicators are w * sd.
    weights = outer.weight.to_numpy() * items.std(ddof=1).to_numpy()
    from_loadings = composite_reliability(loadings=outer.loading.to_numpy(), weights=weights)
    assert from_loadings.ave == pytest.approx(inner.loc[name, "ave"], abs=1e-9)
    from_data = composite_reliability(items, weights=weights)
    assert from_data.rho_c == pytest.approx(from_loadings.rho_c, abs=1e-9)
    assert from_data.rho_a == pytest.approx(from_loadings.rho_a, abs=1e-9)
    # Dijkstra & Henseler (2015, eq. 21) written out with the full correlation matrix.
    s = items.corr().to_numpy()
    w = weights / np.sqrt(weights @ s @ weights)
    ww = np.outer(w, w)
    rho_a = (
        (w @ w) ** 2 * (w @ (s - np.diag(np.diag(s))) @ w) / (w @ (ww - np.diag(np.diag(ww))) @ w)
    )
    assert from_data.rho_a == pytest.approx(rho_a, abs=1e-12)


def test_rho_c_and_ave_by_hand() -> None:
    # (0.8 + 0.7 + 0.9)^2 = 5.76; sum(1 - l^2) = 1.06; rho_C = 5.76 / 6.82; AVE = 1.94 / 3
    res = composite_reliability(loadings=pd.Series([0.8, 0.7, 0.9], index=["a", "b", "c"]))
    assert res.rho_c == pytest.approx(5.76 / 6.82)
    assert res.ave == pytest.approx(1.94 / 3)
    assert np.isnan(res.rho_a) and res.n is None
    assert list(res.summary.item) == ["a", "b", "c"]
    json.dumps(res.to_dict())


def likert(n: int = 200, k: int = 5, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 1))
    raw = latent * rng.uniform(0.5, 1.0, size=k) + rng.normal(scale=0.8, size=(n, k))
    return pd.DataFrame(np.clip(np.round(raw * 1.3 + 4), 1, 7), columns=[f"q{j}" for j in range(k)])


def test_alpha_and_feldt_interval_match_pingouin() -> None:
    data = likert()
    res = cronbach_alpha(data, confidence=0.9)
    alpha, ci = pg.cronbach_alpha(data, ci=0.9)
    assert res.alpha == pytest.approx(alpha, abs=1e-12)
    # pingouin rounds its interval to 3 decimals
    assert (res.ci_low, res.ci_high) == pytest.approx(tuple(ci), abs=5e-4)
    assert res.n == 200 and res.k == 5


@pytest.mark.parametrize("policy", ["pairwise", "listwise"])
def test_missing_answers_match_pingouin(policy: str) -> None:
    data = likert(seed=1)
    rng = np.random.default_rng(2)
    data = data.mask(rng.random(data.shape) < 0.08)
    data = data[data.notna().any(axis=1)]
    res = cronbach_alpha(data, nan_policy=policy)
    alpha, _ = pg.cronbach_alpha(data, nan_policy=policy)
    # pingouin's listwise interval keeps the n before deletion; Feldt's uses complete cases.
    _, ci = pg.cronbach_alpha(data.dropna() if policy == "listwise" else data)
    assert res.alpha == pytest.approx(alpha, abs=1e-12)
    assert (res.ci_low, res.ci_high) == pytest.approx(tuple(ci), abs=5e-4)
    if policy == "pairwise":
        # pairwise standardised alpha from pandas' pairwise correlations
        r = data.corr().to_numpy()
        k = r.shape[0]
        assert cronbach_alpha(data, standardized=True).alpha == pytest.approx(
            k / (k - 1) * (1 - k / r.sum())
        )


def test_item_statistics() -> None:
    data = likert(seed=3)
    res = cronbach_alpha(data)
    summary = res.summary.set_index("item")
    for col in data.columns:
        rest = data.drop(columns=col)
        assert summary.loc[col, "alpha_if_deleted"] == pytest.approx(
            pg.cronbach_alpha(rest)[0], abs=1e-12
        )
        assert summary.loc[col, "item_rest_r"] == pytest.approx(
            np.corrcoef(data[col], rest.sum(axis=1))[0, 1], abs=1e-12
        )
        assert summary.loc[col, "sd"] == pytest.approx(data[col].std(ddof=1))
    standardized = cronbach_alpha(data, standardized=True)
    r = data.corr().to_numpy()
    k = r.shape[0]
    mean_r = (r.sum() - k) / (k * (k - 1))
    assert standardized.alpha == pytest.approx(k * mean_r / (1 + (k - 1) * mean_r))


def test_omega_matches_scikit_learn_factor_analysis() -> None:
    data = likert(n=400, k=5, seed=4)
    z = ((data - data.mean()) / data.std(ddof=0)).to_numpy()  # covariance = correlation
    fa = FactorAnalysis(n_components=1, tol=1e-12, max_iter=100_000).fit(z)
    loading = np.abs(fa.components_[0])
    uniqueness = fa.noise_variance_
    expected = loading.sum() ** 2 / (loading.sum() ** 2 + uniqueness.sum())
    res = mcdonald_omega(data)
    assert res.converged
    assert res.omega == pytest.approx(expected, abs=1e-5)
    np.testing.assert_allclose(res.summary.loading, loading, atol=1e-4)


def test_omega_of_a_perfect_one_factor_structure() -> None:
    # Population correlation matrix of a one-factor model: omega equals its definition.
    loading = np.array([0.9, 0.8, 0.7, 0.6])
    corr = np.outer(loading, loading)
    np.fill_diagonal(corr, 1.0)
    data = np.random.default_rng(5).multivariate_normal(np.zeros(4), corr, size=200_000)
    res = mcdonald_omega(data)
    expected = loading.sum() ** 2 / (loading.sum() ** 2 + (1 - loading**2).sum())
    assert res.omega == pytest.approx(expected, abs=3e-3)


def test_invalid_input() -> None:
    data = likert(n=20)
    with pytest.raises(DataError, match="nan_policy: got 'drop'"):
        cronbach_alpha(data, nan_policy="drop")  # type: ignore[arg-type]
    with pytest.raises(DataError, match=r"items: column 'q2', row 3 \(index 3\) is missing"):
        cronbach_alpha(
            data.mask((data.index == 3)[:, None] & (data.columns == "q2")), nan_policy="error"
        )
    with pytest.raises(DataError, match="items: has 1 item column"):
        cronbach_alpha(data[["q0"]])
    with pytest.raises(DataError, match=r"items: column 'q1', row 0 .* value 9 is outside"):
        cronbach_alpha(data.assign(q1=9), scale=(1, 7))
    with pytest.raises(DataError, match="has 2 item column"):
        mcdonald_omega(data[["q0", "q1"]])
    with pytest.raises(DataError, match="exactly one"):
        composite_reliability(data, loadings=[0.5, 0.6])
    with pytest.raises(DataError, match="loadings: got"):
        composite_reliability(loadings=[1.5, 0.6])
    with pytest.raises(DataError, match="weights: has 2 values for 5 indicators"):
        composite_reliability(data, weights=[1, 2])
