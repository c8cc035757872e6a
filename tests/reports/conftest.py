"""One demo database shared by the report tests (loading it is the slow part)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from tests.databases import demo_file

from cxgap.store.database import get_engine


@pytest.fixture(scope="package")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_file(tmp_path_factory.mktemp("reports"), seed=11, customers=800)


@pytest.fixture(scope="package")
def demo_engine(demo_db: Path) -> Engine:
    return get_engine(str(demo_db))
