"""Messages with counts read as English: "1 respondent", "2 respondents", never "(s)"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from cxgap import stats
from cxgap.errors import DataError, InstrumentError
from cxgap.instruments import parse_instrument

TITLE = {"en": "T", "zh": "标题", "fa": "عنوان"}

CASES: list[tuple[Callable[[], Any], str]] = [
    (lambda: stats.nps([]), "scores: has 0 rows; at least 1 respondent needed"),
    (
        lambda: stats.cronbach_alpha(np.array([[1.0, 2.0, 3.0]])),
        "items: has 1 row; at least 2 respondents needed",
    ),
    (
        lambda: stats.cronbach_alpha(np.array([[1.0], [2.0], [3.0]])),
        "items: has 1 item column; at least 2 needed",
    ),
    (
        lambda: stats.tolerance_zone(
            adequate=np.array([[1.0, 1.0], [2.0, 2.0]]),
            desired=np.array([[5.0, 5.0], [6.0, 6.0]]),
            perceived=np.array([[3.0, 3.0], [np.nan, 4.0]]),
        ),
        "item 0 has 1 respondent with three usable answers",
    ),
    (
        lambda: stats.compare_segments(pd.DataFrame({"x": [1.0, 2, 3]}), pd.Series(["a"] * 3)),
        "segments: found 1 segment ['a']; allowed: at least 2 segments",
    ),
    (
        lambda: parse_instrument({"id": "x", "version": 1, "title": TITLE, "items": [{}]}),
        "invalid instrument (",
    ),
]


@pytest.mark.parametrize(("call", "expected"), CASES)
def test_counts_agree_with_their_nouns(call: Callable[[], Any], expected: str) -> None:
    with pytest.raises((DataError, InstrumentError)) as caught:
        call()
    message = str(caught.value)
    assert expected in message
    assert "(s)" not in message
    assert not any(f" {n} {noun}s" in message for n in (1,) for noun in ("respondent", "row"))


def test_one_problem_is_one_problem() -> None:
    data = {
        "id": "x",
        "version": 1,
        "title": TITLE,
        "scales": [{"id": "s", "min": 1, "max": 5}],
        "items": [{"id": "q", "format": "rating", "scale": "s", "text": {"en": "Q"}}],
    }
    with pytest.raises(InstrumentError) as one:
        parse_instrument(data)
    assert "invalid instrument (1 problem):" in str(one.value)
    data["items"][0]["text"] = {}  # type: ignore[index]
    data["title"] = {"en": "T"}
    with pytest.raises(InstrumentError) as more:
        parse_instrument(data)
    assert "invalid instrument (2 problems):" in str(more.value)
