"""PLS path model estimates against R plspm reference outputs and an independent loop.

Reference data: tests/reference/ecsi-bank (R plspm's ``satisfaction`` example,
ECSI model, centroid scheme, ``scaled=FALSE``; see its README.md).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from cxgap.errors import ConvergenceError, DataError, ModelError
from cxgap.stats.pls import (
    ACSI,
    ECSI,
    ConvergenceWarning,
    PLSPathModel,
    acsi_model,
    ecsi_model,
    parse_model_text,
)
from cxgap.stats.pls.quality import composite_reliability, rho_a

REF = Path(__file__).resolve().parents[1] / "reference" / "ecsi-bank"  # see its README.md


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return pd.read_csv(REF / "satisfaction.csv", index_col=0)


@pytest.fixture(scope="module")
def fit_a(data):
    return ecsi_model(scheme="centroid", scaled=False).fit(data)


def test_mode_a_matches_plspm_outer_model(fit_a):
    # R: plspm(satisfaction, sat_path, sat_blocks, scheme="centroid", scaled=FALSE)$outer_model
    ref = pd.read_csv(REF / "satisfaction.outer-model.csv", index_col=0)
    items = list(ref.index)
    np.testing.assert_allclose(fit_a.outer_weights_.loc[items], ref["weight"], atol=1e-6)
    np.testing.assert_allclose(fit_a.loadings_.loc[items], ref["loading"], atol=1e-6)
    outer = fit_a.outer_model_.loc[items]
    np.testing.assert_allclose(outer["communality"], ref["communality"], atol=1e-6)
    np.testing.assert_allclose(outer["redundancy"], ref["redundancy"], atol=1e-6)


def test_mode_a_matches_plspm_paths_r2_gof(fit_a):
    # R: $effects, $inner_summary, $gof (GoF 0.609741624338411 from the README)
    effects = pd.read_csv(REF / "satisfaction.effects.csv", index_col=0)
    for _, row in effects.iterrows():
        a, b = row["from"], row["to"]
        assert fit_a.path_coefficients_.loc[a, b] == pytest.approx(row["direct"], abs=1e-6)
        assert fit_a.indirect_effects_.loc[a, b] == pytest.approx(row["indirect"], abs=1e-6)
        assert fit_a.total_effects_.loc[a, b] == pytest.approx(row["total"], abs=1e-6)
    assert len(fit_a.effects_) == len(effects)
    summary = pd.read_csv(REF / "satisfaction.inner-summary.csv", index_col=0)
    endo = summary[summary["type"] == "Endogenous"].index
    np.testing.assert_allclose(fit_a.r2_.loc[endo], summary.loc[endo, "r_squared"], atol=1e-6)
    got = fit_a.summary.loc[summary.index]
    np.testing.assert_allclose(got["block_communality"], summary["block_communality"], atol=1e-6)
    np.testing.assert_allclose(got["mean_redundancy"], summary["mean_redundancy"], atol=1e-6)
    np.testing.assert_allclose(got["ave"], summary["ave"], atol=1e-6)
    assert fit_a.gof_ == pytest.approx(0.609741624338411, abs=1e-6)
    assert fit_a.converged_ and 1 <= fit_a.n_iter_ < 100
    # path coefficient layout: rows predictors, columns outcomes, 0 where no path
    assert fit_a.path_coefficients_.loc["SAT", "IMAG"] == 0.0


def test_scores_and_inner_model_match_plspm(fit_a):
    # R: $scores (unit-variance scores of the centred raw data) and $inner_model$SAT
    scores = pd.read_csv(REF / "satisfaction.scores.csv")
    np.testing.assert_allclose(fit_a.scores_[scores.columns].to_numpy(), scores, atol=1e-6)
    inner = pd.read_csv(REF / "satisfaction.inner-model.csv", index_col=0)
    for predictor, row in inner.iterrows():
        assert fit_a.path_coefficients_.loc[predictor, "SAT"] == pytest.approx(
            row["Estimate"], abs=1e-6
        )


def test_mode_b_matches_plspm(data):
    # R: the same model with modes = rep("B", 6): $inner_summary
    fit = ecsi_model(scheme="centroid", scaled=False, modes=dict.fromkeys(ECSI.measurement, "B"))
    res = fit.fit(data)
    ref = pd.read_csv(REF / "satisfaction.modeb.inner-summary.csv", index_col=0)
    endo = ref[ref["type"] == "Endogenous"].index
    np.testing.assert_allclose(res.r2_.loc[endo], ref.loc[endo, "r_squared"], atol=1e-6)
    np.testing.assert_allclose(
        res.summary.loc[ref.index, "block_communality"], ref["block_communality"], atol=1e-6
    )
    communality = res.outer_model_["communality"]
    expected_gof = np.sqrt(communality.mean() * ref.loc[endo, "r_squared"].mean())
    assert res.gof_ == pytest.approx(expected_gof, abs=1e-6)


def test_reliability_against_plspm_unidim(data, fit_a):
    # R: $unidim - Cronbach's alpha (standardised) and Dillon-Goldstein rho, which plspm
    # computes from the loadings on the block's first principal component
    ref = pd.read_csv(REF / "satisfaction_unidim.csv", index_col=0)
    np.testing.assert_allclose(
        fit_a.reliability_.loc[ref.index, "alpha"], ref["cronbach_alpha"], atol=1e-6
    )
    for construct, items in ECSI.measurement.items():
        R = data[items].corr().to_numpy()
        values, vectors = np.linalg.eigh(R)
        pc_loadings = np.abs(vectors[:, -1] * np.sqrt(values[-1]))
        assert values[-1] == pytest.approx(ref.loc[construct, "eig_1st"], abs=1e-6)
        assert composite_reliability(pc_loadings) == pytest.approx(
            ref.loc[construct, "dillon_goldstein_rho"], abs=1e-6
        )
    assert list(fit_a.reliability_.columns) == ["alpha", "rho_a", "rho_c", "ave"]


def test_rho_a_equals_composite_reliability_under_one_factor():
    # Dijkstra & Henseler (2015): with a one-factor correlation matrix and weights
    # proportional to the loadings, rho_A is the squared correlation of factor and composite
    lam = np.array([0.9, 0.8, 0.7, 0.6])
    R = np.outer(lam, lam)
    np.fill_diagonal(R, 1.0)
    w = lam / np.sqrt(lam @ R @ lam)
    assert rho_a(R, w) == pytest.approx((lam @ lam) ** 2 / (lam @ R @ lam), rel=1e-12)


def test_htmt_matches_direct_computation(data, fit_a):
    # Henseler, Ringle & Sarstedt (2015), eq. 6, computed element by element
    corr = data.drop(columns="gender").corr().to_numpy()
    cols = list(data.drop(columns="gender").columns)
    blocks = {c: [cols.index(i) for i in items] for c, items in ECSI.measurement.items()}

    def mean_within(idx):
        vals = [corr[i, j] for i in idx for j in idx if i < j]
        return sum(vals) / len(vals)

    for a in blocks:
        for b in blocks:
            if a == b:
                continue
            hetero = np.mean([corr[i, j] for i in blocks[a] for j in blocks[b]])
            expected = hetero / np.sqrt(mean_within(blocks[a]) * mean_within(blocks[b]))
            assert fit_a.htmt_.loc[a, b] == pytest.approx(expected, rel=1e-12)


def _plspm_weights_loop(X, P, blocks, modes, scheme, tol=1e-6, max_iter=300):
    """A literal transcription of R plspm's get_weights on the data matrix (no covariances)."""
    n = X.shape[0]
    L = P.shape[0]
    sdv = np.sqrt((n - 1) / n)
    odm = np.zeros((X.shape[1], L))
    for j, idx in enumerate(blocks):
        odm[idx, j] = 1.0
    W = odm / ((X @ odm).std(axis=0, ddof=1) * sdv)
    w_old = W.sum(axis=1)
    for _ in range(max_iter):
        Y = X @ W
        Y = (Y - Y.mean(0)) / Y.std(axis=0, ddof=1) * sdv
        R = np.corrcoef(Y, rowvar=False)
        if scheme == "factorial":
            E = R * (P + P.T)
        else:
            E = P.copy()
            for k in range(L):
                preds = np.flatnonzero(P[k])
                if preds.size:
                    E[preds, k] = sm.OLS(Y[:, k], Y[:, preds]).fit().params
                succ = np.flatnonzero(P[:, k])
                E[succ, k] = R[k, succ]
        Z = Y @ E
        for j, idx in enumerate(blocks):
            if modes[j] == "A":
                W[idx, j] = Z[:, j] @ X[:, idx] / n
            else:
                W[idx, j] = np.linalg.lstsq(X[:, idx], Z[:, j], rcond=None)[0]
        w_new = W.sum(axis=1)
        if ((np.abs(w_old) - np.abs(w_new)) ** 2).sum() < tol:
            break
        w_old = w_new
    return W / ((X @ W).std(axis=0, ddof=1) * sdv)


