"""Tests of expectation profiles (Gaussian mixture, BIC choice, over-representation)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from sklearn.metrics import adjusted_rand_score

from cxgap.errors import DataError
from cxgap.stats import expectation_profiles

COMPONENTS = ["speed", "price", "staff", "digital"]


def _three_groups(seed: int = 0, n_per: int = 100) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    group = np.repeat([0, 1, 2], n_per)
    centres = np.array([[0, 0, 0, 0], [5, 5, 0, 0], [0, 5, 5, -5]], dtype=float)
    x = pd.DataFrame(centres[group] + rng.normal(size=(group.size, 4)), columns=COMPONENTS)
    # Planted: women are 80% of group 1 and 30% elsewhere; age band is unrelated.
    gender = np.where(rng.random(group.size) < np.where(group == 1, 0.8, 0.3), "f", "m")
    age = rng.choice(["18-34", "35-54", "55+"], group.size)
    return x, group, pd.DataFrame({"gender": gender, "age_band": age})


@pytest.fixture(scope="module")
def fitted() -> tuple[object, np.ndarray, pd.DataFrame, pd.DataFrame]:
    x, group, attributes = _three_groups()
    return expectation_profiles(x, attributes=attributes, seed=1), group, x, attributes


def test_bic_picks_three_and_recovers_groups(fitted: tuple) -> None:
    res, group, x, _ = fitted
    assert res.n_profiles == 3
    assert res.bic.loc[res.bic["chosen"], "n_profiles"].item() == 3
    assert res.bic["bic"].idxmin() == 2 and list(res.bic["n_profiles"]) == list(range(1, 9))
    assert adjusted_rand_score(group, res.labels_) > 0.9
    assert res.summary["n"].sum() == len(x) and res.summary["share"].sum() == pytest.approx(1)
    assert res.summary["n"].is_monotonic_decreasing


def test_profile_means_and_distinctive_components(fitted: tuple) -> None:
    res, _, x, _ = fitted
    z = (x - x.mean()) / x.std(ddof=0)
    for p in range(res.n_profiles):
        members = res.labels_ == p
        np.testing.assert_allclose(
            res.summary.loc[p, [f"mean_{c}" for c in COMPONENTS]], x[members].mean()
        )
        rows = res.distinctive[res.distinctive["profile"] == p].set_index("component")
        np.testing.assert_allclose(rows.loc[COMPONENTS, "z_diff"], z[members].mean())
        assert rows["flagged"].sum() <= 3
        assert (rows.loc[rows["flagged"], "z_diff"].abs() >= 0.5).all()
    # The profile of group 2 (centre 0, 5, 5, -5) stands out by low "digital" expectations.
    digital_low = res.distinctive.query("component == 'digital' and z_diff < -1")
    assert len(digital_low) == 1 and bool(digital_low["flagged"].item())
    assert "digital -" in res.summary.loc[digital_low["profile"].item(), "distinctive"]


def test_planted_over_representation_detected(fitted: tuple) -> None:
    res, group, _, attributes = fitted
    over = res.over_represented
    profile_of_group1 = pd.Series(res.labels_[group == 1]).mode().item()
    flagged = over[over["over_represented"]]
    women = flagged.query("attribute == 'gender' and level == 'f'")
    assert list(women["profile"]) == [profile_of_group1]
    assert flagged.query("attribute == 'age_band'").empty
    # One-sided Fisher exact test, recomputed with scipy for the planted cell.
    row = women.iloc[0]
    in_profile = res.labels_ == row["profile"]
    is_f = (attributes["gender"] == "f").to_numpy()
    table = [
        [np.sum(in_profile & is_f), np.sum(in_profile & ~is_f)],
        [np.sum(~in_profile & is_f), np.sum(~in_profile & ~is_f)],
    ]
    assert row["p"] == pytest.approx(sps.fisher_exact(table, alternative="greater").pvalue)
    assert row["lift"] == pytest.approx((table[0][0] / in_profile.sum()) / is_f.mean())


def test_fixed_number_missing_rows_and_no_attributes() -> None:
    x, _, _ = _three_groups(seed=3, n_per=40)
    x.iloc[5, 2] = np.nan
    res = expectation_profiles(x, n_profiles=2, seed=0)
    assert res.n_profiles == 2 and len(res.bic) == 1 and res.labels_[5] == -1
    assert res.n == 119 and res.n_excluded == 1
    assert res.over_represented.empty
    again = expectation_profiles(x, n_profiles=2, seed=0)
    np.testing.assert_array_equal(res.labels_, again.labels_)
    assert res.to_dict()["n_profiles"] == 2 and "ExpectationProfiles" in res._repr_html_()


def test_bad_inputs() -> None:
    x, _, attributes = _three_groups(n_per=20)
    with pytest.raises(DataError, match="at least 40 are needed"):
        expectation_profiles(x.iloc[:30])
    with pytest.raises(DataError, match="n_profiles: got 0"):
        expectation_profiles(x, n_profiles=0)
    with pytest.raises(DataError, match=r"'price'.*do not vary"):
        expectation_profiles(x.assign(price=3.0), max_profiles=2)
    with pytest.raises(DataError, match="has 59 labels but the data have 60 rows"):
        expectation_profiles(x, attributes=attributes.iloc[:59], max_profiles=2)
    with pytest.raises(DataError, match="not numeric"):
        expectation_profiles(x.assign(speed="fast"), max_profiles=2)
    with pytest.raises(DataError, match=r"expectations: .*from -1 to 1"):
        expectation_profiles(x, max_profiles=2, scale=(-1, 1))
