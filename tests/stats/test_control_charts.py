"""Control charts: limits by brute force, run lengths against published tables and by
simulation, and clear errors."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps

from cxgap.errors import DataError
from cxgap.stats.control_charts import (
    CHART_COLUMNS,
    cusum_arl,
    cusum_chart,
    ewma_arl,
    ewma_chart,
    p_chart,
    u_chart,
)

# Montgomery (2019), table 9.11 (Lucas & Saccucci 1990): EWMA designs with ARL0 = 500.
EWMA_500 = [(0.05, 2.615), (0.10, 2.814), (0.20, 2.962), (0.25, 2.998), (0.40, 3.054)]


@pytest.mark.parametrize(("lam", "limit"), EWMA_500)
def test_ewma_run_length_matches_the_published_designs(lam: float, limit: float) -> None:
    assert ewma_arl(lam, limit) == pytest.approx(500, rel=0.01)


def test_cusum_run_lengths_match_the_published_table() -> None:
    # Montgomery (2019), table 9.3: k = 1/2, h = 4 and h = 5.
    assert cusum_arl(0.5, 4.0) == pytest.approx(168, rel=0.01)
    assert cusum_arl(0.5, 5.0) == pytest.approx(465, rel=0.01)
    assert cusum_arl(0.5, 5.0, shift=1.0) == pytest.approx(10.4, rel=0.01)
    assert cusum_arl(0.5, 4.0, shift=1.0) == pytest.approx(8.38, rel=0.01)


def _brute_force_signals(pmf: np.ndarray, alpha: float) -> tuple[int, int, float]:
    """Smallest non-signalling count, largest non-signalling count, false-alarm chance."""
    cdf = np.cumsum(pmf)
    sf = 1 - cdf  # P(X > x)
    low = 0
    while low < pmf.size and cdf[low] < alpha / 2:
        low += 1  # counts below `low` have P(X <= x) < alpha/2 ... and so signal
    high = pmf.size - 1
    while high > 0 and sf[high - 1] <= alpha / 2:
        high -= 1
    chance = pmf[:low].sum() + pmf[high + 1 :].sum()
    return low, high, float(chance)


@pytest.mark.parametrize(("n", "p0"), [(20, 0.1), (57, 0.03), (400, 0.5), (1000, 0.002)])
def test_p_chart_limits_equal_brute_force_enumeration(n: int, p0: float) -> None:
    alpha = 0.0027
    pmf = sps.binom.pmf(np.arange(n + 1), n, p0)
    low, high, chance = _brute_force_signals(pmf, alpha)
    events = np.arange(n + 1)
    chart = p_chart(events, np.full(n + 1, n), p0=p0, alpha=alpha)
    signalling = set(chart.signals)
    assert signalling == {x for x in range(n + 1) if x < low or x > high}
    assert chart.false_alarm_rate == pytest.approx(chance, abs=1e-12)
    assert chart.false_alarm_rate <= alpha
    assert list(chart.summary.columns) == list(CHART_COLUMNS)


def test_u_chart_limits_equal_brute_force_enumeration() -> None:
    rate, exposure = 2.5, 3.2
    counts = np.arange(60)
    pmf = sps.poisson.pmf(counts, rate * exposure)
    low, high, chance = _brute_force_signals(pmf, 0.01)
    chart = u_chart(counts, np.full(counts.size, exposure), rate0=rate, alpha=0.01)
    assert set(chart.signals) == {x for x in range(60) if x < low or x > high}
    assert chart.false_alarm_rate == pytest.approx(chance, rel=1e-9)


def test_p_chart_false_alarms_in_simulation_stay_within_the_stated_rate() -> None:
    rng = np.random.default_rng(11)
    trials = rng.integers(30, 400, size=200_000)
    events = rng.binomial(trials, 0.08)
    chart = p_chart(events, trials, p0=0.08)
    expected = chart.summary["false_alarm"].mean()
    observed = len(chart.signals) / trials.size
    se = np.sqrt(expected * (1 - expected) / trials.size)
    assert abs(observed - expected) < 4 * se
    assert observed <= 0.0027 + 4 * se


def _run_lengths(statistic: str, rng: np.random.Generator, shift: float = 0.0) -> np.ndarray:
    """Simulated run lengths of 3,000 in-control charts (standardised means)."""
    runs, horizon = 3000, 6000
    lengths = np.full(runs, horizon)
    alive = np.ones(runs, dtype=bool)
    if statistic == "ewma":
        chart = ewma_chart([0.0], target=0.0, se=1.0)
        lam, bound = 0.2, chart.upper[0]
        level = np.zeros(runs)
        for t in range(horizon):
            level = lam * (rng.standard_normal(runs) + shift) + (1 - lam) * level
            out = alive & (np.abs(level) > bound)
            lengths[out] = t + 1
            alive &= ~out
    else:
        chart = cusum_chart([0.0], target=0.0, se=1.0)
        k, bound = 0.5, chart.upper[0]
        high = np.zeros(runs)
        low = np.zeros(runs)
        for t in range(horizon):
            z = rng.standard_normal(runs) + shift
            high = np.maximum(0, high + z - k)
            low = np.maximum(0, low - z - k)
            out = alive & ((high > bound) | (low > bound))
            lengths[out] = t + 1
            alive &= ~out
    assert not alive.any(), "every simulated chart signals within the horizon"
    return lengths


@pytest.mark.parametrize("statistic", ["ewma", "cusum"])
def test_simulated_in_control_run_length_is_the_stated_one(statistic: str) -> None:
    lengths = _run_lengths(statistic, np.random.default_rng(5))
    se = lengths.std(ddof=1) / np.sqrt(lengths.size)
    # the charts are designed for ARL0 = 370 (false-alarm rate 1/370 per period)
    assert abs(lengths.mean() - 370) < 4 * se


def test_the_charts_see_a_real_shift_quickly() -> None:
    rng = np.random.default_rng(9)
    assert _run_lengths("ewma", rng, shift=1.0).mean() < 15
    assert _run_lengths("cusum", rng, shift=1.0).mean() < 15


def test_charts_signal_shifts_and_not_stable_series() -> None:
    stable = [4.0, 4.02, 3.98, 4.01, 3.99, 4.0]
    assert not ewma_chart(stable, target=4.0, se=0.05).signalled
    assert not cusum_chart(stable, target=4.0, se=0.05).signalled
    shifted = stable + [3.85] * 6
    assert ewma_chart(shifted, target=4.0, se=0.05).signals[0] >= 6
    assert cusum_chart(shifted, target=4.0, sd=1.0, n=400).signals[0] >= 6


def test_the_reference_is_estimated_when_not_given() -> None:
    chart = p_chart([5, 6, 7], [100, 100, 100])
    assert chart.reference == pytest.approx(0.06)
    assert not chart.reference_given
    assert u_chart([4, 6], [2.0, 2.0]).reference == pytest.approx(2.5)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: p_chart([5, 120], [100, 100]), r"period 2: 120 events among 100 trials"),
        (lambda: p_chart([1.5], [10]), r"events: period 1 is 1.5; allowed: whole numbers"),
        (lambda: p_chart([0, 0], [10, 10]), r"p0: the in-control share is 0"),
        (lambda: p_chart([1], [10, 10]), r"trials: 2 values for 1 periods"),
        (lambda: u_chart([1, 2], [1.0, 0.0]), r"exposure: period 2 is 0; allowed: more than 0"),
        (lambda: ewma_chart([1.0], target=1.0), r"give the standard error"),
        (lambda: ewma_chart([1.0], target=1.0, se=0.1, lam=0), r"lam: got 0"),
        (lambda: cusum_chart([], target=1.0, se=0.1), r"means: no periods"),
        (lambda: cusum_chart([np.nan], target=1.0, se=0.1), r"means: period 1 is nan"),
        (lambda: p_chart([1], [10], alpha=0.7), r"alpha: got 0.7"),
    ],
)
def test_bad_input_gets_a_clear_error(call: object, message: str) -> None:
    with pytest.raises(DataError, match=message):
        call()  # type: ignore[operator]
