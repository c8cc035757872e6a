"""The same stored data gives the same analysis on SQLite and on PostgreSQL."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from tests.databases import load_demo_copy
from tests.postgres_server import PostgresServer

from cxgap.services.analysis import analyze_survey
from cxgap.store.database import get_engine, upgrade

SURVEY = "heating-2026q4"


def assert_same(left: Any, right: Any, where: str = "") -> None:
    """Equal structures; numbers equal to 1e-9 (relative or absolute)."""
    if isinstance(left, dict):
        assert isinstance(right, dict) and left.keys() == right.keys(), where
        for key in left:
            assert_same(left[key], right[key], f"{where}.{key}")
    elif isinstance(left, list):
        assert isinstance(right, list) and len(left) == len(right), where
        for n, (a, b) in enumerate(zip(left, right, strict=True)):
            assert_same(a, b, f"{where}[{n}]")
    elif isinstance(left, float) and isinstance(right, float):
        if math.isnan(left):
            assert math.isnan(right), where
        else:
            assert math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-9), (where, left, right)
    else:
        assert left == right, (where, left, right)


@pytest.mark.slow  # the demo organisation loaded twice
def test_the_demo_analysis_is_the_same_on_both_databases(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    sqlite = get_engine(str(tmp_path / "demo.db"))
    upgrade(sqlite)
    url = postgres_server.new_database()
    postgresql = get_engine(url)
    try:
        for engine in (sqlite, postgresql):
            load_demo_copy(engine, seed=11, customers=400)
        on_sqlite = analyze_survey(sqlite, SURVEY, by=["age_band", "channel"]).to_dict()
        on_postgresql = analyze_survey(postgresql, SURVEY, by=["age_band", "channel"]).to_dict()
        assert on_sqlite["survey"]["n_responses"] > 50
        assert_same(on_sqlite, on_postgresql)
    finally:
        postgresql.dispose()
        postgres_server.drop_database(url)
