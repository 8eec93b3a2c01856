"""``promoready batch``: streaming inputs, input order, error records, workers, crashes, signals, resume, summary.

Inputs are built in tmp_path from the ladder's example packets. Signals and worker crashes use real
subprocesses; everything else runs through click's CliRunner.
"""

from __future__ import annotations

import copy
import datetime
import glob
import json
import os
import select
import signal
import subprocess
import sys
import time
from collections import deque
from functools import lru_cache

import pytest
from click.testing import CliRunner

from promoready.cli import main
from promoready.engine import _documents as docs
from promoready.engine import batch as engine
from promoready.engine.summary import Outcome, Summary

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
EXAMPLES = os.path.join(ROOT, "rules", "product-management", "examples")
PROMOREADY = os.path.join(os.path.dirname(sys.executable), "promoready")


@lru_cache(maxsize=None)
def _examples() -> tuple[str, ...]:
    """Every example packet of the default ladder, as JSON text (dates as strings)."""
    out = []
    for path in sorted(glob.glob(os.path.join(EXAMPLES, "*.yaml"))):
        for case in docs.load(path)["cases"]:
            out.append(json.dumps(case["packet"], default=str))
    return tuple(out)


def _case(transition: str, name: str) -> dict:
    for case in docs.load(os.path.join(EXAMPLES, f"{transition}.yaml"))["cases"]:
        if case["name"] == name:
            return json.loads(json.dumps(case["packet"], default=str))
    raise KeyError(name)


def packet(i: int, prefix: str = "c") -> dict:
    """The i-th generated packet: the examples in turn, each with its own candidate id."""
    examples = _examples()
    p = json.loads(examples[i % len(examples)])
    p["candidate"]["id"] = f"{prefix}-{i:05d}"
    return p


def jsonl(path, lines) -> str:
    with open(path, "w", encoding="utf-8") as fh:
        for line in lines:
            fh.write((line if isinstance(line, str) else json.dumps(line)) + "\n")
    return str(path)


def records(text) -> list[dict]:
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    return [json.loads(line) for line in text.splitlines()]


def invoke(*args, input=None):
    return CliRunner().invoke(main, ["batch", *map(str, args)], input=input, catch_exceptions=False)


# -- a thousand packets, two workers ----------------------------------------------------------------

BAD = {
    7: "{\"candidate\": {\"id\": \"c-00007\"}, \"current_level\": ",  # malformed JSON
    500: "wrong-type",  # reviews is not a list
    993: "unknown-level",  # a level the ladder does not know
}


def thousand(tmp_path) -> str:
    lines = []
    for i in range(1000):
        p = packet(i)
        if BAD.get(i) == "wrong-type":
            p["reviews"] = "x"
        elif BAD.get(i) == "unknown-level":
            p["current_level"] = "senior pmm"
        lines.append(BAD[i] if i == 7 else json.dumps(p))
    return jsonl(tmp_path / "cycle.jsonl", lines)


