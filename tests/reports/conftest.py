"""One demo database shared by the report tests (loading it is the slow part)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from cxgap.store.database import get_engine, upgrade


@pytest.fixture(scope="package")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from cxgap.services.demo import load_demo

    path = tmp_path_factory.mktemp("reports") / "demo.db"
    engine = get_engine(str(path))
    upgrade(engine)
    load_demo(engine, seed=11, customers=800)
    engine.dispose()
    return path


@pytest.fixture(scope="package")
def demo_engine(demo_db: Path) -> Engine:
    return get_engine(str(demo_db))
