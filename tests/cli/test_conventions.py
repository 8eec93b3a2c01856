"""Command-line conventions (issue 14): --format jsonl, `-` for stdin, folders, the verdicts' own
spellings for --fail-on, one name for the human format, and messages that make sense."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from clirun import run, write
from conftest import EXAMPLE, ROOT, TINY_PACKET


def _text(path: str) -> str:
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def test_jsonl_is_one_decision_a_line_for_one_packet_or_many(tmp_path):
    one = run("evaluate", EXAMPLE, "--format", "jsonl")
    assert one.exit_code == 0
    (line,) = one.stdout.splitlines()
    assert json.loads(line) == json.loads(run("evaluate", EXAMPLE, "--format", "json").stdout)
    two = run("evaluate", EXAMPLE, EXAMPLE, "--format", "jsonl").stdout.splitlines()
    assert two == [line, line]
    explained = run("explain", EXAMPLE, "--format", "jsonl").stdout.splitlines()
    assert explained == [line]


def test_jsonl_with_what_if_changes():
    result = run("evaluate", EXAMPLE, EXAMPLE, "--format", "jsonl", "--set", "leadership.mentees=3")
    lines = result.stdout.splitlines()
    assert result.exit_code == 0 and len(lines) == 2
    assert all(json.loads(x)["what_if"]["set"] == ["leadership.mentees=3"] for x in lines)


@pytest.mark.parametrize("name", ["packet.yaml", "packet.json"])
def test_a_packet_on_stdin(name, tmp_path):
    text = _text(EXAMPLE) if name.endswith(".yaml") else json.dumps(TINY_PACKET | {"ladder": None})
    from_file = run("evaluate", EXAMPLE if name.endswith(".yaml") else write(tmp_path, name, text), "--format", "json")
    from_stdin = run("evaluate", "-", "--format", "json", input=text)
    assert from_stdin.exit_code == from_file.exit_code
    assert from_stdin.stdout == from_file.stdout
    assert run("explain", "-", "--format", "json", input=text).stdout == from_file.stdout


def test_a_bad_packet_on_stdin_is_named_stdin_with_its_line():
    result = run("evaluate", "-", input="candidate: {id: x}\ncurrent_level: senior-pn\n")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("promoready: <stdin>:2: current_level:")
    assert "did you mean" in result.stderr
    empty = run("evaluate", "-", input="")
    assert empty.exit_code == 2 and "<stdin>: stdin is empty" in empty.stderr


def test_evaluate_and_batch_name_stdin_by_the_one_name(monkeypatch):
    """One name for stdin in messages: ``engine.STDIN_NAME``, which batch's records use too (the command line
    once had a copy of its own, ``_inputs.STDIN``, that could drift from it)."""
    import promoready.engine
    import promoready.engine._documents
    import promoready.engine.batch
    from promoready.engine.batch import inputs

    assert promoready.engine.batch.STDIN_NAME is inputs.STDIN_NAME is promoready.engine._documents.STDIN_NAME \
        is promoready.engine.STDIN_NAME
    monkeypatch.setattr(promoready.engine, "STDIN_NAME", "<piped>")
    empty = run("evaluate", "-", input="")
    assert empty.exit_code == 2 and "promoready: <piped>: stdin is empty" in empty.stderr, empty.stderr
    bad = run("explain", "-", input="candidate: {id: x}\ncurrent_level: senior-pn\n")
    assert bad.exit_code == 2 and bad.stderr.startswith("promoready: <piped>:2: current_level:"), bad.stderr
    nothing = run("batch", "-", input="")
    assert nothing.exit_code == 2 and nothing.stderr == "promoready: no packets found in <piped> [input.empty]\n"


def test_a_folder_is_its_packet_files_sorted_as_batch_reads_them(tmp_path):
    folder = tmp_path / "cycle"
    (folder / "sub").mkdir(parents=True)
    (folder / ".hidden").mkdir()
    packet = json.loads(json.dumps(TINY_PACKET))
    for name, cid in [("b.yaml", "b"), ("a.json", "a"), ("sub/c.yml", "c"), (".hidden/d.json", "d"),
                      ("notes.txt", "e")]:
        write(folder, name, {**packet, "candidate": {"id": cid}})
    result = run("evaluate", str(folder), "--format", "jsonl", "--ladder", os.path.join(ROOT, "tests", "fixtures", "tiny"))
    assert result.exit_code == 0, result.stderr
    assert [json.loads(x)["candidate_id"] for x in result.stdout.splitlines()] == ["a", "b", "c"]


def test_an_empty_folder_is_reported_and_the_other_packets_still_evaluated(tmp_path):
    (tmp_path / "empty").mkdir()
    result = run("evaluate", str(tmp_path / "empty"), EXAMPLE, "--format", "jsonl")
    assert result.exit_code == 2
    assert len(result.stdout.splitlines()) == 1
    assert f"{tmp_path / 'empty'}: the folder holds no packet files (*.json, *.yaml, *.yml)" in result.stderr


@pytest.mark.parametrize("spelled", ["not-ready", "not_ready"])
def test_fail_on_not_ready_in_either_spelling(spelled):
    assert run("evaluate", EXAMPLE, "--format", "json", "--fail-on", spelled).exit_code == 1


@pytest.mark.parametrize("spelled", ["insufficient", "insufficient_evidence", "insufficient-evidence"])
def test_fail_on_insufficient_in_any_spelling(spelled, tmp_path):
    packet = {k: v for k, v in TINY_PACKET.items() if k != "reviews"}
    path = write(tmp_path, "p.json", packet)
    tiny = os.path.join(ROOT, "tests", "fixtures", "tiny")
    assert run("evaluate", path, "--ladder", tiny, "--format", "json", "--fail-on", spelled).exit_code == 1


def test_one_name_for_the_human_format():
    for command in (["evaluate", EXAMPLE], ["explain", EXAMPLE]):
        table = run(*command, "--format", "table")
        text = run(*command, "--format", "text")
        assert table.exit_code == text.exit_code == 0 and table.stdout == text.stdout
        assert "text" not in run(command[0], "--help").stdout.split("--format")[1].split("\n  -")[0]
    assert run("ladder", "show", "apm-to-pm", "--format", "text").stdout == \
        run("ladder", "show", "apm-to-pm", "--format", "table").stdout


def test_help_reads_right():
    assert "any of the two" not in run("evaluate", "--help").stdout
    assert "or any (either)" in " ".join(run("evaluate", "--help").stdout.split())


def test_a_date_that_does_not_exist():
    result = run("evaluate", EXAMPLE, "--as-of", "2026-02-30")
    assert result.exit_code == 2
    assert result.stderr == ("promoready: --as-of: 2026-02-30 is not a date: February 2026 has 28 days, not 30 "
                             "[usage.date]\n")


def test_schema_names_its_argument():
    result = run("schema", "pakcet")
    assert result.exit_code == 2
    assert ("Invalid value for 'NAME': 'pakcet' is not one of 'packet', 'decision', 'ladder'; "
            "did you mean 'packet'?") in result.stderr


def test_ladder_test_names_a_failing_example_by_file_and_line(tmp_path):
    folder = tmp_path / "pm"
    shutil.copytree(os.path.join(ROOT, "rules", "product-management"), folder)
    step = folder / "apm-to-pm.yaml"
    step.write_text(step.read_text().replace("measure: months_at_target, gte: 6", "measure: months_at_target, gte: 24", 1))  # the most 24 months can hold
    result = run("ladder", "test", str(folder), "--transition", "apm-to-pm")
    assert result.exit_code == 1
    examples = folder / "examples" / "apm-to-pm.yaml"
    lines = examples.read_text().splitlines()
    failing = [line for line in result.stdout.splitlines() if line.startswith("     ")]
    assert failing
    for line in failing:
        where = line.strip().split(": ", 1)[0]
        path, number = where.rsplit(":", 1)
        assert path == str(examples)
        assert lines[int(number) - 1].lstrip().startswith("- ")  # the case's own entry in the list


def test_ladder_test_without_examples_says_where_they_live():
    result = run("ladder", "test", os.path.join(ROOT, "tests", "fixtures", "tiny"))
    assert result.exit_code == 2
    assert result.stderr == "promoready: no example cases found (a ladder's examples/*.yaml files)\n"


@pytest.mark.parametrize("said, meant", [("organisation", "org"), ("organization", "org"), ("prod", "product")])
def test_an_enum_value_written_out_or_cut_short_gets_a_suggestion(said, meant, tmp_path):
    packet = json.loads(json.dumps(TINY_PACKET))
    packet["impact"] = [{"title": "Launch", "metric": "activation", "reach": said}]
    result = run("evaluate", write(tmp_path, "p.json", packet), "--ladder", os.path.join(ROOT, "tests", "fixtures", "tiny"))
    assert result.exit_code == 2
    assert "impact[0].reach" in result.stderr and f"did you mean '{meant}'?" in result.stderr
