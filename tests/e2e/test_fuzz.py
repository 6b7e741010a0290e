"""Schemathesis against the running service's own OpenAPI: no 5xx, answers match the schema.

Driven through Hypothesis directly: schemathesis's pytest plugin does not run on pytest 9.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.e2e.service import Service

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]


def test_the_api_survives_generated_requests(service: Service) -> None:
    schema = schemathesis.openapi.from_url(f"{service.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:

        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck),
                  database=None)  # fmt: skip
        @given(case=operation.as_strategy())
        def exercise(case: Any) -> None:
            case.call_and_validate(checks=CHECKS, timeout=30)

        exercise()
