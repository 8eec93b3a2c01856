"""Ladders, schemas, status, health, metrics and the last-resort error handler, in process."""

from __future__ import annotations

import json

import pytest

from promoready.engine import bundled_ladders, describe_ladder, errors, load_ladder
from promoready.schemas import json_schema
from promoready.service import Settings, create_app, hash_token

from service_support import Client, FaultyRegistry, client, example_packet, make_client


def test_ladders_lists_every_bundled_ladder_default_first(client: Client):
    listed = client.get("/v1/ladders").json()
    assert {lad["id"] for lad in listed} == set(bundled_ladders())
    assert listed[0]["id"] == "product-management" and listed[0]["default"] is True
    assert [lad["default"] for lad in listed[1:]] == [False] * (len(listed) - 1)
    pm = load_ladder()
    assert listed[0]["transitions"] == [t.key for t in pm.transitions]


def test_a_ladder_and_a_transition_are_described_as_the_cli_shows_them(client: Client):
    detail = client.get("/v1/ladders/product-management").json()
    described = describe_ladder(load_ladder())
    assert [t["key"] for t in detail["transitions"]] == [t["key"] for t in described["transitions"]]
    assert detail["digest"].startswith("sha256:")
    one = client.get("/v1/ladders/product-management/transitions/senior-pm-to-director").json()
    expected = describe_ladder(load_ladder(), "senior-pm-to-director")["transitions"][0]
    assert one["criteria"] == expected["criteria"] and one["from"] == "senior-pm"


@pytest.mark.parametrize("url,code,suggested", [
    ("/v1/ladders/product-managment", errors.LADDER_NOT_FOUND, "'product-management'"),
    ("/v1/ladders/product-management/transitions/senior-pm-to-directer", errors.USAGE_TRANSITION,
     "'senior-pm-to-director'"),
])
def test_unknown_names_are_404_problems_with_the_closest_name(client: Client, url: str, code: str, suggested: str):
    response = client.get(url)
    assert response.status_code == 404 and response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code and response.json()["suggestion"] == suggested


@pytest.mark.parametrize("name", ["packet", "decision", "ladder"])
def test_schemas_are_the_cli_schemas(client: Client, name: str):
    response = client.get(f"/v1/schemas/{name}")
    assert response.status_code == 200 and response.json() == json_schema(name)
    assert response.headers["content-type"] == "application/schema+json"


def test_unknown_routes_methods_and_schema_names_are_problems(client: Client):
    assert client.get("/v1/nothing").json()["code"] == errors.SERVICE_NOT_FOUND
    assert client.get("/v1/nothing").status_code == 404
    wrong = client.get("/v1/evaluate")
    assert wrong.status_code == 405 and wrong.json()["code"] == errors.SERVICE_METHOD and "POST" in wrong.headers["allow"]
    bad = client.get("/v1/schemas/packets")
    assert bad.status_code == 400 and bad.json()["code"] == errors.SERVICE_PARAMETER and bad.json()["path"] == "name"


def test_decisions_by_id_are_not_served_without_a_store(client: Client):
    answer = client.get("/v1/decisions/5f0c2b1e-8a4d-4c3e-9f61-2d7a0b9c4e15")
    assert answer.status_code == 404 and answer.json()["code"] == errors.SERVICE_NO_STORE
    assert client.get("/v1/status").json()["decision_store"] is False


def test_health_ready_only_once_ladders_are_compiled():
    cold = Client(create_app(Settings()), lifespan=False)
    try:
        assert cold.get("/health/live").json() == {"status": "ok"}
        response = cold.get("/health/ready")
        assert response.status_code == 503 and response.json() == {"status": "not_ready"}
        cold.app.state.engine.warm()
        assert cold.get("/health/ready").status_code == 200
    finally:
        cold.close()


def test_status_says_what_is_served_and_no_secret():
    digest = hash_token("s3cret-token")
    c = make_client(Settings(tokens={"ci": digest}, timeout=12.5))
    try:
        body = c.get("/v1/status", headers={"authorization": "Bearer s3cret-token"}).json()
        assert body["ready"] is True and body["auth"] is True and body["limits"]["timeout"] == 12.5
        assert body["durable_rules"] == "2.0.28"
        assert digest not in json.dumps(body) and "s3cret" not in json.dumps(body)
    finally:
        c.close()


def test_metrics_count_requests_decisions_and_problems(client: Client):
    for _ in range(3):
        assert client.post("/v1/evaluate", json=example_packet()).status_code == 200
    client.post("/v1/evaluate", json={"candidate": {"id": "x"}, "current_level": "nope"})
    text = client.get("/metrics").text
    verdict = client.post("/v1/evaluate", json=example_packet()).json()["verdict"]
    assert 'promoready_http_requests_total{method="POST",route="/v1/evaluate",status="200"} 3.0' in text
    assert 'promoready_http_requests_total{method="POST",route="/v1/evaluate",status="422"} 1.0' in text
    assert f'promoready_decisions_total{{ladder="product-management",verdict="{verdict}"}} 3.0' in text
    assert f'promoready_problems_total{{code="{errors.PACKET_UNKNOWN_LEVEL}"}} 1.0' in text


def _broken(loaded) -> None:
    raise RuntimeError("secret detail /home/x/file.py line 3")


def test_an_unexpected_fault_is_a_500_problem_without_a_trace(caplog):
    c = Client(create_app(Settings(), FaultyRegistry(_broken)))
    try:
        with caplog.at_level("ERROR", logger="promoready.service.error"):
            response = c.post("/v1/evaluate", json=example_packet())
        logged = [json.loads(r.getMessage()) for r in caplog.records if r.name == "promoready.service.error"]
        assert logged[0]["error"] == "RuntimeError" and logged[0]["stack"]  # the stack is logged, not sent
        assert response.status_code == 500 and response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["code"] == errors.ENGINE_INTERNAL and "RuntimeError" in body["detail"]
        assert "secret" not in response.text and "Traceback" not in response.text
        assert c.get("/health/live").status_code == 200  # the service goes on
    finally:
        c.close()
