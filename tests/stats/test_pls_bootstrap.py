"""The vectorised PLS bootstrap against a naive loop of single fits, scipy's BCa and plspm."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from cxgap.errors import DataError
from cxgap.stats.pls import PLSBootstrap, ecsi_model, resample_indices
from cxgap.stats.pls.bootstrap import _bca

REF = Path(__file__).resolve().parents[1] / "reference" / "ecsi-bank"  # see its README.md


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return pd.read_csv(REF / "satisfaction.csv", index_col=0)


def _parameters(fit, labels) -> np.ndarray:
    """The bootstrapped parameters read off an ordinary fit, in the bootstrap's order."""
    values = []
    for kind, name in labels:
        if kind in ("weight", "loading"):
            series = fit.outer_weights_ if kind == "weight" else fit.loadings_
            values.append(series[name])
        elif kind == "r2":
            values.append(fit.r2_[name])
        else:
            a, b = name.split(" -> ")
            table = {
                "path": fit.path_coefficients_,
                "total_effect": fit.total_effects_,
                "indirect_effect": fit.indirect_effects_,
            }[kind]
            values.append(table.loc[a, b])
    return np.array(values)


@pytest.mark.parametrize(
    "options",
    [
        {"scheme": "centroid", "scaled": False},
        {"scheme": "path", "scaled": True, "modes": {"VAL": "B"}},
        {"scheme": "factorial", "scaled": True},
    ],
)
def test_batched_bootstrap_equals_naive_loop(data, options):
    model = ecsi_model(**options)
    fit = model.fit(data)
    boot = fit.bootstrap(n=40, seed=7, batch_size=16, bca=False)
    labels = list(boot.summary.index)
    naive = np.array([_parameters(model.fit(data.iloc[idx]), labels) for idx in boot.indices])
    np.testing.assert_allclose(boot.replicates.to_numpy(), naive, atol=1e-9)
    lower, upper = np.quantile(naive, [0.025, 0.975], axis=0)
    np.testing.assert_allclose(boot.summary["perc_lower"], lower, atol=1e-9)
    np.testing.assert_allclose(boot.summary["perc_upper"], upper, atol=1e-9)
    np.testing.assert_allclose(boot.summary["se"], naive.std(axis=0, ddof=1), atol=1e-9)
    np.testing.assert_allclose(boot.summary["original"], _parameters(fit, labels), atol=1e-12)


def test_reproducible_and_same_rng_stream(data):
    fit = ecsi_model().fit(data)
    a = fit.bootstrap(n=30, seed=3, bca=False)
    b = fit.bootstrap(n=30, seed=3, batch_size=7, bca=False)
    np.testing.assert_array_equal(a.indices, resample_indices(len(data), 30, 3))
    pd.testing.assert_frame_equal(a.summary, b.summary, atol=1e-12)


def test_bca_matches_scipy_for_the_mean():
    # scipy.stats.bootstrap(method="BCa") on a mean, fed the same bootstrap distribution
    rng = np.random.default_rng(0)
    x = rng.gamma(2.0, size=60)
    res = sps.bootstrap((x,), np.mean, n_resamples=4000, method="BCa", random_state=1)
    dist = res.bootstrap_distribution[:, None]
    jack = np.array([np.delete(x, i).mean() for i in range(x.size)])[:, None]
    bounds = _bca(dist, np.array([x.mean()]), jack, 0.05)
    ci = res.confidence_interval
    np.testing.assert_allclose(bounds[:, 0], [ci.low, ci.high], rtol=1e-3)


def test_bootstrap_summary_against_plspm_order_of_magnitude(data):
    # R plspm bootstrap with 200 resamples (satisfaction_boot_paths.csv): another random
    # stream, so only the size of the standard errors can be compared
    fit = ecsi_model(scheme="centroid", scaled=False).fit(data)
    boot = fit.bootstrap(n=200, seed=11)
    assert isinstance(boot, PLSBootstrap) and boot.n_valid == 200
    ref = pd.read_csv(REF / "satisfaction_boot_paths.csv", index_col=0)
    paths = boot.table("path")
    ratio = paths.loc[ref.index, "se"] / ref["std.error"]
    assert ratio.between(0.6, 1.6).all(), ratio
    np.testing.assert_allclose(paths.loc[ref.index, "original"], ref["original"], atol=1e-6)
    table = boot.summary
    assert (table["perc_lower"] <= table["perc_upper"]).all()
    assert (table["bca_lower"] <= table["bca_upper"]).all()
    expected_t = table["original"] / table["se"]
    np.testing.assert_allclose(table["t"], expected_t)
    kinds = set(table.index.get_level_values("kind"))
    assert kinds == {"path", "weight", "loading", "total_effect", "indirect_effect", "r2"}
    assert json.loads(json.dumps(boot.to_dict()))["n_valid"] == 200
    assert "PLSBootstrap" in boot._repr_html_()


def test_bootstrap_rejects_bad_arguments(data):
    fit = ecsi_model().fit(data)
    with pytest.raises(DataError, match="confidence"):
        fit.bootstrap(n=10, confidence=95)
    with pytest.raises(DataError, match="n \\(number of resamples\\)"):
        fit.bootstrap(n=1)


def test_resamples_without_variance_are_dropped_with_a_warning():
    # an indicator with one non-zero value has no variance in about (1 - 1/n)^n of resamples
    rng = np.random.default_rng(0)
    n = 30
    factor = rng.normal(size=n)
    frame = pd.DataFrame(
        {
            "x1": factor + rng.normal(size=n),
            "x2": factor + rng.normal(size=n),
            "y1": factor + rng.normal(size=n),
            "y2": np.r_[1.0, np.zeros(n - 1)],
        }
    )
    from cxgap.stats.pls import PLSPathModel

    model = PLSPathModel({"Y": ["X"]}, {"X": ["x1", "x2"], "Y": ["y1", "y2"]})
    with pytest.warns(RuntimeWarning, match="bootstrap resamples were dropped"):
        boot = model.fit(frame).bootstrap(n=100, seed=1, bca=False)
    flat = (boot.indices != 0).all(axis=1)
    assert boot.n_valid == 100 - flat.sum() and 0 < flat.sum() < 100
    assert len(boot.replicates) == boot.n_valid
