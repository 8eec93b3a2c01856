"""Authentication, CORS, the request timeout, the access log, and the settings behind them, in process."""

from __future__ import annotations

import asyncio
import json

import pytest

from promoready.engine import errors
from promoready.service import Settings, hash_token
from promoready.service._settings import is_loopback, parse_tokens, read_tokens_file

from service_support import Client, client, example_packet, make_client

TOKENS = {"review-tool": hash_token("alpha-token"), "ci": hash_token("beta-token")}


@pytest.fixture
def secured():
    c = make_client(Settings(tokens=TOKENS))
    yield c
    c.close()


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic YWxwaGEtdG9rZW4=", "Bearer ", "alpha-token"])
def test_without_a_valid_bearer_token_every_endpoint_is_401(secured: Client, header):
    headers = {"authorization": header} if header is not None else {}
    for method, url in [("POST", "/v1/evaluate"), ("GET", "/v1/ladders"), ("GET", "/metrics"),
                        ("GET", "/v1/status"), ("GET", "/openapi.json"), ("GET", "/v1/nothing")]:
        response = secured.request(method, url, headers=headers, json=example_packet())
        assert response.status_code == 401, (url, header)
        assert response.json()["code"] == errors.SERVICE_UNAUTHORIZED
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_each_configured_token_works_and_is_named_in_the_log(secured: Client, caplog):
    with caplog.at_level("INFO", logger="promoready.service.access"):
        for token in ("alpha-token", "beta-token"):
            response = secured.post("/v1/evaluate", json=example_packet(), headers={"authorization": f"Bearer {token}"})
            assert response.status_code == 200
    names = [json.loads(r.getMessage())["token"] for r in caplog.records if r.name == "promoready.service.access"]
    assert names == ["review-tool", "ci"]
    assert "alpha-token" not in caplog.text and "beta-token" not in caplog.text


def test_probes_answer_without_a_token(secured: Client):
    assert secured.get("/health/live").status_code == 200
    assert secured.get("/health/ready").status_code == 200


