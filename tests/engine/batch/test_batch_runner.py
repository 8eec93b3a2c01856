"""``engine.batch.run`` and ``process``: in this process or through a pool, the same records in input order;
every failure of one packet an error record; the timeout checked."""

from __future__ import annotations

import json

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
