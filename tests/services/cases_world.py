"""A demo organisation with case workers, copied into each test's folder."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from sqlalchemy import Engine
from tests.databases import load_demo_copy

from cxgap.services.accounts import create_account
from cxgap.store.database import get_engine, upgrade

EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"
RULES = EXAMPLES / "case-rules.yaml"
CALENDAR = EXAMPLES / "office-calendar.yaml"
PEOPLE = ("ana", "ben", "chen", "dara", "lea", "max")
PASSWORD = "a-long-Passw0rd-for-tests"


def build_template(folder: Path, *, customers: int = 300) -> Path:
    """A migrated demo database with the people the example rules name."""
    path = folder / "template.db"
    engine = get_engine(str(path))
    upgrade(engine)
    load_demo_copy(engine, seed=7, customers=customers, recovery=False)
    for name in PEOPLE:
        create_account(engine, f"{name}@example.org", PASSWORD, role="agent", actor="test")
    engine.dispose()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def copy_of(template: Path, folder: Path) -> Engine:
    target = folder / "cases.db"
    shutil.copyfile(template, target)
    engine = get_engine(str(target))
    upgrade(engine)
    return engine


def scalar(engine: Engine, sql: str, *params: object) -> object:
    """One value read through the plain sqlite3 module (an independent path)."""
    database = engine.url.database
    assert database is not None
    with sqlite3.connect(database) as conn:
        return conn.execute(sql, params).fetchone()[0]
