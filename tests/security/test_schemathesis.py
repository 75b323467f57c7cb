"""Property-based testing of the whole API from its OpenAPI document (schemathesis),
in-process, authenticated with a quality officer's bearer token.

Every operation gets a bounded number of generated requests (``QMS_SCHEMATHESIS_EXAMPLES``,
default 10, derandomised so a run is reproducible). Checks: no server error, status
codes and content types the document declares, responses that match their schemas, and
data that breaks the schema (``"active": 0``, a string for an integer…) refused.
"""

from __future__ import annotations

import collections
import os

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tests.nonconformities.conftest import api_token

EXAMPLES = int(os.environ.get("QMS_SCHEMATHESIS_EXAMPLES", "10"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, negative_data_rejection]


def test_every_api_operation_holds_under_generated_requests(app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = api_token(app, "calidad")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20
    failures: list[str] = []
    statuses: collections.Counter = collections.Counter()
    for operation in operations:
        # Half the examples valid, half breaking the schema (must be refused with a 4xx).
        cases = st.one_of(operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
                          operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))

        @given(case=cases)
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            response = case.call_and_validate(headers=headers, checks=CHECKS)
            statuses[response.status_code // 100 * 100] += 1

        try:
            run()
        except Exception as failure:
            failures.append(f"{operation.label}: {failure}")
    assert not failures, "\n\n".join(failures)
    # The run reached the views: valid requests answered 2xx, broken ones 4xx.
    assert statuses[200] > len(operations) and statuses[400] > len(operations), statuses
    print(f"schemathesis: {len(operations)} operations, {sum(statuses.values())} requests, "
          f"{dict(statuses)}")
