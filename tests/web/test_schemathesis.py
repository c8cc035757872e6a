"""schemathesis against ``/api/v1/openapi.json``: no server error, every answer as documented."""

from __future__ import annotations

import pytest
from tests.web.api_world import World, build_world
from tests.web.schemathesis_run import fuzz

OPERATIONS = 59
SURVEY_WORK = ("POST /api/v1/analyses", "POST /api/v1/index", "GET /api/v1/reports/{survey}")
"""Operations that only do their work for a stored survey's key."""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("fuzz"))


EXAMPLES = 6
"""Generated requests per operation in the whole suite (``--full``); half as many by
default (about 0.1-0.3 s a request: this test is among the longest of the default run)."""


def test_generated_requests(world: World, full_run: bool) -> None:
    examples = EXAMPLES if full_run else EXAMPLES // 2
    report = fuzz(world, examples=examples)
    assert len(report.by_operation) == OPERATIONS
    assert report.requests >= 2 * examples * OPERATIONS // 3
    assert not [s for s in report.by_status if s >= 500]
    successes = {label: report.succeeded(label) for label in SURVEY_WORK}
    assert all(successes.values()), successes  # each reached its work with a valid key


def thousands_of_requests(world: World, part: int) -> None:
    """Half of the 5,000-request run (150 examples per operation): every other operation,
    so that the two halves run on parallel workers (the other half is in
    ``test_schemathesis_second_half.py``)."""
    report = fuzz(world, examples=150, share=(part, 2))
    print(f"schemathesis part {part}: {report.requests} requests, {dict(report.by_status)}")
    assert len(report.by_operation) == len(range(part, OPERATIONS, 2))
    assert report.requests >= 2500
    assert not [s for s in report.by_status if s >= 500]
    successes = {
        label: report.succeeded(label) for label in SURVEY_WORK if label in report.by_operation
    }
    print(f"2xx answers with a stored survey: {successes}")
    assert all(n >= 10 for n in successes.values()), successes


@pytest.mark.slow
def test_five_thousand_generated_requests_first_half(world: World) -> None:
    thousands_of_requests(world, 0)
