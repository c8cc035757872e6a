"""The overview's per-wave figures formed from sums in the database equal those of the
row-level analysis (numbers to 1e-10), on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine
from tests.databases import load_demo_copy
from tests.postgres_server import BACKENDS, PostgresServer

from cxgap.services.analysis import analyze_survey, headline_analyses, headline_analysis
from cxgap.services.surveys import create_survey
from cxgap.store.database import get_engine, transaction, upgrade

WAVES = ["heating-2025q1", "heating-2026q2", "heating-2026q4"]


@pytest.fixture(scope="module", params=BACKENDS)
def demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    if request.param == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres_server")
        url = server.new_database()
        engine = get_engine(url)
    else:
        engine = get_engine(str(tmp_path_factory.mktemp("sums") / "demo.db"))
        upgrade(engine)
    load_demo_copy(engine, seed=11, customers=400)
    yield engine
    engine.dispose()
    if request.param == "postgresql":
        server.drop_database(url)


def close(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-10, abs_tol=1e-10)


@pytest.mark.parametrize("survey", WAVES)
def test_headline_from_sums_equals_the_row_level_analysis(demo: Engine, survey: str) -> None:
    rows = analyze_survey(demo, survey)
    sums = headline_analysis(demo, survey)
    assert sums.survey == rows.survey
    assert rows.tolerance_zone is not None and sums.tolerance_zone is not None
    expected = rows.tolerance_zone.summary
    expected = expected[expected["level"] == "dimension"].reset_index(drop=True)
    found = sums.tolerance_zone.summary
    assert list(found.columns) == list(expected.columns)
    assert len(found) == len(expected) >= 5
    for column in found.columns:
        if found[column].dtype.kind == "f":
            np.testing.assert_allclose(found[column], expected[column], rtol=1e-10, atol=1e-10)
        else:
            assert found[column].tolist() == expected[column].tolist(), column
    for name in ("n_inverted", "n_respondents_inverted", "n_respondents", "n_items"):
        assert getattr(sums.tolerance_zone, name) == getattr(rows.tolerance_zone, name), name
    assert rows.tolerance_zone.n_inverted > 0  # the inverted answers are exercised
    for part in ("overall", "nps", "csat"):
        left, right = getattr(rows, part), getattr(sums, part)
        assert left is not None and right is not None, part
        a = left.to_dict() if hasattr(left, "to_dict") else vars(left)
        b = right.to_dict() if hasattr(right, "to_dict") else vars(right)
        assert a.keys() == b.keys()
        for key, value in a.items():
            if isinstance(value, float):
                assert close(value, b[key]), (part, key, value, b[key])
            elif not isinstance(value, pd.DataFrame):
                assert value == b[key], (part, key)


def test_headline_sums_follow_new_responses(demo: Engine) -> None:
    """Cached per wave's data version: a new wave's figures appear and change as responses
    arrive (computed independently from the answers stored)."""
    from cxgap.engine.frames import load_survey
    from cxgap.services.demo import store_wide
    from cxgap.store.lookups import get_survey

    source = load_survey(demo, "heating-2026q4")
    key = f"sums-{len(source.frame)}-{demo.dialect.name}"
    with transaction(demo) as session:
        create_survey(session, key, instrument=source.instrument, wave="2027Q1")
    for size in (12, 30):
        frame = source.frame.iloc[:size].drop(columns=["customer_id"]).copy()
        frame["respondent_id"] = [f"{key}-{size}-{i}" for i in range(size)]
        frame["submitted_at"] = dt.datetime(2027, 2, 1)
        with transaction(demo) as session:
            store_wide(session, get_survey(session, key), source.instrument, frame, source="test")
        found = headline_analysis(demo, key)
        assert headline_analyses(demo, [key])[key] is found  # cached under the version
        stored = load_survey(demo, key, cache=False).frame
        assert found.survey.n_responses == len(stored)
        nps = stored["nps"].dropna()
        promoters, detractors = (nps >= 9).mean(), (nps <= 6).mean()
        assert found.nps is not None
        assert math.isclose(found.nps.nps, 100 * (promoters - detractors), abs_tol=1e-9)
