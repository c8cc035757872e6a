"""Gap 3: compliance per unit and period against statsmodels and scipy, and a simulation of
the chart's false-alarm rate."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from statsmodels.stats.proportion import proportion_confint

from cxgap.errors import DataError
from cxgap.stats.delivery import delivery_compliance


def _measurements(seed: int, shift_from: int | None = None) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for unit in ("north", "centre", "south"):
        for month in range(1, 13):
            cases = int(rng.integers(80, 160))
            p = 0.9 - (0.2 if unit == "south" and shift_from and month >= shift_from else 0)
            rows.append(
                {
                    "unit": unit,
                    "period": f"2026-{month:02d}",
                    "cases": cases,
                    "met": rng.binomial(cases, p),
                }
            )
    return pd.DataFrame(rows)


def test_wilson_intervals_and_pooled_reference() -> None:
    data = _measurements(1)
    result = delivery_compliance(data, confidence=0.9)
    low, high = proportion_confint(data["met"], data["cases"], alpha=0.1, method="wilson")
    merged = data.merge(result.summary, on=["unit", "period"], suffixes=("", "_r"))
    np.testing.assert_allclose(merged["ci_low"], low, rtol=1e-10)
    np.testing.assert_allclose(merged["ci_high"], high, rtol=1e-10)
    assert result.reference == pytest.approx(data["met"].sum() / data["cases"].sum())
    units = result.units.set_index("unit")
    north = data[data["unit"] == "north"]
    total = proportion_confint(north["met"].sum(), north["cases"].sum(), alpha=0.1, method="wilson")
    assert (units.loc["north", "ci_low"], units.loc["north", "ci_high"]) == pytest.approx(total)


def test_a_shift_from_a_quarter_is_flagged_in_that_unit_only() -> None:
    data = _measurements(2, shift_from=7)
    result = delivery_compliance(data, reference=0.9)
    units = result.units.set_index("unit")
    assert units["finding"].to_dict() == {"centre": "none", "north": "none", "south": "shift_down"}
    assert units.loc["south", "first_signal"] == "2026-07"
    flagged = result.summary[result.summary["signal"]]
    # every flagged period lies outside the binomial probability limits
    for row in flagged.itertuples():
        tail = sps.binom.cdf(row.met, row.cases, 0.9)
        assert tail <= result.alpha / 2


@pytest.mark.slow
def test_false_alarm_rate_is_what_the_chart_claims() -> None:
    rng = np.random.default_rng(11)
    periods, units, cases, p0 = 24, 200, 120, 0.85
    met = rng.binomial(cases, p0, size=(units, periods))
    data = pd.DataFrame(
        {
            "unit": np.repeat([f"u{i:03d}" for i in range(units)], periods),
            "period": np.tile([f"p{t:02d}" for t in range(periods)], units),
            "cases": cases,
            "met": met.ravel(),
        }
    )
    result = delivery_compliance(data, reference=p0, alpha=0.01)
    flagged = int(result.summary["signal"].sum())
    total = units * periods
    # the exact chance of a signal per period for these limits, computed independently
    chart_low = result.summary["lower"].iloc[0] * cases
    chart_high = result.summary["upper"].iloc[0] * cases
    exact = sps.binom.cdf(np.ceil(chart_low) - 1, cases, p0) + sps.binom.sf(
        np.floor(chart_high), cases, p0
    )
    assert exact <= 0.01 and exact == pytest.approx(result.false_alarm_rate, rel=1e-6)
    test = sps.binomtest(flagged, total, exact)
    assert test.pvalue > 0.001, (flagged, total, exact)


def test_bad_measurements_name_the_row_and_field() -> None:
    data = _measurements(3)
    data.loc[5, "met"] = data.loc[5, "cases"] + 1
    with pytest.raises(DataError, match=r"row 5: met \d+ exceeds cases"):
        delivery_compliance(data)
    data = _measurements(3)
    data.loc[4, "cases"] = -2
    with pytest.raises(DataError, match="row 4, column 'cases'"):
        delivery_compliance(data)
    with pytest.raises(DataError, match=r"lacks column\(s\) \['met'\]"):
        delivery_compliance(data.drop(columns="met"))


def test_a_lone_flag_is_shown_but_is_not_a_finding() -> None:
    data = _measurements(4)
    data.loc[(data["unit"] == "north") & (data["period"] == "2026-05"), "met"] = 40
    result = delivery_compliance(data, reference=0.9)
    north = result.units.set_index("unit").loc["north"]
    assert (north["finding"], north["signals_below"], north["first_signal"]) == (
        "none",
        1,
        "2026-05",
    )
    assert (
        delivery_compliance(data, reference=0.9, min_signals=1)
        .units.set_index("unit")
        .loc["north", "finding"]
        == "shift_down"
    )
