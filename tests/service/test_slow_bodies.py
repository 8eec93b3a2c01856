"""A body that takes long to read: parsing counts against --timeout and never holds the event loop (a
YAML body, a long batch line), and YAML bodies have their own, lower size limit (--max-yaml-body).
Ordering, not timings, is asserted."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

import pytest

from promoready.engine import errors
from promoready.service import Settings

from service_support import example_packet, example_text, make_client

YAML = {"content-type": "application/yaml"}


def slow_yaml(items: int) -> bytes:
    """examples/packet.yaml and a long list the YAML parser reads slowly (about 2 s for 250,000 items)."""
    return (example_text() + "\nzeros:\n" + "- 0\n" * items).encode("utf-8")


def test_a_slow_yaml_body_is_a_503_timeout_and_the_probes_answer_meanwhile():
    client = make_client(Settings(timeout=0.5))
    engine = client.app.state.engine
    read, parsed = engine.read, threading.Event()

    def watched(*args: Any, **kwargs: Any) -> Any:  # the body's parsing, noted when it is over
        try:
            return read(*args, **kwargs)
        finally:
            parsed.set()

    engine.read = watched
    body = slow_yaml(250_000)
    order: list[str] = []
    try:
        async def evaluate() -> Any:
            response = await client.client.post("/v1/evaluate", content=body, headers=YAML)
            order.append("evaluate" + (" (parsed)" if parsed.is_set() else ""))
            return response

        async def live() -> Any:
            await asyncio.sleep(0.1)  # once the evaluation has started
            response = await client.client.get("/health/live")
            order.append("live" + (" (parsed)" if parsed.is_set() else ""))
            return response

        async def both() -> list[Any]:
            return list(await asyncio.gather(evaluate(), live()))

        slow, probe = client.loop.run_until_complete(both())
        assert probe.status_code == 200
        assert slow.status_code == 503, slow.status_code
        assert slow.json()["code"] == errors.SERVICE_TIMEOUT
        # The probe was answered while the body was being parsed, and the 503 came before the parse ended.
        assert order == ["live", "evaluate"]
    finally:
        parsed.wait(120)  # the parser cannot be stopped: let it end before the next test
        engine.read = read
        client.close()


def test_a_yaml_body_over_max_yaml_body_is_a_413_naming_the_setting():
    client = make_client(Settings(max_yaml_body=4096))
    try:
        big = slow_yaml(1000)
        assert 4096 < len(big)
        response = client.post("/v1/evaluate", content=big, headers=YAML)
        assert response.status_code == 413 and response.json()["code"] == errors.INPUT_TOO_LARGE
        assert "--max-yaml-body" in response.json()["detail"]
        assert client.post("/v1/what-if", content=big, headers=YAML).status_code == 413
        assert client.post("/v1/evaluate", content=example_text(), headers=YAML).status_code == 200
        assert client.post("/v1/evaluate", json={**example_packet(), "zeros": [0] * 1000}).status_code == 200
    finally:
        client.close()


def test_max_yaml_body_is_checked_and_goes_through_the_environment():
    assert Settings().max_yaml_body == 1024 * 1024
    assert Settings(max_body=2048).yaml_limit == 2048  # never above --max-body
    assert Settings.from_env({"PROMOREADY_MAX_YAML_BODY": "5000"}).max_yaml_body == 5000
    with pytest.raises(errors.UsageError) as caught:
        Settings.from_env({"PROMOREADY_MAX_YAML_BODY": "10"})
    assert caught.value.code == errors.USAGE_SERVE and "PROMOREADY_MAX_YAML_BODY" in caught.value.path


def test_a_batch_line_that_parses_slowly_ends_the_stream_at_the_timeout_and_the_probes_answer_meanwhile():
    client = make_client(Settings(timeout=0.5))
    engine = client.app.state.engine
    parse, parsed = engine.parse, threading.Event()

    def slow(*args: Any, **kwargs: Any) -> Any:  # a long line's parsing, made slow and noted when over
        try:
            time.sleep(2.0)
            return parse(*args, **kwargs)
        finally:
            parsed.set()

    engine.parse = slow
    long_line = json.dumps({"id": "big", "packet": {**example_packet(), "padding": "x" * 70_000}})
    order: list[str] = []
    try:
        async def batch() -> Any:
            response = await client.client.post("/v1/evaluate/batch", content=long_line + "\n",
                                                 headers={"content-type": "application/x-ndjson"})
            order.append("batch" + (" (parsed)" if parsed.is_set() else ""))
            return response

        async def live() -> Any:
            await asyncio.sleep(0.1)
            response = await client.client.get("/health/live")
            order.append("live" + (" (parsed)" if parsed.is_set() else ""))
            return response

        async def both() -> list[Any]:
            return list(await asyncio.gather(batch(), live()))

        answered, probe = client.loop.run_until_complete(both())
        assert probe.status_code == 200 and answered.status_code == 200
        rows = [json.loads(row) for row in answered.content.splitlines()]
        assert [(r["line"], r["status"], r["problem"]["code"]) for r in rows] == [(1, 503, errors.SERVICE_TIMEOUT)]
        assert order == ["live", "batch"]
    finally:
        parsed.wait(60)
        engine.parse = parse
        client.close()


def test_a_body_whose_thread_comes_after_its_deadline_is_not_read():
    # Slow bodies ahead may hold every thread: a request still waiting for one when its time is over has been
    # answered 503 already, so its body is dropped unread rather than parsed for no one.
    from types import SimpleNamespace

    from promoready.engine.errors import ServiceError
    from promoready.service import _routes
    from promoready.service._slow import SlowBodies

    ran: list[str] = []
    pool = SlowBodies(1, 0)
    late = SimpleNamespace(scope={"state": {"deadline": time.monotonic() - 1.0}},
                           app=SimpleNamespace(state=SimpleNamespace(settings=Settings(timeout=0.5), slow_bodies=pool)))
    with pytest.raises(ServiceError) as caught:
        asyncio.run(_routes.off_loop(late, b"a: 1\n", "yaml", lambda: ran.append("read")))
    assert caught.value.code == errors.SERVICE_TIMEOUT and ran == [] and pool.held == 0
    pool.close()
    # A small JSON body is read on the loop at once (its deadline is checked where it is evaluated).
    assert asyncio.run(_routes.off_loop(late, b"{}", "json", lambda: ran.append("read"))) is None and ran == ["read"]
