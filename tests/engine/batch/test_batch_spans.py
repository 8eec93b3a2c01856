"""JSONL lines by their place (``iter_items(spans=True)``, ``engine.batch.spans``): the items of a pool's
batch, whose workers read each line themselves from the file the coordinating process scanned and
passed them, are the items of a plain reading once their lines are read."""

from __future__ import annotations

import collections
import os
import random
import threading

import pytest

from promoready.engine import _documents as docs
from promoready.engine.batch import Config, Item, evaluation_factory, inputs, iter_items, run
from promoready.engine.batch.pool import take_chunk
from promoready.engine.batch import spans as spans_module
from promoready.engine.batch import worker as worker_module
from promoready.engine.batch.spans import (CHANGED, CUT_SHORT, OpenFile, SpanReader, read_lines, recv_fd, send_fd,
                                           socket_of)
from promoready.engine.batch.worker import Worker

PACKET = (b'{"candidate": {"id": "c-%d", "current_level": "apm", "target_level": "pm"}, '
          b'"evidence": {"years_of_experience": 1}}')


@pytest.fixture(autouse=True)
def _small_files_too(monkeypatch):
    """These tests' files are small: read them by place all the same (see the test of MIN_SIZE)."""
    monkeypatch.setattr(spans_module, "MIN_SIZE", 0)


def _plain(path: str) -> list[Item]:
    return list(iter_items([path]))


LINES = [b'{"a": 1}', b"", b"   ", b"\t\r", b'{"b": 2}\r', b" {}", b"x" * 40, b"y" * 41, b"z" * 39, b"\x0b{}",
         b'{"c": "\xc3\xa9"}', b" " * 45]


@pytest.mark.parametrize("seed", range(40))
def test_lines_by_place_read_back_as_the_plain_reading_gives_them(tmp_path, monkeypatch, seed):
    monkeypatch.setattr(docs, "MAX_BYTES", 40)  # some lines over the limit, some just at it
    monkeypatch.setattr(inputs, "SCAN_BLOCK", random.Random(seed).choice([1, 3, 7, 16, 64, 1 << 20]))
    rng = random.Random(seed)
    text = b"\n".join(rng.choice(LINES) for _ in range(rng.randrange(0, 30)))
    if rng.random() < 0.5:
        text += b"\n"
    if rng.random() < 0.2:
        text += b"w" * rng.randrange(30, 200)  # a last line with no newline, maybe too long
    path = tmp_path / "in.jsonl"
    path.write_bytes(text)
    plain, spans = _plain(str(path)), list(iter_items([str(path)], spans=True))
    assert all(i.data is None for i in spans)  # only places travel
    assert [i.span is not None for i in spans] == [i.problem is None for i in plain]
    assert [i._replace(span=None) for i in read_lines(spans)] == plain


def test_a_file_moved_deleted_or_replaced_by_name_is_still_the_file_that_was_scanned(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'{"a": 1}\n{"b": 2}\n{"c": 3}\n')
    items = list(iter_items([str(path)], spans=True))
    assert [i.span[:2] for i in items] == [(0, 9), (9, 9), (18, 9)]
    want = [b'{"a": 1}\n', b'{"b": 2}\n', b'{"c": 3}\n']
    os.replace(path, tmp_path / "moved.jsonl")
    assert [i.data for i in read_lines(items)] == want
    (tmp_path / "moved.jsonl").unlink()
    (tmp_path / "in.jsonl").write_bytes(b'{"x": 9}\n' * 3)  # another file under the old name
    assert [i.data for i in read_lines(items)] == want


def test_a_file_changed_in_place_since_it_was_scanned_gives_a_problem_not_other_text(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'{"a": 1}\n{"b": 2}\n{"c": 3}\n')
    items = list(iter_items([str(path)], spans=True))

    with open(path, "r+b") as fh:  # cut short: the last line is gone
        fh.truncate(20)
    got = read_lines(items)
    assert [i.data for i in got[:2]] == [b'{"a": 1}\n', b'{"b": 2}\n']
    assert got[2].problem == ("input.unreadable", CUT_SHORT)

    for text in (b'{"aa": 1}\n{"b": 2}\n{"c": 3}\n',  # every line moved on by a byte
                 b'{"a": 1}\n{"b\n: 2}\n{"c": 3}\n',  # a newline inside a line
                 b'{"a": 1}\n{"b": 22}\n"c": 3}\n'):  # a line that goes on past its place
        with open(path, "r+b") as fh:
            fh.truncate(0)
            fh.write(text)
        problems = [i.problem for i in read_lines(items)]
        assert ("input.unreadable", CHANGED) in problems, text
        # what is read is a whole line where one was (here, each the line it was), or nothing
        assert all(i.data in (None, b'{"a": 1}\n', b'{"b": 2}\n', b'{"c": 3}\n') for i in read_lines(items))


