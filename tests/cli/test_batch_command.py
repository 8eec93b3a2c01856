"""``promoready batch`` as a command: inputs, input order, error records, signals, summary, options, exit statuses.

Inputs are built in tmp_path from the ladder's example packets. Signals and terminals use real
subprocesses; everything else runs through click's CliRunner. The engine's parts are tested on their
own in tests/engine/batch/.
"""

from __future__ import annotations

import copy
import glob
import json
import os
import select
import signal
import subprocess
import sys
import time

import pytest
from batch_helpers import PROMOREADY, case, invoke, jsonl, packet, records
from fixture_files import imported_after

from promoready.engine import batch as engine

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
    # One line per bad packet on stderr: promoready: file:line: path: message [code] (as its warnings, and
    # every other diagnostic; the prefix was missing)
    lines = result.stderr.splitlines()
    assert f"promoready: {source}:501: reviews: must be a list, got 'x' [packet.list-type]" in lines
    assert sum(1 for line in lines if line.startswith(f"promoready: {source}")) == 3
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
    # ... and says how much it kept and how much it evaluated (an error record is never kept).
    import re

    said = re.search(rf"promoready: resumed {re.escape(str(out))}: ([\d,]+) decisions? kept from the earlier run, "
                     r"([\d,]+) packets? evaluated now\n", result.stderr)
    assert said is not None, result.stderr
    kept, evaluated = (int(x.replace(",", "")) for x in said.groups())
    assert kept + evaluated == SIGNAL_PACKETS and n - 1 <= kept <= n


def test_interrupted_resume_before_reading_the_old_file_leaves_it(tmp_path, monkeypatch):
    out = tmp_path / "out.jsonl"
    out.write_text("earlier\n")

    class Stop(engine.Keeper):
        def __init__(self, path, **_):
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
    ready, not_ready = case("pm-to-senior-pm", "ready"), case("pm-to-senior-pm", "not_ready")
    insufficient = case("pm-to-senior-pm", "insufficient_evidence")
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
                                 "verdicts": {"ready": 1, "not_ready": 3, "insufficient_evidence": 1},
                                 "ready_candidates": [{"candidate_id": "s-4", "source": f"{source}:4"}],
                                 "blockers": [
                                     {"criterion": "handles-ambiguity", "title": "Owns highly ambiguous problems",
                                      "candidates": 3},
                                     {"criterion": "measured-business-impact",
                                      "title": "Measured revenue, retention or growth results", "candidates": 3}]}]
    # A tie: both block the same three candidates, so the names decide.
    assert [(b["criterion"], b["candidates"]) for b in s["top_blockers"]] == [
        ("handles-ambiguity", 3), ("measured-business-impact", 3)]
    assert s["top_blockers"][0]["title"] == "Owns highly ambiguous problems"
    assert s["most_missing"] == [{"path": "advocates", "candidates": 1}, {"path": "organization.size", "candidates": 1},
                                 {"path": "signals.documents_impact", "candidates": 1}]
    assert s["errors_by_code"] == {"packet.list-type": 1}
    (errored,) = s["errored"]
    assert (errored["source"], errored["candidate_id"], errored["code"]) == (f"{source}:6", "s-6", "packet.list-type")
    assert errored["message"].startswith(f"{source}:6: reviews: ")
    assert s["duplicate_candidates"] == []
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
    assert "### pm → senior-pm: 1 ready" in md and f"| s-4 | {source}:4 |" in md
    assert f"| {source}:6 | s-6 | {source}:6: reviews: " in md
    text = invoke(source).stderr
    assert "calibration: 4 packets with a committee outcome, 2 agree, 2 disagree" in text
    assert "3  handles-ambiguity (Owns highly ambiguous problems)" in text
    assert "\n      ready: s-4\n" in text
    assert f"\n    {source}:6: reviews: " in text
    summary = text[text.index("Summary:"):]  # the error's own diagnostic line above it stays whole
    assert all(len(line) <= 100 or " " not in line.strip() for line in summary.splitlines())  # wrapped


