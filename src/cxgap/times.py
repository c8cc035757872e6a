"""Times: every stored time is UTC; this is the one place that says how.

SQLite gives times back without an offset (they were stored as UTC); PostgreSQL gives
them back with one. Code that reads, compares or shows a stored time passes it through
:func:`as_utc`; code that needs the current time calls :func:`now`.
"""

from __future__ import annotations

import datetime as dt
from typing import overload


def now() -> dt.datetime:
    """The current time, in UTC with its offset."""
    return dt.datetime.now(dt.UTC)


@overload
def as_utc(value: dt.datetime) -> dt.datetime: ...
@overload
def as_utc(value: None) -> None: ...
def as_utc(value: dt.datetime | None) -> dt.datetime | None:
    """``value`` in UTC with its offset: a naive time is taken as UTC, an aware one is
    converted; ``None`` stays ``None``.

    >>> as_utc(dt.datetime(2026, 1, 31, 9, 30)).isoformat()
    '2026-01-31T09:30:00+00:00'
    >>> as_utc(dt.datetime.fromisoformat("2026-01-31T10:30:00+01:00")).isoformat()
    '2026-01-31T09:30:00+00:00'
    """
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def from_timestamp(seconds: float) -> dt.datetime:
    """A Unix time as a UTC time with its offset."""
    return dt.datetime.fromtimestamp(seconds, dt.UTC)
