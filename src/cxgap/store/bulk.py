"""Fast bulk inserts through the database driver, portable across SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, text


def placeholders(connection: Connection, count: int) -> str:
    style = connection.dialect.paramstyle
    mark = "?" if style == "qmark" else "%s"
    return ", ".join([mark] * count)


def binds_nan_as_null(connection: Connection) -> bool:
    """Whether the driver stores a NaN parameter as NULL (SQLite does; PostgreSQL stores
    NaN, so missing numbers must be passed as ``None`` there)."""
    return connection.dialect.name == "sqlite"


def time_parameter(connection: Connection) -> Callable[[dt.datetime | None], Any]:
    """How a time is passed to a raw insert: as the text SQLAlchemy's ``DateTime`` stores
    on SQLite, as the ``datetime`` itself elsewhere."""
    if connection.dialect.name == "sqlite":
        return lambda value: None if value is None else value.strftime("%Y-%m-%d %H:%M:%S.%f")
    return lambda value: value


def bulk_insert(
    connection: Connection,
    table: str,
    columns: Sequence[str],
    chunks: Iterable[Sequence[Sequence[Any]]],
) -> int:
    """Insert rows (tuples in ``columns`` order), given in chunks, with ``executemany``.

    Runs inside the caller's transaction. Returns the number of rows inserted.
    """
    quoted = ", ".join(f'"{c}"' for c in columns)
    sql = f'INSERT INTO "{table}" ({quoted}) VALUES ({placeholders(connection, len(columns))})'
    cursor = connection.connection.cursor()
    total = 0
    try:
        for chunk in chunks:
            if chunk:
                cursor.executemany(sql, chunk)
                total += len(chunk)
    finally:
        cursor.close()
    return total


def reserve_ids(connection: Connection, table: str, count: int) -> list[int]:
    """``count`` new primary-key values for ``table``, safe inside the current transaction.

    PostgreSQL draws them from the table's sequence. SQLite allows one writer at a time, so
    once the transaction has written (callers write before reserving) the ids after the
    current maximum are free.
    """
    if count == 0:
        return []
    if connection.dialect.name == "postgresql":
        rows = connection.execute(
            text(
                f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) "
                "FROM generate_series(1, :n)"
            ),
            {"n": count},
        ).scalars()
        return sorted(int(v) for v in rows)
    start = int(
        connection.execute(text(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')).scalar() or 0
    )
    return list(range(start + 1, start + count + 1))