def test_summary_for_a_committee_chair(tmp_path):
    """Ready candidates and blockers under their own transition, the same candidate twice flagged."""
    rows = []
    for cid, transition, name in [("a", "pm-to-senior-pm", "ready"), ("b", "senior-pm-to-director", "ready"),
                                  ("c", "pm-to-senior-pm", "not_ready"), ("a", "pm-to-senior-pm", "not_ready"),
                                  ("d", "senior-pm-to-director", "not_ready")]:
        p = copy.deepcopy(case(transition, name))
        p["candidate"]["id"] = cid
        rows.append(p)
    source = jsonl(tmp_path / "cycle.jsonl", rows)
    assert invoke(source, "--summary", tmp_path / "s.json").exit_code == 0
    s = json.loads((tmp_path / "s.json").read_text())
    by_step = {(t["from"], t["to"]): t for t in s["transitions"]}
    assert by_step[("pm", "senior-pm")]["ready_candidates"] == [{"candidate_id": "a", "source": f"{source}:1"}]
    assert by_step[("senior-pm", "director")]["ready_candidates"] == [{"candidate_id": "b", "source": f"{source}:2"}]
    for t in s["transitions"]:  # each transition's blockers are its own criteria, each with its one title
        assert all(" / " not in b["title"] for b in t["blockers"])
        assert sum(b["candidates"] for b in t["blockers"]) >= t["verdicts"]["not_ready"]
    assert s["duplicate_candidates"] == [{"candidate_id": "a", "sources": [f"{source}:1", f"{source}:4"]}]
    text = invoke(source).stderr
    flagged = text[text.index("  candidate ids seen more than once:\n"):]
    assert " ".join(flagged.split()).startswith(f"candidate ids seen more than once: a: {source}:1, {source}:4")
    assert invoke(source, "--summary", tmp_path / "s.md").exit_code == 0
    md = (tmp_path / "s.md").read_text()
    assert "## Candidate ids seen more than once" in md and "### senior-pm → director: 1 ready" in md


def test_text_summary_lines_wrap_at_100_columns():
    from promoready.cli.render.summary import render_text

    ids = [f"candidate-{i:03}" for i in range(40)]
    summary = {"packets": 40, "decisions": 40, "errors": 0, "verdicts": {"ready": 40},
               "transitions": [{"from": "pm", "to": "senior-pm", "count": 40, "verdicts": {"ready": 40},
                                "ready_candidates": [{"candidate_id": c, "source": None} for c in ids],
                                "blockers": []}],
               "top_blockers": [], "most_missing": [], "errors_by_code": {}, "errored": [], "duplicate_candidates": [],
               "calibration": {"with_committee_outcome": 0, "agree": 0, "disagree": 0, "disagreements": []}}
    lines = render_text(summary).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("      ready: "))
    ready = lines[start:]
    assert len(ready) > 1 and all(len(line) <= 100 for line in ready)
    assert all(line.startswith(" " * 10) for line in ready[1:])  # continued under the list, not at the margin
    assert " ".join(" ".join(ready).split()) == "ready: " + ", ".join(ids)


# -- options ----------------------------------------------------------------------------------------


def test_fail_on_and_exit_codes(tmp_path):
    source = jsonl(tmp_path / "in.jsonl", [case("pm-to-senior-pm", "not_ready")])
    assert invoke(source, "--fail-on", "not-ready").exit_code == 1
    assert invoke(source, "--fail-on", "insufficient").exit_code == 0
    assert invoke(source).exit_code == 0
    assert invoke(source, "--fail-on", "not_ready").exit_code == 1  # the verdict's own spelling too


def test_usage_errors(tmp_path):
    source = jsonl(tmp_path / "in.jsonl", [packet(0)])
    result = invoke(source, "--resume")
    assert result.exit_code == 2
    assert result.stderr == "promoready: --resume: needs --out FILE or --cycle NAME (what to resume) [usage.resume]\n"
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


