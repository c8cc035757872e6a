"""Business calendars: opening hours per weekday in a time zone, and holidays.

Pure arithmetic (no I/O besides the time-zone database that :mod:`zoneinfo` reads): a
service-level target such as "first answer within 4 working hours" becomes a due time by
walking the calendar's open periods. Opening hours are local wall-clock times of the
calendar's zone, so a working day keeps its hours across daylight-saving changes.

The file format (``docs/cases.md``)::

    timezone: Europe/Berlin          # IANA name; times are local to it
    hours:                           # weekdays mon..sun; a day not listed is closed
      mon: ["09:00-12:30", "13:30-17:00"]
      fri: ["09:00-15:00"]
    holidays: [2026-12-25, 2027-01-01]

>>> cal = parse_calendar({"timezone": "Europe/Berlin", "hours": {"fri": ["09:00-15:00"]}})
>>> due_time(cal, dt.datetime(2026, 12, 4, 14, 0, tzinfo=cal.zone), 90).isoformat()
'2026-12-11T09:30:00+01:00'
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cxgap.errors import ValidationError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Weekday keys of ``hours``, Monday first (``datetime.weekday()`` order)."""
KEYS = ("name", "timezone", "hours", "holidays")
"""Keys a calendar may have."""
PERIOD = re.compile(r"^([0-9]{2}):([0-9]{2})-([0-9]{2}):([0-9]{2})$")
MAX_DAYS = 3660
"""Longest stretch (about ten years) searched for open time before giving up."""
UTC = dt.UTC

Pause = tuple[dt.datetime, dt.datetime]
"""A stretch during which a clock stands still (e.g. waiting on the customer)."""


class CalendarError(ValidationError):
    """A calendar definition is invalid; the message names the field and what is allowed."""


@dataclass(frozen=True)
class BusinessCalendar:
    """Open periods per weekday (minutes after local midnight), a zone and holidays."""

    timezone: str
    hours: tuple[tuple[tuple[int, int], ...], ...]
    """Seven tuples (Monday first) of ``(start, end)`` minutes after local midnight."""
    holidays: frozenset[dt.date]
    name: str | None = None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def summary(self) -> str:
        days = [
            f"{day} {', '.join(_period_text(p) for p in periods)}"
            for day, periods in zip(WEEKDAYS, self.hours, strict=True)
            if periods
        ]
        return (
            f"{self.timezone}; {'; '.join(days)}; "
            f"{len(self.holidays)} holiday{'s' if len(self.holidays) != 1 else ''}"
        )

    def to_data(self) -> dict[str, object]:
        """The calendar in its file form (plain JSON types): ``parse_calendar`` reads it back.

        >>> cal = parse_calendar({"timezone": "UTC", "hours": {"tue": "08:00-12:00"}})
        >>> parse_calendar(cal.to_data()) == cal
        True
        """
        data: dict[str, object] = {
            "timezone": self.timezone,
            "hours": {
                day: [_period_text(p) for p in periods]
                for day, periods in zip(WEEKDAYS, self.hours, strict=True)
                if periods
            },
            "holidays": [d.isoformat() for d in sorted(self.holidays)],
        }
        if self.name is not None:
            data["name"] = self.name
        return data

    def weekly_minutes(self) -> int:
        """Open minutes in a week without holidays."""
        return sum(end - start for periods in self.hours for start, end in periods)


def _period_text(period: tuple[int, int]) -> str:
    start, end = period
    return f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"


def _period(text: object, where: str) -> tuple[int, int]:
    allowed = 'a period "HH:MM-HH:MM" with start before end, e.g. "09:00-12:30" (24:00 ends a day)'
    match = PERIOD.match(text) if isinstance(text, str) else None
    if match is None:
        raise CalendarError(f"{where}: {text!r} is not {allowed}")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if h1 > 23 or m1 > 59 or m2 > 59 or end > 24 * 60 or start >= end:
        raise CalendarError(f"{where}: {text!r} is not {allowed}")
    return start, end


