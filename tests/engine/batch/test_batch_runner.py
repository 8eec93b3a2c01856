"""``engine.batch.run`` and ``process``: in this process or through a pool, the same records in input order;
every failure of one packet an error record; the timeout checked."""

from __future__ import annotations

import json
import os

import pytest
from batch_helpers import jsonl, packet

from promoready.engine import batch as engine


def _boom(loaded, as_of):
    raise RuntimeError("a bug")


def test_process_turns_every_failure_into_an_error_record():
    item = engine.Item(3, "in.jsonl", 4, json.dumps(packet(0)).encode())
    # The test hooks act only in a worker process: here they would kill or stall the test itself.
    hooked = engine.Config(crash_on="c-00000", hang_on="c-00000")
    result = engine.process(item, _boom, hooked)
    assert result.error == {"code": "engine.internal", "message": "unexpected RuntimeError: a bug",
                            "file": "in.jsonl", "line": 4, "path": None, "suggestion": None}
    assert json.loads(result.record) == {"error": result.error, "source": "in.jsonl:4", "candidate_id": "c-00000"}
    assert result.record.endswith(b"\n") and result.outcome is None
    bad = engine.Item(0, "in.jsonl", 9, b'{"candidate": {"id": "x-1"}, "current_level": 3}')
    error = engine.process(bad, _boom, engine.Config()).error
    assert error["code"].startswith("packet.") and error["path"] == "current_level"
    assert (error["file"], error["line"]) == ("in.jsonl", 9)  # the stream's line, the one to fix


def test_in_process_and_pool_give_the_same_records_in_input_order(tmp_path):
    source = jsonl(tmp_path / "in.jsonl", [packet(i) for i in range(40)] + ["{not json"])
    runs = [list(engine.run(engine.iter_items([source]), workers=workers, factory=engine.evaluation_factory,
                            config=engine.Config())) for workers in (1, 2)]
    one, two = runs
    assert [r.seq for r in two] == list(range(41))
    assert [r.record for r in one] == [r.record for r in two]
    assert two[-1].error["code"] == "input.json" and all(r.error is None for r in two[:-1])
    assert [r.outcome for r in one] == [r.outcome for r in two]


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "3000000"])
def test_run_refuses_a_timeout_out_of_range(value):
    with pytest.raises(ValueError, match="timeout must be"):
        engine.run([], workers=2, factory=None, config=engine.Config(), timeout=float(value))


def _mixed(tmp_path) -> str:
    """400 packets: decisions, a line that is no JSON, packets with a field that looks like a typo (a
    warning), blank lines and a candidate seen twice; enough for chunks of each kind."""
    lines: list = []
    for i in range(400):
        p = packet(i)
        if i in (5, 390):
            p["target_levle"] = "x"  # a warning: the chunk it is in comes back one result at a time
        if i == 150:
            p["candidate"]["id"] = "c-00003"  # seen before, in another chunk
        lines.append(p)
        if i % 100 == 7:
            lines.append("   ")  # blank: no packet, but it counts as a line
    lines[300] = "{not json"
    return jsonl(tmp_path / "mixed.jsonl", lines)


def _summary(handed) -> dict:
    from promoready.engine.summary import Summary

    s = Summary()
    for h in handed:
        if isinstance(h, engine.Chunk):
            s.merge(h.part, h.places())
        elif h.error is not None:
            s.add_error(h.error["code"], source=h.source, candidate_id=h.candidate_id)
        else:
            s.add(h.outcome, h.source)
    return s.to_dict()


def _flat(handed) -> list:
    """(seq, source, candidate id, record, columns) of every record, chunks opened."""
    out = []
    for h in handed:
        for r in (h.results() if isinstance(h, engine.Chunk) else [h]):
            out.append((r.seq, r.source, r.candidate_id, r.record, r.columns))
    return out