def test_the_last_line_may_end_the_file_without_a_newline_but_no_other(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'{"a": 1}\n{"b": 2}')
    items = list(iter_items([str(path)], spans=True))
    assert [i.data for i in read_lines(items)] == [b'{"a": 1}\n', b'{"b": 2}']
    with open(path, "ab") as fh:
        fh.write(b"3}\n")  # the last line goes on now
    assert read_lines(items)[1].problem == ("input.unreadable", CHANGED)


def test_a_fifo_is_read_as_text(tmp_path):
    fifo = tmp_path / "in.jsonl"
    os.mkfifo(fifo)

    def feed() -> None:
        with open(fifo, "wb") as fh:
            fh.write(b'{"a": 1}\n')

    writer = threading.Thread(target=feed)
    writer.start()
    items = list(iter_items([str(fifo)], spans=True))
    writer.join()
    assert [(i.data, i.span) for i in items] == [(b'{"a": 1}\n', None)]


def test_an_open_file_passes_to_the_other_end_of_a_connection(tmp_path):
    from multiprocessing import Pipe

    path = tmp_path / "in.jsonl"
    path.write_bytes(b'{"a": 1}\n')
    here, there = Pipe(duplex=True)
    with open(path, "rb") as fh, socket_of(here) as here_sock, socket_of(there) as there_sock:
        here.send(("a message before it", 1))
        send_fd(here_sock, fh.fileno())
        here.send("and one after")
        assert there.recv() == ("a message before it", 1)
        fd = recv_fd(there_sock)
        assert there.recv() == "and one after"
    path.unlink()
    reader = SpanReader()
    reader.receive(7, fd)
    assert reader.texts([None, (0, 9, 7)]) == [None, b'{"a": 1}\n']
    reader.close()
    with pytest.raises(OSError):
        os.fstat(fd)  # closed with the reader
    here.close()
    with socket_of(there) as there_sock, pytest.raises(EOFError):
        recv_fd(there_sock)


def test_a_worker_keeps_the_files_it_used_last_and_is_told_which_to_close(tmp_path):
    files = [OpenFile(os.open(tmp_path, os.O_RDONLY)) for _ in range(4)]
    worker = type("W", (), {"files": {}, "FILES": 2})()

    def chunk(*numbers: int) -> list:
        return [(Item(n, "x.jsonl", 1, None, None, (0, 1, files[n])), False, False) for n in numbers]

    def keys(*numbers: int) -> list[int]:
        return [files[n].key for n in numbers]

    def files_for(*numbers: int) -> tuple[list[int], list[int]]:
        passed, dropped, files = Worker._files_for(worker, chunk(*numbers))  # type: ignore[arg-type]
        worker.files = files  # as send does once the chunk is sent
        return [f.key for f in passed], dropped

    assert files_for(0, 0, 1) == (keys(0, 1), [])
    assert files_for(1, 1) == ([], [])
    assert files_for(2) == (keys(2), keys(0))  # 0 was used longest ago
    assert files_for(0, 1, 2, 3) == (keys(0, 3), [])  # a chunk that needs more keeps them all
    assert files_for(3) == ([], keys(0, 1))  # back to two, the least recently used closed
    assert list(worker.files) == keys(2, 3)


def test_chunks_are_cut_by_the_length_of_the_lines_they_point_at(tmp_path):
    where = OpenFile(os.open(tmp_path, os.O_RDONLY))
    queue = collections.deque(
        (Item(n, "x.jsonl", n + 1, None, None, (n * 600_000, 600_000, where)), False, False) for n in range(5))
    assert len(take_chunk(queue)) == 1  # 1 MiB of text at most, unless its first item alone is more
    assert len(queue) == 4


