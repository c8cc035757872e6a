"""The second half of the 5,000-request schemathesis run (see ``test_schemathesis.py``)."""

from __future__ import annotations

import pytest
from tests.web.api_world import World, build_world
from tests.web.test_schemathesis import thousands_of_requests


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("fuzz-second"))


@pytest.mark.slow
def test_five_thousand_generated_requests_second_half(world: World) -> None:
    thousands_of_requests(world, 1)