def test_a_pool_that_hands_back_chunks_gives_the_same_records_and_summary(tmp_path):
    # Whole chunks (records in one piece, the summary's part counted in the worker) and one result at
    # a time must give the same bytes, in the same order, the same summary and the same store columns.
    source = _mixed(tmp_path)
    config = engine.Config(columns=True)
    runs = {(workers, chunked): list(engine.run(engine.iter_items([source]), workers=workers,
                                                factory=engine.evaluation_factory, config=config, chunked=chunked))
            for workers, chunked in ((1, False), (2, False), (2, True))}
    chunked = runs[(2, True)]
    chunks = [h for h in chunked if isinstance(h, engine.Chunk)]
    assert chunks and sum(c.count for c in chunks) > 100  # most decisions came back whole
    assert any(not isinstance(h, engine.Chunk) and h.outcome is not None and h.outcome.warnings for h in chunked)
    assert any(not isinstance(h, engine.Chunk) and h.error is not None for h in chunked)
    want = _flat(runs[(1, False)])
    assert len(want) == 400 and [w[0] for w in want] == list(range(400))
    assert _flat(chunked) == _flat(runs[(2, False)]) == want
    assert b"".join(h.records if isinstance(h, engine.Chunk) else h.record for h in chunked) == \
        b"".join(w[3] for w in want)
    summary = _summary(chunked)
    assert summary == _summary(runs[(1, False)]) == _summary(runs[(2, False)])
    assert summary["duplicate_candidates"] == [{"candidate_id": "c-00003",
                                                "sources": [f"{source}:4", f"{source}:{150 + 1 + 2}"]}]


def test_a_resumed_run_never_gets_chunks(tmp_path):
    # Decisions kept from an earlier run are copied one by one: a pool resuming hands back results only.
    source = jsonl(tmp_path / "in.jsonl", [packet(i) for i in range(150)])
    first = list(engine.run(engine.iter_items([source]), workers=1, factory=engine.evaluation_factory,
                            config=engine.Config()))
    keeper_keys = frozenset({("never", "seen", "before")})
    handed = list(engine.run(engine.iter_items([source]), workers=2, factory=engine.evaluation_factory,
                             config=engine.Config(keep=keeper_keys), chunked=True))
    assert not any(isinstance(h, engine.Chunk) for h in handed)
    assert [h.record for h in handed] == [r.record for r in first]


@pytest.mark.parametrize("spans", [False, True])
def test_a_worker_that_dies_in_a_chunked_pool_costs_only_its_packet(tmp_path, spans):
    # The rest of its chunk is evaluated again (one at a time) and comes back as results; the chunks of
    # the other worker still come back whole; the order, every other record, the store's columns and
    # the summary are those of the same crash one result at a time. With ``spans`` the workers read
    # the lines themselves, the replacement worker included.
    source = jsonl(tmp_path / "in.jsonl", [packet(i) for i in range(300)])
    assert (next(engine.iter_items([source], spans=spans)).span is not None) is spans  # big enough to go by place
    want = _flat(engine.run(engine.iter_items([source]), workers=1, factory=engine.evaluation_factory,
                            config=engine.Config(columns=True)))
    crash = engine.Config(crash_on="c-00070", columns=True)
    runs = [list(engine.run(engine.iter_items([source], spans=spans), workers=2, factory=engine.evaluation_factory,
                            config=crash, chunked=chunked)) for chunked in (True, False)]
    handed, plain = runs
    assert any(isinstance(h, engine.Chunk) for h in handed)
    got = _flat(handed)
    assert [g[0] for g in got] == list(range(300))
    assert json.loads(got[70][3])["error"]["code"] == "engine.worker-crashed"
    assert got[:70] + got[71:] == want[:70] + want[71:]
    assert got == _flat(plain)
    summary = _summary(handed)
    assert summary == _summary(plain) and summary["errors_by_code"] == {"engine.worker-crashed": 1}


def test_workers_read_the_file_that_was_scanned_even_once_it_is_deleted_or_replaced(tmp_path):
    # The coordinating process keeps the scanned file open and passes it to each worker, a replacement
    # started after the file went included: every line is still the one that was scanned.
    source = jsonl(tmp_path / "in.jsonl", [packet(i) for i in range(300)])
    # Big enough to go by place (read as text, the open file would give the same lines, proving nothing).
    assert next(engine.iter_items([source], spans=True)).span is not None
    want = _flat(engine.run(engine.iter_items([source]), workers=1, factory=engine.evaluation_factory,
                            config=engine.Config()))
    results = engine.run(engine.iter_items([source], spans=True), workers=2, factory=engine.evaluation_factory,
                         config=engine.Config(crash_on="c-00250"), chunked=True)
    handed = [next(results)]  # the pool has started and the scan has begun
    os.unlink(source)
    jsonl(source, [packet(i, "other") for i in range(300)])  # another file under its name
    handed += list(results)
    got = _flat(handed)
    assert [g[0] for g in got] == list(range(300))
    assert json.loads(got[250][3])["error"]["code"] == "engine.worker-crashed"
    assert got[:250] + got[251:] == want[:250] + want[251:]
