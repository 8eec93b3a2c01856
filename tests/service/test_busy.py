"""The worker's own pool for slow bodies (YAML, JSON over 64 KiB, slow batch lines): when its threads are
busy and its queue is full, the next slow body is refused at once (503 ``service.busy``, ``Retry-After``)
instead of waiting until its timeout, small JSON bodies are still answered on the loop, and the lines of a
batch that prove slow are read off the loop. Slow parsing is a parse held at a gate the test opens:
ordering, not timings, is asserted (the safety timer only ends a test that fails)."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any, Callable, Iterator

import pytest

from promoready.engine import errors
from promoready.service import Settings
from promoready.service._slow import DEFAULT_QUEUE, THREAD_NAME, default_threads

from service_support import Client, Served, example_packet, example_text, make_client

YAML = {"content-type": "application/yaml"}
NDJSON = {"content-type": "application/x-ndjson"}
SAFETY = 60.0  # seconds after which a gate opens by itself: only a failing test waits for it


class Gate:
    """Holds every call of an engine method whose arguments ``held(...)`` picks until ``open()``."""

    def __init__(self, engine: Any, method: str, held: Callable[..., bool]) -> None:
        self.engine, self.method, self.real = engine, method, getattr(engine, method)
        self.opened, self.entered = threading.Event(), threading.Event()
        self.timer = threading.Timer(SAFETY, self.opened.set)
        self.timer.start()

        def gated(*args: Any, **kwargs: Any) -> Any:
            if held(*args, **kwargs):
                self.entered.set()
                self.opened.wait()
            return self.real(*args, **kwargs)

        setattr(engine, method, gated)

    def open(self) -> None:
        self.opened.set()

    def close(self) -> None:
        self.opened.set()
        self.timer.cancel()
        setattr(self.engine, self.method, self.real)


@pytest.fixture
def tight() -> Iterator[tuple[Client, Gate]]:
    """A service with one thread for slow bodies and room for one more, whose YAML bodies wait at a gate."""
    client = make_client(Settings(slow_body_threads=1, slow_body_queue=1, timeout=120))
    gate = Gate(client.app.state.engine, "read", lambda body, kind, **_: kind == "yaml")
    yield client, gate
    gate.close()
    client.close()


async def until(condition: Callable[[], bool]) -> None:
    while not condition():
        await asyncio.sleep(0.01)


async def fill(client: Client, gate: Gate, yaml: bytes) -> tuple["asyncio.Task[Any]", "asyncio.Task[Any]"]:
    """Take both places of ``tight``'s pool: a YAML body read (held at the gate), and one waiting for the thread."""
    post = client.client.post
    first = asyncio.create_task(post("/v1/evaluate", content=yaml, headers=YAML))  # reading, held at the gate
    await until(gate.entered.is_set)
    second = asyncio.create_task(post("/v1/evaluate", content=yaml, headers=YAML))  # waiting for the thread
    await until(lambda: client.app.state.slow_bodies.held == 2)
    return first, second


def test_a_full_pool_refuses_the_next_slow_body_at_once_and_a_small_json_body_is_still_answered(tight):
    client, gate = tight
    pool = client.app.state.slow_bodies
    yaml = example_text().encode()

    async def scenario() -> dict[str, Any]:
        post = client.client.post
        first, second = await fill(client, gate, yaml)
        refused = await post("/v1/evaluate", content=yaml, headers=YAML)
        refused_while_held = not gate.opened.is_set()
        small = await post("/v1/evaluate", json=example_packet())
        small_while_held = not gate.opened.is_set()
        metrics = (await client.client.get("/metrics")).text
        gate.open()
        return {"refused": refused, "refused_while_held": refused_while_held, "small": small,
                "small_while_held": small_while_held, "metrics": metrics,
                "held": list(await asyncio.gather(first, second))}

    seen = client.loop.run_until_complete(scenario())
    refused = seen["refused"]
    # Refused while the bodies ahead were still held: at once, not at the end of a wait.
    assert seen["refused_while_held"] and refused.status_code == 503, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["retry-after"] == "2"
    problem = refused.json()
    assert problem["code"] == errors.SERVICE_BUSY and problem["instance"] == "/v1/evaluate"
    assert "(1 + 1); try again in 2 s" in problem["detail"] and "Traceback" not in refused.text
    assert seen["small_while_held"] and seen["small"].status_code == 200  # on the loop: never refused
    assert [r.status_code for r in seen["held"]] == [200, 200]  # the two let in are answered once read
    assert f'promoready_problems_total{{code="{errors.SERVICE_BUSY}"}} 1.0' in seen["metrics"]
    assert 'promoready_http_requests_total{method="POST",route="/v1/evaluate",status="503"} 1.0' in seen["metrics"]
    assert pool.held == 0


