"""schemathesis against the served OpenAPI 3.1 document: every endpoint, no 5xx, every status code, content
type and body as documented. Examples are bounded and derandomised so the run is short and repeatable."""

from __future__ import annotations

import json
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

APP = create_app(Settings(access_log=False))
APP.state.engine.warm()  # what the lifespan does before uvicorn accepts a request
SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", APP)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@schemathesis.serializer("application/x-ndjson")
def _ndjson(ctx: Any, value: Any) -> bytes:
    """A generated batch item as one NDJSON line (and, for a list, one line per element)."""
    items = value if isinstance(value, list) else [value]
    return b"".join(json.dumps(item, default=str).encode() + b"\n" for item in items)


def test_the_document_is_openapi_3_1_and_covers_every_route():
    document = APP.openapi()
    assert document["openapi"].startswith("3.1")
    served = {(method.upper(), path) for path, ops in document["paths"].items() for method in ops}
    assert served == {
        ("POST", "/v1/evaluate"), ("POST", "/v1/what-if"), ("POST", "/v1/evaluate/batch"),
        ("GET", "/v1/ladders"), ("GET", "/v1/ladders/{ladder_id}"),
        ("GET", "/v1/ladders/{ladder_id}/transitions/{transition}"), ("GET", "/v1/schemas/{name}"),
        ("GET", "/v1/status"), ("GET", "/health/live"), ("GET", "/health/ready"), ("GET", "/metrics"),
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
