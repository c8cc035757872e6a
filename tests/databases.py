"""Small helpers for tests that run on SQLite and PostgreSQL alike, and the demo
organisation built once per test run and copied (:func:`load_demo_copy`)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import fcntl
import pickle
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import Engine, text
from tests.postgres_server import TEMPLATE as MIGRATED

if TYPE_CHECKING:
    from cxgap.services.demo import DemoResult

_cache: dict[str, Path] = {}
"""``folder``: where :func:`load_demo_copy` keeps its SQLite templates (set by
:func:`use_demo_cache`; unset, every copy is a fresh load)."""
_server_templates: dict[tuple[str, str], DemoResult] = {}
"""(server address, template name) -> the demo result of a PostgreSQL template database."""
_lock = threading.Lock()


@contextmanager
def demo_database(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    *,
    seed: int,
    customers: int,
) -> Iterator[Engine]:
    """The demo organisation (:func:`load_demo_copy`) in a database of its own: a SQLite
    file, or, when the fixture's parameter is ``postgresql``, a PostgreSQL database
    (dropped on exit)."""
    from cxgap.store.database import get_engine, upgrade

    on_server = getattr(request, "param", "sqlite") == "postgresql"
    if on_server:
        server = request.getfixturevalue("postgres_server")
        url = server.new_database()
        engine = get_engine(url)
    else:
        engine = get_engine(str(tmp_path_factory.mktemp("demo") / "demo.db"))
        upgrade(engine)
    load_demo_copy(engine, seed=seed, customers=customers)
    try:
        yield engine
    finally:
        engine.dispose()
        if on_server:
            server.drop_database(url)


def database_option(engine: Engine) -> str:
    """What ``cxgap --db`` takes for this database: the SQLite file, or the full URL."""
    if engine.dialect.name == "sqlite":
        return str(engine.url.database)
    return engine.url.render_as_string(hide_password=False)


def query(engine: Engine, sql: str) -> list[tuple[Any, ...]]:
    """The rows of one read-only statement, through the database's own driver."""
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql))]


def use_demo_cache(folder: Path) -> None:
    """Keep the demo templates of :func:`load_demo_copy` in ``folder`` (shared by the
    test processes of one run; each template is built by the first process that needs it)."""
    folder.mkdir(parents=True, exist_ok=True)
    _cache["folder"] = folder


def load_demo_copy(
    engine: Engine,
    *,
    seed: int,
    customers: int,
    anchor: dt.date | None = None,
    recovery: bool = True,
) -> DemoResult:
    """What ``load_demo(engine, seed=..., customers=..., anchor=..., recovery=...)`` does to
    a freshly migrated, still empty database, in a fraction of the time: the demo is loaded
    once per test run (SQLite: one file shared by the test processes) or once per test
    process (PostgreSQL: a template database on its server), and ``engine``'s database is
    replaced by a copy of it. Returns the :class:`cxgap.services.demo.DemoResult` of the
    load (with this copy's truths file)."""
    from cxgap.services.demo import demo_anchor

    when = demo_anchor(anchor)
    options: dict[str, Any] = {
        "seed": seed,
        "customers": customers,
        "anchor": when,
        "recovery": recovery,
    }
    name = f"demo_s{seed}_c{customers}_{when:%Y%m%d}_{recovery:d}"
    if engine.dialect.name == "postgresql":
        return _postgres_copy(engine, name, options)
    folder = _cache.get("folder")
    if folder is None:
        return _load(engine, options)
    template = folder / f"{name}.db"
    with _file_lock(folder / f"{name}.lock"):
        if not template.exists():
            _build_sqlite(template, options)
    result: DemoResult = pickle.loads(template.with_suffix(".result").read_bytes())
    target = engine.url.database
    assert target is not None
    engine.dispose()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(template, target)
    truths = Path(f"{template}.truths.json")
    if result.truths_file is not None:
        shutil.copyfile(truths, f"{target}.truths.json")
        result = dataclasses.replace(result, truths_file=f"{target}.truths.json")
    return result


def demo_file(folder: Path, *, seed: int, customers: int) -> Path:
    """A SQLite file in ``folder`` holding the demo organisation (closed again)."""
    from cxgap.store.database import get_engine, upgrade

    path = folder / "demo.db"
    engine = get_engine(str(path))
    upgrade(engine)
    load_demo_copy(engine, seed=seed, customers=customers)
    engine.dispose()
    with sqlite3.connect(path) as connection:  # one file: copies of it are whole
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def _load(engine: Engine, options: dict[str, Any]) -> DemoResult:
    from cxgap.services.demo import load_demo

    result = load_demo(engine, **options)
    assert result is not None  # None only with if_empty, which is not passed
    return result


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _build_sqlite(template: Path, options: dict[str, Any]) -> None:
    from cxgap.store.database import get_engine, upgrade

    building = template.with_suffix(".building")
    for stale in (building, Path(f"{building}-wal"), Path(f"{building}-shm")):
        stale.unlink(missing_ok=True)
    engine = get_engine(str(building))
    upgrade(engine)
    result = _load(engine, options)
    engine.dispose()
    with sqlite3.connect(building) as connection:  # one file: copies of it are whole
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    if result.truths_file is not None:
        Path(result.truths_file).rename(f"{template}.truths.json")
        result = dataclasses.replace(result, truths_file=f"{template}.truths.json")
    template.with_suffix(".result").write_bytes(pickle.dumps(result))
    building.rename(template)  # last: a template that exists is complete


def _postgres_copy(engine: Engine, name: str, options: dict[str, Any]) -> DemoResult:
    from cxgap.store.database import get_engine

    url = engine.url
    server = f"{url.host}:{url.port}"
    with _lock:
        result = _server_templates.get((server, name))
        if result is None:
            # built from the migrated template, as the test's own database was
            _server_execute(engine, f"CREATE DATABASE {name} TEMPLATE {MIGRATED}")
            template = get_engine(url.set(database=name).render_as_string(hide_password=False))
            result = _load(template, options)
            template.dispose()
            _server_templates[server, name] = result
    engine.dispose()
    _server_execute(engine, f"DROP DATABASE {url.database} WITH (FORCE)")
    _server_execute(engine, f"CREATE DATABASE {url.database} TEMPLATE {name}")
    return result


def _server_execute(engine: Engine, sql: str) -> None:
    """One statement outside a transaction (CREATE/DROP DATABASE) on ``engine``'s server."""
    import psycopg

    url = engine.url
    with psycopg.connect(
        host=url.host, port=url.port, user=url.username, dbname="postgres", autocommit=True
    ) as connection:
        connection.execute(sql.encode())
