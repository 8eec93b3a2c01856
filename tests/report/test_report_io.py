"""Where ``promoready report`` reads and writes: stdin and stdout, outputs that are inputs, links,
devices, pipes, locks, left-over temporary files, and inputs without an end or in the wrong shape."""

from __future__ import annotations

import json
import os
import resource
import stat
import subprocess
import sys
import threading

import pytest
from click.testing import CliRunner
from fixture_files import device_node

from report_records import criterion, decision, write_jsonl

from promoready.cli import main
from promoready.cli._sinks import Lock, Target
from promoready.report import _cycle


def run(*args: str, input=None):
    return CliRunner().invoke(main, list(map(str, args)), input=input, catch_exceptions=False)


def cycle(tmp_path, name: str = "d.jsonl"):
    return write_jsonl(tmp_path / name, [
        decision(f"c{i}", "ready" if i % 3 else "not_ready", [criterion("x", "pass" if i % 3 else "fail")])
        for i in range(12)])


def leftovers(folder) -> list[str]:
    """Temporary and lock files left in ``folder``."""
    return sorted(n for n in os.listdir(folder) if n.endswith((".tmp", ".lock")))


def verdicts(text: str) -> dict:
    return json.loads(text)["summary"]["verdicts"]


EXPECTED = {"ready": 8, "not_ready": 4, "insufficient_evidence": 0}


# -- outputs -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("option", ["decisions", "--compare", "--groups"])
def test_an_output_that_is_an_input_is_refused_and_the_input_kept(tmp_path, option):
    source = cycle(tmp_path)
    other = cycle(tmp_path, "other.jsonl")
    groups = tmp_path / "g.csv"
    groups.write_text("candidate_id,team\nc1,a\n", encoding="utf-8")
    victim = {"decisions": source, "--compare": other, "--groups": groups}[option]
    before = victim.read_bytes()
    result = run("report", source, "--compare", other, "--groups", groups, "--out", victim)
    assert result.exit_code == 2, result.output
    assert f"{victim}: --out: it is also an input ({victim})" in result.stderr
    assert "[usage.out-is-input]" in result.stderr
    assert victim.read_bytes() == before and leftovers(tmp_path) == []


def test_an_output_linked_to_an_input_is_refused(tmp_path):
    source = cycle(tmp_path)
    before = source.read_bytes()
    link = tmp_path / "out.json"
    link.symlink_to(source)
    hard = tmp_path / "hard.json"
    os.link(source, hard)
    for out in (link, hard):
        result = run("report", source, "--format", "json", "--out", out)
        assert result.exit_code == 2 and "[usage.out-is-input]" in result.stderr, result.output
    assert source.read_bytes() == before and os.path.islink(link)


def test_a_symlink_out_is_written_through_and_stays_a_link(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    target = elsewhere / "report.json"
    target.write_text("previous", encoding="utf-8")
    os.chmod(target, 0o640)
    link = tmp_path / "r.json"
    link.symlink_to(target)
    result = run("report", cycle(tmp_path), "--format", "json", "--out", link)
    assert result.exit_code == 0, result.output
    assert os.path.islink(link) and os.readlink(link) == str(target)
    assert verdicts(target.read_text(encoding="utf-8")) == EXPECTED
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640
    assert leftovers(tmp_path) == [] and leftovers(elsewhere) == []


def test_a_device_out_is_written_through_never_replaced(tmp_path):
    device = device_node(tmp_path, "null", 3)
    before = os.stat(device)
    result = run("report", cycle(tmp_path), "--out", device)
    assert result.exit_code == 0, result.output
    after = os.stat(device)
    assert stat.S_ISCHR(after.st_mode) and (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)
    assert device == "/dev/null" or leftovers(tmp_path) == []


def test_a_fifo_out_is_written_straight_through(tmp_path):
    source = cycle(tmp_path)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(open(fifo, "rb").read()))
    reader.start()
    result = run("report", source, "--format", "json", "--out", fifo)
    reader.join(60)
    assert result.exit_code == 0, result.output
    assert len(got) == 1 and verdicts(got[0].decode("utf-8")) == EXPECTED
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and leftovers(tmp_path) == []


def test_an_output_another_run_is_writing_is_refused(tmp_path):
    out = tmp_path / "r.html"
    out.write_text("previous", encoding="utf-8")
    held = Lock(Target.of(str(out), "--out"), "--out", "report")
    if held.fd is None:
        pytest.skip("no advisory locks on this file system")
    try:
        result = run("report", cycle(tmp_path), "--out", out)
    finally:
        held.release()
    assert result.exit_code == 2, result.output
    assert f"another report run (pid {os.getpid()}) is writing it" in result.stderr
    assert "[usage.out-locked]" in result.stderr
    assert out.read_text(encoding="utf-8") == "previous"
    result = run("report", cycle(tmp_path), "--out", out)  # released: the next run writes it
    assert result.exit_code == 0, result.output
    assert leftovers(tmp_path) == []


