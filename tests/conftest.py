"""Shared fixtures: real SQLite files, the test instrument, and the real CLI."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine

from cxgap.instruments import Instrument, load_instrument
from cxgap.store.database import get_engine, transaction, upgrade

DATA = Path(__file__).parent / "data"

# The tests' demo organisation is dated before this day (waves 2025Q1-2026Q4), so survey
# keys and numbers do not move with the calendar; commands run by the tests inherit it.
os.environ["CXGAP_DEMO_ANCHOR"] = "2027-01-01"


@pytest.fixture
def mini() -> Instrument:
    return load_instrument(DATA / "mini.yaml")


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    """A fresh, migrated SQLite database file."""
    eng = get_engine(str(tmp_path / "test.db"))
    upgrade(eng)
    return eng


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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the modules with slow tests first: in parallel runs (pytest-xdist, one module
    per worker at a time) the longest modules then start at once instead of last."""
    slow_modules = {item.module for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.module not in slow_modules)
