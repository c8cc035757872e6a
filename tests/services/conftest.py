"""Fixtures of the case tests: the demo organisation with case workers
(:mod:`tests.services.cases_world`); a module's own ``demo`` fixture takes precedence."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from tests.services.cases_world import build_template, copy_of


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo world of a test module (built once per module)."""
    return build_template(tmp_path_factory.mktemp("demo"))


@pytest.fixture
def demo(template: Path, tmp_path: Path) -> Engine:
    """A test's own copy of the demo world with case workers."""
    return copy_of(template, tmp_path)
