"""NPS, CSAT and CES against hand computations, statsmodels and SciPy."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from cxgap.errors import DataError
from cxgap.stats import ces, compare_nps, cronbach_alpha, csat, nps


def test_nps_by_hand() -> None:
    # 4 promoters (10, 9, 10, 10), 2 passives (8, 7), 2 detractors (6, 3): NPS = 25.
    # var = (0.5 + 0.25 - 0.25^2) / 8 = 0.0859375
    res = nps([10, 9, 8, 7, 6, 3, 10, 10])
    assert res.nps == pytest.approx(25.0)
    assert res.se == pytest.approx(100 * np.sqrt(0.0859375))
    # Adjusted Wald: 4.75 promoters and 2.75 detractors out of 11
    z = stats.norm.ppf(0.975)
    centre = (4.75 - 2.75) / 11
    half = z * np.sqrt((7.5 / 11 - centre**2) / 11)
    assert (res.ci_low, res.ci_high) == pytest.approx(
        (100 * (centre - half), 100 * (centre + half))
    )
    assert list(res.summary["count"]) == [8, 4, 2, 2]  # the NPS row (n), then the categories
    assert (res.share_promoters, res.share_passives, res.share_detractors) == (0.5, 0.25, 0.25)
    assert res.n == 8
    json.dumps(res.to_dict())
    assert "NPS" in res._repr_html_()


def test_nps_se_equals_the_variance_of_the_recoded_scores() -> None:
    # Independent route: recode promoters +100, passives 0, detractors -100.
    scores = np.random.default_rng(0).integers(0, 11, size=937)
    recoded = np.select([scores >= 9, scores >= 7], [100.0, 0.0], -100.0)
    res = nps(pd.Series(scores), confidence=0.9)
    assert res.nps == pytest.approx(recoded.mean())
    assert res.se == pytest.approx(recoded.std(ddof=0) / np.sqrt(scores.size))
    low, high = proportion_confint(int((scores >= 9).sum()), scores.size, 0.1, method="wilson")
    row = res.summary.set_index("category").loc["promoters"]
    assert (row.ci_low, row.ci_high) == pytest.approx((low, high))


def test_nps_missing_answers_are_left_out() -> None:
    assert nps([10, None, 6, np.nan]).nps == pytest.approx(0.0)
    assert nps([10, None, 6, np.nan]).n == 2


@pytest.mark.parametrize(
    ("scores", "message"),
    [
        (
            [10, 7.5, 3],
            r"scores: row 1: value 7.5 is not allowed; allowed: whole numbers from 0 to 10",
        ),
        ([10, 11], r"scores: row 1: value 11 is not allowed"),
        ([-1, 5], r"scores: row 0: value -1 is not allowed"),
        (["10", 5], r"scores: row 0: value '10' is not numeric"),
        ([np.nan, None], r"scores: the number of non-missing answers is 0; at least 1 needed"),
        ([], r"scores: has 0 rows"),
        ([[1, 2], [3, 4]], r"scores: got 2 columns; allowed: one variable"),
        ([True, False], r"scores: row 0: value True is a true/false value"),
    ],
)
def test_nps_invalid_scores(scores: list, message: str) -> None:
    with pytest.raises(DataError, match=message):
        nps(scores)


def test_nps_position_uses_the_series_index() -> None:
    with pytest.raises(DataError, match=r"scores: row 2 \(index 'c'\): value 12"):
        nps(pd.Series([1, 2, 12], index=["a", "b", "c"]))


def test_compare_nps() -> None:
    a = [10, 10, 9, 6, 8, 10, 3, 9]
    b = [10, 7, 6, 5, 9, 6]
    res = compare_nps(a, b)
    first, second = nps(a), nps(b)
    assert res.difference == pytest.approx(first.nps - second.nps)
    se = np.sqrt(first.se**2 + second.se**2)
    assert res.se == pytest.approx(se)
    # Adjusted Wald: a has 5 promoters and 2 detractors of 8, b 2 and 3 of 6; each gets
    # 3/4 promoter, 3/4 detractor and n + 3.
    pa, da, pb, db = 5.75 / 11, 2.75 / 11, 2.75 / 9, 3.75 / 9
    centre = (pa - da) - (pb - db)
    se_adjusted = np.sqrt((pa + da - (pa - da) ** 2) / 11 + (pb + db - (pb - db) ** 2) / 9)
    assert res.z == pytest.approx(centre / se_adjusted)
    assert res.p_value == pytest.approx(2 * stats.norm.sf(abs(centre / se_adjusted)))
    z = stats.norm.ppf(0.975)
    assert (res.ci_low, res.ci_high) == pytest.approx(
        (100 * (centre - z * se_adjusted), 100 * (centre + z * se_adjusted))
    )
    assert list(res.summary.n) == [8, 6]
    with pytest.raises(DataError, match="b: the number of non-missing answers is 0"):
        compare_nps(a, [None])


def test_compare_nps_of_samples_at_the_bounds() -> None:
    # Every respondent a promoter in both groups: the plain SE is 0; the interval and the
    # test must still say something honest.
    same = compare_nps([10, 10, 9], [9, 10, 10])
    assert same.difference == 0
    assert same.ci_low < -20 and same.ci_high > 20
    assert same.p_value == pytest.approx(1.0)
    apart = compare_nps([10] * 20, [0] * 20)
    assert apart.difference == 200
    assert 140 < apart.ci_low < apart.ci_high <= 200
    assert apart.p_value < 1e-6


def test_csat_against_statsmodels_and_scipy() -> None:
    scores = np.random.default_rng(1).integers(1, 6, size=211)
    res = csat(scores, confidence=0.9)
    satisfied = int((scores >= 4).sum())
    assert res.top_box_share == pytest.approx(satisfied / 211)
    low, high = proportion_confint(satisfied, 211, alpha=0.1, method="wilson")
    assert (res.top_box_ci_low, res.top_box_ci_high) == pytest.approx((low, high))
    ci = stats.ttest_1samp(scores, 0).confidence_interval(0.9)
    assert (res.mean, res.mean_ci_low, res.mean_ci_high) == pytest.approx(
        (scores.mean(), ci.low, ci.high)
    )
    assert list(res.summary.value) == [1, 2, 3, 4, 5]
    assert list(res.summary.in_box) == [False, False, False, True, True]
    assert res.summary["count"].sum() == 211
    only_top = csat(scores, top_box=[5])
    assert only_top.top_box_share == pytest.approx((scores == 5).mean())
    ten_point = csat([10, 9, 8, 1], scale=(1, 10))
    assert ten_point.top_box_share == pytest.approx(0.5)


def test_csat_invalid() -> None:
    with pytest.raises(
        DataError,
        match=r"scores: row 1: value 6 is outside the allowed range; allowed: numbers from 1 to 5",
    ):
        csat([5, 6])
    with pytest.raises(DataError, match="top_box: got"):
        csat([5, 4], top_box=[6])
    with pytest.raises(DataError, match="scale: got"):
        csat([5, 4], scale=(5, 1))


def test_ces_share_of_top_three_of_seven() -> None:
    scores = pd.Series([7, 6, 5, 4, 3, 2, 1, 7, None])
    res = ces(scores)
    assert res.n == 8
    assert res.share_easy == pytest.approx(4 / 8)
    low, high = proportion_confint(4, 8, method="wilson")
    assert (res.share_easy_ci_low, res.share_easy_ci_high) == pytest.approx((low, high))
    assert res.mean == pytest.approx(35 / 8)
    assert list(res.summary.loc[res.summary.in_box, "value"]) == [5, 6, 7]
    with pytest.raises(DataError, match="value 0 is outside"):
        ces([0, 5])


def test_result_reprs_show_plain_numbers() -> None:
    res = nps([10, 9, 8, 7, 6, 3, 10, 10])
    assert "np.float64" not in repr(res) and "np.int64" not in repr(res)
    assert "nps=25.0" in repr(res)
    alpha = cronbach_alpha([[3, 4, 3], [5, 5, 4], [1, 2, 2], [4, 4, 5]])
    assert "np.float64" not in repr(alpha) and "alpha=0.93" in repr(alpha)


def test_summaries_hold_the_headline_number() -> None:
    res = nps([10, 9, 8, 7, 6, 3, 10, 10])
    row = res.summary.set_index("category").loc["nps"]
    assert row["count"] == 8 and row["share"] == 0.25
    assert (row["ci_low"], row["ci_high"]) == (res.ci_low / 100, res.ci_high / 100)
    alpha = cronbach_alpha([[3, 4, 3], [5, 5, 4], [1, 2, 2], [4, 4, 5]])
    total = alpha.summary.set_index("item").loc["(all items)"]
    assert total["alpha"] == alpha.alpha and total["n"] == 4
