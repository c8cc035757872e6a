"""Empirical-Bayes shrinkage against brute-force likelihoods and statsmodels."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special
from statsmodels.stats.meta_analysis import combine_effects

from cxgap.errors import DataError
from cxgap.stats.shrinkage import SHRUNK_COLUMNS, shrunk_means, shrunk_rates


def test_three_good_answers_do_not_beat_three_hundred() -> None:
    result = shrunk_rates([3, 290, 140, 30], [3, 300, 200, 50], ["new", "north", "south", "east"])
    assert list(result.summary.columns) == list(SHRUNK_COLUMNS)
    assert result.summary["unit"].iloc[0] == "north"
    row = result.summary.set_index("unit").loc["new"]
    assert row["raw"] == 1.0 and row["shrunk"] < 0.97
    assert row["weight"] < result.summary.set_index("unit").loc["north"]["weight"]


def test_the_beta_prior_maximises_the_marginal_likelihood() -> None:
    rng = np.random.default_rng(6)
    n = rng.integers(5, 200, 40)
    x = rng.binomial(n, rng.beta(8, 4, 40))
    result = shrunk_rates(x, n)
    a = result.prior_mean * result.prior_spread
    b = result.prior_spread - a

    def log_likelihood(a: float, b: float) -> float:
        return float(np.sum(special.betaln(a + x, b + n - x) - special.betaln(a, b)))

    best = log_likelihood(a, b)
    grid = [(a * f, b * g) for f in (0.8, 0.95, 1.05, 1.25) for g in (0.8, 0.95, 1.05, 1.25)]
    assert all(log_likelihood(*point) <= best + 1e-9 for point in grid)
    # posterior means by hand
    by_unit = result.summary.set_index("unit").sort_index()
    np.testing.assert_allclose(by_unit["shrunk"], (a + x) / (a + b + n), rtol=1e-9)


def test_shrunk_means_use_the_dersimonian_laird_variance() -> None:
    rng = np.random.default_rng(7)
    se = rng.uniform(0.05, 0.6, 25)
    y = rng.normal(8, 0.3, 25) + rng.normal(0, se)
    result = shrunk_means(y, se)
    reference = combine_effects(y, se**2, method_re="dl")
    assert result.prior_spread**2 == pytest.approx(reference.tau2, rel=1e-9)
    assert result.prior_mean == pytest.approx(reference.mean_effect_re, rel=1e-12)
    by_unit = result.summary.set_index("unit").sort_index()
    weight = reference.tau2 / (reference.tau2 + se**2)
    np.testing.assert_allclose(
        by_unit["shrunk"], result.prior_mean + weight * (y - result.prior_mean), rtol=1e-12
    )


def test_no_spread_between_units_shrinks_everyone_to_the_mean() -> None:
    result = shrunk_means([7.0, 7.0, 7.0], [0.1, 0.2, 0.3], sizes=[100, 25, 11])
    assert result.prior_spread == 0
    np.testing.assert_allclose(result.summary["shrunk"], 7.0)
    assert (result.summary["ci_high"] > result.summary["ci_low"]).all()
    assert sorted(result.summary["n"]) == [11, 25, 100]


def test_lower_is_better_ranks_the_other_way() -> None:
    result = shrunk_rates([5, 50], [100, 100], ["a", "b"], higher_is_better=False)
    assert list(result.summary["unit"]) == ["a", "b"]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: shrunk_rates([3], [4]), r"1 unit; allowed: at least 2"),
        (lambda: shrunk_rates([5, 1], [4, 4]), r"unit 1: 5 successes of 4 trials"),
        (lambda: shrunk_rates([1, 1], [4, 4], ["a", "a"]), r"a unit appears twice"),
        (lambda: shrunk_means([1, 2], [0.1, 0]), r"unit 2 has none"),
        (lambda: shrunk_means([1, np.nan], [0.1, 0.1]), r"means: unit 2 is nan"),
    ],
)
def test_bad_input_gets_a_clear_error(call: object, message: str) -> None:
    with pytest.raises(DataError, match=message):
        call()  # type: ignore[operator]