def test_a_slow_body_finding_the_pool_full_is_refused_before_it_is_read_when_its_client_waits_to_send_it(tight):
    # A YAML body, and a JSON body whose Content-Length says it is over 64 KiB, are read in the pool. With
    # every place held, one whose client waits to be told to send it (Expect: 100-continue) is refused
    # before a byte of it is read (before, each was read whole, then refused). A body sent unasked is read
    # first, then refused: refused unread, its client could see its connection reset, not the 503 (HTTP/1.0
    # clients, or Connection: close); so is a JSON body without a Content-Length (only its size tells whether
    # it is slow). A declared length over the limit is a 413, busy or not.
    client, gate = tight
    pool = client.app.state.slow_bodies
    yaml = example_text().encode()
    big = json.dumps({**example_packet(), "notes": "x" * 70_000}).encode()
    huge_yaml = yaml + b"\n# " + b"x" * (client.app.state.settings.yaml_limit + 10) + b"\n"
    pulled: dict[str, int] = {}
    asks = {"expect": "100-continue"}

    def counted(name: str, data: bytes) -> Any:
        async def chunks() -> Any:
            for at in range(0, len(data), 4096):
                pulled[name] = pulled.get(name, 0) + 1
                yield data[at:at + 4096]
        return chunks()

    def sized(data: bytes, media: str) -> dict[str, str]:
        return {"content-type": media, "content-length": str(len(data))}

    async def scenario() -> dict[str, Any]:
        post = client.client.post
        first, second = await fill(client, gate, yaml)
        yaml_type, json_type = YAML["content-type"], "application/json"
        answers = {
            "yaml": await post("/v1/evaluate", content=counted("yaml", yaml), headers={**YAML, **asks}),
            "json": await post("/v1/evaluate", content=counted("json", big), headers={**sized(big, json_type), **asks}),
            "what-if": await post("/v1/what-if", content=counted("what-if", yaml), headers={**YAML, **asks}),
            "unasked": await post("/v1/evaluate", content=counted("unasked", big), headers=sized(big, json_type)),
            "chunked": await post("/v1/evaluate", content=counted("chunked", big), headers={**asks, "content-type": json_type}),
            "too-large": await post("/v1/evaluate", content=counted("too-large", huge_yaml),
                                    headers={**sized(huge_yaml, yaml_type), **asks}),
        }
        held = not gate.opened.is_set()
        gate.open()
        await asyncio.gather(first, second)
        return {"answers": answers, "held": held}

    seen = client.loop.run_until_complete(scenario())
    assert seen["held"]
    answers = seen["answers"]
    for name in ("yaml", "json", "what-if", "unasked", "chunked"):
        response = answers[name]
        assert response.status_code == 503, (name, response.text)
        assert response.json()["code"] == errors.SERVICE_BUSY and response.headers["retry-after"] == "2"
    assert answers["too-large"].status_code == 413 and "--max-yaml-body" in answers["too-large"].text
    assert "yaml" not in pulled and "json" not in pulled and "what-if" not in pulled, pulled
    assert pulled["unasked"] == pulled["chunked"] == -(-len(big) // 4096)  # read whole, then refused by the pool
    assert pool.held == 0


def test_a_long_batch_line_finding_the_pool_full_is_refused_at_once_in_its_line_and_the_stream_goes_on(tight):
    client, gate = tight
    pool = client.app.state.slow_bodies
    yaml = example_text().encode()
    long_line = json.dumps({"id": "long", "packet": {**example_packet(), "padding": "x" * 70_000}})
    batch = long_line + "\n" + json.dumps({"id": "short", "packet": example_packet()}) + "\n"

    async def scenario() -> tuple[Any, bool, Any, int]:
        post = client.client.post
        held = [asyncio.create_task(post("/v1/evaluate", content=yaml, headers=YAML)) for _ in range(2)]
        await until(lambda: pool.held == 2)
        refused = await post("/v1/evaluate/batch", content=batch, headers=NDJSON)
        refused_while_held = not gate.opened.is_set()
        gate.open()
        await asyncio.gather(*held)
        served = await post("/v1/evaluate/batch", content=batch, headers=NDJSON)
        return refused, refused_while_held, served, pool.held

    refused, refused_while_held, served, left = client.loop.run_until_complete(scenario())
    rows = [json.loads(row) for row in refused.content.splitlines()]
    assert refused_while_held and [(r["id"], r["line"], r["status"]) for r in rows] == [(None, 1, 503), ("short", 2, 200)]
    assert rows[0]["problem"]["code"] == errors.SERVICE_BUSY
    rows = [json.loads(row) for row in served.content.splitlines()]
    assert [(r["id"], r["status"]) for r in rows] == [("long", 200), ("short", 200)] and left == 0


def test_a_batch_whose_lines_prove_slow_is_read_off_the_loop_so_the_probes_answer_meanwhile(monkeypatch):
    # Lines under 64 KiB were all read on the loop, each holding it as long as its parse (10 to 30 ms for
    # some legal lines), over and over in a batch of them. Here every line counts as slow (SLOW_LINE < 0):
    # after two, the rest go to the pool, and the gate holds the third line's parse there.
    from promoready.service import _batch

    monkeypatch.setattr(_batch, "SLOW_LINE", -1.0)
    client = make_client(Settings(timeout=120))
    threads: dict[int, str] = {}

    def held(body: bytes, kind: str, source: str = "") -> bool:
        if source.startswith("batch line "):
            threads[int(source.split()[-1])] = threading.current_thread().name
        return source == "batch line 3"

    gate = Gate(client.app.state.engine, "parse", held)
    body = "\n".join(json.dumps({"id": i, "packet": example_packet()}) for i in range(5))
    try:
        async def scenario() -> tuple[Any, bool, Any]:
            batch = asyncio.create_task(client.client.post("/v1/evaluate/batch", content=body, headers=NDJSON))
            await until(gate.entered.is_set)
            live = await client.client.get("/health/live")
            live_while_held = not gate.opened.is_set()
            gate.open()
            return live, live_while_held, await batch

        live, live_while_held, answered = client.loop.run_until_complete(scenario())
        assert live.status_code == 200 and live_while_held
        rows = [json.loads(row) for row in answered.content.splitlines()]
        assert [(r["id"], r["line"], r["status"]) for r in rows] == [(i, i + 1, 200) for i in range(5)]
        loop_thread = threading.current_thread().name  # the test client runs its loop here
        assert [threads[n] == loop_thread for n in range(1, 6)] == [True, True, False, False, False]
        assert all(threads[n].startswith(THREAD_NAME) for n in range(3, 6))
    finally:
        gate.close()
        client.close()


def test_a_body_answered_at_its_timeout_keeps_its_place_until_its_parse_ends(tmp_path):
    # A parse cannot be stopped: until it ends it holds its thread, so it still counts against the pool.
    client = make_client(Settings(slow_body_threads=1, slow_body_queue=0, timeout=0.5))
    gate = Gate(client.app.state.engine, "read", lambda body, kind, **_: kind == "yaml")
    pool = client.app.state.slow_bodies
    yaml = example_text().encode()
    try:
        late = client.post("/v1/evaluate", content=yaml, headers=YAML)
        assert late.status_code == 503 and late.json()["code"] == errors.SERVICE_TIMEOUT
        assert pool.held == 1 and not gate.opened.is_set()
        busy = client.post("/v1/evaluate", content=yaml, headers=YAML)
        assert busy.status_code == 503 and busy.json()["code"] == errors.SERVICE_BUSY
        gate.open()
        client.loop.run_until_complete(until(lambda: pool.held == 0))
        assert client.post("/v1/evaluate", content=yaml, headers=YAML).status_code == 200
    finally:
        gate.close()
        client.close()
    # The app's shutdown (its lifespan's end) stopped the pool's threads.
    assert [t.name for t in threading.enumerate() if t.name.startswith(THREAD_NAME)] == []


def test_the_pool_is_sized_from_the_cpus_and_workers_and_configured_by_flag_or_variable(tmp_path):
    assert (default_threads(1, cpus=2), default_threads(2, cpus=2), default_threads(1, cpus=16),
            default_threads(3, cpus=12)) == (2, 2, 4, 4)
    assert Settings.from_env({"PROMOREADY_SLOW_BODY_THREADS": "3", "PROMOREADY_SLOW_BODY_QUEUE": "0"}).slow_body_queue == 0
    for name, value in (("THREADS", "0"), ("QUEUE", "-1"), ("THREADS", "many")):
        with pytest.raises(errors.UsageError) as caught:
            Settings.from_env({f"PROMOREADY_SLOW_BODY_{name}": value})
        assert caught.value.code == errors.USAGE_SERVE and f"PROMOREADY_SLOW_BODY_{name}" in caught.value.path
    client = make_client(Settings())
    try:
        limits = client.get("/v1/status").json()["limits"]
        assert (limits["slow_body_threads"], limits["slow_body_queue"]) == (default_threads(1), DEFAULT_QUEUE)
    finally:
        client.close()
    served = Served(tmp_path, "--slow-body-threads", "3", env={"PROMOREADY_SLOW_BODY_QUEUE": "5"})
    try:
        import httpx

        limits = httpx.get(served.url + "/v1/status", timeout=30).json()["limits"]
        assert (limits["slow_body_threads"], limits["slow_body_queue"]) == (3, 5)
        yaml = example_text().encode()
        assert httpx.post(served.url + "/v1/evaluate", content=yaml, headers=YAML, timeout=30).status_code == 200
    finally:
        assert served.stop() == 0, served.stderr()
    assert "Traceback" not in served.stderr()
