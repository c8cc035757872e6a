"""Zone of tolerance against hand-computed values, SciPy and pandas."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cxgap.errors import DataError
from cxgap.stats import tolerance_zone

DIMS = {"x1": "X", "x2": "X", "y1": "Y"}


def three_columns(n: int = 50, seed: int = 11) -> tuple[pd.DataFrame, ...]:
    rng = np.random.default_rng(seed)
    cols = list(DIMS)
    a = pd.DataFrame(rng.integers(2, 6, size=(n, 3)), columns=cols)
    d = a + rng.integers(-1, 4, size=(n, 3))  # some answers have adequate > desired
    p = pd.DataFrame(rng.integers(1, 10, size=(n, 3)), columns=cols)
    return a, d, p


def test_hand_example_with_an_inverted_answer() -> None:
    # Respondent 4 says adequate 6 > desired 5: excluded and counted.
    # Usable: A = 3, 4, 5; D = 6, 6, 7; P = 2, 5, 8
    # MSA = -1, 1, 3 -> mean 1; MSS = -4, -1, 1 -> mean -4/3; mean zone 4..6.333, P 5: within.
    # Below own adequate: respondent 1 (2 < 3); above own desired: respondent 3 (8 > 7).
    a = [3, 4, 5, 6]
    d = [6, 6, 7, 5]
    p = [2, 5, 8, 9]
    res = tolerance_zone(a, d, p)
    row = res.summary.iloc[0]
    assert row.n == 3 and row.n_inverted == 1
    assert res.n_inverted == 1 and res.n_respondents_inverted == 1
    assert row.mean_adequate == pytest.approx(4.0)
    assert row.mean_desired == pytest.approx(19 / 3)
    assert row.zone_width == pytest.approx(19 / 3 - 4)
    assert row.msa == pytest.approx(1.0)
    assert row.mss == pytest.approx(-4 / 3)
    assert row.position == "within"
    assert row.share_below_adequate == pytest.approx(1 / 3)
    assert row.share_above_desired == pytest.approx(1 / 3)
    half = stats.t.ppf(0.975, 2) * 2.0 / np.sqrt(3)  # sd of (-1, 1, 3) is 2
    assert (row.msa_ci_low, row.msa_ci_high) == pytest.approx((1 - half, 1 + half))


def test_position_below_and_above() -> None:
    a = np.array([[3, 3], [4, 4], [3, 3]])
    d = np.array([[5, 5], [6, 6], [5, 5]])
    p = np.array([[1, 7], [2, 6], [3, 7]])
    res = tolerance_zone(a, d, p)
    assert list(res.summary.position) == ["below", "above"]


def test_items_and_dimensions_match_an_independent_computation() -> None:
    a, d, p = three_columns()
    p = p.astype(float)
    p.iloc[0, 0] = np.nan
    res = tolerance_zone(a, d, p, dimensions=DIMS, confidence=0.9)
    usable = (a <= d) & p.notna()
    rows = res.summary.set_index(["level", "name"])
    for col in DIMS:
        keep = usable[col]
        msa = (p[col] - a[col])[keep]
        mss = (p[col] - d[col])[keep]
        row = rows.loc[("item", col)]
        assert row.n == keep.sum()
        assert row.n_inverted == (a[col] > d[col]).sum()
        assert row.mean_perceived == pytest.approx(p[col][keep].mean())
        ci = stats.ttest_1samp(msa, 0.0).confidence_interval(0.9)
        assert (row.msa_ci_low, row.msa_ci_high) == pytest.approx((ci.low, ci.high))
        ci = stats.ttest_1samp(mss, 0.0).confidence_interval(0.9)
        assert (row.mss, row.mss_ci_low, row.mss_ci_high) == pytest.approx(
            (mss.mean(), ci.low, ci.high)
        )
        assert row.share_below_adequate == pytest.approx((p[col] < a[col])[keep].mean())
        assert row.share_above_desired == pytest.approx((p[col] > d[col])[keep].mean())
    # Dimension X: per respondent mean of the usable x items.
    levels = {
        name: frame.where(usable)[["x1", "x2"]].mean(axis=1)
        for name, frame in {"a": a, "d": d, "p": p}.items()
    }
    keep = levels["p"].notna()
    msa = (levels["p"] - levels["a"])[keep]
    row = rows.loc[("dimension", "X")]
    assert row.n == keep.sum()
    assert row.n_inverted == ((a[["x1", "x2"]] > d[["x1", "x2"]]).any(axis=1)).sum()
    assert row.msa == pytest.approx(msa.mean())
    assert row.share_below_adequate == pytest.approx((levels["p"] < levels["a"])[keep].mean())
    assert res.n_inverted == int((a > d).to_numpy().sum())
    json.dumps(res.to_dict())


def test_no_inverted_answers_fast_path_equals_masked_path() -> None:
    a, d, p = three_columns()
    d = np.maximum(a, d)
    plain = tolerance_zone(a, d, p, dimensions=DIMS)
    masked = tolerance_zone(a, d, p.astype(float).where(p > -1), dimensions=DIMS)
    assert plain.n_inverted == 0
    pd.testing.assert_frame_equal(plain.summary, masked.summary)


def test_invalid_input() -> None:
    a, d, p = three_columns(n=10)
    with pytest.raises(DataError, match="perceived: has 9 rows but adequate has 10"):
        tolerance_zone(a, d, p.iloc[:9])
    with pytest.raises(DataError, match=r"desired: column 'x1', row 0 \(index 0\): value 0"):
        tolerance_zone(a, d.assign(x1=0), p, scale=(1, 9))
    with pytest.raises(DataError, match="item 'x1' has 0 respondent"):
        tolerance_zone(a.assign(x1=9), d.assign(x1=1), p)
    with pytest.raises(DataError, match="desired: lacks column"):
        tolerance_zone(a, d.rename(columns={"x1": "z"}), p)


def _independent_zone(a: pd.DataFrame, d: pd.DataFrame, p: pd.DataFrame) -> pd.DataFrame:
    """Item and dimension rows computed with pandas masks (no shortcut)."""
    usable = (a <= d) & p.notna()
    out = {}
    levels = {
        name: frame.where(usable).T.groupby(pd.Series(DIMS)).mean().T
        for name, frame in {"a": a, "d": d, "p": p}.items()
    }
    columns = [(c, a[c][usable[c]], d[c][usable[c]], p[c][usable[c]]) for c in DIMS]
    for dim in ("X", "Y"):
        keep = levels["p"][dim].notna()
        columns.append(
            (dim, levels["a"][dim][keep], levels["d"][dim][keep], levels["p"][dim][keep])
        )
    for name, aa, dd, pp in columns:
        msa, mss = pp - aa, pp - dd
        msa_ci = stats.ttest_1samp(msa, 0.0).confidence_interval(0.95)
        mss_ci = stats.ttest_1samp(mss, 0.0).confidence_interval(0.95)
        out[name] = {
            "n": len(pp),
            "mean_adequate": aa.mean(),
            "mean_desired": dd.mean(),
            "msa": msa.mean(),
            "msa_ci_low": msa_ci.low,
            "msa_width": msa_ci.high - msa_ci.low,
            "mss": mss.mean(),
            "mss_width": mss_ci.high - mss_ci.low,
            "share_below_adequate": (pp < aa).mean(),
            "share_above_desired": (pp > dd).mean(),
        }
    return pd.DataFrame(out).T


@pytest.mark.parametrize("offset", [(0.0, 0.0), (1e7, 1e7), (0.0, 1e7)])
def test_many_inverted_answers_without_missing_values(offset: tuple[float, float]) -> None:
    # Whole columns minus the inverted answers; sums of squares as sum of squares minus
    # squared sum, which for gaps far from zero (perceived shifted by 1e7) would lose every
    # digit and are recomputed from deviations.
    a, d, p = three_columns(n=3000, seed=5)
    a, d, p = a + offset[0], d + offset[0], p + offset[1]
    res = tolerance_zone(a, d, p, dimensions=DIMS)
    assert res.n_inverted == int((a > d).to_numpy().sum()) > 300
    assert res.n_respondents_inverted == int((a > d).any(axis=1).sum())
    ours = res.summary.set_index("name")
    for measure in ("msa", "mss"):  # interval widths: spreads, not hidden by the offset
        ours[f"{measure}_width"] = ours[f"{measure}_ci_high"] - ours[f"{measure}_ci_low"]
    expected = _independent_zone(a, d, p)
    for column in expected.columns:
        np.testing.assert_allclose(
            ours.loc[expected.index, column].astype(float),
            expected[column].astype(float),
            rtol=1e-9,
            atol=1e-9,
            err_msg=column,
        )
