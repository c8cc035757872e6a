"""Engines, sessions and schema upgrades.

The embedded default is a SQLite file in WAL mode with foreign keys enforced; any other
SQLAlchemy URL (PostgreSQL) works through the same setting.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from cxgap.errors import ConfigurationError

SQLITE_BUSY_TIMEOUT_MS = 10_000
"""How long a SQLite connection waits for another writer's lock before it gives up."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def is_sqlite(url: str | URL) -> bool:
    """Whether the URL names a SQLite database (a file or in memory)."""
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_file(url: str | URL) -> Path | None:
    """The file of a SQLite URL; ``None`` for in-memory SQLite and for other databases."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    return Path(database).expanduser()


def own_wal_checkpoints(connection: Connection) -> None:
    """A SQLite writer that checkpoints the WAL itself (:func:`checkpoint`) turns the
    automatic checkpoint of its commits off; nothing to do elsewhere."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA wal_autocheckpoint=0")
        connection.commit()


def checkpoint(connection: Connection) -> None:
    """Copy committed WAL pages into a SQLite file without waiting for readers."""
    connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
    connection.commit()


def normalise_url(url_or_path: str) -> str:
    """Accept a SQLAlchemy URL or a plain file path (taken as a SQLite file)."""
    if "://" in url_or_path:
        return url_or_path
    return f"sqlite:///{Path(url_or_path).expanduser()}"


@cache
def get_engine(url: str) -> Engine:
    """One engine per URL for the life of the process."""
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigurationError(
            f"database URL {url!r} is not valid; use a file path such as ./cxgap.db or "
            "a URL such as sqlite:///cxgap.db or postgresql+psycopg://user:pw@host/db"
        ) from None
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            parent = Path(database).expanduser().resolve().parent
            if not parent.exists():
                raise ConfigurationError(
                    f"cannot create database {database!r}: folder {parent} does not exist"
                )
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    try:
        return create_engine(url, pool_pre_ping=True)
    except ModuleNotFoundError as exc:
        raise ConfigurationError(
            f"the driver for {parsed.get_backend_name()} is not installed ({exc.name}); "
            "for PostgreSQL install cxgap[postgres]"
        ) from None


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on any error."""
    with session_factory(engine)() as session, session.begin():
        yield session


BRIEF_WAIT_MS = 200
"""How long :func:`brief_transaction` waits for another writer's lock."""


@contextmanager
def brief_transaction(engine: Engine, *, wait_ms: int = BRIEF_WAIT_MS) -> Iterator[Session]:
    """:func:`transaction` for a write that may be given up (keeping something derived,
    e.g. sums that can be formed again): it waits at most ``wait_ms`` for a lock another
    writer holds, then fails with :class:`sqlalchemy.exc.OperationalError` (SQLite's
    ``database is locked``, PostgreSQL's lock timeout) instead of holding up a reader."""
    with engine.connect() as connection:
        sqlite = engine.dialect.name == "sqlite"
        if sqlite:
            connection.exec_driver_sql(f"PRAGMA busy_timeout={int(wait_ms)}")
            connection.commit()  # the session below begins (and commits) its own
        try:
            with Session(bind=connection, expire_on_commit=False) as session, session.begin():
                if engine.dialect.name == "postgresql":
                    session.execute(text(f"SET LOCAL lock_timeout = '{int(wait_ms)}ms'"))
                yield session
        finally:
            if sqlite:
                connection.rollback()
                connection.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
                connection.commit()


_snapshots: ContextVar[dict[Engine, Session] | None] = ContextVar("snapshots", default=None)
"""The snapshot each engine is read in, for the code running in this context."""


@contextmanager
def snapshot(engine: Engine) -> Iterator[Session]:
    """A read-only session whose reads all see the database as of one moment.

    Reads that belong together (a survey's response list and its answers; every wave of
    an analysis; a cache version and the data cached under it) go through one snapshot,
    so a submission committed meanwhile is either wholly in or wholly out.

    - PostgreSQL: one ``REPEATABLE READ READ ONLY`` transaction (its snapshot is taken at
      the first statement).
    - SQLite: Python's driver begins a transaction only before a write, so each read would
      otherwise see the newest commit. An explicit ``BEGIN`` and a first read start one
      read transaction; in WAL mode it keeps its snapshot while writers go on committing
      (a write in it would fail; none is made).

    Nested calls for the same engine (in the same thread or task) join the outer snapshot.
    The session is rolled back at the end: it never writes.
    """
    open_snapshots = _snapshots.get() or {}
    joined = open_snapshots.get(engine)
    if joined is not None:
        yield joined
        return
    with session_factory(engine)() as session:
        if engine.dialect.name == "postgresql":
            session.connection(
                execution_options={
                    "isolation_level": "REPEATABLE READ",
                    "postgresql_readonly": True,
                }
            )
        elif engine.dialect.name == "sqlite":
            connection = session.connection()
            connection.exec_driver_sql("BEGIN")
            connection.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar()
        token = _snapshots.set({**open_snapshots, engine: session})
        try:
            yield session
        finally:
            _snapshots.reset(token)
            session.rollback()


def _alembic_config(engine: Engine) -> Config:
    config = Config()
    location = resources.files("cxgap.store").joinpath("migrations")
    config.set_main_option("script_location", str(location))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` (default: the newest)."""
    command.upgrade(_alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(_alembic_config(engine)).get_current_head()


def ensure_schema(engine: Engine) -> None:
    """Upgrade the schema if it is behind the code."""
    if current_revision(engine) != head_revision(engine):
        upgrade(engine)
