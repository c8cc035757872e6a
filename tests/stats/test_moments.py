"""Statistics from sums (Moments, Counts) equal the same statistics from the answers.

The sums are formed here the way a database forms them (plain, unshifted sums per group,
``GROUP BY`` style with pandas), independently of ``Moments.from_arrays``; every statistic
that accepts them must give the numbers of the arrays path to 1e-10 on the reference data
(ECSI bank, ``tests/reference/ecsi-bank``, 250 respondents x 27 items on 0-10).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from cxgap.errors import DataError
from cxgap.stats import (
    Counts,
    Moments,
    ces,
    compare_segments,
    cronbach_alpha,
    csat,
    importance,
    mean_interval,
    nps,
    perception_trend,
)
from cxgap.stats.gaps import describe_columns, signed_rank_p, signed_rank_p_counts

# ECSI "satisfaction" data of R package plspm (G. Sanchez), see tests/reference/README.md
ECSI = Path(__file__).resolve().parents[1] / "reference" / "ecsi-bank" / "satisfaction.csv"
BLOCKS = ["imag", "expe", "qual", "val", "sat", "loy"]
TOL = 1e-10


@pytest.fixture(scope="module")
def ecsi() -> pd.DataFrame:
    return pd.read_csv(ECSI, index_col=0)


@pytest.fixture(scope="module")
def holed(ecsi: pd.DataFrame) -> pd.DataFrame:
    """The data with about 8% of the answers missing (to exercise pairwise sums)."""
    rng = np.random.default_rng(11)
    items = ecsi.drop(columns="gender").astype("float64")
    return items.mask(rng.random(items.shape) < 0.08)


def database_sums(frame: pd.DataFrame, by: pd.Series | None = None) -> pd.DataFrame:
    """The aggregated table a database returns for these columns (Moments.frame_columns)."""
    groups = by if by is not None else pd.Series("(all)", index=frame.index)
    columns = list(frame.columns)
    out = {"n_rows": frame.notna().any(axis=1).groupby(groups).sum()}
    for i, a in enumerate(columns):
        for j, b in enumerate(columns):
            both = frame[a].notna() & frame[b].notna()
            given = frame[a].where(frame[b].notna())
            out[f"n_{i}_{j}"] = both.groupby(groups).sum()
            out[f"sum_{i}_{j}"] = given.groupby(groups).sum()
            out[f"sq_{i}_{j}"] = (given**2).groupby(groups).sum()
            if i <= j:
                out[f"prod_{i}_{j}"] = (frame[a] * frame[b]).groupby(groups).sum()
    table = pd.DataFrame(out).rename_axis("group").reset_index()
    return table if by is not None else table.drop(columns="group")


def close(a: object, b: object) -> None:
    np.testing.assert_allclose(
        np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=TOL, atol=TOL
    )


def test_moments_match_pandas(holed: pd.DataFrame) -> None:
    block = holed[[c for c in holed.columns if c.startswith("qual")]]
    for moments in (
        Moments.from_arrays(block),
        Moments.from_frame(database_sums(block), columns=list(block.columns)),
    ):
        close(moments.mean(), block.mean())
        close(moments.cov(), block.cov())
        close(moments.corr(), block.corr())
        close(moments.count(), block.notna().sum())
        assert not moments.complete()
    assert Moments.from_arrays(block.dropna()).complete()


@pytest.mark.parametrize("name", BLOCKS)
@pytest.mark.parametrize("standardized", [False, True])
def test_alpha_from_sums_equals_arrays(holed: pd.DataFrame, name: str, standardized: bool) -> None:
    block = holed[[c for c in holed.columns if c.startswith(name)]]
    sums = Moments.from_frame(database_sums(block), columns=list(block.columns))
    from_arrays = cronbach_alpha(block, standardized=standardized)
    from_sums = cronbach_alpha(sums, standardized=standardized)
    assert from_sums.n == from_arrays.n
    close(from_sums.alpha, from_arrays.alpha)
    close([from_sums.ci_low, from_sums.ci_high], [from_arrays.ci_low, from_arrays.ci_high])
    numbers = ["n", "mean", "sd", "item_rest_r", "alpha_if_deleted"]
    close(from_sums.summary[numbers].iloc[:-1], from_arrays.summary[numbers].iloc[:-1])


def test_importance_from_sums_equals_arrays(ecsi: pd.DataFrame) -> None:
    means = pd.DataFrame(
        {b: ecsi[[c for c in ecsi if c.startswith(b)]].mean(axis=1) for b in BLOCKS}
    )
    predictors, outcome = means[["imag", "expe", "qual", "val"]], means["sat"]
    sums = Moments.from_frame(
        database_sums(means[[*predictors, "sat"]]), columns=[*predictors, "sat"]
    )
    for method in ("relative_weights", "shapley"):
        a = importance(predictors, outcome, method=method)
        b = importance(sums, "sat", method=method)
        close(b.summary[["raw", "share"]], a.summary[["raw", "share"]])
        close(b.r2, a.r2)
        assert b.n == a.n == len(ecsi)


def test_importance_from_sums_needs_complete_rows(holed: pd.DataFrame) -> None:
    block = holed[["sat1", "sat2", "loy1"]]
    with pytest.raises(DataError, match="complete respondents"):
        importance(Moments.from_arrays(block), "loy1")
    with pytest.raises(DataError, match="not a column"):
        importance(Moments.from_arrays(block.dropna()), "nope")


def test_segments_from_sums_equal_arrays(ecsi: pd.DataFrame, holed: pd.DataFrame) -> None:
    values = holed[["expe1", "expe2", "qual3"]]
    gender = ecsi["gender"]
    grouped = Moments.from_frame(
        database_sums(values, gender), columns=list(values.columns), by="group"
    )
    tallies = {}
    for column in values.columns:
        counted = (
            values[column].groupby([gender, values[column]]).size().rename("count").reset_index()
        )
        tallies[column] = Counts.from_frame(counted, value=column, by="gender")
    a = compare_segments(values, gender, min_size=0)
    b = compare_segments(grouped, tallies, min_size=0)
    close(b.summary, a.summary)
    numbers = ["mean_A", "mean_B", "diff", "se", "t", "df", "p", "p_adj", "ci_low", "ci_high"]
    close(b.pairwise[numbers], a.pairwise[numbers])
    close(b.groups[["n", "mean", "sd"]], a.groups[["n", "mean", "sd"]])
    # Kruskal-Wallis from counts against scipy on the answers themselves
    for column in values.columns:
        samples = [values.loc[gender == g, column].dropna() for g in sorted(gender.unique())]
        close(b.summary.loc[column, "kruskal_H"], sps.kruskal(*samples).statistic)


@pytest.mark.parametrize("item", ["sat1", "loy2", "val3"])
def test_loyalty_scores_from_counts_equal_arrays(ecsi: pd.DataFrame, item: str) -> None:
    answers = ecsi[item]
    counted = answers.value_counts().rename("count").rename_axis("value").reset_index()
    counts = Counts.from_frame(counted)
    for a, b in (
        (nps(answers), nps(counts)),
        (csat(answers, scale=(0, 10)), csat(counts, scale=(0, 10))),
        (ces(answers, scale=(0, 10)), ces(counts, scale=(0, 10))),
    ):
        one, two = a.to_dict(), b.to_dict()
        assert one.keys() == two.keys()
        for key, value in one.items():
            if isinstance(value, float):
                close(two[key], value)
        close(b.summary.select_dtypes("number"), a.summary.select_dtypes("number"))


def test_counts_are_checked() -> None:
    counts = Counts.from_frame(pd.DataFrame({"value": [3.0, 11.0], "count": [4, 1]}))
    with pytest.raises(DataError, match="value 11 is counted; allowed: whole numbers from 0 to 10"):
        nps(counts)
    with pytest.raises(DataError, match="missing column"):
        Counts.from_frame(pd.DataFrame({"value": [1.0]}))
    with pytest.raises(DataError, match="missing column"):
        Moments.from_frame(pd.DataFrame({"n_rows": [3]}), columns=["a"])


def test_means_and_trend_from_sums_equal_arrays(ecsi: pd.DataFrame, holed: pd.DataFrame) -> None:
    scores = pd.DataFrame(
        {b: holed[[c for c in holed if c.startswith(b)]].mean(axis=1) for b in BLOCKS}
    )
    sums = Moments.from_frame(database_sums(scores), columns=BLOCKS)
    for block in BLOCKS:
        a, b = mean_interval(scores[block]), mean_interval(sums.select([block]))
        assert a.n == b.n
        close([b.mean, b.se, b.ci_low, b.ci_high], [a.mean, a.se, a.ci_low, a.ci_high])
    first, second = scores.iloc[:120], scores.iloc[120:]
    trend_arrays = perception_trend([("w1", "W1", first), ("w2", "W2", second)])
    trend_sums = perception_trend(
        [
            ("w1", "W1", Moments.from_frame(database_sums(first), columns=BLOCKS)),
            ("w2", "W2", Moments.from_frame(database_sums(second), columns=BLOCKS)),
        ]
    )
    numbers = ["n", "mean_perceived", "se", "ci_low", "ci_high"]
    close(trend_sums[numbers], trend_arrays[numbers])
    assert trend_sums[["survey", "dimension"]].equals(trend_arrays[["survey", "dimension"]])


def test_paired_t_from_sums_equals_arrays(holed: pd.DataFrame) -> None:
    # gap-style paired differences (perceived quality - expectation)
    gaps = pd.DataFrame({f"g{i}": holed[f"qual{i}"] - holed[f"expe{i}"] for i in range(1, 6)})
    a = describe_columns(gaps.to_numpy(), confidence=0.9)
    b = describe_columns(
        Moments.from_frame(database_sums(gaps), columns=list(gaps.columns)).select(["g1"]),
        confidence=0.9,
    )
    for key in ("n", "mean", "sd", "se", "ci_low", "ci_high", "t", "p_t", "d_z"):
        close(b[key][0], a[key][0])


@pytest.mark.parametrize("i", range(1, 6))
def test_signed_rank_from_counts_equals_arrays(holed: pd.DataFrame, i: int) -> None:
    differences = (holed[f"qual{i}"] - holed[f"expe{i}"]).dropna()
    counted = differences.value_counts().rename("count").rename_axis("value").reset_index()
    from_counts = signed_rank_p_counts(Counts.from_frame(counted))
    assert from_counts == signed_rank_p(differences.to_numpy()[:, None], has_missing=False)[0]
    # scipy on the differences themselves (250 answers: its exact or normal method)
    close(from_counts, sps.wilcoxon(differences).pvalue)


def test_signed_rank_from_counts_at_scale() -> None:
    # 40,000 differences of 1-9 answers: the normal approximation with ties, from counts
    rng = np.random.default_rng(5)
    differences = (
        rng.integers(1, 10, 40_000) - rng.integers(1, 10, 40_000) + (rng.random(40_000) < 0.1)
    )
    counted = pd.Series(differences).value_counts().rename("count").rename_axis("value")
    from_counts = signed_rank_p_counts(Counts.from_frame(counted.reset_index()))
    close(from_counts, signed_rank_p(differences.astype(float)[:, None], has_missing=False)[0])
    expected = sps.wilcoxon(differences, method="asymptotic", correction=False).pvalue
    close(from_counts, expected)


def test_row_level_lists_only_statistics_without_a_sums_path() -> None:
    """``ROW_LEVEL`` says what each row-level statistic needs, and the statistics that
    take sums are not among them."""
    from cxgap import stats

    assert all(len(needs) > 40 for needs in stats.ROW_LEVEL.values())
    for summed in ("tolerance_zone", "kano", "cronbach_alpha", "nps"):
        assert summed not in stats.ROW_LEVEL
    assert callable(stats.tolerance_zone_from_sums) and callable(stats.kano_from_pairs)
