"""Small helpers for tests that run on SQLite and PostgreSQL alike."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text


def database_option(engine: Engine) -> str:
    """What ``cxgap --db`` takes for this database: the SQLite file, or the full URL."""
    if engine.dialect.name == "sqlite":
        return str(engine.url.database)
    return engine.url.render_as_string(hide_password=False)


def query(engine: Engine, sql: str) -> list[tuple[Any, ...]]:
    """The rows of one read-only statement, through the database's own driver."""
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql))]
