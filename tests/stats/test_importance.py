"""Tests of derived importance, stated importance and IPA."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from cxgap.errors import DataError
from cxgap.stats import importance, ipa, stated_importance
from cxgap.stats.importance import IPA_QUADRANTS, MAX_SHAPLEY_PREDICTORS


def _drivers(n: int = 300, p: int = 4, seed: int = 3) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    mixing = rng.normal(size=(p, p)) * 0.6 + np.eye(p)
    x = rng.normal(size=(n, p)) @ mixing  # correlated attributes
    y = x @ np.linspace(1.0, 0.2, p) + rng.normal(scale=1.5, size=n)
    cols = [f"att{j}" for j in range(p)]
    return pd.DataFrame(x, columns=cols), pd.Series(y, name="overall")


def _lstsq_r2(x: np.ndarray, y: np.ndarray) -> float:
    if x.shape[1] == 0:
        return 0.0
    design = np.column_stack([np.ones(len(y)), x])
    coef = np.linalg.lstsq(design, y, rcond=None)[0]
    resid = y - design @ coef
    return float(1 - resid @ resid / np.sum((y - y.mean()) ** 2))


def _johnson_from_data(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Johnson (2000) as described in the paper: SVD of the standardised data matrix."""
    n = x.shape[0]
    zx = (x - x.mean(0)) / x.std(0, ddof=1) / math.sqrt(n - 1)
    zy = (y - y.mean()) / y.std(ddof=1) / math.sqrt(n - 1)
    u, _, vt = np.linalg.svd(zx, full_matrices=False)
    z = u @ vt  # orthonormal columns closest to zx
    beta = np.linalg.lstsq(z, zy, rcond=None)[0]  # outcome on Z
    lam = np.linalg.lstsq(z, zx, rcond=None)[0]  # each predictor on Z (k x j)
    return (lam.T**2) @ (beta**2)


def test_relative_weights_sum_to_r2_from_lstsq() -> None:
    x, y = _drivers()
    res = importance(x, y)
    r2 = _lstsq_r2(x.to_numpy(), y.to_numpy())
    assert res.r2 == pytest.approx(r2, rel=1e-10)
    assert res.summary["raw"].sum() == pytest.approx(r2, rel=1e-10)
    assert res.summary["share"].sum() == pytest.approx(1.0)
    assert res.method == "relative_weights" and res.n == 300 and res.n_excluded == 0


def test_relative_weights_match_svd_reimplementation() -> None:
    x, y = _drivers(p=5, seed=11)
    res = importance(x, y)
    expected = _johnson_from_data(x.to_numpy(), y.to_numpy())
    np.testing.assert_allclose(res.summary["raw"].to_numpy(), expected, rtol=1e-9)


def test_shapley_equals_bruteforce_permutation_average() -> None:
    x, y = _drivers(p=4, seed=5)
    xv, yv = x.to_numpy(), y.to_numpy()
    p = xv.shape[1]
    gains = np.zeros(p)
    orders = list(itertools.permutations(range(p)))
    for order in orders:
        for pos, j in enumerate(order):
            before = list(order[:pos])
            gains[j] += _lstsq_r2(xv[:, [*before, j]], yv) - _lstsq_r2(xv[:, before], yv)
    gains /= len(orders)
    res = importance(x, y, method="shapley")
    np.testing.assert_allclose(res.summary["raw"].to_numpy(), gains, rtol=1e-9, atol=1e-12)
    assert res.summary["raw"].sum() == pytest.approx(_lstsq_r2(xv, yv))
    assert list(res.summary["rank"]) == list(sps.rankdata(-gains, method="min").astype(int))


