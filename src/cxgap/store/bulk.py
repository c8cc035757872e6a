"""Fast bulk inserts through the database driver, portable across SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import islice
from typing import Any

from sqlalchemy import Connection

CHUNK_ROWS = 20_000


def placeholders(connection: Connection, count: int) -> str:
    style = connection.dialect.paramstyle
    mark = "?" if style == "qmark" else "%s"
    return ", ".join([mark] * count)


def bulk_insert(
    connection: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Insert ``rows`` (tuples in ``columns`` order) with the driver's ``executemany``.

    Runs inside the caller's transaction. Returns the number of rows inserted.
    """
    quoted = ", ".join(f'"{c}"' for c in columns)
    sql = f'INSERT INTO "{table}" ({quoted}) VALUES ({placeholders(connection, len(columns))})'
    cursor = connection.connection.cursor()
    total = 0
    iterator = iter(rows)
    while chunk := list(islice(iterator, CHUNK_ROWS)):
        cursor.executemany(sql, chunk)
        total += len(chunk)
    cursor.close()
    return total
