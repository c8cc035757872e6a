"""Simulation: action_effect's 95% intervals cover the true effect 93.5%..96.5% of the time,
and with no effect its test rejects about 5%.

1,000 panels per design with a fixed seed (binomial standard error of a 95% coverage: 0.7
percentage points). The errors are serially correlated within a unit (AR(1), rho 0.5), the
case where standard errors that ignore clustering are too small. One row per unit x wave
keeps each fit to a few milliseconds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxgap.stats import action_effect

PANELS = 1000
LOW, HIGH = 0.935, 0.965

pytestmark = pytest.mark.slow


def _panels(seed: int, *, units: int, treated: int, waves: int, effect: float) -> np.ndarray:
    """(panels, units, waves) outcomes: unit and wave effects plus AR(1) errors."""
    rng = np.random.default_rng(seed)
    shocks = rng.normal(size=(PANELS, units, waves))
    errors = np.empty_like(shocks)
    errors[..., 0] = shocks[..., 0]
    for t in range(1, waves):
        errors[..., t] = 0.5 * errors[..., t - 1] + np.sqrt(1 - 0.25) * shocks[..., t]
    y = rng.normal(size=(PANELS, units, 1)) + rng.normal(size=(PANELS, 1, waves)) + errors
    y[:, :treated, waves // 2 :] += effect
    return y


def _coverage_and_rejection(
    *, seed: int, units: int, treated: int, waves: int, effect: float, **options: object
) -> tuple[float, float, set[str]]:
    y = _panels(seed, units=units, treated=treated, waves=waves, effect=effect)
    unit, wave = np.meshgrid(np.arange(units), np.arange(waves), indexing="ij")
    frame = pd.DataFrame(
        {"unit": unit.ravel(), "wave": wave.ravel(), "targeted": (unit < treated).ravel()}
    )
    covered = rejected = 0
    inference = set()
    for panel in y:
        res = action_effect(
            frame.assign(y=panel.ravel()), outcome="y", unit="unit", period="wave",
            treated="targeted", start=waves // 2, **options,  # type: ignore[arg-type]
        )  # fmt: skip
        covered += res.ci_low <= effect <= res.ci_high
        rejected += res.p_value < 0.05
        inference.add(res.inference)
    return covered / PANELS, rejected / PANELS, inference


def test_cluster_robust_interval_covers_and_placebo_rejects_five_percent() -> None:
    coverage, _, inference = _coverage_and_rejection(
        seed=1, units=50, treated=20, waves=6, effect=0.5
    )
    print("did cluster coverage", coverage)
    assert inference == {"cluster"}
    assert LOW <= coverage <= HIGH
    coverage, rejected, _ = _coverage_and_rejection(
        seed=2, units=50, treated=20, waves=6, effect=0.0
    )
    print("did cluster placebo rejection", rejected)
    assert 0.03 <= rejected <= 0.07
    assert LOW <= coverage <= HIGH


def test_wild_cluster_bootstrap_interval_covers_with_few_units() -> None:
    # 20 units: the bootstrap's range. With 12 units (5 targeted) the same simulation
    # rejected 7% of placebos (docs/kpi.md, "Measured effects").
    coverage, _, inference = _coverage_and_rejection(
        seed=3, units=20, treated=8, waves=6, effect=0.5, n_boot=399
    )
    print("did wild coverage", coverage)
    assert inference == {"wild_cluster_bootstrap"}
    assert LOW <= coverage <= HIGH
    coverage, rejected, _ = _coverage_and_rejection(
        seed=4, units=20, treated=8, waves=6, effect=0.0, n_boot=399
    )
    print("did wild placebo rejection", rejected)
    assert 0.03 <= rejected <= 0.07


def test_single_targeted_unit_interval_covers() -> None:
    """One targeted unit of eight: unit x wave means with classical errors (shocks
    independent over waves, the case this inference assumes). The estimate moves with
    the effect and its standard error does not, so covering 0.5 here is rejecting a
    placebo exactly as often as not covering."""
    rng = np.random.default_rng(5)
    units, waves, effect = 8, 6, 0.5
    y = rng.normal(size=(PANELS, units, 1)) + rng.normal(size=(PANELS, 1, waves))
    y = y + rng.normal(scale=0.4, size=(PANELS, units, waves))
    y[:, 0, waves // 2 :] += effect
    unit, wave = np.meshgrid(np.arange(units), np.arange(waves), indexing="ij")
    frame = pd.DataFrame(
        {"unit": unit.ravel(), "wave": wave.ravel(), "targeted": unit.ravel() == 0}
    )
    covered = 0
    for panel in y:
        res = action_effect(
            frame.assign(y=panel.ravel()), outcome="y", unit="unit", period="wave",
            treated="targeted", start=waves // 2,
        )  # fmt: skip
        covered += res.ci_low <= effect <= res.ci_high
    print("did cells coverage", covered / PANELS)
    assert res.inference == "cells"
    assert LOW <= covered / PANELS <= HIGH