@pytest.mark.parametrize("kind", ["empty-file", "blank-lines", "empty-folder"])
def test_no_packets_at_all_is_bad_input_and_writes_nothing(tmp_path, kind):
    # A cycle whose export failed must not pass for an empty cycle: exit 2 with input.empty, and neither
    # --out nor --summary is written (they stay as they were).
    if kind == "empty-folder":
        (tmp_path / "cycle").mkdir()
        source = str(tmp_path / "cycle")
    else:
        source = str(tmp_path / "in.jsonl")
        (tmp_path / "in.jsonl").write_text("" if kind == "empty-file" else "\n\n  \n")
    previous = tmp_path / "previous.md"
    previous.write_text("last cycle\n")
    result = invoke(source, "--out", tmp_path / "out.jsonl", "--summary", previous)
    assert result.exit_code == 2, result.stderr
    assert result.stderr == f"promoready: no packets found in {source} [input.empty]\n"
    assert not (tmp_path / "out.jsonl").exists() and previous.read_text() == "last cycle\n"
    assert sorted(os.listdir(tmp_path)) == sorted(["previous.md", os.path.basename(source)])


def test_no_packets_on_stdin_is_bad_input():
    done = subprocess.run([PROMOREADY, "batch", "-", "--workers", "1"], input=b"", capture_output=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.stderr.decode() == "promoready: no packets found in <stdin> [input.empty]\n"
    assert done.stdout == b""
    # A line that is no packet is an error record, not "no packets": the batch is not empty.
    done = subprocess.run([PROMOREADY, "batch", "-", "--workers", "1"], input=b"\nnot json\n", capture_output=True,
                          timeout=60)
    assert done.returncode == 2 and b"input.empty" not in done.stderr, done.stderr
    assert records(done.stdout)[0]["error"]["code"] == "input.json"


@pytest.mark.parametrize("workers", [1, 2])
def test_an_empty_jsonl_among_good_inputs_is_warned_about_and_an_empty_packet_file_is_an_error_record(tmp_path, workers):
    """An empty JSONL file holds no packet: no record (records stay one per packet, the exit status is the
    others'), but a warning on stderr, where it used to pass in silence. An empty packet file is a packet
    that is invalid, as `evaluate` says of it: an input.empty error record, exit status 2."""
    good = jsonl(tmp_path / "good.jsonl", [packet(0), packet(1)])
    (tmp_path / "empty.jsonl").write_text("")
    (tmp_path / "blank.jsonl").write_text("\n  \n\n")
    out = tmp_path / "out.jsonl"
    result = invoke(tmp_path / "empty.jsonl", good, tmp_path / "blank.jsonl", "--out", out, "--workers", workers)
    assert result.exit_code == 0, result.stderr
    assert [r["candidate_id"] for r in records(out.read_text())] == ["c-00000", "c-00001"]
    warned = [line for line in result.stderr.splitlines() if "warning:" in line]
    assert warned == [f"promoready: {tmp_path / name}: warning: no packets in it (it is empty, or blank lines only)"
                      for name in ("empty.jsonl", "blank.jsonl")]
    assert "Summary: 2 packets: 2 decisions, 0 errors" in result.stderr
    on_stdin = invoke(good, "-", "--out", tmp_path / "o2.jsonl", "--workers", workers, input="")
    assert on_stdin.exit_code == 0, on_stdin.stderr
    assert "promoready: <stdin>: warning: no packets in it (it is empty, or blank lines only)\n" in on_stdin.stderr
    folder = tmp_path / "cycle"
    folder.mkdir()
    (folder / "a.json").write_text(json.dumps(packet(2)))
    (folder / "b.yaml").write_text("")
    mixed = invoke(folder, "--out", tmp_path / "o3.jsonl", "--workers", workers)
    assert mixed.exit_code == 2, mixed.stderr
    rows = records((tmp_path / "o3.jsonl").read_text())
    assert rows[0]["candidate_id"] == "c-00002" and rows[1]["error"]["code"] == "input.empty"
    assert rows[1]["source"] == str(folder / "b.yaml") and "warning:" not in mixed.stderr


def test_resume_with_every_packet_kept_succeeds_and_an_empty_input_keeps_the_earlier_file(tmp_path):
    source = jsonl(tmp_path / "in.jsonl", [packet(0), packet(1)])
    out = tmp_path / "out.jsonl"
    assert invoke(source, "--out", out).exit_code == 0
    before = out.read_bytes()
    result = invoke(source, "--out", out, "--resume")  # nothing left to evaluate: still a batch of 2 packets
    assert result.exit_code == 0, result.stderr
    assert "2 decisions kept from the earlier run, 0 packets evaluated now" in result.stderr
    assert "input.empty" not in result.stderr and out.read_bytes() == before
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    result = invoke(empty, "--out", out, "--resume")  # the earlier decisions are not thrown away
    assert result.exit_code == 2 and result.stderr.endswith("[input.empty]\n"), result.stderr
    assert out.read_bytes() == before


def test_help_has_an_example():
    result = invoke("--help")
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


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "3000000"])
def test_timeout_must_be_a_sensible_number_of_seconds(tmp_path, value):
    source = jsonl(tmp_path / "in.jsonl", [packet(0)])
    result = invoke(source, "--timeout", value)
    assert result.exit_code == 2
    assert "--timeout: expected a number of seconds above 0 and at most 604,800" in result.stderr


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



