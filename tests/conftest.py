"""Shared fixtures: real databases (SQLite files and PostgreSQL), the test instrument,
and the real CLI."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from tests.databases import use_demo_cache
from tests.postgres_server import (
    BACKENDS,
    TEST_SECRET_KEY,
    PostgresServer,
    PostgresUnavailableError,
)

from cxgap.instruments import Instrument, load_instrument
from cxgap.settings import get_settings
from cxgap.store.database import get_engine, transaction, upgrade

DATA = Path(__file__).parent / "data"

# The tests' demo organisation is dated before this day (waves 2025Q1-2026Q4), so survey
# keys and numbers do not move with the calendar; commands run by the tests inherit it.
os.environ["CXGAP_DEMO_ANCHOR"] = "2027-01-01"
BOTH_BACKENDS = (
    "store/",
    "services/",
    "ingest/",
    "engine/test_frames.py",
    "engine/test_snapshot.py",
    "web/test_api.py",
    "web/test_api_input.py",
    "web/test_collection.py",
)
"""Test files (or folders) whose ``engine`` runs on SQLite and on PostgreSQL."""


@pytest.fixture(scope="session", autouse=True)
def demo_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """One folder of demo templates per test run (:func:`tests.databases.load_demo_copy`),
    shared by the pytest-xdist workers (their temporary folders have a common parent)."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    use_demo_cache(shared / "demo-templates")


@pytest.fixture
def mini() -> Instrument:
    return load_instrument(DATA / "mini.yaml")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One throw-away PostgreSQL server per test process (each pytest-xdist worker starts
    its own when one of its tests needs it), stopped and removed at the end. A missing
    PostgreSQL is a failure, never a skip."""
    server = PostgresServer()
    try:
        server.start()
        server.create_template()
    except PostgresUnavailableError as exc:
        server.stop()
        pytest.fail(str(exc))
    yield server
    server.stop()


@pytest.fixture
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A fresh, migrated database: a SQLite file, or (parameter ``postgresql``, given to the
    files of :data:`BOTH_BACKENDS`) a PostgreSQL database copied from the migrated template."""
    if getattr(request, "param", "sqlite") == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres_server")
        # a server database keeps no secret file beside it: links are signed with the setting
        monkeypatch: pytest.MonkeyPatch = request.getfixturevalue("monkeypatch")
        monkeypatch.setenv("CXGAP_SECRET_KEY", TEST_SECRET_KEY)
        get_settings.cache_clear()
        url = server.new_database()
        eng = get_engine(url)
        yield eng
        eng.dispose()
        server.drop_database(url)
        get_settings.cache_clear()
        return
    eng = get_engine(str(tmp_path / "test.db"))
    upgrade(eng)
    yield eng


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run the ``engine`` tests of :data:`BOTH_BACKENDS` once per backend."""
    if "engine" not in metafunc.fixturenames:
        return
    path = Path(str(metafunc.definition.path)).relative_to(Path(__file__).parent).as_posix()
    if path.startswith(BOTH_BACKENDS):
        metafunc.parametrize("engine", BACKENDS, indirect=True)


@pytest.fixture
def mini_survey(engine: Engine, mini: Instrument) -> str:
    from cxgap.services.surveys import create_survey

    with transaction(engine) as session:
        create_survey(session, "mini-w1", instrument=mini, wave="W1")
    return "mini-w1"


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run the real ``cxgap`` entry point; returns (exit code, stdout, stderr)."""
    from cxgap.cli import main

    def run(*args: str) -> tuple[int, str, str]:
        code = 0
        try:
            main([str(a) for a in args])
        except SystemExit as exc:
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--full",
        action="store_true",
        help="the whole suite, as CI runs it: the tests marked slow too, and the generated "
        "requests of the API with their full budget (without it, slow tests are left out "
        "unless -m selects them)",
    )


@pytest.fixture(scope="session")
def full_run(request: pytest.FixtureRequest) -> bool:
    """Whether this is the whole suite (``--full``): budgets of generated tests are full."""
    return bool(request.config.getoption("full"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave the slow tests out unless ``--full`` (or a ``-m`` expression) asks for them;
    run the modules with slow tests first: in parallel runs (pytest-xdist, one module per
    worker at a time) the longest modules then start at once instead of last."""
    slow = [item for item in items if item.get_closest_marker("slow")]
    slow_modules = {item.module for item in slow}
    if slow and not config.getoption("full") and not config.option.markexpr:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if not item.get_closest_marker("slow")]
    items.sort(key=lambda item: item.module not in slow_modules)