def test_the_openapi_document_declares_bearer_auth_when_tokens_are_configured(secured: Client, client: Client):
    served = secured.get("/openapi.json", headers={"authorization": "Bearer beta-token"}).json()
    assert served["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert "securitySchemes" not in client.get("/openapi.json").json()["components"]


def test_authenticate_compares_hashes_and_knows_every_name():
    settings = Settings(tokens=TOKENS)
    assert settings.authenticate("alpha-token") == "review-tool"
    assert settings.authenticate("beta-token") == "ci"
    assert settings.authenticate(TOKENS["ci"]) is None  # the stored hash is not a token
    assert settings.authenticate("") is None and settings.authenticate(None) is None


def test_cors_is_off_unless_origins_are_listed(client: Client):
    preflight = {"origin": "https://review.example", "access-control-request-method": "POST"}
    assert "access-control-allow-origin" not in client.request("OPTIONS", "/v1/evaluate", headers=preflight).headers
    assert "access-control-allow-origin" not in client.get("/v1/ladders", headers={"origin": "https://x"}).headers
    allowed = make_client(Settings(cors_origins=("https://review.example",)))
    try:
        answer = allowed.request("OPTIONS", "/v1/evaluate", headers=preflight)
        assert answer.headers["access-control-allow-origin"] == "https://review.example"
        other = allowed.request("OPTIONS", "/v1/evaluate", headers={**preflight, "origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        # a script in the page may read when to come back from a 503 service.busy
        listed = allowed.get("/v1/ladders", headers={"origin": "https://review.example"})
        assert "retry-after" in listed.headers["access-control-expose-headers"].lower()
    finally:
        allowed.close()
    # the guard's own answers reach the page's script too: a refused token, a body over the limit
    guarded = make_client(Settings(cors_origins=("https://review.example",), tokens={"ci": TOKENS["ci"]},
                                   max_body=1024))
    try:
        origin = {"origin": "https://review.example"}
        refused = guarded.post("/v1/evaluate", json={}, headers=origin)
        assert refused.status_code == 401
        assert refused.headers["access-control-allow-origin"] == "https://review.example"
        large = guarded.post("/v1/evaluate", content=b"x" * 2048,
                             headers={**origin, "authorization": "Bearer beta-token", "content-type": "application/json"})
        assert large.status_code == 413
        assert large.headers["access-control-allow-origin"] == "https://review.example"
        preflight = guarded.request("OPTIONS", "/v1/evaluate",
                                    headers={**origin, "access-control-request-method": "POST"})
        assert preflight.status_code == 200  # answered before the token is asked for
    finally:
        guarded.close()


def test_a_request_over_the_timeout_is_a_503_problem():
    slow = make_client(Settings(timeout=1.0))
    try:
        async def trickle():
            yield b'{"candidate": '
            await asyncio.sleep(3.0)
            yield b'{"id": "x"}}'

        response = slow.post("/v1/evaluate", content=trickle(), headers={"content-type": "application/json"})
        assert response.status_code == 503 and response.json()["code"] == errors.SERVICE_TIMEOUT
        assert slow.post("/v1/evaluate", json=example_packet()).status_code == 200
    finally:
        slow.close()


def test_the_access_log_has_decision_ids_and_no_packet_content(client: Client, caplog):
    packet = example_packet()
    packet["candidate"]["name"] = "Zebulon Quartermaine"
    with caplog.at_level("INFO", logger="promoready.service.access"):
        decision = client.post("/v1/evaluate", json=packet).json()
        client.post("/v1/evaluate", json={**packet, "current_level": "Zebulon"})
    records = [json.loads(r.getMessage()) for r in caplog.records if r.name == "promoready.service.access"]
    assert records[0]["decision_ids"] == [decision["decision_id"]] and records[0]["status"] == 200
    assert records[1]["status"] == 422 and records[1]["codes"] == [errors.PACKET_UNKNOWN_LEVEL]
    text = caplog.text
    assert "Zebulon" not in text and packet["candidate"]["id"] not in text


def test_tokens_file_and_environment(tmp_path):
    good = tmp_path / "tokens"
    good.write_text(f"# review tools\nreview-tool:{TOKENS['review-tool']}\n\nci:{TOKENS['ci'].upper()}\n")
    assert read_tokens_file(str(good)) == TOKENS
    bad = tmp_path / "bad"
    bad.write_text(f"ok:{TOKENS['ci']}\nplain-token-pasted-here\n")
    with pytest.raises(errors.UsageError) as caught:
        read_tokens_file(str(bad))
    assert caught.value.code == errors.USAGE_TOKENS and caught.value.line == 2
    assert "plain-token-pasted-here" not in str(caught.value)
    with pytest.raises(errors.UsageError, match="twice"):
        parse_tokens(f"a:{TOKENS['ci']},a:{TOKENS['ci']}", source="PROMOREADY_TOKENS", separator=",")
    env = {"PROMOREADY_TOKENS": f"ci:{TOKENS['ci']}", "PROMOREADY_TOKENS_FILE": str(good)}
    with pytest.raises(errors.UsageError, match="twice"):
        Settings.from_env(env)


def test_settings_round_trip_through_the_environment_and_are_checked():
    settings = Settings(host="::1", port=9001, workers=3, ladder="startup", tokens=TOKENS, max_body=4096,
                        max_batch_items=7, timeout=2.5, cors_origins=("https://a", "https://b"), log_level="warning",
                        access_log=False)
    assert Settings.from_env(settings.to_env()) == settings
    assert Settings.from_env({}) == Settings()
    for variable, value in [("PROMOREADY_PORT", "eighty"), ("PROMOREADY_WORKERS", "0"),
                            ("PROMOREADY_MAX_BODY", str(100 * 1024 * 1024)), ("PROMOREADY_ACCESS_LOG", "maybe")]:
        with pytest.raises(errors.UsageError) as caught:
            Settings.from_env({variable: value})
        assert caught.value.code == errors.USAGE_SERVE and variable in caught.value.path


@pytest.mark.parametrize("host,loopback", [("127.0.0.1", True), ("127.8.0.1", True), ("::1", True),
                                           ("localhost", True), ("0.0.0.0", False), ("::", False),
                                           ("10.0.0.5", False), ("example.com", False)])
def test_is_loopback(host: str, loopback: bool):
    assert is_loopback(host) is loopback