def test_temporary_files_of_a_killed_run_are_removed(tmp_path):
    out = tmp_path / "r.html"
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(gone.stdout)
    stale = tmp_path / f".r.html.{dead}.x1y2.tmp"
    stale.write_text("half a report", encoding="utf-8")
    alive = tmp_path / f".r.html.{os.getppid()}.a1b2.tmp"  # a live process's: kept
    alive.write_text("being written", encoding="utf-8")
    result = run("report", cycle(tmp_path), "--out", out)
    assert result.exit_code == 0, result.output
    assert not stale.exists() and alive.exists()


def test_out_dash_writes_to_stdout_and_no_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("report", cycle(tmp_path), "--format", "json", "--out", "-")
    assert result.exit_code == 0, result.output
    assert verdicts(result.stdout) == EXPECTED
    assert not (tmp_path / "-").exists() and leftovers(tmp_path) == []


# -- inputs ------------------------------------------------------------------------------------------


def test_dash_reads_the_decisions_from_stdin(tmp_path):
    text = cycle(tmp_path).read_text(encoding="utf-8")
    out = tmp_path / "r.json"
    result = run("report", "-", "--format", "json", "--out", out, input=text)
    assert result.exit_code == 0, result.output
    assert verdicts(out.read_text(encoding="utf-8")) == EXPECTED
    result = run("report", "-", "--out", out, input=text.splitlines()[0] + "\n{\"verdict\": 1}\n")
    assert result.exit_code == 2 and "<stdin>:2: candidate_id:" in result.stderr, result.output
    result = run("report", "-", "--out", out, input="")
    assert result.exit_code == 2 and "<stdin>: no decisions" in result.stderr and "[input.empty]" in result.stderr


def test_a_line_over_the_limit_is_refused_naming_file_and_line(tmp_path, monkeypatch):
    monkeypatch.setattr(_cycle, "MAX_LINE", 4096)
    path = tmp_path / "d.jsonl"
    first = json.dumps(decision("a", "ready", [criterion("x", "pass")]))
    path.write_text(first + "\n" + first[:-1] + ', "pad": "' + "x" * 5000 + '"}\n', encoding="utf-8")
    result = run("report", path, "--out", tmp_path / "r.html")
    assert result.exit_code == 2, result.output
    assert f"{path}:2: the line is over 4,096 bytes" in result.stderr and "[input.too-large]" in result.stderr
    assert not (tmp_path / "r.html").exists()


def test_the_whole_read_is_bounded(tmp_path, monkeypatch):
    path = cycle(tmp_path)
    lines = path.read_bytes().splitlines(keepends=True)
    monkeypatch.setattr(_cycle, "MAX_TOTAL", sum(map(len, lines[:5])) + 1)
    result = run("report", path, "--out", tmp_path / "r.html")
    assert result.exit_code == 2, result.output
    assert f"{path}:6: over " in result.stderr and "[input.too-large]" in result.stderr


def _limit_memory():
    # Without a bound, reading a line of /dev/zero grows until it meets this (MemoryError): never the machine's.
    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))


def test_dev_zero_is_refused_at_the_line_limit_not_read_forever(tmp_path):
    zero = device_node(tmp_path, "zero", 5)
    result = subprocess.run([sys.executable, "-m", "promoready", "report", zero, "--out", str(tmp_path / "r.html")],
                            capture_output=True, text=True, timeout=300, preexec_fn=_limit_memory)
    assert result.returncode == 2, result.stderr[-2000:]
    assert f"{zero}:1: the line is over {_cycle.MAX_LINE:,} bytes" in result.stderr
    assert "[input.too-large]" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("shape", ["decision", "list"])
def test_a_pretty_printed_decision_is_told_a_jsonl_is_expected(tmp_path, shape):
    one = decision("a", "ready", [criterion("x", "pass")])
    path = tmp_path / "d.json"
    path.write_text(json.dumps(one if shape == "decision" else [one, one], indent=2) + "\n", encoding="utf-8")
    for source, shown, given in ((path, str(path), None), ("-", "<stdin>", path.read_text(encoding="utf-8"))):
        result = run("report", source, "--out", tmp_path / "r.html", input=given)
        assert result.exit_code == 2, result.output
        assert f"{shown}:1: one JSON document over several lines" in result.stderr
        assert "one decision per line" in result.stderr and "[input.not-jsonl]" in result.stderr


def test_a_broken_first_line_is_still_malformed_json(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('{\n  "candidate_id": "a",\n  oops\n}\n', encoding="utf-8")
    result = run("report", path, "--out", tmp_path / "r.html")
    assert result.exit_code == 2 and f"{path}:1: not JSON" in result.stderr and "[input.json]" in result.stderr