def test_thousand_packets_two_workers_keep_input_order_and_report_three_bad(tmp_path):
    source = thousand(tmp_path)
    out = tmp_path / "decisions.jsonl"
    result = invoke(source, "--out", out, "--workers", 2, "--summary", tmp_path / "s.json")
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    rows = records(out.read_bytes())
    assert len(rows) == 1000
    assert [i for i, r in enumerate(rows) if "error" in r] == sorted(BAD)
    for i, row in enumerate(rows):
        if i not in BAD:
            assert row["candidate_id"] == f"c-{i:05d}" and row["verdict"]
    assert rows[7] == {"error": rows[7]["error"], "source": f"{source}:8", "candidate_id": None}
    assert rows[7]["error"]["code"] == "input.json" and rows[7]["error"]["line"] == 8
    assert rows[500]["error"] | {"message": None} == {
        "code": "packet.list-type", "message": None, "file": source, "line": 501, "path": "reviews",
        "suggestion": None}
    assert rows[500]["candidate_id"] == "c-00500" and rows[500]["source"] == f"{source}:501"
    assert rows[993]["error"]["code"] == "packet.unknown-level"
    assert rows[993]["error"]["path"] == "current_level" and rows[993]["error"]["suggestion"]
    assert list(rows[993]["error"]) == ["code", "message", "file", "line", "path", "suggestion"]
    # One line per bad packet on stderr: file:line: path: message [code]
    lines = result.stderr.splitlines()
    assert f"{source}:501: reviews: must be a list, got 'x' [packet.list-type]" in lines
    assert sum(1 for line in lines if line.startswith(source)) == 3
    summary = json.loads((tmp_path / "s.json").read_text())
    assert (summary["packets"], summary["decisions"], summary["errors"]) == (1000, 997, 3)
    # The pool and the in-process path write the same bytes.
    single = tmp_path / "single.jsonl"
    assert invoke(source, "--out", single, "--workers", 1, "--summary", tmp_path / "s1.json").exit_code == 2
    assert single.read_bytes() == out.read_bytes()
    assert (tmp_path / "s1.json").read_bytes() == (tmp_path / "s.json").read_bytes()
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]


def test_stdin_dash_reads_jsonl_and_names_the_line(tmp_path):
    lines = [json.dumps(packet(0)), "", "   ", json.dumps(packet(1)), "[1, 2", json.dumps(packet(2))]
    result = invoke("-", "--workers", 1, input="\n".join(lines) + "\n")
    assert result.exit_code == 2
    rows = records(result.stdout)
    assert [r.get("candidate_id") for r in rows] == ["c-00000", "c-00001", None, "c-00002"]
    assert rows[2]["source"] == "<stdin>:5" and rows[2]["error"]["line"] == 5
    assert "<stdin>:5: malformed JSON" in result.stderr
    assert "Summary: 4 packets: 3 decisions, 1 error\n" in result.stderr  # the text summary, on stderr


def test_folder_and_jsonl_inputs_mix_in_order(tmp_path):
    folder = tmp_path / "cycle"
    (folder / "b-team").mkdir(parents=True)
    (folder / ".cache").mkdir()
    (folder / "b.yaml").write_text(json.dumps(packet(1)))  # JSON is YAML
    (folder / "a.json").write_text(json.dumps(packet(0)))
    (folder / "b-team" / "z.yml").write_text("candidate:\n  id: y-1\ncurrent_level: pm\nreviews: [\n")
    (folder / "b-team" / "c.json").write_text(json.dumps(packet(2)))
    (folder / ".cache" / "x.json").write_text(json.dumps(packet(9)))  # hidden: skipped
    (folder / "notes.txt").write_text("not a packet")
    stream = jsonl(tmp_path / "more.jsonl", [packet(3), packet(4)])
    out = folder / "out.jsonl"  # inside the input folder: never read as input
    (folder / "summary.json").write_text("{}")
    assert invoke(folder, stream, "--out", out, "--summary", folder / "summary.json").exit_code == 2
    assert invoke(folder, stream, "--out", out, "--summary", folder / "summary.json").exit_code == 2
    rows = records(out.read_text())
    # Sorted by name at each level ("b-team" < "b.yaml"), then the stream's lines.
    assert [r.get("candidate_id") for r in rows] == ["c-00000", "c-00002", None, "c-00001", "c-00003", "c-00004"]
    assert rows[2]["source"] == str(folder / "b-team" / "z.yml")
    assert rows[2]["error"]["code"] == "input.yaml" and rows[2]["error"]["line"] == 5


# -- signals and resume -----------------------------------------------------------------------------

SIGNAL_PACKETS = 1200


