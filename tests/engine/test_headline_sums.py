"""The overview's per-wave figures formed from sums in the database equal those of the
row-level analysis (numbers to 1e-10), on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine
from tests.databases import demo_database
from tests.postgres_server import BACKENDS

from cxgap.engine import aggregate
from cxgap.services import wave_sums
from cxgap.services.analysis import (
    SurveyAnalysis,
    analyze_survey,
    clear_analysis_cache,
    headline_analyses,
    headline_analysis,
)
from cxgap.services.surveys import create_survey
from cxgap.store.database import transaction
from cxgap.store.wave_sums import WaveSums

WAVES = ["heating-2025q1", "heating-2026q2", "heating-2026q4"]


@pytest.fixture(scope="module", params=BACKENDS)
def demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    with demo_database(request, tmp_path_factory, seed=11, customers=400) as engine:
        yield engine


def close(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-10, abs_tol=1e-10)


@pytest.mark.parametrize("survey", WAVES)
def test_headline_from_sums_equals_the_row_level_analysis(demo: Engine, survey: str) -> None:
    assert_same(analyze_survey(demo, survey), headline_analysis(demo, survey))


def assert_same(rows: SurveyAnalysis, sums: SurveyAnalysis) -> None:
    """The headline parts of ``sums`` equal those of the row-level ``rows`` (1e-10)."""
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


def new_wave(engine: Engine, key: str, size: int) -> None:
    """A survey of the demo's instrument with ``size`` responses of the last demo wave."""
    from cxgap.engine.frames import load_survey

    source = load_survey(engine, "heating-2026q4")
    with transaction(engine) as session:
        create_survey(session, key, instrument=source.instrument, wave="2027Q2")
    add_responses(engine, key, size, "a")


def add_responses(engine: Engine, key: str, size: int, tag: str) -> None:
    from cxgap.engine.frames import load_survey
    from cxgap.services.demo import store_wide
    from cxgap.store.lookups import get_survey

    source = load_survey(engine, "heating-2026q4")
    frame = source.frame.iloc[:size].drop(columns=["customer_id"]).copy()
    frame["respondent_id"] = [f"{key}-{tag}-{i}" for i in range(size)]
    frame["submitted_at"] = dt.datetime(2027, 5, 1)
    with transaction(engine) as session:
        store_wide(session, get_survey(session, key), source.instrument, frame, source="test")


def kept(engine: Engine, key: str) -> WaveSums | None:
    from cxgap.store.lookups import get_survey

    with transaction(engine) as session:
        row = session.get(WaveSums, get_survey(session, key).id)
        if row is not None:
            session.expunge(row)
        return row


@pytest.fixture()
def summed(monkeypatch: pytest.MonkeyPatch) -> list[int | None]:
    """The ``after`` bound of every :func:`aggregate.zone_sums` call (None: every response)."""
    calls: list[int | None] = []
    real = aggregate.zone_sums

    def spy(*args: Any, **kwargs: Any) -> pd.DataFrame:
        calls.append(kwargs.get("after"))
        return real(*args, **kwargs)

    monkeypatch.setattr(aggregate, "zone_sums", spy)
    return calls


def fresh(engine: Engine, key: str) -> SurveyAnalysis:
    """The headline as a new process computes it (no per-process cache)."""
    clear_analysis_cache()
    return headline_analysis(engine, key)


def test_kept_sums_serve_a_new_process_without_reading_answers(
    demo: Engine, summed: list[int | None], monkeypatch: pytest.MonkeyPatch
) -> None:
    key = f"kept-{demo.dialect.name}"
    new_wave(demo, key, 40)
    first = fresh(demo, key)
    assert summed == [None]
    row = kept(demo, key)
    assert row is not None and row.responses == 40
    assert row.method == wave_sums.method(*_items(first))

    def no_answers(engine: Engine) -> Any:
        raise AssertionError("answer rows read although the kept sums are current")

    rows = analyze_survey(demo, key)
    monkeypatch.setattr(aggregate, "stored_backend", no_answers)
    again = fresh(demo, key)
    assert_same(rows, again)
    assert again.tolerance_zone is not None and first.tolerance_zone is not None
    assert again.tolerance_zone.summary.equals(first.tolerance_zone.summary)


def test_kept_sums_add_only_the_newer_responses(demo: Engine, summed: list[int | None]) -> None:
    key = f"grow-{demo.dialect.name}"
    new_wave(demo, key, 30)
    fresh(demo, key)
    before = kept(demo, key)
    assert before is not None
    add_responses(demo, key, 25, "b")
    grown = fresh(demo, key)
    assert summed == [None, before.last_response_id]  # the second sum: newer responses only
    assert_same(analyze_survey(demo, key), grown)
    after = kept(demo, key)
    assert after is not None and after.responses == 55
    assert after.last_response_id > before.last_response_id


def test_kept_sums_formed_anew_when_responses_went(demo: Engine, summed: list[int | None]) -> None:
    from sqlalchemy import delete, select

    from cxgap.store.lookups import get_survey
    from cxgap.store.models import Response

    key = f"shrink-{demo.dialect.name}"
    new_wave(demo, key, 30)
    fresh(demo, key)
    with transaction(demo) as session:
        survey_id = get_survey(session, key).id
        ids = sorted(session.scalars(select(Response.id).where(Response.survey_id == survey_id)))
        session.execute(delete(Response).where(Response.id == ids[10]))
    shrunk = fresh(demo, key)
    assert summed == [None, None]
    assert shrunk.survey.n_responses == 29
    assert_same(analyze_survey(demo, key), shrunk)
    row = kept(demo, key)
    assert row is not None and row.responses == 29