def test_checking_the_store_options_without_a_cycle_leaves_the_store_unimported():
    """batch's coordinating process pays for SQLAlchemy and Alembic (~0.3 s of CPU) only when --cycle is given."""
    assert imported_after("from promoready.cli._batch_store import check_store_options; "
                          "check_store_options(None, None, False, (), ('a.jsonl',))",
                          ("promoready.store", "sqlalchemy", "alembic")) == []


def test_a_pool_reads_a_large_jsonl_file_by_place_and_writes_what_one_worker_writes(tmp_path, monkeypatch):
    # With a pool (and only then) the command hands out the places of the lines of a JSONL file, which
    # the workers read themselves: the records and the summary are one worker's, byte for byte.
    lines = [packet(i) for i in range(300)]
    lines[40] = "{not json"
    lines[41] = "   "
    source = jsonl(tmp_path / "in.jsonl", lines)
    asked: list[bool] = []
    iter_items = engine.iter_items

    def recording(*args, **kwargs):
        asked.append(kwargs.get("spans", False))
        return iter_items(*args, **kwargs)

    monkeypatch.setattr(engine, "iter_items", recording)
    runs = [invoke(source, "--workers", workers, "--summary", tmp_path / f"summary-{workers}.json")
            for workers in (1, 2)]
    assert asked == [False, True]
    assert [r.exit_code for r in runs] == [2, 2]  # the line that is no JSON is an error record
    assert runs[0].stdout_bytes == runs[1].stdout_bytes and len(records(runs[1].stdout_bytes)) == 299
    assert (tmp_path / "summary-1.json").read_text() == (tmp_path / "summary-2.json").read_text()


def test_a_packets_error_line_starts_as_its_warnings_and_every_diagnostic_do(tmp_path):
    typo = packet(1)
    typo.setdefault("scope", {})["prodcts"] = 3
    source = jsonl(tmp_path / "in.jsonl", [packet(0), '{"candidate": {"id": "x"}, "reviews": "x"}', typo])
    result = invoke(source, "--out", tmp_path / "out.jsonl", "--workers", 1)
    assert result.exit_code == 2
    said = [line for line in result.stderr.splitlines() if line.startswith(("promoready: ", source))]
    errors = [line for line in said if "[packet." in line]
    warnings = [line for line in said if ": warning: " in line]
    assert errors and warnings, result.stderr
    assert all(line.startswith(f"promoready: {source}:") for line in errors + warnings), said


def test_the_cycle_closing_line_shows_the_stores_path_and_the_cycle_name_escaped(tmp_path):
    folder = tmp_path / "store\nline\u202eevil"
    folder.mkdir()
    db = folder / "h.sqlite"
    source = jsonl(tmp_path / "in.jsonl", [packet(0)])
    result = invoke(source, "--out", tmp_path / "out.jsonl", "--workers", 1, "--cycle", "H2\u202e", "--db", db)
    assert result.exit_code == 0, result.stderr
    closing = [line for line in result.stderr.splitlines() if line.startswith("promoready: cycle ")]
    shown = str(folder).replace("\n", "\\x0a").replace("\u202e", "\\u202e")
    assert closing == [f"promoready: cycle 'H2\\u202e' in {shown}/h.sqlite: 1 decision, 0 errors; complete"], (
        result.stderr)
    assert "\u202e" not in result.stderr
