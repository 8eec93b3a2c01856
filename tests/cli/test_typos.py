"""A misspelt field never passes silently (issue 14): a warning on stderr in every command, listed per
packet in the batch summary, and an error with --strict; each with its file and line, and under
--strict with its field path and never "is ignored" (under --strict nothing is ignored)."""

from __future__ import annotations

import json
import os

import pytest

from clirun import run, write
from conftest import EXAMPLE

WARNING = "unknown field 'reveiws' is ignored (did you mean 'reviews'?)"
#: The line of ``reviews:`` in the example packet (the typo fixture's misspelt key).
LINE = open(EXAMPLE, encoding="utf-8").read().split("\nreviews:")[0].count("\n") + 2
STRICT = "reveiws: unknown field (did you mean 'reviews'?) [packet.unknown-field]"


@pytest.fixture
def typo(tmp_path) -> str:
    with open(EXAMPLE, encoding="utf-8") as fh:
        text = fh.read()
    assert "\nreviews:" in text
    return write(tmp_path, "typo.yaml", text.replace("\nreviews:", "\nreveiws:", 1))


@pytest.mark.parametrize("command", [["evaluate", "--format", "json"], ["evaluate", "--format", "table"],
                                     ["evaluate", "--format", "jsonl", "--set", "leadership.mentees=3"],
                                     ["explain", "--format", "markdown"]])
def test_a_typo_is_a_warning_on_stderr_in_every_command(typo, command):
    result = run(command[0], typo, *command[1:])
    assert result.exit_code == 0
    assert result.stderr == f"promoready: {typo}:{LINE}: warning: {WARNING}\n"
    # Not twice on a terminal: only a review document (markdown) keeps it in its text as well.
    assert ("> warning: unknown field 'reveiws'" in result.stdout) == (command[-1] == "markdown")
    assert ("warning: unknown field" in result.stdout) == (command[-1] == "markdown")


def test_strict_refuses_the_packet_and_still_evaluates_the_others(typo):
    result = run("evaluate", typo, EXAMPLE, "--format", "jsonl", "--strict")
    assert result.exit_code == 2
    assert [json.loads(x)["candidate_id"] for x in result.stdout.splitlines()] == ["emp-2071"]
    assert result.stderr == f"promoready: {typo}:{LINE}: {STRICT}\n"
    explained = run("explain", typo, "--strict")
    assert explained.exit_code == 2 and explained.stdout == ""
    assert explained.stderr == f"promoready: {typo}:{LINE}: {STRICT}\n"
    assert "ignored" not in result.stderr + explained.stderr


def test_batch_warns_lists_the_packet_in_its_summary_and_refuses_it_with_strict(typo, tmp_path):
    result = run("batch", typo, EXAMPLE, "--out", str(tmp_path / "out.jsonl"), "--summary", str(tmp_path / "s.json"))
    assert result.exit_code == 0
    assert f"promoready: {typo}:{LINE}: warning: {WARNING}\n" in result.stderr
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["warned"] == [{"candidate_id": "emp-2071", "source": typo, "warnings": [WARNING], "lines": [LINE]}]
    text = run("batch", typo, "--out", str(tmp_path / "out2.jsonl")).stderr
    listed = text[text.index("  1 packet with fields that look like typos (ignored; --strict refuses them):\n"):]
    assert " ".join(listed.split()).endswith(f"(ignored; --strict refuses them): {typo}: line {LINE}: {WARNING}")  # wrapped
    strict = run("batch", typo, EXAMPLE, "--out", str(tmp_path / "out3.jsonl"), "--strict")
    assert strict.exit_code == 2
    records = [json.loads(x) for x in (tmp_path / "out3.jsonl").read_text().splitlines()]
    assert records[0]["error"] == {"code": "packet.unknown-field", "message": "unknown field", "file": typo,
                                   "line": LINE, "path": "reveiws", "suggestion": "'reviews'"}
    assert "candidate_id" in records[1] and "verdict" in records[1]
    assert f"{typo}:{LINE}: {STRICT}\n" in strict.stderr and "ignored" not in strict.stderr.split("Summary")[0]


def test_every_typo_has_its_own_line_and_path(tmp_path):
    text = open(EXAMPLE, encoding="utf-8").read()
    assert "\n  mentees: 2" in text
    text = text.replace("\nreviews:", "\nreveiws:", 1).replace("\n  mentees: 2", "\n  menteess: 2", 1)
    path = write(tmp_path, "two.yaml", text)
    mentees = text.split("menteess")[0].count("\n") + 1
    warned = run("evaluate", path, "--format", "json")
    assert warned.exit_code == 0
    assert warned.stderr.splitlines() == [  # in the order of the file
        f"promoready: {path}:{LINE}: warning: {WARNING}",
        f"promoready: {path}:{mentees}: warning: unknown field 'leadership.menteess' is ignored (did you mean 'mentees'?)"]
    strict = run("evaluate", "-", "--strict", "--format", "json", input=text)
    assert strict.exit_code == 2
    assert strict.stderr.splitlines() == [
        f"promoready: <stdin>:{LINE}: {STRICT}",
        f"promoready: <stdin>:{mentees}: leadership.menteess: unknown field (did you mean 'mentees'?) [packet.unknown-field]"]


def test_a_batch_of_json_lines_warns_at_the_line_of_the_stream(tmp_path):
    from promoready.engine import load_packet

    data = load_packet(EXAMPLE).packet.model_dump(mode="json", exclude_none=True)
    data["reveiws"] = data.pop("reviews")
    stream = write(tmp_path, "in.jsonl", "\n" + json.dumps(data) + "\n")
    result = run("batch", stream, "--out", str(tmp_path / "out.jsonl"))
    assert result.exit_code == 0
    assert f"promoready: {stream}:2: warning: {WARNING}\n" in result.stderr


def test_strict_resume_does_not_keep_a_decision_the_earlier_run_made_without_strict(typo, tmp_path):
    out = tmp_path / "out.jsonl"
    first = run("batch", typo, EXAMPLE, "--out", str(out))
    assert first.exit_code == 0
    assert [("verdict" in json.loads(x)) for x in out.read_text().splitlines()] == [True, True]
    kept_line = out.read_text().splitlines()[1]  # the example's decision: no warnings, the same under --strict
    strict = run("batch", typo, EXAMPLE, "--out", str(out), "--strict", "--resume")
    assert strict.exit_code == 2
    records = out.read_text().splitlines()
    assert json.loads(records[0])["error"]["code"] == "packet.unknown-field"
    assert records[1] == kept_line
    assert "1 decision kept" in strict.stderr
    # Back without --strict: the error record is not kept, the packet is decided again (with its warning).
    again = run("batch", typo, EXAMPLE, "--out", str(out), "--resume")
    assert again.exit_code == 0
    assert ["verdict" in json.loads(x) for x in out.read_text().splitlines()] == [True, True]
    assert "1 decision kept" in again.stderr