def _jsonl(tmp_path, count: int) -> str:
    path = tmp_path / "batch.jsonl"
    path.write_bytes(b"".join(PACKET % n + (b"\n\n" if n % 7 == 0 else b"\n") for n in range(count)) + b"{oops\n")
    return str(path)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_batch_by_place_gives_the_records_of_a_plain_batch(tmp_path, workers):
    path = _jsonl(tmp_path, 150)
    config = Config()
    plain = [r.record or r.error for r in run(iter_items([path]), workers=1, factory=evaluation_factory,
                                                 config=config)]
    by_place = [r.record or r.error for r in run(iter_items([path], spans=True), workers=workers,
                                                    factory=evaluation_factory, config=config)]
    assert by_place == plain and len(plain) == 151


def test_small_files_and_files_past_the_limit_are_read_as_text(tmp_path, monkeypatch):
    # Each file read by place holds a descriptor while an item of it waits: a batch of many small
    # files must not run out of them (ulimit -n).
    monkeypatch.setattr(spans_module, "MIN_SIZE", 100)
    monkeypatch.setattr(spans_module, "MAX_OPEN", 2)
    names = []
    for n, size in enumerate((10, 200, 200, 200)):
        path = tmp_path / f"{n}.jsonl"
        path.write_bytes(b"{}" + b" " * (size - 3) + b"\n")
        names.append(str(path))
    items = list(iter_items(names, spans=True))
    assert [i.span is not None for i in items] == [False, True, True, False]  # too small; two open at most
    assert items[0].data is not None and items[3].data is not None
    del items
    assert [i.span is not None for i in iter_items(names[3:], spans=True)] == [True]  # closed with their items


def test_a_line_after_another_that_changed_in_a_read_of_several_is_refused(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'{"a":1}\n\n{"b":2}\n')
    items = list(iter_items([str(path)], spans=True))
    assert len(items) == 2  # read together: the blank line is a gap of one byte
    with open(path, "r+b") as fh:
        fh.write(b'{"a":1}\nX{"b":2}\n')
    got = read_lines(items)
    assert got[0].data == b'{"a":1}\n' and got[1].problem == ("input.unreadable", CHANGED)


@pytest.mark.parametrize("always", [False, True])
def test_a_worker_not_passed_the_files_of_its_chunk_is_let_go_and_no_packet_is_blamed(tmp_path, monkeypatch, always):
    # The chunk went out, its file did not: the worker would take the next message for the file. It is
    # stopped and its chunks go to the others, and from then on the lines travel as text (so a failure
    # that lasts costs one worker, not one a chunk); every record is the plain batch's.
    path = _jsonl(tmp_path, 200)
    plain = [r.record or r.error for r in run(iter_items([path]), workers=1, factory=evaluation_factory,
                                                 config=Config())]
    failures = []

    def send_failing(sock, fd):
        if len(failures) > 3:  # a let-go worker after another: the batch would never end
            pytest.fail("passing a file is tried again and again")
        if always or not failures:
            failures.append(fd)
            raise OSError(24, "Too many open files")
        send_fd(sock, fd)

    monkeypatch.setattr(worker_module, "send_fd", send_failing)
    results = run(iter_items([path], spans=True), workers=2, factory=evaluation_factory, config=Config())
    got = [r.record or r.error for r in results]
    assert len(failures) == 1 and got == plain


def test_a_file_that_does_not_fit_is_an_os_error_and_anything_else_an_engine_error():
    # The worker takes the first for its own limit (it is let go, the batch goes on as text) and the second
    # for a bug of the pool's (the batch ends, saying so).
    import errno
    import resource
    from multiprocessing import Pipe

    from promoready.engine.errors import EngineError

    here, there = Pipe(duplex=True)
    with socket_of(here) as here_sock, socket_of(there) as there_sock:
        here_sock.sendall(b"X")
        with pytest.raises(EngineError, match="something else"):
            recv_fd(there_sock)
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        free = os.open(os.devnull, os.O_RDONLY)
        os.close(free)
        send_fd(here_sock, here_sock.fileno())
        resource.setrlimit(resource.RLIMIT_NOFILE, (free, hard))  # no room for one more descriptor
        try:
            with pytest.raises(OSError) as caught:
                recv_fd(there_sock)
        finally:
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        assert caught.value.errno == errno.EMFILE
    here.close()
    there.close()
