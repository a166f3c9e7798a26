"""Property-based requests generated from the service's own OpenAPI document (/ogc/api): no server errors."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

pytestmark = pytest.mark.db

EXAMPLES = 25  # per operation; derandomized, so every run sends the same requests


def test_no_operation_answers_a_server_error(app):
    schema = schemathesis.openapi.from_wsgi("/ogc/api", app)
    failures: list[tuple] = []
    sent = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def probe(case) -> None:
            nonlocal sent
            sent += 1
            resp = case.call()
            if resp.status_code >= 500:
                failures.append((case.method, case.path, case.path_parameters, case.query, resp.status_code))

        probe()
    assert sent > 100
    assert failures == []
