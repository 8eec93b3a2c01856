"""``promoready evaluate``: decisions, exit statuses, streams and messages, the ladder chosen for a packet."""

from __future__ import annotations

import json

import pytest

from clirun import run, write
from conftest import EXAMPLE, TINY, TINY_PACKET


def test_evaluate_json_is_the_decision(tmp_path):
    result = run("evaluate", EXAMPLE, "--format", "json")
    assert result.exit_code == 0
    decision = json.loads(result.stdout)
    assert decision["candidate_id"] == "emp-2071"
    assert decision["verdict"] == "not_ready"
    assert set(decision) >= {"decision_version", "ladder", "packet_digest", "transition", "as_of", "criteria",
                             "summary", "next_steps"}
    assert result.stderr == ""


def test_without_reviews_review_criteria_are_unknown(tmp_path):
    text = open(EXAMPLE).read()
    start = text.index("reviews:")
    end = text.index("impact:")
    path = write(tmp_path, "p.yaml", text[:start] + text[end:])
    decision = json.loads(run("evaluate", path, "--format", "json").stdout)
    months = next(c for c in decision["criteria"] if c["id"] == "sustained-next-level-performance")
    assert months["status"] == "unknown" and months["missing"] == ["reviews"]
    assert all(c["status"] != "fail" or "reviews" not in " ".join(c["evidence"]) for c in decision["criteria"])


def test_unknown_level_exits_2_naming_field_and_suggestion(tmp_path):
    text = open(EXAMPLE).read().replace("target_level: director", "target_level: directorr")
    path = write(tmp_path, "p.yaml", text)
    result = run("evaluate", path)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (f"promoready: {path}:9: target_level: unknown level 'directorr' "
                             "(did you mean 'director'?) [packet.unknown-level]\n")


def test_current_level_typo_from_the_issue(tmp_path):
    text = open(EXAMPLE).read().replace("current_level: Senior PM", "current_level: directorr")
    result = run("evaluate", write(tmp_path, "p.yaml", text))
    assert result.exit_code == 2
    assert "current_level: unknown level 'directorr' (did you mean 'director'?)" in result.stderr


def test_bad_packet_among_good_ones_still_prints_the_good(tmp_path):
    bad = write(tmp_path, "bad.json", "{not json")
    result = run("evaluate", EXAMPLE, bad, "--format", "json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["candidate_id"] == "emp-2071"
    assert "bad.json:1: malformed JSON" in result.stderr


@pytest.mark.parametrize("fail_on, code", [(None, 0), ("not-ready", 1), ("insufficient", 0), ("any", 1)])
def test_fail_on(fail_on, code):
    args = ["evaluate", EXAMPLE, "--format", "json"] + (["--fail-on", fail_on] if fail_on else [])
    assert run(*args).exit_code == code


def test_fail_on_insufficient(tmp_path):
    packet = dict(TINY_PACKET)
    packet.pop("reviews")
    path = write(tmp_path, "p.json", packet)
    assert run("evaluate", path, "--ladder", TINY, "--fail-on", "insufficient").exit_code == 1
    assert run("evaluate", path, "--ladder", TINY, "--fail-on", "not-ready").exit_code == 0


def test_as_of_option(tmp_path):
    packet = dict(TINY_PACKET)
    packet.pop("as_of")
    path = write(tmp_path, "p.json", packet)
    out = json.loads(run("evaluate", path, "--ladder", TINY, "--as-of", "2026-11-01", "--format", "json").stdout)
    assert out["as_of"] == "2026-11-01"
    bad = run("evaluate", path, "--ladder", TINY, "--as-of", "1/11/2026")
    assert bad.exit_code == 2 and "--as-of: expected a date as YYYY-MM-DD" in bad.stderr


def test_explain_fails_filters_rows():
    full = run("evaluate", EXAMPLE, "--format", "markdown").stdout
    fails = run("evaluate", EXAMPLE, "--format", "markdown", "--explain", "fails").stdout
    assert "| pass |" in full and "| pass |" not in fails
    assert fails.count("| fail |") == full.count("| fail |")


def test_startup_ladder_through_ladder_option(tmp_path):
    packet = {"candidate": {"id": "s1"}, "current_level": "PM", "as_of": "2026-11-01",
              "experience": {"product_years": 4}}
    path = write(tmp_path, "p.json", packet)
    out = json.loads(run("evaluate", path, "--ladder", "startup", "--format", "json").stdout)
    assert out["ladder"]["id"] == "startup"
    assert out["transition"]["to"] == "senior-pm"


def test_a_packet_naming_a_bundled_ladder_gets_it_even_beside_a_folder_of_that_name(tmp_path, monkeypatch):
    packet = {"candidate": {"id": "s1"}, "current_level": "PM", "as_of": "2026-11-01", "ladder": "startup",
              "experience": {"product_years": 4}}
    path = write(tmp_path, "p.json", packet)
    (tmp_path / "startup").mkdir()  # not a ladder: only `--ladder startup` could mean this folder
    monkeypatch.chdir(tmp_path)
    for command in ("evaluate", "batch"):
        result = run(command, path, *(("--format", "json") if command == "evaluate" else ()))
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["ladder"]["id"] == "startup"


def test_the_default_ladder_is_compiled_once_whether_a_packet_names_it_or_not():
    from promoready.cli._common import Ladders

    ladders = Ladders(None)
    assert ladders.evaluator_for(None) is ladders.evaluator_for("product-management")
    assert ladders.evaluator_for("startup") is not ladders.evaluator_for(None)
