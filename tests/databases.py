"""Small helpers for tests that run on SQLite and PostgreSQL alike."""

from __future__ import annotations

import sqlite3
from pathlib import Path
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


def demo_file(folder: Path, *, seed: int, customers: int) -> Path:
    """A SQLite file in ``folder`` holding the demo organisation (closed again)."""
    from cxgap.services.demo import load_demo
    from cxgap.store.database import get_engine, upgrade

    path = folder / "demo.db"
    engine = get_engine(str(path))
    upgrade(engine)
    load_demo(engine, seed=seed, customers=customers)
    engine.dispose()
    with sqlite3.connect(path) as connection:  # one file: copies of it are whole
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path
