"""``--resume`` (``engine.batch.resume``): resume keys, the ``Keeper`` of an earlier run's decisions, and runs
that copy those decisions verbatim and evaluate only the rest."""

from __future__ import annotations

import copy
import datetime
import json

from batch_helpers import counting, invoke, jsonl, packet

from promoready.engine import batch as engine
from promoready.engine.batch.resume import resume_key

def test_resume_copies_decisions_verbatim_and_evaluates_only_the_rest(tmp_path):
    calls = []
    a, b = packet(0), packet(1)
    edited = copy.deepcopy(b)
    edited["experience"]["product_years"] = 11.0
    source = jsonl(tmp_path / "in.jsonl", [a, b, a, edited])
    out = tmp_path / "out.jsonl"
    assert invoke(source, "--out", out).exit_code == 0
    lines = out.read_text().splitlines()
    # A hand-marked earlier output: only the first two decisions were made.
    marked = [lines[0].replace('"decision_version":1', '"decision_version":1 '), lines[1]]
    out.write_text("\n".join(marked) + "\n" + '{"error": {"code": "x"}, "candidate_id": "c-00000"}\n')
    keeper = engine.Keeper(str(out))
    assert len(keeper) == 2
    results = list(engine.run(engine.iter_items([source]), workers=1, factory=counting(calls),
                              config=engine.Config(keep=keeper.keys), keeper=keeper))
    keeper.close()
    assert [r.kept for r in results] == [True, True, False, False]
    assert results[0].record == marked[0].encode() + b"\n"  # copied verbatim, not re-evaluated
    assert calls == ["c-00000", "c-00001"]  # the second copy of a, and the edited b
    assert results[2].record == lines[2].encode() + b"\n"


def test_resume_decides_again_under_another_as_of_or_ladder(tmp_path):
    source = jsonl(tmp_path / "in.jsonl", [packet(i) for i in range(4)])
    out = tmp_path / "out.jsonl"
    assert invoke(source, "--out", out, "--as-of", "2027-01-01").exit_code == 0
    first = out.read_bytes()
    for args, kept in ((("--as-of", "2027-01-01"), 4), (("--as-of", "2027-06-30"), 0), ((), 0),
                       (("--as-of", "2027-01-01", "--ladder", "startup"), 0)):
        out.write_bytes(first)
        keeper = engine.Keeper(str(out))
        calls = []
        options = dict(zip(args[::2], args[1::2]))
        as_of = datetime.date.fromisoformat(options["--as-of"]) if "--as-of" in options else None
        config = engine.Config(ladder=options.get("--ladder"), as_of=as_of, keep=keeper.keys)
        results = list(engine.run(engine.iter_items([source]), workers=1, factory=counting(calls), config=config,
                                  keeper=keeper))
        keeper.close()
        assert sum(r.kept for r in results) == kept, args
        assert len(calls) == 4 - kept, args
    # Through the command line: a resume under another --as-of gives what a fresh run under it gives.
    out.write_bytes(first)
    assert invoke(source, "--out", out, "--resume", "--as-of", "2027-06-30").exit_code == 0
    fresh = tmp_path / "fresh.jsonl"
    assert invoke(source, "--out", fresh, "--as-of", "2027-06-30").exit_code == 0
    assert out.read_bytes() == fresh.read_bytes() != first



def _decision(candidate: str, digest: str, ladder: str = "sha256:L", as_of: str = "2027-01-01") -> str:
    """A decision line as far as resuming reads it."""
    return json.dumps({"candidate_id": candidate, "ladder": {"id": "x", "digest": ladder}, "packet_digest": digest,
                       "as_of": as_of, "verdict": "ready", "transition": {"from": "pm", "to": "senior-pm"},
                       "criteria": []}, separators=(",", ":"))


def test_resume_key_needs_all_three_parts_as_text():
    record = json.loads(_decision("a", "sha256:P"))
    assert resume_key(record) == ("sha256:P", "sha256:L", "2027-01-01")
    for broken in ({**record, "as_of": None}, {**record, "ladder": "sha256:L"}, {**record, "packet_digest": 7},
                   {k: v for k, v in record.items() if k != "ladder"}):
        assert resume_key(broken) is None
    assert resume_key(["not", "a", "record"]) is None


def test_keeper_indexes_whole_decision_lines_and_hands_each_copy_out_once(tmp_path):
    out = tmp_path / "out.jsonl"
    lines = [_decision("a", "sha256:A"), _decision("b", "sha256:B"), _decision("a", "sha256:A"),
             '{"error": {"code": "input.json"}, "packet_digest": "sha256:E", "candidate_id": "e"}',
             "not json, but \"packet_digest\"", _decision("c", "sha256:C")]
    out.write_text("\n".join(lines))  # the last line has no newline: cut off by the interruption
    keeper = engine.Keeper(str(out))
    try:
        assert len(keeper) == 3  # a twice, b; not the error record, the junk, or the unfinished line
        a, b = ("sha256:A", "sha256:L", "2027-01-01"), ("sha256:B", "sha256:L", "2027-01-01")
        assert keeper.keys == frozenset({a, b})
        first = keeper.take(engine.Result(0, "in:1", "a", keep=a))
        assert first.kept and first.record == (lines[0] + "\n").encode() and first.seq == 0
        assert first.outcome.verdict == "ready"
        assert keeper.take(engine.Result(5, "in:6", "a", keep=a)).record == (lines[2] + "\n").encode()
        assert keeper.take(engine.Result(9, "in:10", "a", keep=a)) is None  # both copies used
        assert list(keeper.unused()) == [(lines[1] + "\n").encode()]
    finally:
        keeper.close()


def test_keeper_of_a_file_not_there_yet_keeps_nothing(tmp_path):
    keeper = engine.Keeper(str(tmp_path / "first-run.jsonl"))
    assert len(keeper) == 0 and keeper.keys == frozenset() and list(keeper.unused()) == []
    keeper.close()
