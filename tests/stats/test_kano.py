"""Tests of the Kano classification and coefficients."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxgap.errors import DataError
from cxgap.stats import kano, kano_coefficients

# Berger et al. (1993), "Kano's methods for understanding customer-defined quality",
# Center for Quality of Management Journal 2(4), Kano evaluation table; typed again here
# from the paper's layout (functional answer down, dysfunctional answer across), with
# answers like / must-be / neutral / live-with / dislike.
BERGER_1993 = {
    "like": {"like": "Q", "must-be": "A", "neutral": "A", "live-with": "A", "dislike": "O"},
    "must-be": {"like": "R", "must-be": "I", "neutral": "I", "live-with": "I", "dislike": "M"},
    "neutral": {"like": "R", "must-be": "I", "neutral": "I", "live-with": "I", "dislike": "M"},
    "live-with": {
        "like": "R",
        "must-be": "I",
        "neutral": "I",
        "live-with": "I",
        "dislike": "M",
    },
    "dislike": {"like": "R", "must-be": "R", "neutral": "R", "live-with": "R", "dislike": "Q"},
}
CODE = {"like": 1, "must-be": 2, "neutral": 3, "live-with": 4, "dislike": 5}


def test_evaluation_table_cell_by_cell() -> None:
    cells = [(f, d) for f in CODE for d in CODE]
    functional = np.array([[CODE[f] for f, _ in cells]])
    dysfunctional = np.array([[CODE[d] for _, d in cells]])
    res = kano(functional, dysfunctional, features=[f"{f}|{d}" for f, d in cells])
    assert res.classes is not None
    for f, d in cells:
        assert res.classes.loc[0, f"{f}|{d}"] == BERGER_1993[f][d], (f, d)
        row = res.summary.loc[f"{f}|{d}"]
        assert row["n"] == 1 and row[BERGER_1993[f][d]] == 1


# Worked example: the five features of the README of the R package stp25kano
# (W. Peter, 2022, https://github.com/stp4/stp25kano), n = 296 each; the published table
# gives Better (CS+), Worse (CS-), total and category strength in %, and Fong's test as
# "statistic < critical sig./ns".
PUBLISHED = pd.DataFrame(
    {
        "M": [95, 101, 15, 65, 9],
        "O": [123, 54, 24, 87, 18],
        "A": [45, 54, 121, 93, 83],
        "I": [33, 81, 124, 51, 177],
        "R": [0, 3, 6, 0, 6],
        "Q": [0, 3, 6, 0, 3],
        "better": [0.568, 0.372, 0.511, 0.608, 0.352],
        "worse": [-0.736, -0.534, -0.137, -0.514, -0.094],
        "total_strength": [89, 71, 54, 83, 37],
        "category_strength": [9, 7, 1, 2, 32],
        "category": ["O", "M", "I", "A", "I"],
        "fong_statistic": [28, 20, 3, 6, 94],
        "fong_critical": [19.4, 18.5, 19.8, 18.5, 19.9],
        "fong_significant": [True, True, False, False, True],
    },
    index=["Service app", "Excellent service", "Hotline", "Loan machine", "Ready-to-use return"],
)


def test_coefficients_match_published_example() -> None:
    res = kano_coefficients(PUBLISHED[["A", "O", "M", "I", "R", "Q"]])
    s = res.summary
    np.testing.assert_allclose(s["better"], PUBLISHED["better"], atol=5e-4)
    np.testing.assert_allclose(s["worse"], PUBLISHED["worse"], atol=5e-4)
    np.testing.assert_allclose(s["total_strength"] * 100, PUBLISHED["total_strength"], atol=0.5)
    np.testing.assert_allclose(
        s["category_strength"] * 100, PUBLISHED["category_strength"], atol=0.5
    )
    np.testing.assert_allclose(s["fong_statistic"], PUBLISHED["fong_statistic"])
    np.testing.assert_allclose(s["fong_critical"], PUBLISHED["fong_critical"], atol=0.05)
    assert list(s["fong_significant"]) == list(PUBLISHED["fong_significant"])
    assert list(s["category"]) == list(PUBLISHED["category"])
    assert (s["n"] == 296).all() and res.n_features == 5


def test_hand_computed_fong_and_shares() -> None:
    res = kano_coefficients({"A": 30, "O": 10, "M": 5, "I": 3, "R": 1, "Q": 1})
    row = res.summary.iloc[0]
    # n = 50, a = 30, b = 10: 1.65 * sqrt(40 * 60 / 100) = 1.65 * sqrt(24)
    assert row["fong_critical"] == pytest.approx(1.65 * np.sqrt(24))
    assert row["fong_statistic"] == 20 and row["fong_significant"]
    assert row["better"] == pytest.approx(40 / 48) and row["worse"] == pytest.approx(-15 / 48)
    assert row["share_A"] == pytest.approx(0.6) and row["total_strength"] == pytest.approx(0.9)
    assert row["category_strength"] == pytest.approx(0.4)


def test_ties_reported_and_broken_by_m_o_a_i() -> None:
    counts = pd.DataFrame(
        {"A": [5, 4, 0], "O": [5, 1, 0], "M": [0, 4, 0], "I": [2, 4, 0], "R": 0, "Q": 0},
        index=["f1", "f2", "empty"],
    )
    s = kano_coefficients(counts).summary
    assert (s.loc["f1", "category"], s.loc["f1", "tie"]) == ("O", "A/O")
    assert (s.loc["f2", "category"], s.loc["f2", "tie"]) == ("M", "A/M/I")
    assert s.loc["f1", "fong_statistic"] == 0 and not s.loc["f1", "fong_significant"]
    assert s.loc["empty", "category"] == "" and np.isnan(s.loc["empty", "better"])


def test_kano_counts_from_pairs_and_missing_skipped() -> None:
    functional = pd.DataFrame({"wifi": [1, 1, 2, 1, np.nan, 5], "queue": [2, 2, 3, 5, 1, 1]})
    dysfunctional = pd.DataFrame({"queue": [5, 5, 3, 1, 1, 5], "wifi": [3, 5, 5, 4, 3, None]})
    res = kano(functional, dysfunctional)
    s = res.summary
    assert s.loc["wifi", ["A", "O", "M", "I", "R", "Q"]].tolist() == [2, 1, 1, 0, 0, 0]
    assert s.loc["wifi", "n"] == 4
    assert s.loc["queue", ["A", "O", "M", "I", "R", "Q"]].tolist() == [0, 1, 2, 1, 1, 1]
    assert res.classes is not None and res.classes["wifi"].isna().sum() == 2
    assert s.loc["wifi", "better"] == pytest.approx(3 / 4)
    assert len(res.to_dict()["summary"]) == 2 and "KanoResult" in res._repr_html_()


@pytest.mark.parametrize(
    ("functional", "dysfunctional", "match"),
    [
        ([[1, 6]], [[1, 2]], r"functional: column 1.*allowed: numbers from 1 to 5"),
        ([[1, 2.5]], [[1, 2]], r"functional: .*2\.5.*whole numbers from 1 to 5"),
        ([[1, 2], [1, 1]], [[1, 2]], "has 1 row but functional has 2"),
        ([["like", 2]], [[1, 2]], "not numeric"),
    ],
)
def test_kano_bad_answers(functional: object, dysfunctional: object, match: str) -> None:
    with pytest.raises(DataError, match=match):
        kano(np.array(functional, dtype=object), np.array(dysfunctional, dtype=object))


def test_absent_categories_count_as_zero_published_example() -> None:
    # Two features of the published example above ("Service app", "Loan machine") have
    # answers in A, O, M and I only; given as such counts (no R, no Q), they give the
    # published Better and Worse, and the same summary as with R = Q = 0 written out.
    only_aomi = {"A": 45, "O": 123, "M": 95, "I": 33}
    row = kano_coefficients(only_aomi).summary.iloc[0]
    assert row["n"] == 296 and row["R"] == 0 and row["Q"] == 0 and row["category"] == "O"
    assert row["better"] == pytest.approx(0.568, abs=5e-4)
    assert row["worse"] == pytest.approx(-0.736, abs=5e-4)
    frame = PUBLISHED.loc[["Service app", "Loan machine"], ["A", "O", "M", "I"]]
    pd.testing.assert_frame_equal(
        kano_coefficients(frame).summary,
        kano_coefficients(PUBLISHED.loc[frame.index, ["A", "O", "M", "I", "R", "Q"]]).summary,
    )
    # Any subset works; the empty mapping is a feature without answers.
    assert kano_coefficients({"O": 3, "R": 1}).summary.iloc[0]["better"] == pytest.approx(1.0)
    assert kano_coefficients({}).summary.iloc[0]["n"] == 0


def test_kano_coefficients_bad_counts() -> None:
    with pytest.raises(DataError, match=r"unknown column\(s\) \['X'\].*A, O, M, I, R, Q"):
        kano_coefficients({"A": 1, "X": 2})
    with pytest.raises(DataError, match="whole numbers >= 0"):
        kano_coefficients({"A": 1, "O": -2, "M": 0, "I": 0, "R": 0, "Q": 0})
    with pytest.raises(DataError, match="features: got 1 names"):
        kano([[1, 2]], [[1, 2]], features=["x"])


def test_kano_from_pair_counts_equals_kano_from_rows() -> None:
    """Pair counts formed the way a database forms them (missing answers left out) give
    the same summary as the rows."""
    from cxgap.stats import kano_from_pairs

    rng = np.random.default_rng(12)
    functional = pd.DataFrame(rng.integers(1, 6, (300, 3)), columns=["f1", "f2", "f3"])
    dysfunctional = pd.DataFrame(rng.integers(1, 6, (300, 3)), columns=["f1", "f2", "f3"])
    functional = functional.astype(float).mask(rng.random((300, 3)) < 0.1)
    rows = kano(functional, dysfunctional)
    long = pd.concat(
        [
            pd.DataFrame(
                {"feature": f, "functional": functional[f], "dysfunctional": dysfunctional[f]}
            )
            for f in functional.columns
        ]
    ).dropna()
    pairs = long.value_counts().rename("count").reset_index()
    found = kano_from_pairs(pairs.iloc[::-1], features={f: f for f in functional.columns})
    pd.testing.assert_frame_equal(found.summary, rows.summary, check_exact=False, rtol=1e-12)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"feature": ["a"], "functional": [6], "dysfunctional": [1], "count": [1]}, "row 1"),
        ({"feature": ["a"], "functional": [1], "count": [1]}, "'dysfunctional'"),
        ({"feature": ["b"], "functional": [1], "dysfunctional": [2], "count": [1]}, "'b'"),
    ],
)
def test_kano_pair_counts_refuse_what_they_cannot_read(
    table: dict[str, list[object]], message: str
) -> None:
    from cxgap.stats import kano_from_pairs

    with pytest.raises(DataError, match=message):
        kano_from_pairs(pd.DataFrame(table), features={"a": "a"})
