"""Business-calendar arithmetic: weekends, holidays, daylight-saving changes, pauses,
reopened cases, and a property test against a minute-by-minute count."""

from __future__ import annotations

import datetime as dt
import doctest
import re
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cxgap.calendars
from cxgap.calendars import (
    CalendarError,
    due_time,
    is_open,
    parse_calendar,
    working_minutes,
)

BERLIN = ZoneInfo("Europe/Berlin")
UTC = dt.UTC
OFFICE = parse_calendar(
    {
        "timezone": "Europe/Berlin",
        "hours": {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
        "holidays": [dt.date(2026, 12, 25), "2027-01-01"],
    }
)
ALWAYS = parse_calendar(
    {"timezone": "Europe/Berlin", "hours": {d: ["00:00-24:00"] for d in cxgap.calendars.WEEKDAYS}}
)


def berlin(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


def test_docstring_examples_run() -> None:
    result = doctest.testmod(cxgap.calendars)
    assert result.attempted >= 5
    assert result.failed == 0


def test_the_minimal_form_of_the_issue_with_a_lunch_break() -> None:
    cal = parse_calendar(
        {
            "timezone": "Europe/Berlin",
            "hours": {"mon": ["09:00-12:30", "13:30-17:00"], "fri": ["09:00-15:00"]},
            "holidays": [dt.date(2026, 12, 25), dt.date(2027, 1, 1)],
        }
    )
    # Monday 30 Nov 2026, 12:00: 30 minutes before lunch, 30 after.
    assert due_time(cal, berlin(2026, 11, 30, 12, 0), 60) == berlin(2026, 11, 30, 14, 0)
    # Monday 16:30 + 2 h: 30 min on Monday, then Friday 09:00 + 90 min.
    assert due_time(cal, berlin(2026, 11, 30, 16, 30), 120) == berlin(2026, 12, 4, 10, 30)
    # Friday 25 Dec is a holiday; Monday 28 Dec is open.
    assert due_time(cal, berlin(2026, 12, 24, 0, 0), 30) == berlin(2026, 12, 28, 9, 30)


def test_weekend_is_skipped() -> None:
    # Friday 4 Dec 2026 16:00 + 2 working hours -> Monday 7 Dec 10:00.
    due = due_time(OFFICE, berlin(2026, 12, 4, 16, 0), 120)
    assert due == berlin(2026, 12, 7, 10, 0)
    assert due.isoformat() == "2026-12-07T10:00:00+01:00"


def test_start_on_a_weekend_or_at_night_begins_at_the_next_opening() -> None:
    assert due_time(OFFICE, berlin(2026, 12, 5, 11, 0), 0) == berlin(2026, 12, 7, 9, 0)
    assert due_time(OFFICE, berlin(2026, 12, 7, 20, 0), 60) == berlin(2026, 12, 8, 10, 0)
    # Exactly at closing time: nothing of that day is left.
    assert due_time(OFFICE, berlin(2026, 12, 7, 17, 0), 1) == berlin(2026, 12, 8, 9, 1)


def test_holidays_are_closed() -> None:
    # Thursday 24 Dec 16:00 + 2 h: Friday 25 is a holiday, then the weekend.
    assert due_time(OFFICE, berlin(2026, 12, 24, 16, 0), 120) == berlin(2026, 12, 28, 10, 0)
    # Thursday 31 Dec 16:00 + 2 h: 1 January (Friday) is a holiday.
    assert due_time(OFFICE, berlin(2026, 12, 31, 16, 0), 120) == berlin(2027, 1, 4, 10, 0)


def test_a_due_time_ends_at_the_close_of_a_day_not_the_next_morning() -> None:
    assert due_time(OFFICE, berlin(2026, 12, 7, 9, 0), 480) == berlin(2026, 12, 7, 17, 0)


def test_spring_forward_in_berlin() -> None:
    # Friday 27 March 2026 16:00 CET + 2 working hours -> Monday 30 March 10:00 CEST.
    due = due_time(OFFICE, berlin(2026, 3, 27, 16, 0), 120)
    assert due.isoformat() == "2026-03-30T10:00:00+02:00"
    # Open round the clock: Sunday 29 March has 23 hours; 3 elapsed hours from
    # Saturday 23:00 CET (22:00 UTC) end at 01:00 UTC = 03:00 CEST.
    due = due_time(ALWAYS, berlin(2026, 3, 28, 23, 0), 180)
    assert due.astimezone(UTC) == dt.datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert due.isoformat() == "2026-03-29T03:00:00+02:00"
    day = working_minutes(ALWAYS, berlin(2026, 3, 29, 0, 0), berlin(2026, 3, 30, 0, 0))
    assert day == 23 * 60


def test_fall_back_in_berlin() -> None:
    # Sunday 25 October 2026 has 25 hours.
    day = working_minutes(ALWAYS, berlin(2026, 10, 25, 0, 0), berlin(2026, 10, 26, 0, 0))
    assert day == 25 * 60
    # Friday 23 Oct 16:00 CEST + 2 h -> Monday 26 Oct 10:00 CET.
    due = due_time(OFFICE, berlin(2026, 10, 23, 16, 0), 120)
    assert due.isoformat() == "2026-10-26T10:00:00+01:00"
    # Round the clock from Sunday 00:00 CEST (22:00 UTC Saturday): 4 hours -> 02:00 UTC.
    due = due_time(ALWAYS, berlin(2026, 10, 25, 0, 0), 240)
    assert due.astimezone(UTC) == dt.datetime(2026, 10, 25, 2, 0, tzinfo=UTC)
    assert due.isoformat() == "2026-10-25T03:00:00+01:00"


def test_waiting_on_the_customer_pauses_the_clock() -> None:
    start = berlin(2026, 12, 7, 10, 0)  # Monday
    pause = (berlin(2026, 12, 7, 11, 0), berlin(2026, 12, 7, 14, 0))
    # 1 h runs before the pause, 3 h after it.
    assert due_time(OFFICE, start, 240, pauses=[pause]) == berlin(2026, 12, 7, 17, 0)
    assert due_time(OFFICE, start, 240) == berlin(2026, 12, 7, 14, 0)
    # A pause over the weekend changes nothing; one reaching into Monday does.
    weekend = (berlin(2026, 12, 5, 0, 0), berlin(2026, 12, 7, 9, 30))
    assert due_time(OFFICE, berlin(2026, 12, 4, 16, 0), 120, pauses=[weekend]) == berlin(
        2026, 12, 7, 10, 30
    )
    elapsed = working_minutes(OFFICE, start, berlin(2026, 12, 7, 17, 0), pauses=[pause])
    assert elapsed == 240


def test_overlapping_pauses_count_once() -> None:
    start = berlin(2026, 12, 7, 9, 0)
    pauses = [
        (berlin(2026, 12, 7, 10, 0), berlin(2026, 12, 7, 12, 0)),
        (berlin(2026, 12, 7, 11, 0), berlin(2026, 12, 7, 13, 0)),
    ]
    assert due_time(OFFICE, start, 120, pauses=pauses) == berlin(2026, 12, 7, 14, 0)


def test_a_reopened_case_continues_its_clock() -> None:
    # Opened Monday 09:00 with 8 working hours to resolve; resolved at 12:00 (3 h used),
    # reopened Tuesday 10:00: the time in between is not the team's, 5 h remain.
    opened = berlin(2026, 12, 7, 9, 0)
    resolved, reopened = berlin(2026, 12, 7, 12, 0), berlin(2026, 12, 8, 10, 0)
    due = due_time(OFFICE, opened, 480, pauses=[(resolved, reopened)])
    assert due == berlin(2026, 12, 8, 15, 0)


def test_naive_start_is_local_time_of_the_calendar() -> None:
    assert due_time(OFFICE, dt.datetime(2026, 12, 7, 9, 0), 30) == berlin(2026, 12, 7, 9, 30)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "expected a mapping"),
        ({"hours": {"mon": ["09:00-17:00"]}}, "timezone"),
        ({"timezone": "Mars/Olympus", "hours": {"mon": ["09:00-17:00"]}}, "IANA"),
        ({"timezone": "UTC", "hours": {"monday": ["09:00-17:00"]}}, "unknown weekday monday"),
        ({"timezone": "UTC", "hours": {"mon": ["17:00-09:00"]}}, "hours.mon[0]"),
        ({"timezone": "UTC", "hours": {"mon": ["9-17"]}}, "HH:MM-HH:MM"),
        ({"timezone": "UTC", "hours": {"mon": ["09:00-12:00", "11:00-13:00"]}}, "overlap"),
        ({"timezone": "UTC", "hours": {"mon": ["09:00-17:00"]}, "holidays": ["soon"]}, "YYYY"),
        ({"timezone": "UTC", "hours": {"mon": []}}, "never open"),
        ({"timezone": "UTC", "hours": {"mon": ["09:00-17:00"]}, "hollidays": []}, "unknown key"),
    ],
)
def test_bad_calendars_are_refused_with_the_field(data: object, message: str) -> None:
    with pytest.raises(CalendarError, match=re.escape(message)):
        parse_calendar(data, source="cal.yaml")