@pytest.mark.parametrize("scheme", ["path", "factorial"])
def test_path_and_factorial_schemes_match_data_loop(data, scheme):
    modes = {"QUAL": "B", "LOY": "B"}
    model = ecsi_model(scheme=scheme, scaled=True, modes=modes)
    fit = model.fit(data)
    spec = model.spec
    items = list(spec.indicators)
    X = data[items].to_numpy(float)
    X = (X - X.mean(0)) / X.std(0)
    blocks = [[items.index(i) for i in spec.measurement[c]] for c in spec.constructs]
    W = _plspm_weights_loop(
        X, spec.path_matrix(), blocks, [spec.modes[c] for c in spec.constructs], scheme
    )
    np.testing.assert_allclose(fit.outer_weights_.loc[items], W.sum(axis=1), atol=1e-10)
    scores = X @ W
    for outcome, preds in spec.structural.items():
        cols = [spec.constructs.index(p) for p in preds]
        ols = sm.OLS(scores[:, spec.constructs.index(outcome)], sm.add_constant(scores[:, cols]))
        res = ols.fit()
        np.testing.assert_allclose(
            fit.path_coefficients_.loc[list(preds), outcome], res.params[1:], atol=1e-10
        )
        assert fit.r2_[outcome] == pytest.approx(res.rsquared, abs=1e-10)


