"""The demo organisation is dated relative to an anchor day: by default today, so
nothing in it lies in the future; a fixed anchor gives the same data every time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pandas as pd
import pytest
from sqlalchemy import Engine, func, select

from cxgap.demo import generate
from cxgap.demo.generate import waves_before
from cxgap.instruments import get_instrument
from cxgap.services.demo import demo_anchor, load_demo
from cxgap.settings import get_settings
from cxgap.store.database import transaction
from cxgap.store.models import Encounter, FeedbackMessage, Response, Survey
from cxgap.times import as_utc, now


@pytest.fixture
def no_anchor_setting(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("CXGAP_DEMO_ANCHOR", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.parametrize(
    ("anchor", "first", "last"),
    [
        (dt.date(2027, 1, 1), "2025Q1", "2026Q4"),  # the last quarter ended yesterday
        (dt.date(2026, 12, 31), "2024Q4", "2026Q3"),  # 2026Q4 has not ended yet
        (dt.date(2026, 12, 2), "2024Q4", "2026Q3"),
        (dt.date(2024, 2, 29), "2022Q1", "2023Q4"),
    ],
)
def test_the_waves_are_the_whole_quarters_before_the_anchor(
    anchor: dt.date, first: str, last: str
) -> None:
    waves = waves_before(anchor)
    assert (len(waves), waves[0], waves[-1]) == (8, first, last)
    assert pd.Period(waves[-1], freq="Q").end_time.date() < anchor


def test_no_demo_time_lies_after_now(engine: Engine, no_anchor_setting: None) -> None:
    before = now()
    result = load_demo(engine, seed=2, customers=200)
    assert result is not None and result.anchor == before.date()
    after = now()
    with transaction(engine) as session:
        latest = [
            session.scalar(select(func.max(Response.submitted_at))),
            session.scalar(select(func.max(Encounter.occurred_at))),
            session.scalar(select(func.max(FeedbackMessage.received_at))),
            session.scalar(select(func.max(Survey.created_at))),
        ]
        period_end = session.scalar(select(func.max(Survey.period_end)))
        earliest = session.scalar(select(func.min(Encounter.occurred_at)))
    today = dt.datetime.combine(before.date(), dt.time(), tzinfo=dt.UTC)
    for stamp in latest[:3]:
        assert stamp is not None and as_utc(stamp) < today  # data: before today began
    assert latest[3] is not None and as_utc(latest[3]) <= after
    assert period_end is not None and period_end < before.date()  # the last wave has ended
    # two years of encounters, up to the end of the last wave
    assert earliest is not None and (today - as_utc(earliest)).days < 2 * 366 + 92


def test_the_anchor_comes_from_the_call_the_setting_or_today(
    monkeypatch: pytest.MonkeyPatch, no_anchor_setting: None
) -> None:
    assert demo_anchor() == now().date()
    assert demo_anchor(dt.date(2026, 5, 1)) == dt.date(2026, 5, 1)
    monkeypatch.setenv("CXGAP_DEMO_ANCHOR", "2026-07-15")
    get_settings.cache_clear()
    assert demo_anchor() == dt.date(2026, 7, 15)
    assert demo_anchor(dt.date(2026, 5, 1)) == dt.date(2026, 5, 1)


def test_the_same_anchor_gives_the_same_data_another_shifts_the_dates() -> None:
    instruments = get_instrument("heating-cx"), get_instrument("servqual-management")
    one = generate(*instruments, seed=5, customers=300, anchor=dt.date(2026, 12, 2))
    two = generate(*instruments, seed=5, customers=300, anchor=dt.date(2026, 12, 2))
    later = generate(*instruments, seed=5, customers=300, anchor=dt.date(2027, 1, 1))
    for frame in ("encounters", "feedback", "management"):
        pd.testing.assert_frame_equal(getattr(one, frame), getattr(two, frame))
    assert list(one.waves) == list(waves_before(dt.date(2026, 12, 2)))
    assert list(later.waves) == list(waves_before(dt.date(2027, 1, 1)))
    # one quarter later: the k-th wave has the same answers, a quarter later
    for k in range(8):
        first, moved = list(one.waves.values())[k], list(later.waves.values())[k]
        pd.testing.assert_series_equal(first["rel1_perceived"], moved["rel1_perceived"])
        shift = moved["submitted_at"] - first["submitted_at"]
        assert (shift >= pd.Timedelta(days=89)).all() and (shift <= pd.Timedelta(days=92)).all()