def _day_periods(value: object, where: str) -> tuple[tuple[int, int], ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise CalendarError(f'{where}: expected a list of periods such as ["09:00-17:00"]')
    periods = sorted(_period(v, f"{where}[{i}]") for i, v in enumerate(value))
    for (_, end), (start, _) in itertools.pairwise(periods):
        if start < end:
            raise CalendarError(f"{where}: periods overlap; list each open period once")
    return tuple(periods)


def _holiday(value: object, where: str) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise CalendarError(f"{where}: {value!r} is not a date; write YYYY-MM-DD, e.g. 2026-12-25")


def parse_calendar(data: object, *, source: str = "calendar") -> BusinessCalendar:
    """A :class:`BusinessCalendar` from parsed YAML/JSON data; ``source`` names it in errors.

    >>> parse_calendar({"timezone": "UTC", "hours": {"mon": "08:00-16:00"}}).summary
    'UTC; mon 08:00-16:00; 0 holidays'
    """
    if not isinstance(data, Mapping):
        raise CalendarError(f"{source}: expected a mapping with keys {', '.join(KEYS)}")
    unknown = sorted(str(k) for k in data if k not in KEYS)
    if unknown:
        raise CalendarError(
            f"{source}: unknown key {', '.join(unknown)}; allowed: {', '.join(KEYS)}"
        )
    zone = data.get("timezone")
    if not isinstance(zone, str) or not zone:
        raise CalendarError(f"{source}: timezone: give an IANA time zone, e.g. Europe/Berlin")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise CalendarError(
            f"{source}: timezone: {zone!r} is not an IANA time zone (e.g. Europe/Berlin, "
            "Asia/Shanghai, Asia/Tehran, UTC)"
        ) from None
    hours = data.get("hours")
    if not isinstance(hours, Mapping) or not hours:
        raise CalendarError(f"{source}: hours: give the open periods of at least one weekday")
    bad_days = sorted(str(k) for k in hours if k not in WEEKDAYS)
    if bad_days:
        raise CalendarError(
            f"{source}: hours: unknown weekday {', '.join(bad_days)}; use {', '.join(WEEKDAYS)}"
        )
    week = tuple(
        _day_periods(hours[day], f"{source}: hours.{day}") if day in hours else ()
        for day in WEEKDAYS
    )
    if not any(week):
        raise CalendarError(f"{source}: hours: the calendar is never open")
    raw_holidays = data.get("holidays") or []
    if not isinstance(raw_holidays, list):
        raise CalendarError(f"{source}: holidays: expected a list of dates such as [2026-12-25]")
    holidays = frozenset(
        _holiday(v, f"{source}: holidays[{i}]") for i, v in enumerate(raw_holidays)
    )
    name = data.get("name")
    if name is not None and not isinstance(name, str):
        raise CalendarError(f"{source}: name: expected text")
    return BusinessCalendar(timezone=zone, hours=week, holidays=holidays, name=name)


def _aware(moment: dt.datetime, calendar: BusinessCalendar) -> dt.datetime:
    """A time with an offset; a naive one is read in the calendar's zone."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment.replace(tzinfo=calendar.zone)
    return moment


def _local(day: dt.date, minute: int, zone: ZoneInfo) -> dt.datetime:
    """The UTC instant of a local wall-clock minute of ``day`` (24:00 is next midnight)."""
    wall = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minute)
    return wall.replace(tzinfo=zone).astimezone(UTC)


def open_periods(calendar: BusinessCalendar, since: dt.datetime) -> Iterator[Pause]:
    """Open periods (UTC start, UTC end) in time order, from the one open at or after
    ``since`` on (a period already open at ``since`` starts there)."""
    zone = calendar.zone
    since = _aware(since, calendar).astimezone(UTC)
    day = since.astimezone(zone).date() - dt.timedelta(days=1)
    for _ in range(MAX_DAYS):
        if day not in calendar.holidays:
            for start_minute, end_minute in calendar.hours[day.weekday()]:
                start, end = _local(day, start_minute, zone), _local(day, end_minute, zone)
                if end > since and end > start:
                    yield max(start, since), end
        day += dt.timedelta(days=1)
    raise CalendarError(
        f"the calendar has no open time in the {MAX_DAYS} days after {since.isoformat()}"
    )


def _merged(pauses: Sequence[Pause], calendar: BusinessCalendar) -> list[Pause]:
    spans = sorted(
        (_aware(a, calendar).astimezone(UTC), _aware(b, calendar).astimezone(UTC))
        for a, b in pauses
    )
    merged: list[Pause] = []
    for start, end in spans:
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _running(
    calendar: BusinessCalendar, since: dt.datetime, pauses: Sequence[Pause]
) -> Iterator[Pause]:
    """Open periods from ``since`` with the pauses cut out: when the clock runs."""
    stops = _merged(pauses, calendar)
    for start, end in open_periods(calendar, since):
        cursor = start
        for p_start, p_end in stops:
            if p_end <= cursor or p_start >= end:
                continue
            if p_start > cursor:
                yield cursor, p_start
            cursor = max(cursor, p_end)
        if cursor < end:
            yield cursor, end


def _check_minutes(minutes: float) -> dt.timedelta:
    if isinstance(minutes, bool) or not math.isfinite(minutes) or minutes < 0:
        raise ValidationError(f"minutes: {minutes!r} is not a number of minutes >= 0")
    return dt.timedelta(minutes=minutes)


def due_time(
    calendar: BusinessCalendar,
    start: dt.datetime,
    minutes: float,
    *,
    pauses: Sequence[Pause] = (),
) -> dt.datetime:
    """When ``minutes`` of open time have passed since ``start``, in the calendar's zone.

    The clock runs only in open periods and stands still during ``pauses``. Zero minutes
    give the first open moment at or after ``start``; a due time is never outside the
    open periods (it may be the very end of one). A naive ``start`` is local time of the
    calendar.

    >>> cal = parse_calendar({"timezone": "UTC", "hours": {"mon": ["09:00-17:00"]}})
    >>> due_time(cal, dt.datetime(2026, 11, 30, 16, 0, tzinfo=dt.UTC), 120).isoformat()
    '2026-12-07T10:00:00+00:00'
    """
    left = _check_minutes(minutes)
    for period_start, period_end in _running(calendar, start, pauses):
        if left <= period_end - period_start:
            return (period_start + left).astimezone(calendar.zone)
        left -= period_end - period_start
    raise AssertionError("unreachable: open_periods ends by raising")  # pragma: no cover


def working_minutes(
    calendar: BusinessCalendar,
    start: dt.datetime,
    end: dt.datetime,
    *,
    pauses: Sequence[Pause] = (),
) -> float:
    """Open minutes between ``start`` and ``end`` with ``pauses`` left out (0 if ``end``
    is not after ``start``): how far a clock has run.

    >>> cal = parse_calendar({"timezone": "UTC", "hours": {"mon": ["09:00-17:00"]}})
    >>> working_minutes(cal, dt.datetime(2026, 11, 30, tzinfo=dt.UTC),
    ...                 dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    480.0
    """
    start, end = _aware(start, calendar), _aware(end, calendar)
    total = dt.timedelta()
    if end <= start:
        return 0.0
    for period_start, period_end in _running(calendar, start, pauses):
        if period_start >= end:
            break
        total += min(period_end, end) - period_start
    return total.total_seconds() / 60


def is_open(calendar: BusinessCalendar, moment: dt.datetime) -> bool:
    """Whether ``moment`` lies in an open period (both ends included)."""
    moment = _aware(moment, calendar).astimezone(UTC)
    for start, end in open_periods(calendar, moment - dt.timedelta(microseconds=1)):
        return start <= moment <= end
    return False  # pragma: no cover


__all__ = [
    "WEEKDAYS",
    "BusinessCalendar",
    "CalendarError",
    "Pause",
    "due_time",
    "is_open",
    "open_periods",
    "parse_calendar",
    "working_minutes",
]
