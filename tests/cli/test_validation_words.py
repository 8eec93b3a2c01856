"""Shape errors of ladders, example files, packets and decision files reach people in the project's
words: what the value must be and what it was, in the file's own words (``true``, ``null``), with the
closest known word to a misspelt one; never pydantic's ("Input should be greater than or equal to 0",
"String should match pattern '^…$'") nor a Python repr (``True``, ``None``)."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from clirun import run

import promoready.engine
from conftest import EXAMPLE, ROOT

#: What pydantic and Python would say, that no message may.
FOREIGN = ("Input should", "String should", "should have", "should match", "valid string", "True", "None",
           "Value error", "after validation")


def _foreign(text: str) -> list[str]:
    return [word for word in FOREIGN if word in text]


def _copy(tmp_path, ladder: str = "startup") -> str:
    folder = tmp_path / ladder
    shutil.copytree(os.path.join(ROOT, "rules", ladder), folder)
    return str(folder)


def _edit(path: str, *pairs: tuple[str, str]) -> None:
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new, 1)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)


def test_ladder_shape_errors_say_what_the_value_must_be_in_the_files_words(tmp_path):
    folder = _copy(tmp_path)
    _edit(os.path.join(folder, "ladder.yaml"),
          ('version: "2026.12.2"', "version: 3"),
          ("  - id: pm\n    title: Product Manager\n", "  - id: PM One\n    title: ''\n"),
          ("    track: both\n    rank: 1\n", "    track: bothh\n    rank: -1\n"),
          ("    field: experience.product_years\n", "    field: [1, 2]\n"))
    _edit(os.path.join(folder, "pm-to-senior-pm.yaml"),
          ("phase: progressing-seniority", "phase: progressing"),
          ("    required: true\n", "    required: maybe\n"),
          ("    condition: {measure: months_at_target, gte: 6}", "    condition: true"))
    result = run("ladder", "validate", folder)
    assert result.exit_code == 2
    said = result.stderr
    for message in [
        "version: must be text, got 3",
        "levels[0].id: 'PM One' is not an id: lowercase letters and digits, in words joined by - (senior-pm)",
        "levels[0].title: must not be empty",
        "levels[0].track: 'bothh' is not one of ic, management, both (did you mean 'both'?)",
        "levels[0].rank: must be at least 0, got -1",
        "measures.product_years.field: must be text, got [1, 2]",
        "transition.phase: 'progressing' is not one of progressing-seniority, product-leader-canyon, "
        "manager-to-executive (did you mean 'progressing-seniority'?)",
        "criteria[0].required: must be true or false, got 'maybe'",
        "criteria[0].condition: expected a condition: a mapping with `measure` and an operator, or with one of "
        "all, any, not, at_least; got true",
    ]:
        assert message in said, message
    assert _foreign(said) == [], said


def test_the_python_api_words_a_weight_and_a_scale_the_same_way(tmp_path):
    folder = str(tmp_path / "monzo")
    shutil.copytree(os.path.join(ROOT, "examples", "ladders", "monzo-product"), folder)
    _edit(os.path.join(folder, "ladder.yaml"),
          ("{measure: execution, weight: 4}", "{measure: execution, weight: -1}"),
          ("    - {id: level-1, value: 1}\n", "    - {id: Level 1, value: 1e20}\n"),
          ("{type: rating, scale: framework-level, title: Execution}", "{type: ratng, scale: framework-level, title: Execution}"))
    with pytest.raises(promoready.engine.LadderInvalid) as caught:
        promoready.engine.load_ladder(folder)
    said = {(p.path, p.message, p.suggestion) for p in caught.value.problems}
    assert ("measures.balance_for_level_2.weighted_mean[4].weight", "must be more than 0, got -1", None) in said
    assert ("scales.framework-level[0].id",
            "'Level 1' is not a name: lowercase words joined by - or _, starting with a letter", None) in said
    assert ("scales.framework-level[0].value", "must be at most 1000000000000, got 1e20", None) in said
    assert any(path == "evidence.execution.type" and message.startswith("'ratng' is not one of number, integer")
               and suggestion == "'rating'" for path, message, suggestion in said), said
    assert _foreign(str(caught.value)) == [], str(caught.value)


def test_an_example_file_says_a_misspelt_key_or_value_and_the_closest_known_one(tmp_path):
    folder = _copy(tmp_path)
    cases = os.path.join(folder, "examples", "pm-to-senior-pm.yaml")
    shutil.copy(cases, tmp_path / "original.yaml")
    _edit(cases, ("      verdict: ready\n", "      verdict: redy\n"))
    result = run("ladder", "test", folder)
    assert result.exit_code == 2
    assert ("cases[0].expect.verdict: 'redy' is not one of ready, not_ready, insufficient_evidence "
            "(did you mean 'ready'?) [ladder.example]") in result.stderr
    shutil.copy(tmp_path / "original.yaml", cases)
    _edit(cases, ("  - name: ready\n", "  - nam: ready\n"))
    result = run("ladder", "test", folder)
    # The typo, not the key it leaves missing: that is what to fix.
    assert "cases[0].nam: unknown key 'nam' (did you mean 'name'?) [ladder.example]" in result.stderr, result.stderr
    shutil.copy(tmp_path / "original.yaml", cases)
    _edit(cases, ("  - name: ready\n", "  - name: [1]\n"))
    result = run("ladder", "test", folder)
    assert "cases[0].name: must be text, got [1] [ladder.example]" in result.stderr, result.stderr
    assert _foreign(result.stderr) == []


def test_a_packet_date_of_the_wrong_kind_is_quoted_as_the_file_wrote_it(tmp_path):
    with open(EXAMPLE, encoding="utf-8") as fh:
        text = fh.read()
    path = tmp_path / "p.yaml"
    path.write_text(text.replace("as_of: 2026-11-01", "as_of: true", 1).replace(
        "  name: Sam Okafor ", f"  name: {'x' * 10_001} ", 1), encoding="utf-8")
    result = run("evaluate", str(path))
    assert result.exit_code == 2
    assert "as_of: expected a date as YYYY-MM-DD, got true [packet.date-format]" in result.stderr
    assert "candidate.name: must be at most 10,000 characters long, got 10,001 [packet.string-too-long]" in result.stderr
    assert _foreign(result.stderr) == [], result.stderr


@pytest.mark.parametrize("change, said", [
    (lambda d: d.update(verdict=None), "verdict: expected one of ready, not_ready, insufficient_evidence, got null"),
    (lambda d: d["criteria"][0].update(status=True), "criteria[0].status: expected pass, fail or unknown, got true"),
])
def test_report_quotes_a_decision_files_value_as_json_writes_it(tmp_path, change, said):
    decision = json.loads(run("evaluate", EXAMPLE, "--format", "json").stdout)
    change(decision)
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps(decision) + "\n", encoding="utf-8")
    result = run("report", str(path), "--out", str(tmp_path / "r.html"))
    assert result.exit_code == 2
    assert said in result.stderr and _foreign(result.stderr) == [], result.stderr


def test_every_kind_of_complaint_is_worded_without_pydantics_words():
    from promoready.engine._wording import validation_message

    assert validation_message({"type": "too_long", "input": [1, 2, 3], "ctx": {"max_length": 2}}) == (
        "needs at most 2 items, got 3")
    assert validation_message({"type": "string_pattern_mismatch", "input": "A", "ctx": {"pattern": "^[a-z]$"}}) == (
        "'A' is not allowed here")
    assert validation_message({"type": "url_parsing", "input": None, "msg": "Input should be a valid URL"}) == (
        "null is not allowed here")  # a kind no model of the project raises yet: still not pydantic's words
    assert validation_message({"type": "less_than", "input": 1e20, "ctx": {"lt": 100.0}}) == (
        "must be less than 100, got 1e20")
    assert validation_message({"type": "date_value", "input": "2026-02-30",
                               "msg": "not a calendar date: 2026-02-30"}) == "not a calendar date: 2026-02-30"