def test_single_item_construct_and_acsi(data):
    rename = {
        "expe1": "expe1", "qual1": "qual1", "val1": "val1", "sat1": "sat1",
        "comp1": "loy2", "loy1": "loy1", "loy2": "loy3",
    }  # fmt: skip
    model = acsi_model(indicators=rename, scheme="path")
    fit = model.fit(data)
    assert fit.loadings_["loy2"] == pytest.approx(1.0)
    assert fit.outer_weights_["loy2"] == pytest.approx(1.0)
    assert fit.reliability_.loc["COMP", "ave"] == pytest.approx(1.0)
    assert set(fit.r2_.index) == {"QUAL", "VAL", "SAT", "COMP", "LOY"}
    assert ACSI.structural["LOY"] == ["SAT", "COMP"]
    # COMP's single indicator is standardised, so its score is that indicator's z-score
    z = (data["loy2"] - data["loy2"].mean()) / data["loy2"].std(ddof=0)
    np.testing.assert_allclose(fit.scores_["COMP"], z, atol=1e-10)


def test_index_scores_from_unstandardised_weights(data, fit_a):
    # Fornell et al. (1996): weights rescaled to sum to 1 per block on the 0-10 scale
    model = ecsi_model(scheme="centroid", scaled=True, indicator_range=(0, 10))
    fit = model.fit(data)
    items = ECSI.measurement["SAT"]
    raw = fit.outer_weights_.loc[items] / data[items].std(ddof=0)
    raw = raw / raw.sum()
    expected = 100 * (raw * data[items].mean()).sum() / 10
    assert fit.index_scores_["SAT"] == pytest.approx(expected, rel=1e-12)
    assert fit_a.index_scores_.min() > 0 and fit_a.index_scores_.max() < 100


def test_text_syntax_gives_the_same_model(data, fit_a):
    lines = [f"{o} ~ {' + '.join(p)}" for o, p in ECSI.structural.items()]
    lines += [f"{c} =~ {' + '.join(i)}  # block" for c, i in ECSI.measurement.items()]
    model = PLSPathModel.from_text("\n".join(lines), scheme="centroid", scaled=False)
    fit = model.fit(data)
    pd.testing.assert_frame_equal(fit.path_coefficients_, fit_a.path_coefficients_)
    structural, measurement, modes = parse_model_text("Y ~ X; X <~ x1 + x2\nY =~ y1")
    assert structural == {"Y": ["X"]} and measurement == {"X": ["x1", "x2"], "Y": ["y1"]}
    assert modes == {"X": "B", "Y": "A"}
    with pytest.raises(ModelError, match="line 2"):
        parse_model_text("Y ~ X\nY -> X")


