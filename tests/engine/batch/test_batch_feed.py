"""Reading a stream (``engine.batch.feed``): a thread of its own, so that decisions keep flowing while it is
quiet; a bounded buffer; the end of a small stream told from a pause in a long one."""

from __future__ import annotations

import json
import select
import subprocess
import threading
import time

import pytest
from batch_helpers import PROMOREADY, packet

from promoready.engine import batch as engine
from promoready.engine.batch import pool
from promoready.engine.batch.feed import NOTHING, Feed

@pytest.mark.parametrize("workers", [None, "2"])
def test_decisions_flow_while_stdin_is_quiet(workers):
    # A producer that sends a few packets and waits for their decisions before sending more: the
    # pool reads stdin in a thread, so it hands out what has arrived instead of waiting for more.
    args = [PROMOREADY, "batch", "-"] + (["--workers", workers] if workers else [])
    proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        got = []
        for start in (0, 3, 6):
            for i in range(start, start + 3):
                proc.stdin.write((json.dumps(packet(i)) + "\n").encode())
            proc.stdin.flush()
            for _ in range(3):
                ready, _, _ = select.select([proc.stdout], [], [], 30)
                assert ready, f"no decision within 30 s of sending packets {start}-{start + 2} (stdin still open)"
                got.append(json.loads(proc.stdout.readline())["candidate_id"])
        proc.stdin.close()
        assert proc.stdout.read() == b""
        assert proc.wait(timeout=30) == 0, proc.stderr.read().decode()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert got == [f"c-{i:05d}" for i in range(9)]


def test_a_small_batch_on_stdin_is_still_evaluated_in_process(tmp_path, monkeypatch):
    def no_pool(self, *args, **kwargs):
        raise AssertionError("a pool was started for a stream of 5 packets that had ended")

    monkeypatch.setattr(pool.Pool, "__init__", no_pool)
    lines = iter([engine.Item(i, "<stdin>", i + 1, json.dumps(packet(i)).encode()) for i in range(5)])
    results = list(engine.run(lines, workers=2, factory=engine.evaluation_factory, config=engine.Config(), inline_below=64,
                              stream=True))
    assert [r.candidate_id for r in results] == [f"c-{i:05d}" for i in range(5)]



def test_an_ended_stream_does_not_keep_waking_the_pool(monkeypatch):
    # Once the reading thread has ended, its wake-up pipe stays readable: the pool must not listen to
    # it while its window is full (it spun: thousands of wake-ups for 600 packets).
    drains = []
    drain = Feed.drain
    monkeypatch.setattr(Feed, "drain", lambda self: drains.append(1) or drain(self))
    lines = [engine.Item(i, "<stdin>", i + 1, json.dumps(packet(i)).encode()) for i in range(600)]
    results = list(engine.run(iter(lines), workers=2, factory=engine.evaluation_factory, config=engine.Config(),
                              stream=True))
    assert [r.seq for r in results] == list(range(600))
    assert len(drains) < 100


def test_a_trickling_stream_is_not_taken_for_a_small_batch():
    sent = []

    def trickle():
        for i in range(1000):
            time.sleep(0.05)
            sent.append(i)
            yield engine.Item(i, "<stdin>", i + 1, b"{}")

    feed = Feed(trickle(), capacity=256)
    try:
        assert feed.ends_within(64, patience=0.5) is False
        # One deadline for the whole wait, not one per line: it gave up while lines were still
        # trickling in, long before 64 had come (a deadline renewed by each line would wait for all 64).
        # A slower machine only sends fewer lines by then, so this holds however loaded it is.
        assert len(sent) < 64, len(sent)
    finally:
        feed.close()



def _line(i: int) -> engine.Item:
    return engine.Item(i, "<stdin>", i + 1, b"{}")


def test_a_feed_of_files_hands_items_over_when_asked():
    items = [engine.Item(i, f"p{i}.json") for i in range(3)]
    feed = Feed(iter(items))
    assert feed.fd is None  # nothing to wait on: reading a file never waits for long
    assert feed.next() == items[0]
    assert list(feed) == items[1:]
    with pytest.raises(StopIteration):
        feed.next()


def test_a_quiet_stream_says_so_and_hands_over_what_arrives_later():
    gate = threading.Event()

    def stream():
        yield _line(0)
        gate.wait(30)
        yield _line(1)

    feed = Feed(stream(), capacity=4)
    try:
        assert select.select([feed.fd], [], [], 30)[0], "the first line never woke the pool"
        assert feed.next() == _line(0)
        assert feed.next() is NOTHING  # the second line has not come yet
        gate.set()
        assert list(feed) == [_line(1)]  # iterating waits for the stream as long as it takes
        with pytest.raises(StopIteration):
            feed.next()
    finally:
        gate.set()
        feed.close()


def test_a_stream_that_fails_raises_where_its_items_are_taken():
    def stream():
        yield _line(0)
        raise OSError("the stream went away")

    feed = Feed(stream(), capacity=4)
    got = []
    try:
        with pytest.raises(OSError, match="went away"):
            for item in feed:
                got.append(item.seq)
    finally:
        feed.close()
    assert got == [0]


def test_a_stream_is_read_at_most_its_capacity_ahead():
    pulled = []

    def stream():
        for i in range(100):
            pulled.append(i)
            yield _line(i)

    feed = Feed(stream(), capacity=5)
    try:
        assert feed.ends_within(50, patience=0.3) is False  # it cannot: the buffer holds five
        assert len(pulled) <= 6  # five in the buffer, one waiting for room
        assert [item.seq for item in feed] == list(range(100))
    finally:
        feed.close()


def test_a_feed_hands_items_over_many_at_a_time():
    items = [engine.Item(i, f"p{i}.json") for i in range(5)]
    feed = Feed(iter(items))
    assert feed.take(2) == items[:2]
    assert feed.take(10) == items[2:]  # fewer: the files have ended
    with pytest.raises(StopIteration):
        feed.take(10)


def test_items_read_before_a_failure_are_taken_before_it_is_raised():
    def failing():
        yield _line(0)
        yield _line(1)
        raise OSError("the disk went away")

    feed = Feed(failing())
    assert feed.take(10) == [_line(0), _line(1)]
    with pytest.raises(OSError, match="went away"):
        feed.take(10)


def test_a_quiet_stream_hands_over_nothing_at_once_then_what_arrived():
    gate = threading.Event()

    def stream():
        yield _line(0)
        yield _line(1)
        gate.wait(30)
        yield _line(2)

    feed = Feed(stream(), capacity=4)
    try:
        got = []
        deadline = time.monotonic() + 30
        while len(got) < 2 and time.monotonic() < deadline:
            got += feed.take(10)
        assert got == [_line(0), _line(1)]
        assert feed.take(10) == []  # nothing new yet: the pool goes on with what it has
        gate.set()
        while len(got) < 3 and time.monotonic() < deadline:
            got += feed.take(10)
        assert got[2:] == [_line(2)]
        with pytest.raises(StopIteration):
            while time.monotonic() < deadline:
                feed.take(10)
    finally:
        gate.set()
        feed.close()