def test_kept_sums_formed_anew_when_the_formula_changes(
    demo: Engine, summed: list[int | None], monkeypatch: pytest.MonkeyPatch
) -> None:
    key = f"formula-{demo.dialect.name}"
    new_wave(demo, key, 20)
    fresh(demo, key)
    monkeypatch.setattr(wave_sums, "FORMULA_VERSION", wave_sums.FORMULA_VERSION + 1)
    fresh(demo, key)
    assert summed == [None, None]
    row = kept(demo, key)
    assert row is not None and row.method.startswith(f"headline/{wave_sums.FORMULA_VERSION}/")


def test_keeping_the_sums_gives_way_to_a_busy_writer(demo: Engine) -> None:
    """Another writer holding the database: the figures come (right) without waiting for
    it, and are kept by the next reader once it is done."""
    key = f"busy-{demo.dialect.name}"
    new_wave(demo, key, 20)
    with demo.connect() as other:
        if demo.dialect.name == "sqlite":
            other.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            other.exec_driver_sql("BEGIN")
            other.exec_driver_sql("LOCK TABLE wave_sums IN EXCLUSIVE MODE")
        busy = fresh(demo, key)
        other.rollback()
    assert kept(demo, key) is None
    assert_same(analyze_survey(demo, key), busy)
    fresh(demo, key)
    row = kept(demo, key)
    assert row is not None and row.responses == 20


def _items(analysis: SurveyAnalysis) -> tuple[dict[str, str | None], dict[str, str]]:
    inst = analysis.instrument
    zot = {i.id: i.dimension for i in inst.items_of_format("tolerance_zone")}
    roles = {
        role: found
        for role in ("nps", "csat")
        if (found := next((i.id for i in inst.items if i.role == role), None)) is not None
    }
    return zot, roles


def test_serve_warm_up_keeps_every_waves_sums(demo: Engine) -> None:
    """``cxgap serve`` brings the kept sums of every zone-of-tolerance wave up to date
    (no snapshot around it), and the next reader reads no answers."""
    from sqlalchemy import delete, select

    from cxgap.services.analysis import keep_headline_sums
    from cxgap.store.models import Survey

    with transaction(demo) as session:
        session.execute(delete(WaveSums))
    done = keep_headline_sums(demo)
    with transaction(demo) as session:
        kept_ids = set(session.scalars(select(WaveSums.survey_id)))
        waves = dict(session.execute(select(Survey.key, Survey.id)).all())
    assert set(WAVES) <= set(done)
    assert {waves[key] for key in done} == kept_ids
    assert not any(key.startswith(("employees", "follow-up")) for key in done)
    assert keep_headline_sums(demo) == done  # up to date: the same waves, nothing formed


@pytest.mark.parametrize("survey", WAVES[-1:])
def test_whole_tolerance_zone_from_database_sums_equals_the_row_level_one(
    demo: Engine, survey: str
) -> None:
    """Items and dimensions: :func:`stats.tolerance_zone_from_sums` of the sums the
    database forms (each item as its own group) equals the analysis's zone (1e-10)."""
    from cxgap import stats

    rows = analyze_survey(demo, survey)
    zot = {i.id: i.dimension for i in rows.instrument.items_of_format("tolerance_zone")}
    with aggregate.stored_backend(demo) as con:
        long = aggregate.stored_answers(con)
        by_item = aggregate.zone_sums(con, long, [survey], {item: item for item in zot})
        by_dim = aggregate.zone_sums(con, long, [survey], zot)
    items = pd.DataFrame(by_item.xs(survey, level="survey")).reindex(list(zot))
    dims = pd.DataFrame(by_dim.xs(survey, level="survey"))
    overall = dims.loc[aggregate.ALL_ITEMS]
    names = [d for d in dict.fromkeys(zot.values()) if d]
    found = stats.tolerance_zone_from_sums(
        items, overall, dimension_sums=dims.reindex(names), dimensions=zot
    )
    assert rows.tolerance_zone is not None
    expected = rows.tolerance_zone
    assert len(found.summary) == len(expected.summary) == len(zot) + len(names)
    for column in expected.summary.columns:
        left, right = found.summary[column], expected.summary[column]
        if right.dtype.kind == "f":
            np.testing.assert_allclose(left, right, rtol=1e-10, atol=1e-10, err_msg=column)
        else:
            assert left.tolist() == right.tolist(), column
    for name in ("n_inverted", "n_respondents_inverted", "n_respondents", "n_items"):
        assert getattr(found, name) == getattr(expected, name), name
    assert expected.n_inverted > 0


def test_kano_from_database_pair_counts_equals_the_row_level_one(demo: Engine) -> None:
    """The Kano summary from the answer pairs counted in the database equals the
    analysis's (counts exactly, shares and coefficients to 1e-12)."""
    from cxgap import stats

    survey = WAVES[-1]
    rows = analyze_survey(demo, survey)
    assert rows.kano is not None
    items = rows.instrument.items_of_format("kano")
    with aggregate.stored_backend(demo) as con:
        pairs = aggregate.kano_pairs(
            con, aggregate.stored_answers(con), survey, [i.id for i in items]
        )
    assert pairs["count"].sum() > 100
    found = stats.kano_from_pairs(pairs, features={i.id: i.feature or i.id for i in items})
    expected = rows.kano.summary
    assert list(found.summary.index) == list(expected.index)
    for column in expected.columns:
        left, right = found.summary[column], expected[column]
        if right.dtype.kind == "f":
            np.testing.assert_allclose(left, right, rtol=1e-12, atol=1e-12, err_msg=column)
        else:
            assert left.tolist() == right.tolist(), column
