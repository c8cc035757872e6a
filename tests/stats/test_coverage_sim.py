"""Simulation: the public functions' 95% intervals cover the true value about 95% of the time.

2,000 samples with a fixed seed; the binomial standard error of the coverage is about 0.5
percentage points, so 93.5%..96.5% is a three-standard-error band.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from cxgap.stats import gap_scores, nps, tolerance_zone

REPLICATES = 2000
LOW, HIGH = 0.935, 0.965

pytestmark = pytest.mark.slow


def test_gap_scores_dimension_and_overall_intervals() -> None:
    rng = np.random.default_rng(20240501)
    n, item_gaps = 40, np.array([-1.0, -0.5, 0.2, 0.6])
    dims = {0: "A", 1: "A", 2: "B", 3: "B"}
    true_dim = np.array([-0.75, 0.4])
    true_overall = true_dim.mean()
    expected = rng.integers(3, 8, size=(REPLICATES, n, 4)).astype(float)
    noise = rng.normal(scale=1.2, size=(REPLICATES, n, 4))
    shared = rng.normal(scale=0.8, size=(REPLICATES, n, 1))  # correlated items
    perceived = expected + item_gaps + noise + shared
    hits_dim = np.zeros(2)
    hits_overall = 0
    for r in range(REPLICATES):
        res = gap_scores(perceived[r], expected[r], dimensions=dims)
        dim_rows = res.summary[res.summary.level == "dimension"]
        hits_dim += (dim_rows.ci_low.to_numpy() <= true_dim) & (
            true_dim <= dim_rows.ci_high.to_numpy()
        )
        hits_overall += res.overall_ci_low <= true_overall <= res.overall_ci_high
    print("gap coverage", hits_dim / REPLICATES, hits_overall / REPLICATES)
    for coverage in [*(hits_dim / REPLICATES), hits_overall / REPLICATES]:
        assert LOW <= coverage <= HIGH


def test_nps_interval() -> None:
    rng = np.random.default_rng(7)
    # P(score): detractors 0-6 share 0.25, passives 7-8 share 0.30, promoters 9-10 share 0.45
    probs = np.r_[np.full(7, 0.25 / 7), [0.15, 0.15], [0.225, 0.225]]
    true_nps = 100 * (0.45 - 0.25)
    samples = rng.choice(11, p=probs, size=(REPLICATES, 300))
    hits = 0
    for scores in samples:
        res = nps(scores)
        hits += res.ci_low <= true_nps <= res.ci_high
    print("nps coverage", hits / REPLICATES)
    assert LOW <= hits / REPLICATES <= HIGH


def test_tolerance_zone_msa_interval() -> None:
    rng = np.random.default_rng(99)
    n = 40
    adequate = rng.integers(2, 6, size=(REPLICATES, n, 2)).astype(float)
    desired = adequate + rng.integers(0, 3, size=(REPLICATES, n, 2))  # never inverted
    perceived = adequate + np.array([0.3, -0.4]) + rng.normal(scale=1.5, size=(REPLICATES, n, 2))
    true_msa = np.array([0.3, -0.4])
    hits = np.zeros(2)
    for r in range(REPLICATES):
        res = tolerance_zone(adequate[r], desired[r], perceived[r])
        hits += (res.summary.msa_ci_low.to_numpy() <= true_msa) & (
            true_msa <= res.summary.msa_ci_high.to_numpy()
        )
    print("msa coverage", hits / REPLICATES)
    for coverage in hits / REPLICATES:
        assert LOW <= coverage <= HIGH


#: True shares (promoters, detractors), from the middle to the bounds.
NPS_SHARES = [
    (0.45, 0.25),
    (0.33, 0.33),
    (0.2, 0.6),
    (0.7, 0.1),
    (0.6, 0.3),
    (0.9, 0.05),
    (0.97, 0.01),
    (0.05, 0.9),
    (0.01, 0.97),
]


def _nps_exact_coverage(n: int) -> np.ndarray:
    """Exact coverage of nps()'s 95% interval for each of NPS_SHARES at sample size n.

    Every possible sample of size n is a pair of counts (promoters, detractors); nps() is
    called once on each and the coverage is the multinomial probability of the samples
    whose interval holds the true NPS.
    """
    outcomes = [(p, d) for p in range(n + 1) for d in range(n + 1 - p)]
    intervals = []
    for promoters, detractors in outcomes:
        scores = [10] * promoters + [0] * detractors + [8] * (n - promoters - detractors)
        res = nps(scores)
        intervals.append((res.ci_low, res.ci_high))
    counts = np.array([(p, n - p - d, d) for p, d in outcomes])
    low, high = np.array(intervals).T
    coverage = []
    for share_p, share_d in NPS_SHARES:
        prob = stats.multinomial.pmf(counts, n, [share_p, 1 - share_p - share_d, share_d])
        true = 100 * (share_p - share_d)
        coverage.append(prob[(low <= true + 1e-9) & (true - 1e-9 <= high)].sum())
    return np.array(coverage)


@pytest.mark.parametrize(
    ("n", "floor"), [(1, 0.8), (2, 0.8), (5, 0.85), (10, 0.9), (20, 0.92), (50, 0.92)]
)
def test_nps_interval_coverage_at_small_n_and_near_the_bounds(n: int, floor: float) -> None:
    # The Wald interval covers 0% at n = 1 and 26% at n = 10 with 97% promoters.
    coverage = _nps_exact_coverage(n)
    print("nps exact coverage", n, coverage.round(3))
    assert coverage.min() >= floor
    assert coverage.max() <= 1.0 + 1e-9
    if n >= 10:
        assert 0.93 <= coverage.mean() <= 0.97