@pytest.fixture(scope="module")
def signal_run(tmp_path_factory):
    """A 1,200-packet input (one bad) and its uninterrupted output and summary."""
    base = tmp_path_factory.mktemp("signals")
    lines = [json.dumps(packet(i, "s")) for i in range(SIGNAL_PACKETS)]
    lines[1111] = "{not json"
    source = jsonl(base / "cycle.jsonl", lines)
    reference = base / "reference.jsonl"
    result = invoke(source, "--out", reference, "--workers", 1, "--summary", base / "reference.json")
    assert result.exit_code == 2
    return source, reference.read_bytes(), (base / "reference.json").read_bytes()


def _interrupt(out, args, sig) -> subprocess.CompletedProcess:
    """Start a batch, wait until records reach its temporary file, send ``sig``."""
    proc = subprocess.Popen([PROMOREADY, "batch", *map(str, args), "--out", str(out)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    pattern = os.path.join(os.path.dirname(out), f".{os.path.basename(out)}.*.tmp")
    deadline = time.monotonic() + 60
    try:
        while True:
            tmp = glob.glob(pattern)
            if tmp and os.path.getsize(tmp[0]) > 300_000:  # some 50 records are out
                break
            assert proc.poll() is None, "the batch finished before it could be interrupted"
            assert time.monotonic() < deadline, "no progress within 60 s"
            time.sleep(0.01)
        proc.send_signal(sig)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr.decode())


@pytest.mark.parametrize("sig, workers", [(signal.SIGINT, 2), (signal.SIGTERM, 1)], ids=["sigint-2-workers",
                                                                                          "sigterm-in-process"])
def test_interrupt_leaves_complete_records_and_resume_is_byte_identical(tmp_path, signal_run, sig, workers):
    source, reference, reference_summary = signal_run
    out = tmp_path / "out.jsonl"
    out.write_text("previous contents\n")
    stopped = _interrupt(out, [source, "--workers", workers], sig)
    assert stopped.returncode == 128 + sig, stopped.stderr
    written = out.read_bytes()
    n = written.count(b"\n")
    assert f"interrupted after {n:,} packets; run the same command with --resume to finish" in stopped.stderr
    assert 0 < n < SIGNAL_PACKETS and written.endswith(b"\n")
    assert reference.startswith(written)  # whole records, in input order, as an uninterrupted run writes them
    assert not glob.glob(str(tmp_path / ".*.tmp"))
    # --resume copies what is there and evaluates the rest.
    result = invoke(source, "--out", out, "--resume", "--workers", workers, "--summary", tmp_path / "s.json")
    assert result.exit_code == 2
    assert out.read_bytes() == reference
    assert (tmp_path / "s.json").read_bytes() == reference_summary


def _counting(calls):
    """A factory whose evaluation function records the candidate ids it evaluates."""
    from promoready.cli._batch import _Evaluate

    class Counting(_Evaluate):
        def __call__(self, loaded, as_of):
            calls.append(loaded.packet.candidate.id)
            return super().__call__(loaded, as_of)

    return Counting


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
    results = list(engine.run(engine.iter_items([source]), workers=1, factory=_counting(calls),
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
        results = list(engine.run(engine.iter_items([source]), workers=1, factory=_counting(calls), config=config,
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


def test_interrupted_resume_before_reading_the_old_file_leaves_it(tmp_path, monkeypatch):
    out = tmp_path / "out.jsonl"
    out.write_text("earlier\n")

    class Stop(engine.Keeper):
        def __init__(self, path):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)  # the handler raises here
            raise AssertionError("not interrupted")

    monkeypatch.setattr(engine, "Keeper", Stop)
    source = jsonl(tmp_path / "in.jsonl", [packet(0)])
    result = invoke(source, "--out", out, "--resume")
    assert result.exit_code == 130
    assert f"interrupted; {out} is unchanged" in result.stderr
    assert out.read_text() == "earlier\n"
    assert set(os.listdir(tmp_path)) == {"out.jsonl", "in.jsonl"}


# -- crashes ----------------------------------------------------------------------------------------


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
    _assert_the_others_undisturbed(tmp_path, source, out, crash)


def _assert_the_others_undisturbed(tmp_path, source, out, skipped: int) -> None:
    """Every record but the ``skipped`` one is exactly what an undisturbed in-process run writes."""
    clean = tmp_path / "clean.jsonl"
    assert invoke(source, "--out", clean, "--workers", 1).exit_code == 0
    expected = clean.read_text().splitlines()
    got = out.read_text().splitlines()
    assert [g for i, g in enumerate(got) if i != skipped] == [e for i, e in enumerate(expected) if i != skipped]


def test_large_packets_travel_in_smaller_chunks_and_give_the_same_bytes(tmp_path):
    # Packets of ~300 KB: a chunk holds at most CHUNK_BYTES of text, so these go three or fewer at a time.
    padded = []
    for i in range(12):
        p = packet(i)
        p["notes_attachment"] = ("x" * 1000 + "\n") * (100 + 100 * (i % 3))
        padded.append(p)
    source = jsonl(tmp_path / "in.jsonl", padded)
    assert os.path.getsize(source) > 2 * engine.CHUNK_BYTES
    pool, single = tmp_path / "pool.jsonl", tmp_path / "single.jsonl"
    assert invoke(source, "--out", pool, "--workers", 2).exit_code == 0
    assert invoke(source, "--out", single, "--workers", 1).exit_code == 0
    assert pool.read_bytes() == single.read_bytes()
    assert [r["candidate_id"] for r in records(pool.read_bytes())] == [f"c-{i:05d}" for i in range(12)]


def test_spools_hand_over_pieces_and_shrink_after_a_large_one():
    spools = engine._Spools("test")
    try:
        fd = spools.fds[0]
        engine._Spools.write_to(fd, b"a" * (engine._Spools.KEEP + 10))
        assert os.fstat(fd).st_size == engine._Spools.KEEP + 10
        engine._Spools.write_to(fd, b"one\ntwo\n")
        assert os.fstat(fd).st_size == 8  # cut back: a large packet's memory is not kept for the whole batch
        assert engine._Spools.read_from(fd, [4, 0, 4]) == [b"one\n", None, b"two\n"]
        engine._Spools.write_to(fd, b"z")
        assert os.fstat(fd).st_size == 8  # small spools are reused as they are
        with pytest.raises(engine.EngineError, match="cut short"):
            engine._Spools.read_from(fd, [20])
        assert engine._Spools.read_from(spools.fds[1], [0, 0]) == [None, None]
    finally:
        spools.close()


def test_the_pool_keeps_a_bounded_window(tmp_path):
    from promoready.cli._batch import _evaluator_factory

    source = jsonl(tmp_path / "in.jsonl", [packet(i) for i in range(120)])
    pulled = []

    def items():
        for item in engine.iter_items([source]):
            pulled.append(item.seq)
            yield item

    ahead = []
    for n, result in enumerate(engine.run(items(), workers=2, factory=_evaluator_factory, config=engine.Config(),
                                          window=8), 1):
        assert result.seq == n - 1
        ahead.append(len(pulled) - n)
    assert max(ahead) <= 8 and len(pulled) == 120


def test_a_bad_ladder_stops_before_anything_and_the_previous_file_stands(tmp_path):
    source = jsonl(tmp_path / "in.jsonl", [packet(i) for i in range(3)])
    out = tmp_path / "out.jsonl"
    out.write_text("previous\n")
    for workers in (1, 2):
        result = invoke(source, "--out", out, "--workers", workers, "--ladder", tmp_path / "no-such-ladder")
        assert result.exit_code == 2, result.output
        assert "no-such-ladder" in result.stderr
        assert out.read_text() == "previous\n"
        assert sorted(os.listdir(tmp_path)) == ["in.jsonl", "out.jsonl"]


# -- the summary ------------------------------------------------------------------------------------


def _calibration_set(tmp_path) -> str:
    ready, not_ready = _case("pm-to-senior-pm", "ready"), _case("pm-to-senior-pm", "not_ready")
    insufficient = _case("pm-to-senior-pm", "insufficient_evidence")
    rows = []
    for cid, p, outcome in [("s-1", not_ready, "promoted"), ("s-2", not_ready, "not_promoted"),
                            ("s-3", not_ready, None), ("s-4", ready, "promoted"), ("s-5", insufficient, "promoted")]:
        p = copy.deepcopy(p)
        p["candidate"]["id"] = cid
        if outcome:
            p["committee_outcome"] = outcome
        rows.append(p)
    rows.append('{"candidate": {"id": "s-6"}, "current_level": "pm", "reviews": 3}')
    return jsonl(tmp_path / "set.jsonl", rows)


def test_summary_json_on_a_known_set(tmp_path):
    source = _calibration_set(tmp_path)
    result = invoke(source, "--out", tmp_path / "out.jsonl", "--summary", tmp_path / "summary.json")
    assert result.exit_code == 2
    assert "Summary:" not in result.stderr  # it went to the file
    s = json.loads((tmp_path / "summary.json").read_text())
    assert (s["packets"], s["decisions"], s["errors"]) == (6, 5, 1)
    assert s["verdicts"] == {"ready": 1, "not_ready": 3, "insufficient_evidence": 1}
    assert s["transitions"] == [{"from": "pm", "to": "senior-pm", "count": 5,
                                 "verdicts": {"ready": 1, "not_ready": 3, "insufficient_evidence": 1}}]
    # A tie: both block the same three candidates, so the names decide.
    assert [(b["criterion"], b["candidates"]) for b in s["top_blockers"]] == [
        ("handles-ambiguity", 3), ("measured-business-impact", 3)]
    assert s["top_blockers"][0]["title"] == "Owns highly ambiguous problems"
    assert s["most_missing"] == [{"path": "advocates", "candidates": 1}, {"path": "organization.size", "candidates": 1},
                                 {"path": "signals.documents_impact", "candidates": 1}]
    assert s["errors_by_code"] == {"packet.list-type": 1}
    cal = s["calibration"]
    assert (cal["with_committee_outcome"], cal["agree"], cal["disagree"]) == (4, 2, 2)
    assert cal["disagreements"] == [
        {"candidate_id": "s-1", "source": f"{source}:1", "committee_outcome": "promoted", "verdict": "not_ready",
         "failed": ["measured-business-impact", "handles-ambiguity"], "unknown": []},
        {"candidate_id": "s-5", "source": f"{source}:5", "committee_outcome": "promoted",
         "verdict": "insufficient_evidence", "failed": [], "unknown": ["product-experience", "documents-impact",
                                                                      "leadership-advocate"]},
    ]
    decisions = records((tmp_path / "out.jsonl").read_text())
    assert decisions[0]["committee_outcome"] == "promoted"


def test_summary_markdown_and_text(tmp_path):
    source = _calibration_set(tmp_path)
    assert invoke(source, "--summary", tmp_path / "summary.md").exit_code == 2
    md = (tmp_path / "summary.md").read_text()
    assert md.startswith("# Promotion cycle summary")
    assert "| handles-ambiguity | Owns highly ambiguous problems | 3 |" in md
    assert "| s-5 |" in md and "## Calibration" in md
    text = invoke(source).stderr
    assert "calibration: 4 packets with a committee outcome, 2 agree, 2 disagree" in text
    assert "3  handles-ambiguity (Owns highly ambiguous problems)" in text


def test_summary_is_deterministic_and_reads_back_from_json():
    from promoready.engine import Evaluator, load_ladder

    decision = Evaluator(load_ladder()).evaluate(_case("pm-to-senior-pm", "not_ready"))
    assert Outcome.of(decision) == Outcome.of(json.loads(decision.to_json()))
    one, two = Summary(), Summary()
    a = Outcome("a", "not_ready", ("x", "y"), (("zeta", "Z"), ("alpha", "A")), ("zeta", "alpha"), (), ("p.q", "b"))
    b = Outcome("b", "ready", ("w", "y"), (), (), (), ("b",))
    for s, order in ((one, (a, b)), (two, (b, a))):
        for outcome in order:
            s.add(outcome)
        s.add_error("input.json")
    assert one.to_dict() == two.to_dict()
    d = one.to_dict()
    assert [b["criterion"] for b in d["top_blockers"]] == ["alpha", "zeta"]
    assert d["most_missing"] == [{"path": "b", "candidates": 2}, {"path": "p.q", "candidates": 1}]
    assert [(t["from"], t["to"]) for t in d["transitions"]] == [("w", "y"), ("x", "y")]


# -- options ----------------------------------------------------------------------------------------


def test_fail_on_and_exit_codes(tmp_path):
    source = jsonl(tmp_path / "in.jsonl", [_case("pm-to-senior-pm", "not_ready")])
    assert invoke(source, "--fail-on", "not-ready").exit_code == 1
    assert invoke(source, "--fail-on", "insufficient").exit_code == 0
    assert invoke(source).exit_code == 0


def test_usage_errors(tmp_path):
    source = jsonl(tmp_path / "in.jsonl", [packet(0)])
    result = invoke(source, "--resume")
    assert result.exit_code == 2 and "--resume needs --out" in result.stderr
    result = invoke(source, "--summary", tmp_path / "s.txt")
    assert result.exit_code == 2 and ".json or .md" in result.stderr
    result = invoke(source, "--as-of", "tomorrow")
    assert result.exit_code == 2 and "YYYY-MM-DD" in result.stderr
    result = invoke(source, "--out", tmp_path / "no" / "such" / "dir.jsonl")
    assert result.exit_code == 2
    assert invoke(source, "--workers", 0).exit_code == 2
    result = invoke(source, "--out", tmp_path / "out.jsonl", "--summary", tmp_path / "nowhere" / "s.json")
    assert result.exit_code == 2 and "its folder does not exist" in result.stderr
    assert sorted(os.listdir(tmp_path)) == ["in.jsonl"]


def test_as_of_and_missing_inputs(tmp_path):
    source = jsonl(tmp_path / "in.jsonl", [packet(0)])
    result = invoke(source, tmp_path / "missing.yaml", "--as-of", "2027-01-01")
    assert result.exit_code == 2
    rows = records(result.stdout)
    assert rows[0]["as_of"] == "2027-01-01"
    assert rows[1]["error"]["code"] == "input.not-found"
    assert "no progress" not in result.stderr and "\x1b[" not in result.stderr  # no progress bar when piped


def test_help_has_an_example():
    result = CliRunner().invoke(main, ["batch", "--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.output and "promoready batch cycle-2026/ --out decisions.jsonl" in result.output
    assert "--workers N" in result.output and "--resume" in result.output


def test_progress_bar_on_a_terminal(tmp_path):
    """On a terminal, stderr shows a progress bar with counts, rate and ETA (none when piped: above)."""
    import pty

    source = jsonl(tmp_path / "in.jsonl", [packet(i) for i in range(40)])
    master, slave = pty.openpty()
    proc = subprocess.Popen([PROMOREADY, "batch", source, "--workers", "1", "--out", str(tmp_path / "out.jsonl")],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave,
                            env=dict(os.environ, COLUMNS="120", TERM="xterm"))
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not data:
            break
        chunks.append(data)
    assert proc.wait(timeout=120) == 0
    os.close(master)
    screen = b"".join(chunks).decode("utf-8", "replace")
    assert "40/40" in screen  # the completed count
    assert "packets/s" in screen and "ETA" in screen


@pytest.mark.parametrize("count, hang, workers", [(30, 7, 2), (200, 150, 1)])
def test_a_stuck_worker_costs_only_its_packet(tmp_path, count, hang, workers):
    # The worker notes which packet it is on, so the stuck one is skipped and the rest of its chunk
    # runs again. 200 packets with --workers 1: a --timeout still evaluates in one worker process,
    # which can be stopped.
    source = jsonl(tmp_path / "in.jsonl", [packet(i) for i in range(count)])
    out = tmp_path / "out.jsonl"
    env = dict(os.environ, **{engine.HANG_ENV: f"c-{hang:05d}"})
    started = time.monotonic()
    done = subprocess.run([PROMOREADY, "batch", source, "--workers", str(workers), "--timeout", "1.5",
                           "--out", str(out)], env=env, capture_output=True, text=True, timeout=120)
    assert time.monotonic() - started < 60
    assert done.returncode == 2, done.stderr
    rows = records(out.read_text())
    assert len(rows) == count
    assert rows[hang]["error"]["code"] == "engine.timeout"
    assert "took more than 1.5 s" in rows[hang]["error"]["message"]
    assert f"{source}:{hang + 1}: evaluating this packet took more than 1.5 s" in done.stderr
    _assert_the_others_undisturbed(tmp_path, source, out, hang)


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "3000000"])
def test_timeout_must_be_a_sensible_number_of_seconds(tmp_path, value):
    source = jsonl(tmp_path / "in.jsonl", [packet(0)])
    result = invoke(source, "--timeout", value)
    assert result.exit_code == 2
    assert "--timeout: expected a number of seconds above 0 and at most 604,800" in result.stderr
    with pytest.raises(ValueError, match="timeout must be"):
        engine.run([], workers=2, factory=None, config=engine.Config(), timeout=float(value))


def test_a_slow_chunk_is_not_a_stuck_packet():
    # The deadline is per packet: a worker past its chunk's deadline is stopped only if the packet it
    # is on now started more than `timeout` seconds ago; otherwise its deadline moves to that packet.
    worker = object.__new__(engine._Worker)
    worker.progress = engine._anonymous_file("test-progress")
    try:
        worker.sent, worker.tasks = 5, deque([["chunk 3"], ["chunk 4"]])
        now = time.monotonic()
        os.pwrite(worker.progress, engine._PROGRESS.pack(3, 17, now - 0.2), 0)
        worker.since = now - 30
        assert worker.stuck_on(1.0) is None and worker.since == pytest.approx(now - 0.2)
        os.pwrite(worker.progress, engine._PROGRESS.pack(3, 17, now - 2.0), 0)
        assert worker.stuck_on(1.0) == 17  # packet 17 of its oldest chunk (number 5 - 2 = 3)
        os.pwrite(worker.progress, engine._PROGRESS.pack(2, 60, now - 2.0), 0)
        assert worker.stuck_on(1.0) == -1  # not started on its oldest chunk yet: which packet is not known
    finally:
        os.close(worker.progress)


def test_no_chunk_is_sent_ahead_while_a_worker_is_starting(tmp_path, monkeypatch):
    # Otherwise the first worker to be ready takes two full chunks of a small batch and the other
    # has nothing to do (130 packets: 128 went to one worker).
    from promoready.cli._batch import _evaluator_factory

    pools, sends = [], []
    init, send = engine._Pool.__init__, engine._Worker.send

    def keep_pool(self, *args, **kwargs):
        init(self, *args, **kwargs)
        pools.append(self)

    def watched(self, chunk):
        sends.append((bool(self.tasks), all(w.ready for w in pools[0].workers), len(chunk)))
        return send(self, chunk)

    monkeypatch.setattr(engine._Pool, "__init__", keep_pool)
    monkeypatch.setattr(engine._Worker, "send", watched)
    source = jsonl(tmp_path / "in.jsonl", [packet(i) for i in range(130)])
    results = list(engine.run(engine.iter_items([source]), workers=2, factory=_evaluator_factory,
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
    from promoready.cli._batch import _evaluator_factory

    def no_pool(self, *args, **kwargs):
        raise AssertionError("a pool was started for a stream of 5 packets that had ended")

    monkeypatch.setattr(engine._Pool, "__init__", no_pool)
    lines = iter([engine.Item(i, "<stdin>", i + 1, json.dumps(packet(i)).encode()) for i in range(5)])
    results = list(engine.run(lines, workers=2, factory=_evaluator_factory, config=engine.Config(), inline_below=64,
                              stream=True))
    assert [r.candidate_id for r in results] == [f"c-{i:05d}" for i in range(5)]


def test_stdout_closing_while_stdin_is_open_exits_quietly():
    # The thread reading stdin is still waiting for a line when the command exits: the exit must stay
    # clean (141, as for any closed pipe), not abort in the interpreter's shutdown.
    proc = subprocess.Popen([PROMOREADY, "batch", "-", "--workers", "2"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        proc.stdin.write("".join(json.dumps(packet(i)) + "\n" for i in range(3)).encode())
        proc.stdin.flush()
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        assert ready, "no decision within 30 s"
        proc.stdout.readline()
        proc.stdout.close()  # the reader goes away; stdin stays open
        proc.stdin.write("".join(json.dumps(packet(i)) + "\n" for i in range(3, 10)).encode())
        proc.stdin.flush()
        assert proc.wait(timeout=30) == 141
        assert "Fatal Python error" not in proc.stderr.read().decode()
    finally:
        if proc.poll() is None:
            proc.kill()


def test_an_ended_stream_does_not_keep_waking_the_pool(monkeypatch):
    # Once the reading thread has ended, its wake-up pipe stays readable: the pool must not listen to
    # it while its window is full (it spun: thousands of wake-ups for 600 packets).
    from promoready.cli._batch import _evaluator_factory

    drains = []
    drain = engine._Feed.drain
    monkeypatch.setattr(engine._Feed, "drain", lambda self: drains.append(1) or drain(self))
    lines = [engine.Item(i, "<stdin>", i + 1, json.dumps(packet(i)).encode()) for i in range(600)]
    results = list(engine.run(iter(lines), workers=2, factory=_evaluator_factory, config=engine.Config(),
                              stream=True))
    assert [r.seq for r in results] == list(range(600))
    assert len(drains) < 100


def test_a_trickling_stream_is_not_taken_for_a_small_batch():
    def trickle():
        for i in range(1000):
            time.sleep(0.05)
            yield engine.Item(i, "<stdin>", i + 1, b"{}")

    feed = engine._Feed(trickle(), capacity=256)
    try:
        started = time.monotonic()
        assert feed.ends_within(64, patience=0.5) is False
        assert time.monotonic() - started < 3  # one deadline, not one per line (64 lines would take 3.2 s)
    finally:
        feed.close()


def test_an_unreadable_stdin_is_an_error_record(tmp_path):
    write_only = open(tmp_path / "w", "wb")
    with write_only:
        done = subprocess.run([PROMOREADY, "batch", "-", "--workers", "2"], stdin=write_only, capture_output=True,
                              text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "<stdin>:1: cannot read: Bad file descriptor [input.unreadable]" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_usage_error_starts_no_fork_server(tmp_path, monkeypatch):
    from promoready import _processes

    started = []
    monkeypatch.setattr(_processes, "start_early", lambda: started.append(1))
    source = jsonl(tmp_path / "in.jsonl", [packet(0)])
    for args in (("--resume",), ("--timeout", "nan"), ("--summary", tmp_path / "s.txt"), ("--as-of", "soon")):
        result = invoke(source, "--workers", 2, *args)
        assert result.exit_code == 2, (args, result.output)
    assert started == []
    assert invoke(source, "--workers", 2, "--out", tmp_path / "out.jsonl").exit_code == 0
    assert started == [1]
