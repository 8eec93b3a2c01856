"""POST /v1/evaluate/batch where a line is not simply read on the loop (``answers()`` in service/_batch.py):
the request's deadline passing between pieces, between lines, while a line is read on the loop or inside a
piece in the pool for slow bodies, or while the loop waits for that pool; and the pool full, for a slow small
line (read on the loop instead) and for a long line (a ``service.busy`` line, the batch goes on).

Nothing is timed but the one test of the loop's own wait for the pool: the deadline is passed by a clock
that jumps (``late()``'s and ``in_time()``'s clock, service/_routes.py's ``time``, jumps an hour at a chosen
point of a chosen line), slowness by ``SLOW_LINE < 0`` (every line counts as slow), a full pool by a place
held in the real pool until the test lets it go. Each test says what it tells apart: each was run against
its branch broken (removed, or answered otherwise) and failed, then the code was restored.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any, Callable, Iterator, Optional

import pytest

from promoready.engine import errors
from promoready.service import Settings, _batch, _routes

from service_support import Client, example_packet, make_client

NDJSON = {"content-type": "application/x-ndjson"}
SAFETY = 30.0  # seconds after which a held place or gate opens by itself: only a failing test waits for it


class Clock:
    """What service/_routes.py reads as ``time``: the real clock, until ``jump()`` puts it an hour ahead,
    past any request's deadline here (their timeout is a minute). The pool's own wait (``asyncio.wait_for``
    in _batch.py) keeps the real clock, so it never times out in these tests."""

    def __init__(self) -> None:
        self.ahead = 0.0

    def monotonic(self) -> float:
        return time.monotonic() + self.ahead

    def jump(self) -> None:
        self.ahead = 3600.0

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


class Spy:
    """Wraps the app's engine: notes which batch lines are read (parsed) and in which thread, and calls
    ``on_parse(n)`` before line n is parsed and ``on_evaluated(n)`` after line n is evaluated."""

    def __init__(self, client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
        self.read: list[tuple[int, str]] = []
        self.on_parse: Callable[[int], None] = lambda n: None
        self.on_evaluated: Callable[[int], None] = lambda n: None
        engine = client.app.state.engine
        parse, evaluate = engine.parse, engine.evaluate

        def spied_parse(body: bytes, kind: str, *, source: str = "request body") -> Any:
            if source.startswith("batch line "):
                number = int(source.split()[-1])
                self.read.append((number, threading.current_thread().name))
                self.on_parse(number)
            return parse(body, kind, source=source)

        def spied_evaluate(loaded: Any, as_of: Any) -> Any:
            out = evaluate(loaded, as_of)
            name = loaded.source.name or ""
            if name.startswith("batch line "):
                self.on_evaluated(int(name.split()[-1]))
            return out

        monkeypatch.setattr(engine, "parse", spied_parse)
        monkeypatch.setattr(engine, "evaluate", spied_evaluate)

    def numbers(self) -> list[int]:
        return [n for n, _ in self.read]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(_routes, "time", c)
    return c


@pytest.fixture
def served() -> Iterator[Callable[..., Client]]:
    """``served(**settings)``: a client (timeout a minute unless said), closed at the end of the test."""
    made: list[Client] = []

    def make(**settings: Any) -> Client:
        made.append(make_client(Settings(**{"timeout": 60.0, **settings})))
        return made[-1]

    yield make
    for c in made:
        c.close()


def item(item_id: Any, **extra: Any) -> str:
    return json.dumps({"id": item_id, "packet": {**example_packet(), **extra}})


def rows(response: Any) -> list[dict]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    return [json.loads(row) for row in response.content.splitlines()]


def seen(answers: list[dict]) -> list[tuple]:
    """Each answer line as (id, line, status, problem code or None), in order."""
    return [(a["id"], a["line"], a["status"], a.get("problem", {}).get("code")) for a in answers]


def counters(client: Client) -> dict[str, float]:
    """promoready_problems_total by code, and promoready_decisions_total summed as "decisions"."""
    out: dict[str, float] = {"decisions": 0.0}
    for row in client.get("/metrics").text.splitlines():
        if row.startswith("promoready_problems_total{"):
            out[row.split('code="', 1)[1].split('"', 1)[0]] = float(row.rsplit(" ", 1)[1])
        elif row.startswith("promoready_decisions_total{"):
            out["decisions"] += float(row.rsplit(" ", 1)[1])
    return out


def timeout_detail(number: int) -> str:
    return f"the batch took longer than 60 s; lines from {number} on were not evaluated [{errors.SERVICE_TIMEOUT}]"


def post(client: Client, body: str) -> Any:
    return client.post("/v1/evaluate/batch", content=body.encode(), headers=NDJSON)


# -- the deadline -----------------------------------------------------------------------------------------


def test_a_piece_that_comes_after_the_deadline_is_answered_with_the_timeout_line_not_its_own(served, clock,
                                                                                           monkeypatch):
    # answers(): `if late(request)` at the top of each piece. Line 2 is over --max-body (a piece of its own,
    # "too-large"): without the check it was answered 413 and the batch went on to a timeout at line 3.
    client = served(max_body=4096)
    spy = Spy(client, monkeypatch)
    spy.on_evaluated = lambda n: clock.jump() if n == 1 else None
    answers = rows(post(client, "\n".join([item("a"), item("big", padding="x" * 5000), item("c")])))
    assert seen(answers) == [("a", 1, 200, None), (None, 2, 503, errors.SERVICE_TIMEOUT)]
    assert answers[1]["problem"]["detail"] == timeout_detail(2) and answers[1]["problem"]["line"] == 2
    assert spy.numbers() == [1]  # line 3 is never read
    metrics = counters(client)
    assert metrics["decisions"] == 1 and metrics[errors.SERVICE_TIMEOUT] == 1
    assert errors.INPUT_TOO_LARGE not in metrics


def test_a_line_after_the_deadline_within_a_piece_is_not_read(served, clock, monkeypatch):
    # answers(): `if at and late(request)` between the lines of one piece (the body comes in one chunk).
    # Line 2 is not JSON: without the check it was read and answered 400, and the batch went on to line 3.
    client = served()
    spy = Spy(client, monkeypatch)
    spy.on_evaluated = lambda n: clock.jump() if n == 1 else None
    answers = rows(post(client, "\n".join([item("a"), "{not json", item("c")]) + "\n"))
    assert seen(answers) == [("a", 1, 200, None), (None, 2, 503, errors.SERVICE_TIMEOUT)]
    assert answers[1]["problem"]["detail"] == timeout_detail(2)
    assert spy.numbers() == [1]
    metrics = counters(client)
    assert metrics["decisions"] == 1 and metrics[errors.SERVICE_TIMEOUT] == 1 and errors.INPUT_JSON not in metrics


def test_a_line_on_the_loop_whose_time_runs_out_while_it_is_read_ends_the_batch(served, clock, monkeypatch):
    # answers(): `if _ran_out(result)` on the loop. The deadline passes while line 2 is read, so _decide's
    # in_time() refuses to evaluate it. Without the check that refusal was answered as line 2's own problem
    # (with its id "b", "the request took longer…") and the batch went on to a second timeout line at line 3.
    client = served()
    spy = Spy(client, monkeypatch)
    spy.on_parse = lambda n: clock.jump() if n == 2 else None
    answers = rows(post(client, "\n".join([item("a"), item("b"), item("c")])))
    assert seen(answers) == [("a", 1, 200, None), (None, 2, 503, errors.SERVICE_TIMEOUT)]
    assert answers[1]["problem"]["detail"] == timeout_detail(2)
    assert spy.numbers() == [1, 2]
    loop_thread = threading.current_thread().name  # the test client runs its loop here
    assert {thread for _, thread in spy.read} == {loop_thread}
    metrics = counters(client)
    assert metrics["decisions"] == 1 and metrics[errors.SERVICE_TIMEOUT] == 1


@pytest.mark.parametrize("when", ["after line 3 is evaluated", "while line 4 is read"])
def test_a_pool_piece_that_runs_out_of_time_answers_what_it_decided_then_the_timeout_line(served, clock,
                                                                                         monkeypatch, when):
    # Every line is slow (SLOW_LINE < 0): lines 1-2 are read on the loop, lines 3-5 go to the pool as one
    # piece. The deadline passes inside the piece: before line 4 (_decide_piece's late() check) or while
    # line 4 is read (its in_time(), _ran_out in the pool); either way the piece ends with a None result.
    # answers(): `if result is None` yields the timeout line; without it the None was answered as a decision
    # (an AttributeError: the stream was cut after line 3 with no last line).
    monkeypatch.setattr(_batch, "SLOW_LINE", -1.0)
    client = served()
    spy = Spy(client, monkeypatch)
    if when.startswith("after"):
        spy.on_evaluated = lambda n: clock.jump() if n == 3 else None
    else:
        spy.on_parse = lambda n: clock.jump() if n == 4 else None
    answers = rows(post(client, "\n".join(item(i) for i in range(5))))
    assert seen(answers) == [(0, 1, 200, None), (1, 2, 200, None), (2, 3, 200, None),
                             (None, 4, 503, errors.SERVICE_TIMEOUT)]
    assert answers[3]["problem"]["detail"] == timeout_detail(4)
    assert spy.numbers() == ([1, 2, 3] if when.startswith("after") else [1, 2, 3, 4])  # line 5 never read
    loop_thread = threading.current_thread().name
    assert [thread == loop_thread for _, thread in spy.read][:3] == [True, True, False]
    metrics = counters(client)
    assert metrics["decisions"] == 3 and metrics[errors.SERVICE_TIMEOUT] == 1
    assert client.app.state.slow_bodies.held == 0


def test_a_piece_in_the_pool_that_outlives_the_deadline_ends_the_batch_at_the_deadline(served, monkeypatch):
    # answers(): `except asyncio.TimeoutError` around the wait for the pool (also reached, with a 2 s sleep
    # and one line, by test_slow_bodies.py). The real clock here: line 2 (long: the pool) is held at a gate
    # until the batch is answered, so only the loop's own wait can have ended it; line 3 is never sent.
    # Without the except, the TimeoutError cut the stream after line 1 with no last line.
    client = served(timeout=1.0)
    spy = Spy(client, monkeypatch)
    opened = threading.Event()
    spy.on_parse = lambda n: opened.wait(SAFETY) if n == 2 else None
    try:
        answers = rows(post(client, "\n".join([item("a"), item("big", padding="x" * 70_000), item("c")])))
        answered_while_held = not opened.is_set()
    finally:
        opened.set()
    assert answered_while_held
    assert seen(answers) == [("a", 1, 200, None), (None, 2, 503, errors.SERVICE_TIMEOUT)]
    assert answers[1]["problem"]["detail"] == timeout_detail(2).replace("60 s", "1 s")
    pool = client.app.state.slow_bodies
    client.loop.run_until_complete(until(lambda: pool.held == 0))  # the held read ends, refused by in_time()
    assert spy.numbers() == [1, 2]
    metrics = counters(client)
    assert metrics["decisions"] == 1 and metrics[errors.SERVICE_TIMEOUT] == 1


def test_lines_a_pool_piece_decided_before_the_loop_stopped_waiting_for_it_are_answered(served, monkeypatch):
    # answers(): `except asyncio.TimeoutError` with a piece of several lines. Every line is slow, so lines
    # 1-2 are read on the loop and lines 3-5 go to the pool as one piece; line 3 is decided there, then
    # line 4 is held at a gate until the batch is answered: the loop's own wait (the real clock, 1 s) ends
    # it. Line 3 was evaluated in time: it is answered, and the timeout line says the batch stopped at 4.
    # Before, the wait's end dropped what the piece had decided: line 3's decision was lost, and the
    # timeout line said it was not evaluated.
    monkeypatch.setattr(_batch, "SLOW_LINE", -1.0)
    client = served(timeout=1.0)
    spy = Spy(client, monkeypatch)
    opened = threading.Event()
    spy.on_parse = lambda n: opened.wait(SAFETY) if n == 4 else None
    try:
        answers = rows(post(client, "\n".join(item(i) for i in range(5))))
        answered_while_held = not opened.is_set()
    finally:
        opened.set()
    assert answered_while_held
    assert seen(answers) == [(0, 1, 200, None), (1, 2, 200, None), (2, 3, 200, None),
                             (None, 4, 503, errors.SERVICE_TIMEOUT)]
    assert answers[3]["problem"]["detail"] == timeout_detail(4).replace("60 s", "1 s")
    pool = client.app.state.slow_bodies
    client.loop.run_until_complete(until(lambda: pool.held == 0))  # the held read ends, refused by in_time()
    assert spy.numbers() == [1, 2, 3, 4]  # line 5 never read
    metrics = counters(client)
    assert metrics["decisions"] == 3 and metrics[errors.SERVICE_TIMEOUT] == 1


# -- the pool full ----------------------------------------------------------------------------------------


async def until(condition: Callable[[], bool]) -> None:
    stop = time.monotonic() + SAFETY
    while not condition():
        assert time.monotonic() < stop, "waited in vain"
        await asyncio.sleep(0.01)


def batch_while_pool_full(client: Client, body: str) -> tuple[Any, int]:
    """The batch's answer, posted while the client's one place in its pool (one thread, no queue) is held;
    and the places held while it was answered."""
    pool = client.app.state.slow_bodies
    assert (pool.threads, pool.queue) == (1, 0)
    released = threading.Event()
    timer = threading.Timer(SAFETY, released.set)
    timer.start()

    async def scenario() -> tuple[Any, int]:
        holder = asyncio.ensure_future(pool.run(released.wait))
        await until(lambda: pool.held == 1)
        try:
            response = await client.client.post("/v1/evaluate/batch", content=body.encode(), headers=NDJSON)
            held = pool.held
        finally:
            released.set()
        assert await holder is True  # released by the test, not by the safety timer
        return response, held

    try:
        return client.loop.run_until_complete(scenario())
    finally:
        timer.cancel()


def test_a_slow_small_line_finding_the_pool_full_is_read_on_the_loop_and_the_batch_goes_on(served, monkeypatch):
    # answers(): the service.busy fallback `decided, to_pool = [], False`. After two slow lines the rest
    # would go to the pool; it is full, so each is read on the loop as before: every line answered, in
    # order, on the loop's thread, and no busy problem is answered or counted.
    monkeypatch.setattr(_batch, "SLOW_LINE", -1.0)
    client = served(slow_body_threads=1, slow_body_queue=0)
    spy = Spy(client, monkeypatch)
    response, held = batch_while_pool_full(client, "\n".join(item(f"i{i}") for i in range(4)))
    answers = rows(response)
    assert held == 1
    assert seen(answers) == [(f"i{i}", i + 1, 200, None) for i in range(4)]
    assert len({a["decision_id"] for a in answers}) == 4
    loop_thread = threading.current_thread().name
    assert spy.read == [(n, loop_thread) for n in range(1, 5)]
    metrics = counters(client)
    assert metrics["decisions"] == 4 and errors.SERVICE_BUSY not in metrics


def test_a_long_line_finding_the_pool_full_is_a_busy_line_counted_and_the_slow_batch_goes_on(served, monkeypatch):
    # answers(): the service.busy fallback for a line over INLINE_BYTES (also in test_busy.py, without the
    # counter or a slow batch). Every line is slow: lines 3-4 would go to the pool with the long line 3;
    # it is full, so line 3 is a 503 service.busy line (not read at all) and line 4 is read on the loop.
    monkeypatch.setattr(_batch, "SLOW_LINE", -1.0)
    client = served(slow_body_threads=1, slow_body_queue=0)
    spy = Spy(client, monkeypatch)
    body = "\n".join([item("a"), item("b"), item("long", padding="x" * 70_000), item("d")])
    response, held = batch_while_pool_full(client, body)
    answers = rows(response)
    assert held == 1
    assert seen(answers) == [("a", 1, 200, None), ("b", 2, 200, None), (None, 3, 503, errors.SERVICE_BUSY),
                             ("d", 4, 200, None)]
    busy = answers[2]["problem"]
    assert busy["line"] == 3 and "(1 + 0); try again in 2 s" in busy["detail"]
    assert spy.numbers() == [1, 2, 4]
    metrics = counters(client)
    assert metrics["decisions"] == 3 and metrics[errors.SERVICE_BUSY] == 1
