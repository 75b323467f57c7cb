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


def _records(app) -> dict[str, int]:
    """Records for the path parameters of valid requests, so they reach the handlers
    (generated ids alone would mostly meet 404)."""
    import io

    from qms.core import audit
    from qms.extensions import db
    from qms.nonconformities import services
    from tests.conftest import user
    from tests.documents.conftest import make_document
    from tests.nonconformities.conftest import PNG, make_nc, make_process, to_implementation

    with app.test_request_context(), audit.acting_as(user("calidad")):
        process = make_process("PAG", "duenio")
        document, _ = make_document("PR-OTR-01")
        nc = make_nc(process)
        to_implementation(nc)
        attachment = services.attach_file(nc, io.BytesIO(PNG), "foto.png",
                                          uploader=user("calidad"))
        db.session.commit()
        return {"process_id": process.id, "document_id": document.id, "number": 1,
                "nc_id": nc.id, "action_id": nc.actions[0].id, "attachment_id": attachment.id}


def _exercise(operation, client, known: dict, headers: dict, statuses: collections.Counter,
              answered: set[str]) -> None:
    """Run the bounded examples of one operation: half valid (on known records), half
    breaking the schema (which must be refused with a 4xx). The token is a fixed header,
    never one of the mutations."""

    names = {p.name for p in operation.path_parameters}
    cases = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE, headers=headers,
                              path_parameters={n: known[n] for n in names & known.keys()}),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE, headers=headers))

    @given(case=cases)
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case):
        # The suite's client reads and closes each answer as a WSGI server would.
        response = case.call_and_validate(session=client, checks=CHECKS)
        statuses[response.status_code // 100 * 100] += 1
        if response.status_code < 300:
            answered.add(operation.label)

    run()


def test_every_api_operation_holds_under_generated_requests(app, client):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = api_token(app, "calidad")
    known = _records(app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20
    failures: list[str] = []
    statuses: collections.Counter = collections.Counter()
    answered: set[str] = set()
    for operation in operations:
        try:
            _exercise(operation, client, known, headers, statuses, answered)
        except Exception as failure:
            failures.append(f"{operation.label}: {failure}")
    print(f"schemathesis: {len(operations)} operations ({len(answered)} answered 2xx), "
          f"{sum(statuses.values())} requests, {dict(statuses)}")
    assert not failures, "\n\n".join(failures)
    # The run reached the handlers: every read of a known record answered 2xx, and broken
    # requests were refused with 4xx.
    # (A read with a required query, such as a generated date for "in force on", may
    # rightly answer 404.)
    reads = {o.label for o in operations if o.method.upper() == "GET"
             and {p.name for p in o.path_parameters} <= known.keys()
             and not any(p.is_required for p in o.query)}
    assert reads - answered == set()
    assert statuses[400] > len(operations), statuses