def test_negative_minutes_are_refused() -> None:
    with pytest.raises(ValueError, match="minutes"):
        due_time(OFFICE, berlin(2026, 12, 7, 9, 0), -1)


# Property tests ----------------------------------------------------------------------

HOUR_BLOCKS = st.lists(
    st.tuples(st.integers(5, 22), st.integers(1, 4)), min_size=0, max_size=2
)  # (start hour, length in hours); from 05:00 so no period starts in a changed hour


@st.composite
def calendars(draw: st.DrawFn) -> cxgap.calendars.BusinessCalendar:
    hours: dict[str, list[str]] = {}
    for day in cxgap.calendars.WEEKDAYS:
        blocks = draw(HOUR_BLOCKS)
        periods: list[tuple[int, int]] = []
        for start, length in sorted(blocks):
            end = min(start + length, 24)
            if periods and start < periods[-1][1]:
                continue
            periods.append((start, end))
        if periods:
            hours[day] = [f"{a:02d}:00-{b:02d}:00" for a, b in periods]
    if len(hours) < 3:
        hours.setdefault("mon", ["09:00-17:00"])
        hours.setdefault("wed", ["09:00-17:00"])
        hours.setdefault("fri", ["09:00-17:00"])
    zone = draw(st.sampled_from(["Europe/Berlin", "UTC", "Asia/Tehran", "America/New_York"]))
    holidays = draw(st.lists(st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31)), max_size=8))
    return parse_calendar({"timezone": zone, "hours": hours, "holidays": holidays})


