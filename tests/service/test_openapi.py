"""schemathesis against the served OpenAPI 3.1 document: every endpoint, no 5xx, every status code, content
type and body as documented. Examples are bounded and derandomised so the run is short and repeatable."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from promoready.service import Settings, create_app
from promoready.service.app import start

#: A decision store (SQLite) holding the decision of the id the OpenAPI document gives as its example, so
#: that GET /v1/decisions/{decision_id} is exercised when found as well as when not.
_STORE = tempfile.mkdtemp(prefix="promoready-openapi-")
APP = create_app(Settings(access_log=False, db=os.path.join(_STORE, "decisions.sqlite")))
start(APP)  # what the lifespan does before uvicorn accepts a request: the ladders, the decision log
atexit.register(shutil.rmtree, _STORE, True)


def _store_the_example_decision() -> str:
    from promoready.service._engine import example_packet
    from promoready.store import decision_rows

    [parameter] = APP.openapi()["paths"]["/v1/decisions/{decision_id}"]["get"]["parameters"]
    example = parameter["schema"]["examples"][0]
    evaluator = next(iter(APP.state.engine.served().values()))
    store = APP.state.decision_log.store
    cycle = store.start_cycle("openapi-example")
    store.write(cycle, [decision_rows("example", 0, evaluator.evaluate(example_packet()).to_json_bytes(),
                                      public_id=example)])
    return str(example)


EXAMPLE_ID = _store_the_example_decision()
SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", APP)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@schemathesis.serializer("application/x-ndjson")
def _ndjson(ctx: Any, value: Any) -> bytes:
    """A generated batch item as one NDJSON line (and, for a list, one line per element)."""
    items = value if isinstance(value, list) else [value]
    return b"".join(json.dumps(item, default=str).encode() + b"\n" for item in items)


def test_the_example_decision_id_is_served():
    from service_support import Client

    client = Client(APP, lifespan=False)  # started above; a lifespan here would stop it at the end
    try:
        answer = client.get(f"/v1/decisions/{EXAMPLE_ID}").json()
        assert answer.get("decision_id") == EXAMPLE_ID, answer
    finally:
        client.close()


def test_the_document_is_openapi_3_1_and_covers_every_route():
    document = APP.openapi()
    assert document["openapi"].startswith("3.1")
    served = {(method.upper(), path) for path, ops in document["paths"].items() for method in ops}
    assert served == {
        ("POST", "/v1/evaluate"), ("POST", "/v1/what-if"), ("POST", "/v1/evaluate/batch"),
        ("GET", "/v1/ladders"), ("GET", "/v1/ladders/{ladder_id}"),
        ("GET", "/v1/ladders/{ladder_id}/transitions/{transition}"), ("GET", "/v1/schemas/{name}"),
        ("GET", "/v1/status"), ("GET", "/health/live"), ("GET", "/health/ready"), ("GET", "/metrics"),
        ("GET", "/v1/decisions/{decision_id}"),
    }
    evaluate = document["paths"]["/v1/evaluate"]["post"]
    assert set(evaluate["requestBody"]["content"]) == {"application/json", "application/yaml"}
    assert evaluate["responses"]["422"]["content"]["application/problem+json"]["schema"]["$ref"].endswith("/Problem")
    assert "HTTPValidationError" not in document["components"]["schemas"]


@SCHEMA.parametrize()
@settings(max_examples=12, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_every_endpoint_answers_as_documented(case: Any) -> None:
    case.call_and_validate(checks=CHECKS)