def test_orthogonal_predictors_give_squared_correlations() -> None:
    # With uncorrelated predictors both methods reduce to r_xy^2 (Johnson, 2000, p. 5).
    rng = np.random.default_rng(2)
    q, _ = np.linalg.qr(rng.normal(size=(200, 3)))
    x = (q - q.mean(0)) * 10
    y = x @ np.array([3.0, 1.0, 0.0]) + rng.normal(size=200)
    r = np.array([np.corrcoef(x[:, j], y)[0, 1] for j in range(3)])
    for method in ("relative_weights", "shapley"):
        res = importance(x, y, method=method)
        np.testing.assert_allclose(res.summary["raw"], r**2, atol=1e-3)


def test_listwise_deletion() -> None:
    x, y = _drivers()
    x_missing = x.copy()
    x_missing.iloc[[3, 10], 1] = np.nan
    y_missing = y.copy()
    y_missing.iloc[20] = np.nan
    res = importance(x_missing, y_missing)
    keep = ~(x_missing.isna().any(axis=1) | y_missing.isna())
    complete = importance(x[keep], y[keep])
    assert res.n == 297 and res.n_excluded == 3
    pd.testing.assert_frame_equal(res.summary, complete.summary)


def test_arrays_accepted_and_result_serialises() -> None:
    x, y = _drivers()
    res = importance(x.to_numpy(), y.to_list(), method="shapley")
    assert list(res.summary.index) == [0, 1, 2, 3]
    d = res.to_dict()
    assert d["method"] == "shapley" and len(d["summary"]) == 4
    assert "ImportanceResult" in res._repr_html_()


@pytest.mark.parametrize(
    ("perf", "out", "match"),
    [
        (np.ones((5, 2)), np.arange(4.0), "outcome: has 4 values"),
        (pd.DataFrame({"a": ["x", "y", "z", "w", "v"]}), np.arange(5.0), "not numeric"),
        (np.random.default_rng(0).normal(size=(3, 2)), np.arange(3.0), "at least 4"),
    ],
)
def test_bad_inputs(perf: object, out: object, match: str) -> None:
    with pytest.raises(DataError, match=match):
        importance(perf, out)


def test_values_outside_declared_scale() -> None:
    x = pd.DataFrame({"speed": [1, 2, 3, 9, 4], "price": [2, 3, 1, 5, 4]})
    y = [1, 2, 3, 4, 5]
    with pytest.raises(DataError, match=r"performance: .*'speed'.*9.*from 1 to 7"):
        importance(x, y, scale=(1, 7))
    assert importance(x, y, scale=(1, 9)).n == 5


def test_constant_and_collinear_columns() -> None:
    x, y = _drivers()
    const = x.assign(att1=2.0)
    with pytest.raises(DataError, match=r"'att1'.*do not vary"):
        importance(const, y)
    collinear = x.assign(att3=x["att0"] + x["att1"])
    with pytest.raises(DataError, match="collinear"):
        importance(collinear, y)


def test_method_choices_and_shapley_limit() -> None:
    x, y = _drivers()
    with pytest.raises(DataError, match="method: got 'lmg'"):
        importance(x, y, method="lmg")  # type: ignore[arg-type]
    rng = np.random.default_rng(0)
    big = rng.normal(size=(100, MAX_SHAPLEY_PREDICTORS + 1))
    with pytest.raises(DataError, match="at most 15 attributes"):
        importance(big, rng.normal(size=100), method="shapley")


# --- stated importance -----------------------------------------------------------------


def test_stated_importance_rescale_policy() -> None:
    points = pd.DataFrame(
        {"price": [50, 30, 40, np.nan, 0], "speed": [50, 70, 50, np.nan, 0]},
    )
    res = stated_importance(points)
    # Row 2 sums to 90 -> rescaled to 44.44/55.56; row 3 is empty, row 4 has no points.
    rescaled = np.array([[50, 50], [30, 70], [40 / 0.9, 50 / 0.9]])
    assert res.n == 3 and res.n_off_total == 2 and res.n_excluded == 2
    assert res.off_total_rows == (2, 4)
    np.testing.assert_allclose(res.summary["mean_points"], rescaled.mean(0))
    np.testing.assert_allclose(res.summary["share"], rescaled.mean(0) / 100)
    assert res.summary["share"].sum() == pytest.approx(1.0)
    low, high = sps.t.interval(0.95, 2, loc=rescaled.mean(0), scale=sps.sem(rescaled, axis=0))
    np.testing.assert_allclose(res.summary["ci_low"], low)
    np.testing.assert_allclose(res.summary["ci_high"], high)
    assert list(res.summary["rank"]) == [2, 1]