def test_results_serialise_and_render(fit_a):
    payload = json.loads(json.dumps(fit_a.to_dict()))
    assert payload["gof_"] == pytest.approx(fit_a.gof_)
    assert "model_" not in payload and "data_" not in payload
    assert "PLSFit" in fit_a._repr_html_()
    assert list(fit_a.summary.index) == list(ECSI.measurement)


@pytest.mark.parametrize(
    ("structural", "measurement", "match"),
    [
        ({"Y": ["X"]}, {"X": ["x1", "x2"], "Y": ["x2"]}, "'x2' is in two blocks"),
        ({"Y": ["X"], "X": ["Y"]}, {"X": ["x1"], "Y": ["y1"]}, "cycle"),
        ({"Y": ["X"]}, {"Y": ["y1"]}, "construct 'X' has no indicators"),
        ({"Y": ["X"]}, {"X": [], "Y": ["y1"]}, "construct 'X' has no indicators"),
        ({"Y": ["Y"]}, {"Y": ["y1"]}, "'Y' predicts itself"),
        ({"Y": ["X"]}, {"X": ["x1"], "Y": ["y1"], "Z": ["z1"]}, "'Z' takes part in no"),
    ],
)
def test_bad_models_raise_model_error(structural, measurement, match):
    with pytest.raises(ModelError, match=match):
        PLSPathModel(structural, measurement)


def test_bad_data_raises_named_errors(data):
    model = PLSPathModel({"SAT": ["IMAG"]}, {"IMAG": ["imag1", "imag9"], "SAT": ["sat1"]})
    with pytest.raises(ModelError, match="'imag9' of construct 'IMAG'"):
        model.fit(data)
    flat = data.assign(imag2=5.0)
    model = PLSPathModel({"SAT": ["IMAG"]}, {"IMAG": ["imag1", "imag2"], "SAT": ["sat1"]})
    with pytest.raises(ModelError, match="'imag2' of construct 'IMAG' has zero variance"):
        model.fit(flat)
    with pytest.raises(DataError, match="'imag1' must be numeric"):
        model.fit(data.assign(imag1=data["gender"]))
    with pytest.raises(ModelError, match="scheme"):
        PLSPathModel({"SAT": ["IMAG"]}, {"IMAG": ["imag1"], "SAT": ["sat1"]}, scheme="pathy")  # type: ignore[arg-type]
    with pytest.raises(ModelError, match="modes"):
        PLSPathModel({"SAT": ["IMAG"]}, {"IMAG": ["imag1"], "SAT": ["sat1"]}, modes={"IMAG": "C"})


def test_missing_value_handling(data):
    holes = data.copy()
    holes.iloc[[3, 10, 20], 0] = -99
    structural = {"SAT": ["IMAG"]}
    measurement = {"IMAG": ["imag1", "imag2"], "SAT": ["sat1", "sat2"]}
    with pytest.raises(DataError, match="'imag1' has 3 missing values"):
        PLSPathModel(structural, measurement, missing="error", missing_values=(-99,)).fit(holes)
    listwise = PLSPathModel(structural, measurement, missing="listwise", missing_values=(-99,))
    assert listwise.fit(holes).n_obs_ == len(data) - 3
    imputed = data.astype({"imag1": float})
    mask = holes["imag1"] == -99
    imputed.loc[mask, "imag1"] = data.loc[~mask, "imag1"].mean()
    by_mean = PLSPathModel(structural, measurement, missing_values=(-99,)).fit(holes)
    manual = PLSPathModel(structural, measurement).fit(imputed)
    pd.testing.assert_series_equal(by_mean.outer_weights_, manual.outer_weights_)


def test_non_convergence_is_reported(data):
    model = ecsi_model(scheme="centroid", max_iter=1)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        fit = model.fit(data)
    assert not fit.converged_ and fit.n_iter_ == 1
    with pytest.raises(ConvergenceError, match="max_iter=1"), warnings.catch_warnings():
        warnings.simplefilter("error")
        ecsi_model(scheme="centroid", max_iter=1, strict=True).fit(data)
