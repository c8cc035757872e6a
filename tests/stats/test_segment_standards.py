"""Gap 2 for a segment's standard: its floor is compared with the adequate levels of that
segment's customers, checked against scipy and statsmodels on the segment's rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.weightstats import DescrStatsW

from cxgap.errors import DataError
from cxgap.stats.standards import standards_gap


def _customers() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(11)
    channel = rng.choice(["app", "phone", "shop"], size=240)
    # app customers accept less: their adequate level is about two points lower
    base = np.where(channel == "app", 4.0, 6.0)
    adequate = pd.DataFrame(
        {"a": np.round(base + rng.normal(0, 1, 240)), "b": np.round(rng.normal(5, 1, 240))}
    )
    adequate.iloc[[3, 17], 0] = np.nan
    return adequate, pd.DataFrame({"channel": channel, "region": rng.choice(["n", "s"], 240)})


def _standards(rows: list[tuple[str, str, float, str | None]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "standard": [r[0] for r in rows],
            "item": [r[1] for r in rows],
            "floor": [r[2] for r in rows],
            "target": [8.0] * len(rows),
            "on_scale": [True] * len(rows),
            "higher_is_better": [True] * len(rows),
            "best_delivered": [np.nan] * len(rows),
            "segment": [r[3] for r in rows],
        }
    )


def test_a_segment_standard_is_compared_with_its_segment() -> None:
    adequate, segments = _customers()
    standards = _standards(
        [
            ("a-all", "a", 5.5, None),
            ("a-app", "a", 4.5, "channel=app"),
            ("b-s", "b", 4.0, "region=s"),
        ]
    )
    result = standards_gap(adequate, standards, segments=segments)
    summary = result.summary.set_index("standard")
    app = adequate.loc[segments["channel"] == "app", "a"].dropna()
    south = adequate.loc[segments["region"] == "s", "b"].dropna()
    everyone = adequate["a"].dropna()
    # the app floor 4.5 lies above the app customers' mean (about 4): no finding, although
    # every customer's mean (about 5.3) is above it
    assert summary.loc["a-app", "customer_adequate"] == pytest.approx(app.mean())
    assert summary.loc["a-all", "customer_adequate"] == pytest.approx(everyone.mean())
    assert summary.loc["b-s", "customer_adequate"] == pytest.approx(south.mean())
    # statsmodels: DescrStatsW(x).tconfint_mean()
    low_high = summary.loc["a-app", ["adequate_ci_low", "adequate_ci_high"]].to_numpy(float)
    assert low_high == pytest.approx(DescrStatsW(app.to_numpy()).tconfint_mean())
    # scipy: one-sided one-sample t on the segment's rows, BH across the three standards
    p = [
        sps.ttest_1samp(everyone, 5.5, alternative="greater").pvalue,
        sps.ttest_1samp(app, 4.5, alternative="greater").pvalue,
        sps.ttest_1samp(south, 4.0, alternative="greater").pvalue,
    ]
    got = summary.loc[["a-all", "a-app", "b-s"], "p_adjusted"].to_numpy(float)
    assert got == pytest.approx(multipletests(p, method="fdr_bh")[1])
    assert summary.loc["a-app", "finding"] == "none"
    assert summary.loc["b-s", "finding"] == "below_adequate"
    assert summary.loc["a-app", "segment"] == "channel=app"
    assert summary.loc["a-all", "segment"] == ""
    # item b has a standard for one region only: it still lacks one for every customer
    no_standard = result.summary[result.summary["finding"] == "no_standard"]
    assert no_standard["item"].tolist() == ["b"]
    assert result.summary.loc[no_standard.index[0], "customer_adequate"] == pytest.approx(
        adequate["b"].mean()
    )


def test_the_same_floor_is_below_adequate_for_everyone_but_not_for_the_segment() -> None:
    adequate, segments = _customers()
    general = standards_gap(adequate, _standards([("a", "a", 4.5, None)]))
    app = standards_gap(adequate, _standards([("a", "a", 4.5, "channel=app")]), segments=segments)
    assert general.summary.set_index("standard").loc["a", "finding"] == "below_adequate"
    assert app.summary.set_index("standard").loc["a", "finding"] == "none"


def test_segments_that_cannot_be_matched_are_refused() -> None:
    adequate, segments = _customers()
    standards = _standards([("a-app", "a", 4.5, "channel=app")])
    with pytest.raises(DataError, match="need the customers' segments"):
        standards_gap(adequate, standards)
    with pytest.raises(DataError, match="allowed attributes: channel, region"):
        standards_gap(adequate, _standards([("x", "a", 4.5, "plan=gold")]), segments=segments)
    with pytest.raises(DataError, match="one row per customer"):
        standards_gap(adequate, standards, segments=segments.iloc[:10])
