"""schemathesis against ``/api/v1/openapi.json``: no server error, every answer as documented."""

from __future__ import annotations

import pytest
from tests.web.api_world import World, build_world
from tests.web.schemathesis_run import fuzz

OPERATIONS = 35


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("fuzz"))


def test_generated_requests(world: World) -> None:
    report = fuzz(world, examples=6)
    assert len(report.by_operation) == OPERATIONS
    assert report.requests >= 4 * OPERATIONS
    assert not [s for s in report.by_status if s >= 500]


@pytest.mark.slow
def test_five_thousand_generated_requests(world: World) -> None:
    report = fuzz(world, examples=150)
    print(f"schemathesis: {report.requests} requests, {dict(report.by_status)}")
    assert report.requests >= 5000
    assert len(report.by_operation) == OPERATIONS
