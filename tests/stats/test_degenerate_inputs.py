"""Degenerate inputs give a clear DataError (or a documented value), never a silent number."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxgap.errors import DataError
from cxgap.stats import (
    compare_segments,
    composite_reliability,
    cronbach_alpha,
    gap_scores,
    mcdonald_omega,
    nps,
    stated_importance,
)
from cxgap.stats.pls import ecsi_model

REF = Path(__file__).resolve().parents[1] / "reference" / "ecsi-bank"


def test_rho_a_of_formative_blocks_is_one_by_convention() -> None:
    # seminr's rho_A reports 1 for Mode B blocks: reliability belongs to reflective blocks.
    data = pd.read_csv(REF / "satisfaction.csv", index_col=0)
    modes = {"VAL": "B", "SAT": "B"}
    fit = ecsi_model(scheme="centroid", scaled=False, modes=modes).fit(data)
    rho_a = fit.reliability_["rho_a"]
    assert (rho_a.loc[["VAL", "SAT"]] == 1.0).all()
    reflective = rho_a.drop(["VAL", "SAT"])
    assert ((reflective > 0) & (reflective < 1)).all()
    assert fit.summary.loc["SAT", "rho_a"] == 1.0


@pytest.mark.parametrize("n", [4, 6])
def test_omega_refuses_fewer_respondents_than_items_plus_one(n: int) -> None:
    x = np.random.default_rng(1).normal(size=(n, 6))
    with pytest.raises(DataError, match=r"items: 6 items need at least 7 respondents"):
        mcdonald_omega(x)


def test_omega_refuses_a_singular_correlation_matrix() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(50, 3))
    x = np.c_[x, x[:, 0] + x[:, 1]]  # the fourth item is the sum of the first two
    with pytest.raises(DataError, match=r"items: the item correlation matrix is singular"):
        mcdonald_omega(x)


def test_composite_reliability_refuses_a_constant_item() -> None:
    frame = pd.DataFrame({"a": [3, 3, 3, 3, 3], "b": [1, 2, 3, 4, 5], "c": [2, 2, 4, 5, 4]})
    with pytest.raises(DataError, match=r"items: column 'a' has no variance"):
        composite_reliability(frame)


def test_alpha_refuses_a_constant_sum_score() -> None:
    with pytest.raises(DataError, match=r"items: the sum score has no variance"):
        cronbach_alpha([[1, 5], [2, 4], [3, 3]])


def test_standardised_alpha_and_omega_refuse_a_constant_item() -> None:
    frame = pd.DataFrame({"a": [3, 3, 3, 3, 3], "b": [1, 2, 3, 4, 5], "c": [2, 2, 4, 5, 4]})
    with pytest.raises(DataError, match=r"items: column 'a' has no variance"):
        cronbach_alpha(frame, standardized=True)
    with pytest.raises(DataError, match=r"items: column 'a' has no variance"):
        mcdonald_omega(frame)


@pytest.mark.parametrize("scores", [[True, 10, 9], [10, 9, False], (10, True)])
def test_lists_mixing_booleans_and_numbers_are_refused(scores: list) -> None:
    with pytest.raises(DataError, match=r"scores: row \d: value (True|False) is a true/false"):
        nps(scores)


def test_lists_of_rows_mixing_booleans_are_refused() -> None:
    with pytest.raises(DataError, match=r"items: column 1, row 0: value True is a true/false"):
        cronbach_alpha([[1, True, 3], [2, 3, 4], [3, 3, 5]])


@pytest.mark.parametrize("scores", [[10], [10, 10, 10], [0, 3, 6]])
def test_nps_interval_is_not_zero_width_at_the_bounds(scores: list) -> None:
    res = nps(scores)
    assert res.ci_high - res.ci_low > 20
    assert -100 <= res.ci_low < res.nps or res.nps == -100
    assert res.nps < res.ci_high <= 100 or res.nps == 100


def test_gap_without_spread_has_no_t_test() -> None:
    # Every respondent has the same gap of 0.1 on item 'b': the t test is undefined (an
    # infinite t and p = 0 would claim certainty from 4 answers); the interval is the mean.
    perceived = pd.DataFrame({"a": [4.0, 4.0, 5.0, 4.0], "b": [3.1, 4.1, 2.1, 5.1]})
    expected = pd.DataFrame({"a": [3.0, 3.0, 3.0, 3.0], "b": [3.0, 4.0, 2.0, 5.0]})
    res = gap_scores(perceived, expected)
    row = res.summary.set_index("name").loc["b"]
    assert row["mean_gap"] == pytest.approx(0.1)
    assert row[["t", "p_t", "d_z"]].isna().all()
    assert row["ci_low"] == pytest.approx(0.1) and row["ci_high"] == pytest.approx(0.1)
    item_a = res.summary.set_index("name").loc["a"]
    assert item_a["t"] == pytest.approx(5.0)  # 1.25 / (0.5 / 2)


def test_segments_without_spread_have_no_pairwise_test() -> None:
    # Both segments answer the same value within the segment: Welch and Games-Howell are
    # undefined (NaN), not an infinite t.
    frame = pd.DataFrame({"a": [3.0, 3.0, 3.0, 5.0, 5.0, 5.0]})
    with pytest.warns(UserWarning, match="fewer than 30 respondents"):
        res = compare_segments(frame, ["x", "x", "x", "y", "y", "y"])
    pair = res.pairwise.iloc[0]
    assert pair["diff"] == -2.0
    assert np.isnan(pair["t"]) and np.isnan(pair["p"])
    assert np.isnan(res.summary.loc["a", "welch_F"])


def test_stated_importance_interval_stays_within_the_points() -> None:
    # Two respondents: the t interval (t = 12.7 with 1 df) reaches -87 and 167 points; no
    # mean of allocations of 100 points can leave 0..100.
    res = stated_importance(pd.DataFrame({"a": [50, 30], "b": [50, 70]}))
    assert res.summary.loc["a", "mean_points"] == pytest.approx(40.0)
    assert (res.summary[["ci_low", "ci_high"]] >= 0).all().all()
    assert (res.summary[["ci_low", "ci_high"]] <= 100).all().all()
    assert res.summary.loc["a", "ci_low"] == 0 and res.summary.loc["b", "ci_high"] == 100
