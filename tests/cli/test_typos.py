"""A misspelt field never passes silently (issue 14): a warning on stderr in every command, listed per
packet in the batch summary, and an error with --strict."""

from __future__ import annotations

import json
import os

import pytest

from clirun import run, write
from conftest import EXAMPLE

WARNING = "unknown field 'reveiws' is ignored (did you mean 'reviews'?)"


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
    assert result.stderr == f"promoready: {typo}: warning: {WARNING}\n"
    # Not twice on a terminal: only a review document (markdown) keeps it in its text as well.
    assert ("> warning: unknown field 'reveiws'" in result.stdout) == (command[-1] == "markdown")
    assert ("warning: unknown field" in result.stdout) == (command[-1] == "markdown")


def test_strict_refuses_the_packet_and_still_evaluates_the_others(typo):
    result = run("evaluate", typo, EXAMPLE, "--format", "jsonl", "--strict")
    assert result.exit_code == 2
    assert [json.loads(x)["candidate_id"] for x in result.stdout.splitlines()] == ["emp-2071"]
    assert result.stderr == f"promoready: {typo}: {WARNING} [packet.unknown-field]\n"
    explained = run("explain", typo, "--strict")
    assert explained.exit_code == 2 and explained.stdout == ""
    assert explained.stderr == f"promoready: {typo}: {WARNING} [packet.unknown-field]\n"


def test_batch_warns_lists_the_packet_in_its_summary_and_refuses_it_with_strict(typo, tmp_path):
    result = run("batch", typo, EXAMPLE, "--out", str(tmp_path / "out.jsonl"), "--summary", str(tmp_path / "s.json"))
    assert result.exit_code == 0
    assert f"promoready: {typo}: warning: {WARNING}\n" in result.stderr
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["warned"] == [{"candidate_id": "emp-2071", "source": typo, "warnings": [WARNING]}]
    text = run("batch", typo, "--out", str(tmp_path / "out2.jsonl")).stderr
    listed = text[text.index("  1 packet with fields that look like typos (ignored; --strict refuses them):\n"):]
    assert " ".join(listed.split()).endswith(f"(ignored; --strict refuses them): {typo}: {WARNING}")  # wrapped
    strict = run("batch", typo, EXAMPLE, "--out", str(tmp_path / "out3.jsonl"), "--strict")
    assert strict.exit_code == 2
    records = [json.loads(x) for x in (tmp_path / "out3.jsonl").read_text().splitlines()]
    assert records[0]["error"]["code"] == "packet.unknown-field" and "candidate_id" in records[1] \
        and "verdict" in records[1]
    assert os.path.basename(typo) in strict.stderr
