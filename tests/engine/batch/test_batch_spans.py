"""JSONL lines by their place (``iter_items(spans=True)``, ``SpanReader``): the items of a pool's batch,
whose workers read each line themselves, are the items of a plain reading once their lines are read."""

from __future__ import annotations

import collections
import os
import random
import threading

import pytest

from promoready.engine import _documents as docs
from promoready.engine.batch import Config, Item, evaluation_factory, inputs, iter_items, run
from promoready.engine.batch.inputs import SpanReader
from promoready.engine.batch.pool import take_chunk

PACKET = (b'{"candidate": {"id": "c-%d", "current_level": "apm", "target_level": "pm"}, '
          b'"evidence": {"years_of_experience": 1}}')


def _plain(path: str) -> list[Item]:
    return list(iter_items([path]))


def _by_span(path: str) -> list[Item]:
    reader = SpanReader()
    try:
        return reader.resolve(iter_items([path], spans=True))
    finally:
        reader.close()


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
    assert _by_span(str(path)) == [i._replace(span=s.span) for i, s in zip(plain, spans)]


def test_a_file_that_changed_since_it_was_scanned_gives_a_problem_not_other_text(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'{"a": 1}\n{"b": 2}\n{"c": 3}\n')
    items = list(iter_items([str(path)], spans=True))
    assert [i.span[:2] for i in items] == [(0, 9), (9, 9), (18, 9)]

    with open(path, "r+b") as fh:  # cut short: the last line is gone
        fh.truncate(20)
    got = SpanReader().resolve(items)
    assert [i.data for i in got[:2]] == [b'{"a": 1}\n', b'{"b": 2}\n']
    assert got[2].problem == ("input.unreadable", "the file was cut short while the batch ran")

    other = tmp_path / "other.jsonl"  # replaced by another file under the same name
    other.write_bytes(b'{"a": 1}\n{"b": 2}\n{"c": 3}\n')
    os.replace(other, path)
    got = SpanReader().resolve(items)
    assert {i.problem for i in got} == {("input.unreadable", "the file was replaced while the batch ran")}
    assert all(i.data is None for i in got)

    os.unlink(path)
    problem = SpanReader().resolve(items[:1])[0].problem
    assert problem is not None and problem[1].startswith("cannot read it again: ")


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


def test_a_line_is_found_again_by_the_real_path_of_its_file(tmp_path):
    """A name that means another file in another process (``/proc/self/fd/N``, through a link) is
    resolved where the file is scanned."""
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'{"a": 1}\n')
    fd = os.open(path, os.O_RDONLY)
    try:
        if not os.path.exists(f"/proc/self/fd/{fd}"):
            pytest.skip("no /proc/self/fd here")
        link = tmp_path / "link.jsonl"
        os.symlink(f"/proc/self/fd/{fd}", link)
        (item,) = iter_items([str(link)], spans=True)
        assert item.file == str(link) and item.span is not None
        assert item.span[2][0] == str(path.resolve())
    finally:
        os.close(fd)


def test_chunks_are_cut_by_the_length_of_the_lines_they_point_at():
    where = ("/x.jsonl", 1, 2)
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
