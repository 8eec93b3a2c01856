"""The pool (``engine.batch.pool``, ``worker``, ``_ipc``): chunks, spools, a bounded window, and a worker that
crashes or hangs costing only its packet.

Crashes and hangs need real worker processes: they run ``promoready batch`` with the test hooks
(``CRASH_ENV``, ``HANG_ENV``) and compare with an undisturbed in-process run.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections import deque

import pytest
from batch_helpers import PROMOREADY, assert_the_others_undisturbed, invoke, jsonl, packet, records

from promoready.engine import batch as engine
from promoready.engine.batch import _ipc, pool, worker
from promoready.engine.errors import EngineError

@pytest.mark.parametrize("count, crash", [(30, 7), (300, 201)])
def test_a_worker_crash_costs_only_its_packet(tmp_path, count, crash):
    # 30: the batch's only chunk dies; 300: a later chunk dies while the next is held ahead, and the
    # replacement worker starts with spools of its own.
    source = jsonl(tmp_path / "in.jsonl", [packet(i) for i in range(count)])
    out = tmp_path / "out.jsonl"
    env = dict(os.environ, **{engine.CRASH_ENV: f"c-{crash:05d}"})
    done = subprocess.run([PROMOREADY, "batch", source, "--workers", "2", "--out", str(out)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    rows = records(out.read_text())
    assert len(rows) == count
    assert rows[crash]["error"]["code"] == "engine.worker-crashed"
    assert "SIGABRT" in rows[crash]["error"]["message"]
    assert rows[crash]["source"] == f"{source}:{crash + 1}" and rows[crash]["candidate_id"] is None
    assert [r["candidate_id"] for i, r in enumerate(rows) if i != crash] == [
        f"c-{i:05d}" for i in range(count) if i != crash]
    assert f"{source}:{crash + 1}: the worker process died (SIGABRT)" in done.stderr
    assert_the_others_undisturbed(tmp_path, source, out, crash)


def test_large_packets_travel_in_smaller_chunks_and_give_the_same_bytes(tmp_path):
    # Packets of ~300 KB: a chunk holds at most CHUNK_BYTES of text, so these go three or fewer at a time.
    padded = []
    for i in range(12):
        p = packet(i)
        p["notes_attachment"] = ("x" * 1000 + "\n") * (100 + 100 * (i % 3))
        padded.append(p)
    source = jsonl(tmp_path / "in.jsonl", padded)
    assert os.path.getsize(source) > 2 * pool.CHUNK_BYTES
    pooled, single = tmp_path / "pool.jsonl", tmp_path / "single.jsonl"
    assert invoke(source, "--out", pooled, "--workers", 2).exit_code == 0
    assert invoke(source, "--out", single, "--workers", 1).exit_code == 0
    assert pooled.read_bytes() == single.read_bytes()
    assert [r["candidate_id"] for r in records(pooled.read_bytes())] == [f"c-{i:05d}" for i in range(12)]


def test_spools_hand_over_pieces_and_shrink_after_a_large_one():
    spools = _ipc.Spools("test")
    try:
        fd = spools.fds[0]
        _ipc.Spools.write_to(fd, b"a" * (_ipc.Spools.KEEP + 10))
        assert os.fstat(fd).st_size == _ipc.Spools.KEEP + 10
        _ipc.Spools.write_to(fd, b"one\ntwo\n")
        assert os.fstat(fd).st_size == 8  # cut back: a large packet's memory is not kept for the whole batch
        assert _ipc.Spools.read_from(fd, [4, 0, 4]) == [b"one\n", None, b"two\n"]
        _ipc.Spools.write_to(fd, b"z")
        assert os.fstat(fd).st_size == 8  # small spools are reused as they are
        with pytest.raises(EngineError, match="cut short"):
            _ipc.Spools.read_from(fd, [20])
        assert _ipc.Spools.read_from(spools.fds[1], [0, 0]) == [None, None]
    finally:
        spools.close()


def test_the_pool_keeps_a_bounded_window(tmp_path):
    source = jsonl(tmp_path / "in.jsonl", [packet(i) for i in range(120)])
    pulled = []

    def items():
        for item in engine.iter_items([source]):
            pulled.append(item.seq)
            yield item

    ahead = []
    for n, result in enumerate(engine.run(items(), workers=2, factory=engine.evaluation_factory, config=engine.Config(),
                                          window=8), 1):
        assert result.seq == n - 1
        ahead.append(len(pulled) - n)
    assert max(ahead) <= 8 and len(pulled) == 120



@pytest.mark.parametrize("count, hang, workers", [(30, 7, 2), (200, 150, 1)])
def test_a_stuck_worker_costs_only_its_packet(tmp_path, count, hang, workers):
    # The worker notes which packet it is on, so the stuck one is skipped and the rest of its chunk
    # runs again. 200 packets with --workers 1: a --timeout still evaluates in one worker process,
    # which can be stopped.
    source = jsonl(tmp_path / "in.jsonl", [packet(i) for i in range(count)])
    out = tmp_path / "out.jsonl"
    env = dict(os.environ, **{engine.HANG_ENV: f"c-{hang:05d}"})
    # The subprocess timeout is only a hang guard; what the test checks is the work: one packet, and
    # only that one, timed out (a deadline per chunk, or a rerun chunk timing out again, would cost more).
    done = subprocess.run([PROMOREADY, "batch", source, "--workers", str(workers), "--timeout", "1.5",
                           "--out", str(out)], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr
    rows = records(out.read_text())
    assert len(rows) == count
    assert [i for i, row in enumerate(rows) if "error" in row] == [hang]
    assert sum(line.startswith(f"promoready: {source}:") for line in done.stderr.splitlines()) == 1, done.stderr
    assert rows[hang]["error"]["code"] == "engine.timeout"
    assert "took more than 1.5 s" in rows[hang]["error"]["message"]
    assert f"{source}:{hang + 1}: evaluating this packet took more than 1.5 s" in done.stderr
    assert_the_others_undisturbed(tmp_path, source, out, hang)


def test_a_slow_chunk_is_not_a_stuck_packet():
    # The deadline is per packet: a worker past its chunk's deadline is stopped only if the packet it
    # is on now started more than `timeout` seconds ago; otherwise its deadline moves to that packet.
    handle = object.__new__(worker.Worker)
    handle.progress = _ipc.progress_file()
    try:
        note = _ipc.Note(handle.progress)
        handle.sent, handle.tasks = 5, deque([["a task"] * 64, ["a task"] * 64])  # chunks 3 and 4
        now = time.monotonic()
        note.write(3, 17, now - 0.2)
        handle.since = now - 30
        assert handle.stuck_on(1.0) is None and handle.since == pytest.approx(now - 0.2)
        note.write(3, 17, now - 2.0)
        assert handle.stuck_on(1.0) == 17  # packet 17 of its oldest chunk (number 5 - 2 = 3)
        note.write(2, 60, now - 2.0)
        assert handle.stuck_on(1.0) == -1  # not started on its oldest chunk yet: which packet is not known
    finally:
        os.close(handle.progress)


def test_the_progress_note_is_shared_memory_that_starts_with_no_packet():
    # A worker notes each packet through a memory map of the note (no system call a packet); the pool
    # reads the same bytes. A new note names no packet, so a worker that has not begun its first chunk
    # is never taken to be stuck on packet 0 of chunk 0.
    fd = _ipc.progress_file()
    try:
        assert _ipc.read_note(fd) == ((-1, -1, 0.0), 0)
        handle = object.__new__(worker.Worker)
        handle.progress, handle.sent, handle.tasks = fd, 1, deque([["a task"] * 8])  # chunk 0
        handle.since = time.monotonic() - 30
        assert handle.stuck_on(1.0) == -1
        note = _ipc.Note(fd)
        assert note.map is not None
        now = time.monotonic()
        note.write(0, 5, now - 2.0)
        assert _ipc.read_note(fd) == ((0, 5, now - 2.0), 2)
        assert handle.stuck_on(1.0) == 5
        # A write under way (its count odd) is never read half done: the worker is making progress.
        _ipc._COUNT.pack_into(note.map, 0, note.count + 1)
        assert _ipc.read_note(fd) == (None, 3)
        handle.since = now - 30
        assert handle.stuck_on(1.0) is None and handle.since > now
        # ... unless the same write is still under way at the next deadline: the worker has stopped
        # (SIGSTOP, a frozen cgroup), and which packet it was on is not known.
        assert handle.stuck_on(1.0) == -1
        # A note that cannot be (a place past the chunk's end, a start in the future) is looked at again later.
        for place, started in ((8, now - 2.0), (5, time.monotonic() + 60)):
            note.write(0, place, started)
            assert handle.stuck_on(1.0) is None
        note.close()
        # Where the note cannot be mapped, it is written in the same three steps, and read the same.
        plain = _ipc.Note(fd)
        plain.close()
        plain.write(0, 6, now - 2.0)
        assert _ipc.read_note(fd) == ((0, 6, now - 2.0), 2) and handle.stuck_on(1.0) == 6
    finally:
        os.close(fd)


def test_no_chunk_is_sent_ahead_while_a_worker_is_starting(tmp_path, monkeypatch):
    # Otherwise the first worker to be ready takes two full chunks of a small batch and the other
    # has nothing to do (130 packets: 128 went to one worker).
    pools, sends = [], []
    init, send = pool.Pool.__init__, worker.Worker.send

    def keep_pool(self, *args, **kwargs):
        init(self, *args, **kwargs)
        pools.append(self)

    def watched(self, chunk, **kwargs):
        sends.append((bool(self.tasks), all(w.ready for w in pools[0].workers), len(chunk)))
        return send(self, chunk, **kwargs)

    monkeypatch.setattr(pool.Pool, "__init__", keep_pool)
    monkeypatch.setattr(worker.Worker, "send", watched)
    source = jsonl(tmp_path / "in.jsonl", [packet(i) for i in range(130)])
    results = list(engine.run(engine.iter_items([source]), workers=2, factory=engine.evaluation_factory,
                              config=engine.Config()))
    assert [r.seq for r in results] == list(range(130))
    assert sends and all(all_ready for ahead, all_ready, _ in sends if ahead), sends
    # Once the input is read, chunks shrink so that the last packets are shared out.
    assert max(n for *_, n in sends) <= 33


def test_default_workers_follow_the_cpus_this_process_may_use(monkeypatch):
    from promoready import _processes

    assert _processes.usable_cpus() == len(os.sched_getaffinity(0))
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {3})  # `taskset -c 3`, or a container's cpuset
    assert _processes.usable_cpus() == 1
    monkeypatch.delattr(os, "sched_getaffinity")  # a system without affinity
    assert _processes.usable_cpus() == (os.cpu_count() or 1)



def _task(seq: int, size: int = 0, alone: bool = False):
    return engine.Item(seq, "in.jsonl", seq + 1, b"x" * size if size else None), True, alone


def test_a_chunk_is_bounded_by_count_and_bytes_and_a_packet_to_run_alone_travels_alone():
    queue = deque(_task(i) for i in range(5))
    assert [t[0].seq for t in pool.take_chunk(queue, 3)] == [0, 1, 2]
    assert [t[0].seq for t in pool.take_chunk(queue)] == [3, 4]
    half = pool.CHUNK_BYTES // 2 + 1
    queue = deque([_task(0, half), _task(1, half), _task(2)])
    assert [t[0].seq for t in pool.take_chunk(queue)] == [0]  # two would be over CHUNK_BYTES
    assert [t[0].seq for t in pool.take_chunk(queue)] == [1, 2]
    queue = deque([_task(0), _task(1, alone=True), _task(2)])
    assert [[t[0].seq for t in pool.take_chunk(queue)] for _ in range(3)] == [[0], [1], [2]]
    queue = deque([_task(0, pool.CHUNK_BYTES + 1), _task(1), _task(2), _task(3, alone=True), _task(4), _task(5)])
    assert [[t[0].seq for t in pool.take_chunk(queue)] for _ in range(4)] == [[0], [1, 2], [3], [4, 5]]
    assert not queue


def test_the_record_of_a_packet_its_worker_died_or_was_stopped_on():
    item = engine.Item(4, "in.jsonl", 5, b"{}")
    crashed = engine.crash_result(item, -6)
    assert crashed.error["code"] == "engine.worker-crashed" and "died (SIGABRT)" in crashed.error["message"]
    assert json.loads(crashed.record) == {"error": crashed.error, "source": "in.jsonl:5", "candidate_id": None}
    assert (crashed.error["file"], crashed.error["line"], crashed.seq) == ("in.jsonl", 5, 4)
    assert "died (exit status 3)" in engine.crash_result(item, 3).error["message"]
    assert "died (signal 99)" in engine.crash_result(item, -99).error["message"]
    stopped = engine.crash_result(item, -9, timeout=1.5)
    assert stopped.error["code"] == "engine.timeout" and "took more than 1.5 s" in stopped.error["message"]


def test_the_waiter_follows_the_objects_it_is_given_when_a_descriptor_is_reused():
    # A worker replaced by another may get the same descriptor numbers: what is ready is always the
    # object of this call, and a descriptor no longer given is no longer watched.
    class Handle:
        def __init__(self, fd: int) -> None:
            self.fd = fd

        def fileno(self) -> int:
            return self.fd

    waiter = pool._Waiter()
    first_r, first_w = os.pipe()
    other_r, other_w = os.pipe()
    try:
        old, new = Handle(first_r), Handle(first_r)  # the same descriptor, two owners one after the other
        assert waiter.wait([old, other_r], 0) == []
        os.write(other_w, b"x")
        assert waiter.wait([old, other_r], 0) == [other_r]
        assert waiter.wait([old], 0) == []  # no longer given: no longer watched, though readable
        os.write(first_w, b"y")
        assert waiter.wait([new], 5) == [new]  # the object given now, not the one the descriptor had before
    finally:
        for fd in (first_r, first_w, other_r, other_w):
            os.close(fd)


@pytest.mark.skipif(not hasattr(os, "waitid"), reason="tells an exited fork server without reaping it (waitid)")
def test_a_fork_server_replaced_before_its_workers_were_seen_gone_still_counts_as_lost():
    # The race CI met: the server dies, the pool starts a worker for new packets before it has seen the
    # old workers' pipes close, and multiprocessing replaces the server without a word. Burying the old
    # workers must still count the loss, so that the second one ends the batch.
    import signal

    from promoready import _processes

    def kill_server() -> int:
        pid = _processes.server_pid()
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while _processes.server_gone() != pid:
            assert time.monotonic() < deadline, "the fork server outlived SIGKILL"
            time.sleep(0.005)
        return pid

    scheduler = pool.Pool(2, engine.evaluation_factory, engine.Config(), None, None, 60.0)
    try:
        old = scheduler._new_worker()
        scheduler.workers.append(old)
        first = kill_server()
        new = scheduler._new_worker()  # started before ``old`` is seen gone: a new server, silently
        scheduler.workers.append(new)
        assert new.server not in (None, first)
        scheduler._bury(old, late=False, stuck=None)
        assert scheduler.lost_servers == {first} and scheduler.workers == [new]
        # The loss is not blamed on a packet, and the second one ends the batch.
        kill_server()
        newer = scheduler._new_worker()
        scheduler.workers.append(newer)
        with pytest.raises(EngineError) as caught:
            scheduler._bury(new, late=False, stuck=None)
        assert caught.value.code == "engine.worker-start" and "died 2 times" in str(caught.value)
    finally:
        scheduler._stop_workers(gently=False)


@pytest.mark.skipif(not worker.CAN_PASS, reason="input files are passed to workers only where the system can")
def test_a_worker_that_cannot_take_a_passed_file_costs_nothing_and_the_lines_go_as_text(tmp_path):
    # At its ``ulimit -n`` a worker cannot take the input file passed to it (the descriptor does not fit).
    # It used to end the batch ("fatal"); it is let go like a worker the pool failed to pass a file to,
    # blaming no packet, and the rest of the batch sends the lines as text.
    from promoready.engine.batch import spans

    source = jsonl(tmp_path / "in.jsonl", [packet(i) for i in range(300)])
    assert os.path.getsize(source) >= spans.MIN_SIZE  # large enough to be passed rather than read as text
    out, reference = tmp_path / "out.jsonl", tmp_path / "reference.jsonl"
    env = dict(os.environ, **{engine.FILES_FULL_ENV: "1"})
    done = subprocess.run([PROMOREADY, "batch", source, "--workers", "2", "--out", str(out)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert invoke(source, "--out", reference, "--workers", 1).exit_code == 0
    assert out.read_bytes() == reference.read_bytes()
    assert "engine.batch" not in done.stderr and "cannot take" not in done.stderr


@pytest.mark.skipif(not worker.CAN_PASS, reason="input files are passed to workers only where the system can")
@pytest.mark.parametrize("failure, passing", [(BrokenPipeError(32, "Broken pipe"), True),
                                              (ConnectionResetError(104, "Connection reset by peer"), True),
                                              (OSError(109, "Too many references"), False)])
def test_passing_stops_only_for_a_failure_of_passing_not_for_a_worker_gone(tmp_path, monkeypatch, failure, passing):
    # A broken pipe while a file is passed means the worker died (its sentinel says so, and its packet is
    # blamed as for any crash): passing goes on for the others, and the chunk waits for a worker. Any other
    # failure leaves the worker waiting for a file that is not coming: it is let go, and lines go as text.
    from promoready.engine.batch import spans

    def failing(sock, fd):
        raise failure

    source = jsonl(tmp_path / "in.jsonl", [packet(0)])
    scheduler = pool.Pool(1, engine.evaluation_factory, engine.Config(), None, None, 60.0)
    opened = spans.OpenFile(os.open(source, os.O_RDONLY))
    try:
        handle = scheduler._new_worker()
        scheduler.workers.append(handle)
        handle.ready = True
        task = (engine.Item(0, source, 1, None, None, (0, os.path.getsize(source), opened)), True, False)
        scheduler.queue.append(task)
        monkeypatch.setattr(worker, "send_fd", failing)
        scheduler._dispatch()
        assert scheduler.pass_files is passing
        assert list(scheduler.queue) == [task] and not handle.tasks  # nothing is lost, nothing blamed
        assert (handle in scheduler.workers) is passing
    finally:
        scheduler._stop_workers(gently=False)
        opened.close()