def test_stated_importance_exclude_policy_and_missing_cell_as_zero() -> None:
    points = np.array([[60, 40, 0], [20, np.nan, 80], [10, 10, 10], [30, 30, 40]])
    res = stated_importance(points, policy="exclude")
    kept = np.array([[60, 40, 0], [20, 0, 80], [30, 30, 40]])
    assert res.n == 3 and res.n_off_total == 1 and res.n_excluded == 1
    np.testing.assert_allclose(res.summary["mean_points"], kept.mean(0))


def test_stated_importance_errors() -> None:
    with pytest.raises(DataError, match="negative"):
        stated_importance(np.array([[120, -20], [50, 50]]))
    with pytest.raises(DataError, match="total"):
        stated_importance(np.array([[50, 50], [50, 50]]), total=0)
    with pytest.raises(DataError, match="at least 2"):
        stated_importance(np.array([[50, 50], [10, 10]]), policy="exclude")


# --- IPA -----------------------------------------------------------------------------


def test_ipa_quadrants_with_mean_cut() -> None:
    imp = pd.Series({"speed": 0.40, "price": 0.30, "decor": 0.10, "parking": 0.20})
    perf = pd.Series({"price": 3.0, "speed": 4.5, "decor": 4.8, "parking": 2.0})  # shuffled
    res = ipa(imp, perf)
    assert res.importance_cut == pytest.approx(0.25)
    assert res.performance_cut == pytest.approx(3.575)
    assert res.cut == "mean"
    assert res.summary["quadrant"].to_dict() == {
        "speed": "keep up the good work",
        "price": "concentrate here",
        "decor": "possible overkill",
        "parking": "low priority",
    }
    assert res.summary.loc["price", "performance"] == 3.0
    assert set(IPA_QUADRANTS) == {
        "keep up the good work",
        "concentrate here",
        "low priority",
        "possible overkill",
    }


def test_ipa_median_and_given_cuts() -> None:
    imp = np.array([1.0, 2.0, 3.0, 10.0])
    perf = np.array([5.0, 1.0, 2.0, 3.0])
    med = ipa(imp, perf, cut="median")
    assert (med.importance_cut, med.performance_cut) == (2.5, 2.5)
    assert list(med.summary["quadrant"]) == [
        "possible overkill",
        "low priority",
        "concentrate here",
        "keep up the good work",
    ]
    given = ipa(imp, perf, cut=(3.0, 3.0))  # at the cut counts as high
    assert list(given.summary["quadrant"]) == [
        "possible overkill",
        "low priority",
        "concentrate here",
        "keep up the good work",
    ]
    assert given.cut == "given"


def test_ipa_accepts_importance_result() -> None:
    x, y = _drivers()
    res = ipa(importance(x, y), x.mean())
    assert list(res.summary.index) == list(x.columns)
    assert res.importance_cut == pytest.approx(0.25)


def test_ipa_errors() -> None:
    with pytest.raises(DataError, match="lacks attribute"):
        ipa(pd.Series({"a": 1.0, "b": 2.0}), pd.Series({"a": 1.0, "c": 2.0}))
    with pytest.raises(DataError, match="has 3 attributes but importance has 2"):
        ipa([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(DataError, match="missing"):
        ipa([1.0, np.nan], [1.0, 2.0])
    with pytest.raises(DataError, match="cut: got 'mode'"):
        ipa([1.0, 2.0], [1.0, 2.0], cut="mode")  # type: ignore[arg-type]