STARTS = st.datetimes(dt.datetime(2026, 1, 1), dt.datetime(2027, 12, 31), timezones=st.just(UTC))


def _open_by_minute(cal: cxgap.calendars.BusinessCalendar, moment: dt.datetime) -> bool:
    """Independent rule: the local wall-clock minute lies in a period of its weekday."""
    local = moment.astimezone(cal.zone)
    if local.date() in cal.holidays:
        return False
    minute = local.hour * 60 + local.minute
    return any(a <= minute < b for a, b in cal.hours[local.weekday()])


@settings(max_examples=150, deadline=None)
@given(cal=calendars(), start=STARTS, minutes=st.floats(0, 5000, allow_nan=False))
def test_due_times_never_fall_outside_working_hours(
    cal: cxgap.calendars.BusinessCalendar, start: dt.datetime, minutes: float
) -> None:
    due = due_time(cal, start, minutes)
    assert due >= start
    assert is_open(cal, due)
    assert due.utcoffset() == due.astimezone(cal.zone).utcoffset()
    assert working_minutes(cal, start, due) == pytest.approx(minutes, abs=1e-6)


@settings(max_examples=40, deadline=None)
@given(
    cal=calendars(),
    start=STARTS.map(lambda t: t.replace(second=0, microsecond=0)),
    minutes=st.integers(1, 600),
)
def test_due_time_matches_a_minute_by_minute_count(
    cal: cxgap.calendars.BusinessCalendar, start: dt.datetime, minutes: int
) -> None:
    moment, counted = start, 0
    while counted < minutes:
        if _open_by_minute(cal, moment):
            counted += 1
        moment += dt.timedelta(minutes=1)
    assert due_time(cal, start, minutes) == moment
