"""Generated requests against the API's OpenAPI description (schemathesis).

Every operation gets ``examples`` generated cases (valid and invalid parameters and
bodies), sent with an admin's API key through the in-process ASGI app; each answer is
checked: no server error, and status code, content type and body as documented.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import update
from tests.web.api_world import World

from cxgap.store.accounts import ApiKey
from cxgap.store.database import transaction

CHECKS = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
)


@dataclass
class FuzzReport:
    requests: int = 0
    by_status: Counter[int] = field(default_factory=Counter)
    by_operation: Counter[str] = field(default_factory=Counter)


def _restore_keys(world: World) -> None:
    """Generated requests may revoke the admin's own key; give it back."""
    with transaction(world.engine) as session:
        session.execute(update(ApiKey).values(revoked_at=None))


def fuzz(world: World, *, examples: int) -> FuzzReport:
    """Send ``examples`` generated requests per operation; raise on the first failure."""
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", world.client.app)
    headers = world.as_role("admin")
    report = FuzzReport()
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]  # an invalid one fails here
        _fuzz_operation(world, operation, headers, report, examples)
    return report


def _fuzz_operation(
    world: World, operation: Any, headers: dict[str, str], report: FuzzReport, examples: int
) -> None:
    label = f"{operation.method.upper()} {operation.path}"
    cases = operation.as_strategy() | operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases)
    def run(case: Any) -> None:
        response = case.call(headers=headers)
        report.requests += 1
        report.by_status[response.status_code] += 1
        report.by_operation[label] += 1
        case.validate_response(response, checks=CHECKS)
        if label.startswith("DELETE"):
            _restore_keys(world)

    run()
