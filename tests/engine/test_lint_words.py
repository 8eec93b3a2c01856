"""A declared field's words differ in more than case and spacing: `strings` words are matched ignoring case
and runs of spaces, `_` and `-` (as level names are), `string` words exactly, so `values: [High, high]` was
two words to `eq` and one to `contains`. The lint refuses such a pair, naming both."""

from __future__ import annotations

import pytest
from fixture_files import ladder_problems, write_ladder

from promoready.engine import load_ladder
from test_lint_never_passes import files_with


def _files(spec: dict) -> dict:
    files = files_with({"measure": "f", "eq": spec["values"][0]} if spec["type"] == "string" else
                       {"measure": "f", "contains": spec["values"][0]}, measures={"f": {"field": "evidence.f"}})
    files["ladder.yaml"]["evidence"]["f"] = spec
    return files


@pytest.mark.parametrize("kind", ["string", "strings"])
@pytest.mark.parametrize("values, index, first, second", [
    (["High", "high"], 1, "High", "high"),
    (["x y", "low", "x-y"], 2, "x y", "x-y"),
    (["b2b_saas", "B2B  SaaS"], 1, "b2b_saas", "B2B  SaaS"),
])
def test_words_of_one_field_that_differ_only_in_case_or_spacing_are_refused(tmp_path, kind, values, index, first,
                                                                              second):
    (p,) = ladder_problems(tmp_path, _files({"type": kind, "values": values}))
    assert (p.code, p.path) == ("ladder.duplicate-id", f"evidence.f.values[{index}]") and p.line is not None, str(p)
    assert f"`values` lists '{first}' and '{second}', which differ only in case or in spaces, _ and -" in p.message


def test_a_record_field_is_checked_too_and_a_plain_duplicate_is_still_named(tmp_path):
    files = _files({"type": "string", "values": ["a", "b"]})
    files["ladder.yaml"]["evidence"]["r"] = {"type": "records", "fields": {"k": {"type": "string", "values": ["On", "on"]}}}
    files["ladder.yaml"]["evidence"]["f"]["values"] = ["a", "b", "a"]
    found = sorted(ladder_problems(tmp_path, files), key=lambda p: p.path)
    assert [(p.path, p.message.split(",")[0]) for p in found if p.code == "ladder.duplicate-id"] == [
        ("evidence.f.values[2]", "`values` lists 'a' twice"),
        ("evidence.r.fields.k.values[1]", "`values` lists 'On' and 'on'")]


@pytest.mark.parametrize("kind", ["string", "strings"])
def test_words_that_differ_in_their_letters_are_accepted(tmp_path, kind):
    load_ladder(write_ladder(tmp_path, _files({"type": kind, "values": ["High", "Higher", "b2b", "b2c", "x y z"]})))


@pytest.mark.parametrize("kind", ["string", "strings"])
@pytest.mark.parametrize("values", [["ＥＮＧ", "eng"], ["e\u200bng", "eng"]])
def test_words_that_differ_only_in_width_or_invisible_characters_are_refused(tmp_path, kind, values):
    # `contains` and `size` read words as `same_word` does (NFKC, format characters dropped); the lint compared
    # them by case and spacing only, so a full-width or zero-width-spaced twin passed it.
    (p,) = ladder_problems(tmp_path, _files({"type": kind, "values": values}))
    assert (p.code, p.path) == ("ladder.duplicate-id", "evidence.f.values[1]"), str(p)
    assert "(or in width or invisible characters)" in p.message, p.message


def test_a_contains_word_written_full_width_loads_and_matches_as_the_packet_words_are_read(tmp_path):
    # The figures a `contains` word gives the engine were keyed by `normalise`, the compiler looked them up by
    # `same_word`: `contains: ＥＮＧ` loaded with a KeyError traceback. And the lint held the word against the
    # declared words by `normalise` too, so it would have refused ＥＮＧ as not one of [eng].
    from promoready.engine import Evaluator

    files = _files({"type": "strings", "values": ["ＥＮＧ", "design"]})  # the condition: contains ＥＮＧ
    evaluator = Evaluator(load_ladder(write_ladder(tmp_path, files)))
    base = {"candidate": {"id": "w-1"}, "current_level": "pm", "as_of": "2026-01-01"}
    verdicts = [evaluator.evaluate(dict(base, evidence={"f": words})).criteria[0].status
                for words in (["ＥＮＧ"], ["design"], ["design", "ＥＮＧ"])]
    assert verdicts == ["pass", "fail", "pass"]
