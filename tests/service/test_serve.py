"""A real ``promoready serve`` on loopback: start-up with no configuration, refusals (non-loopback without
tokens, a bad ladder), tokens, graceful shutdown on SIGTERM, and metrics across worker processes."""

from __future__ import annotations

import json
import signal
import socket
import time
from typing import Iterator

import httpx
import pytest

from promoready.engine import errors
from promoready.service import hash_token

from service_support import START_TIMEOUT, Served, example_packet, library

@pytest.fixture
def served(tmp_path) -> Iterator[Served]:
    s = Served(tmp_path)
    yield s
    s.stop()


def test_serve_starts_on_the_bundled_ladders_with_no_configuration_and_logs_json(served: Served):
    packet = example_packet()
    response = httpx.post(served.url + "/v1/evaluate", json=packet, timeout=30)
    assert response.status_code == 200
    assert response.content.startswith(library(packet)[:-1] + b',"decision_id":"')
    assert {lad["id"] for lad in httpx.get(served.url + "/v1/ladders").json()} >= {"product-management", "startup"}
    assert served.stop() == 0
    records = [json.loads(line) for line in served.stderr().splitlines() if line.strip()]
    requests = [r for r in records if r["event"] == "request" and r["route"] == "/v1/evaluate"]
    assert requests[0]["decision_ids"] == [response.json()["decision_id"]]
    assert packet["candidate"]["name"] not in served.stderr()
    assert any(r["event"] == "server" and "Shutting down" in r["message"] for r in records)


@pytest.mark.parametrize("how", ["flag", "env"])
def test_a_non_loopback_address_without_tokens_is_refused_before_listening(tmp_path, how: str):
    args, env = (["--host", "0.0.0.0"], {}) if how == "flag" else ([], {"PROMOREADY_HOST": "0.0.0.0"})
    s = Served(tmp_path, *args, env=env, wait=False)
    assert s.process.wait(timeout=120) == 2
    assert f"[{errors.USAGE_BIND}]" in s.stderr() and "Traceback" not in s.stderr()
    with pytest.raises(httpx.ConnectError):
        httpx.get(s.url + "/health/live", timeout=2)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_bad_ladder_is_a_clear_exit_2_not_a_half_started_server(tmp_path, workers: str):
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "ladder.yaml").write_text("id: broken\nversion: '1'\ntitle: Broken\nlevels: 3\n")
    s = Served(tmp_path, "--ladder", str(folder), "--workers", workers, wait=False)
    assert s.process.wait(timeout=120) == 2
    assert "ladder.yaml" in s.stderr() and "[ladder." in s.stderr() and "Traceback" not in s.stderr()
    with pytest.raises(httpx.ConnectError):
        httpx.get(s.url + "/health/live", timeout=2)


def test_tokens_from_a_file_on_a_non_loopback_address(tmp_path):
    tokens = tmp_path / "tokens"
    tokens.write_text(f"review-tool:{hash_token('gamma-token')}\n")
    s = Served(tmp_path, "--host", "0.0.0.0", "--tokens-file", str(tokens))  # probes need no token
    try:
        refused = httpx.post(s.url + "/v1/evaluate", json=example_packet())
        assert refused.status_code == 401 and refused.json()["code"] == errors.SERVICE_UNAUTHORIZED
        ok = httpx.post(s.url + "/v1/evaluate", json=example_packet(), headers={"authorization": "Bearer gamma-token"},
                        timeout=30)
        assert ok.status_code == 200
    finally:
        assert s.stop() == 0
    assert '"token":"review-tool"' in s.stderr() and "gamma-token" not in s.stderr()


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


@pytest.mark.parametrize("workers", ["1", "2"])
def test_sigterm_lets_a_request_in_flight_finish_and_refuses_new_ones(tmp_path, workers: str):
    served = Served(tmp_path, "--workers", workers)
    try:
        line = json.dumps({"id": "first", "packet": example_packet()}).encode() + b"\n"
        conn = socket.create_connection(("127.0.0.1", served.port), timeout=30)
        conn.sendall(b"POST /v1/evaluate/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n" + _chunk(line))
        received = b""
        while b'"id":"first"' not in received:
            received += conn.recv(65536)
        served.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 30
        while _listening(served.port):  # new connections are refused while the stream is still open
            assert time.monotonic() < deadline, "still accepting connections after SIGTERM"
            time.sleep(0.1)
        conn.sendall(_chunk(line.replace(b'"first"', b'"second"')) + b"0\r\n\r\n")
        while not received.endswith(b"0\r\n\r\n"):
            more = conn.recv(65536)
            if not more:
                break
            received += more
        conn.close()
        assert b'"id":"second"' in received and b'"status":200' in received.split(b'"id":"second"')[1][:40]
        assert served.process.wait(timeout=60) == 0
    finally:
        served.stop()


def test_metrics_count_every_worker_process(tmp_path):
    s = Served(tmp_path, "--workers", "2")
    try:
        pids: set[int] = set()
        with httpx.Client(base_url=s.url, limits=httpx.Limits(max_keepalive_connections=0), timeout=30) as fresh:
            deadline = time.monotonic() + START_TIMEOUT  # the second worker may still be compiling
            while len(pids) < 2 and time.monotonic() < deadline:  # new connections until both have answered
                pids.add(fresh.get("/v1/status").json()["pid"])
                time.sleep(0.02)
            assert len(pids) == 2, "only one worker process answered"
            verdicts = set()
            for _ in range(12):
                answer = fresh.post("/v1/evaluate", json=example_packet())
                assert answer.status_code == 200
                verdicts.add(answer.json()["verdict"])
            (verdict,) = verdicts
            counted = 'promoready_http_requests_total{method="POST",route="/v1/evaluate",status="200"} 12.0'
            # A request is counted just after its answer is sent: wait for the last one to be written.
            deadline = time.monotonic() + 30
            while counted not in fresh.get("/metrics").text:
                assert time.monotonic() < deadline, fresh.get("/metrics").text
                time.sleep(0.1)
            for _ in range(6):  # whichever worker answers, it counts all of them
                text = fresh.get("/metrics").text
                assert counted in text
                assert f'promoready_decisions_total{{ladder="product-management",verdict="{verdict}"}} 12.0' in text
    finally:
        assert s.stop() == 0
