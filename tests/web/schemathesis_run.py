"""Generated requests against the API's OpenAPI description (schemathesis).

Every operation gets ``examples`` generated cases (valid and invalid parameters and
bodies), sent with an admin's API key through the in-process ASGI app; each answer is
checked: no server error, and status code, content type and body as documented.

A survey key is free text in the description, so generated keys would only ever name no
survey (404). The description served by the test application therefore lists the demo
organisation's survey keys as the values of ``survey`` and ``compare`` where a survey is
read (analyses, index, reports, survey details, responses), so valid requests reach the
work behind them; invalid ones still use any other text. The index's bootstrap is capped
at :data:`MAX_FUZZ_BOOTSTRAP` resamples to keep the run short.
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

from cxgap.services.surveys import list_surveys
from cxgap.store.accounts import ApiKey
from cxgap.store.database import transaction

CHECKS = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
)


SURVEY_OPERATIONS = {
    ("post", "/api/v1/analyses"),
    ("post", "/api/v1/index"),
    ("get", "/api/v1/reports/{survey}"),
    ("get", "/api/v1/surveys/{survey}"),
    ("get", "/api/v1/responses"),
    ("get", "/api/v1/responses/export"),
}
"""Operations that read a survey named by ``survey`` (and ``compare``)."""
SURVEY_FIELDS = ("survey", "compare")
MAX_FUZZ_BOOTSTRAP = 20


@dataclass
class FuzzReport:
    requests: int = 0
    by_status: Counter[int] = field(default_factory=Counter)
    by_operation: Counter[str] = field(default_factory=Counter)
    by_operation_status: Counter[tuple[str, int]] = field(default_factory=Counter)

    def succeeded(self, label: str) -> int:
        """Requests of one operation (``"POST /api/v1/index"``) that answered 2xx."""
        return sum(
            n
            for (op, status), n in self.by_operation_status.items()
            if op == label and status < 300
        )


def _name_surveys(schema: dict[str, Any], keys: list[str]) -> None:
    """Give the string form of ``schema`` (or of its ``anyOf`` branches) the survey keys."""
    for branch in schema.get("anyOf", [schema]):
        if branch.get("type") == "string":
            branch["enum"] = keys


def with_survey_keys(description: dict[str, Any], keys: list[str]) -> None:
    """List ``keys`` as the values of ``survey`` and ``compare`` in the operations that
    read a survey, in place (see the module's description)."""
    components = description["components"]["schemas"]
    for method, path in SURVEY_OPERATIONS:
        operation = description["paths"][path][method]
        for parameter in operation.get("parameters", []):
            if parameter["name"] in SURVEY_FIELDS:
                _name_surveys(parameter["schema"], keys)
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body is not None:
            model = components[body["schema"]["$ref"].rsplit("/", 1)[-1]]
            for name in SURVEY_FIELDS:
                if name in model["properties"]:
                    _name_surveys(model["properties"][name], keys)
    components["IndexRun"]["properties"]["bootstrap"]["maximum"] = MAX_FUZZ_BOOTSTRAP


def _restore_keys(world: World) -> None:
    """Generated requests may revoke the admin's own key; give it back."""
    with transaction(world.engine) as session:
        session.execute(update(ApiKey).values(revoked_at=None))


def fuzz(world: World, *, examples: int, share: tuple[int, int] = (0, 1)) -> FuzzReport:
    """Send ``examples`` generated requests per operation; raise on the first failure.

    ``share=(k, n)`` takes every n-th operation starting at the k-th, so that a long run
    can be split over test modules (and so over parallel workers)."""
    app = world.client.app
    with_survey_keys(app.openapi(), [s.key for s in list_surveys(world.engine)])  # type: ignore[attr-defined]
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    headers = world.as_role("admin")
    report = FuzzReport()
    part, parts = share
    for position, result in enumerate(schema.get_all_operations()):
        operation = result.ok()  # type: ignore[union-attr]  # an invalid one fails here
        if position % parts == part:
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
        report.by_operation_status[label, response.status_code] += 1
        case.validate_response(response, checks=CHECKS)
        if label.startswith("DELETE"):
            _restore_keys(world)

    run()
