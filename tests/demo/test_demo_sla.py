"""The demo's worked cases are resolved in the working time of its business calendar: most
within the resolution target, a planted share late, whatever the anchor date. The
``case_sla`` counts of :mod:`cxgap.services.kpi_measures` equal a count read from the
database, and each case's working time is recounted here day by day."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from sqlalchemy import Engine

from cxgap.services.demo import load_demo
from cxgap.services.kpi_measures import case_sla_counts
from cxgap.settings import get_settings
from cxgap.store.database import get_engine, upgrade
from cxgap.times import now

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@pytest.fixture(scope="module", params=["today", "2027-01-01"])
def demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Engine, dt.date, dict[str, Any]]]:
    """The demo loaded without an anchor (today, the setting removed) or with the tests'
    fixed one."""
    engine = get_engine(str(tmp_path_factory.mktemp("sla") / "demo.db"))
    upgrade(engine)
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("CXGAP_DEMO_ANCHOR", raising=False)
        get_settings.cache_clear()
        try:
            anchor = None if request.param == "today" else dt.date.fromisoformat(request.param)
            result = load_demo(engine, seed=11, customers=1000, anchor=anchor)
        finally:
            get_settings.cache_clear()
    assert result is not None and result.truths_file is not None
    assert result.anchor == (anchor or now().date())
    yield engine, result.anchor, json.loads(Path(result.truths_file).read_text(encoding="utf-8"))
    engine.dispose()


def _sql(engine: Engine, query: str) -> pd.DataFrame:
    with engine.connect() as connection:
        return pd.read_sql_query(query, connection)


def _open_minutes(calendar: dict[str, Any], start: dt.datetime, end: dt.datetime) -> float:
    """Open minutes of ``calendar`` (its file form) between two UTC times, counted day by
    day from the local wall clock (independent of :mod:`cxgap.calendars`)."""
    zone = ZoneInfo(calendar["timezone"])
    holidays = set(calendar.get("holidays", []))
    total = 0.0
    day = start.astimezone(zone).date() - dt.timedelta(days=1)
    while day <= end.astimezone(zone).date():
        closed = day.isoformat() in holidays
        periods = [] if closed else calendar["hours"].get(WEEKDAYS[day.weekday()], [])
        for period in [periods] if isinstance(periods, str) else periods:
            first, last = (dt.time.fromisoformat(t) for t in period.split("-"))
            opens = dt.datetime.combine(day, first, tzinfo=zone).astimezone(dt.UTC)
            closes = dt.datetime.combine(day, last, tzinfo=zone).astimezone(dt.UTC)
            overlap = (min(closes, end) - max(opens, start)).total_seconds()
            total += max(overlap, 0.0) / 60
        day += dt.timedelta(days=1)
    return total


def _utc(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, format="mixed", utc=True)


def test_case_sla_counts_equal_a_direct_count(
    demo: tuple[Engine, dt.date, dict[str, Any]],
) -> None:
    engine, anchor, truths = demo
    cases = _sql(engine, "SELECT calendar, resolution_minutes, created_at, resolved_at, "
                 "resolution_due_at FROM cases WHERE NOT holdout")  # fmt: skip
    assert len(cases) > 40 and cases["resolved_at"].notna().all()
    created, resolved = _utc(cases["created_at"]), _utc(cases["resolved_at"])
    due = _utc(cases["resolution_due_at"])
    end = pd.Timestamp(anchor, tz="UTC")
    assert (created < resolved).all() and (resolved < end).all()
    # the working time of each case, recounted, against its target
    worked = [
        _open_minutes(json.loads(c), a.to_pydatetime(), b.to_pydatetime())
        for c, a, b in zip(cases["calendar"], created, resolved, strict=True)
    ]
    met = pd.Series(worked) <= cases["resolution_minutes"]
    assert met.tolist() == (resolved <= due).tolist()
    late = int((~met).sum())
    sla = truths["recovery"]["sla"]
    assert (sla["worked"], sla["late"]) == (len(cases), late)
    assert 0.08 <= late / len(cases) <= 0.3  # planted: 18 % late
    expected = (
        pd.DataFrame({"period": resolved.dt.tz_localize(None).dt.to_period("Q").astype(str),
                      "met": met})
        .groupby("period").agg(events=("met", "sum"), trials=("met", "size")).reset_index()
    )  # fmt: skip
    counts = case_sla_counts(engine, as_of=end.to_pydatetime())
    assert isinstance(counts, pd.DataFrame)
    assert counts.to_dict("records") == expected.to_dict("records")
    # the last whole quarter: most cases within target, some late
    last = str(pd.Period(anchor, freq="Q") - 1)
    row = counts.set_index("period").loc[last]
    assert row.trials >= 20 and 0.65 <= row.events / row.trials <= 0.95


def test_the_follow_up_answer_comes_after_the_resolution(
    demo: tuple[Engine, dt.date, dict[str, Any]],
) -> None:
    engine, _, truths = demo
    joined = _sql(
        engine,
        "SELECT c.resolved_at, c.acknowledged_at, c.created_at, r.submitted_at FROM cases c "
        "JOIN responses r ON r.customer_id = c.customer_id JOIN surveys s ON s.id = r.survey_id "
        f"WHERE NOT c.holdout AND s.key = '{truths['recovery']['follow_up_survey']}'",
    )
    assert len(joined) == truths["recovery"]["contacted"]
    created, called = _utc(joined["created_at"]), _utc(joined["acknowledged_at"])
    resolved, answered = _utc(joined["resolved_at"]), _utc(joined["submitted_at"])
    assert (created <= called).all() and (called <= resolved).all()
    assert (resolved < answered).all()
