"""The renderers of cli/render/, called directly on decisions from real evaluations.

The golden files pin whole outputs of the example packet; these tests pin what every rendering must
keep for any decision: the same verdict words everywhere, one markdown escape for packet and ladder
text, every criterion shown (or filtered as asked), and JSON that is the decision.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from functools import lru_cache
from typing import get_args

import pytest

from promoready.cli.render import (VERDICT_WORDS, escape_markdown, headline, render_decisions, render_example_results,
                                   render_explanation, render_ladder, render_ladder_list, render_validated,
                                   render_what_if, verdict_word)
from promoready.engine import describe_ladder, load_ladder
from promoready.engine.examples import CaseResult, Mismatch
from promoready.engine.whatif import what_if
from promoready.schemas.decision import Decision, Verdict

from conftest import EXAMPLE, ROOT, TINY, TINY_PACKET, evaluator

#: A markdown table cell boundary: a pipe that is not escaped.
CELL = re.compile(r"(?<!\\)\|")


@lru_cache(maxsize=None)
def decision(verdict: str) -> Decision:
    """A real decision with this verdict: the example packet, or the tiny ladder's packet with or without reviews."""
    if verdict == "not_ready":
        return evaluator().evaluate(EXAMPLE)
    packet = copy.deepcopy(TINY_PACKET)
    if verdict == "insufficient_evidence":
        packet.pop("reviews")
    return evaluator(TINY).evaluate(packet)


VERDICTS = list(get_args(Verdict))


def flat(text: str) -> str:
    """Text with every run of whitespace as one space (rich wraps long lines at a fixed width)."""
    return " ".join(text.split())


def test_the_fixtures_cover_every_verdict():
    assert [decision(v).verdict for v in VERDICTS] == VERDICTS


def test_every_verdict_has_words():
    assert set(VERDICT_WORDS) == set(VERDICTS)
    assert verdict_word("insufficient_evidence") == "insufficient evidence"
    assert verdict_word("something-else") == "something-else"  # shown as it is rather than failing


@pytest.mark.parametrize("verdict", VERDICTS)
def test_the_verdict_reads_the_same_in_every_rendering(verdict):
    d = decision(verdict)
    words = VERDICT_WORDS[verdict]
    assert headline(d).startswith(f"{d.candidate_id}: {words} for {d.transition.from_} → {d.transition.to}")
    markdown = render_decisions([d], "markdown")
    assert f"**Verdict: {words}.** {headline(d)}" in markdown
    assert flat(render_decisions([d], "table")).startswith(flat(headline(d)))
    assert render_explanation(d, "markdown").startswith(f"**{headline(d)}**\n")
    assert flat(render_explanation(d, "text")).startswith(flat(headline(d)))
    assert json.loads(render_decisions([d], "json"))["verdict"] == verdict  # programs get the value, not words


def test_json_is_the_decision_and_several_are_an_array():
    one, other = decision("not_ready"), decision("ready")
    assert json.loads(render_decisions([one], "json")) == json.loads(one.to_json())
    assert json.loads(render_decisions([one, other], "json")) == [json.loads(one.to_json()), json.loads(other.to_json())]
    assert list(json.loads(render_decisions([one], "json"))) == list(json.loads(one.to_json()))  # contract order
    assert render_explanation(one, "json") == render_decisions([one], "json")


def _table_statuses(text: str) -> list[str]:
    return re.findall(r"^│ (pass|fail|unknown) ", text, re.M)


@pytest.mark.parametrize("verdict", VERDICTS)
def test_table_and_markdown_show_every_criterion_or_only_those_not_passing(verdict):
    d = decision(verdict)
    statuses = [c.status for c in d.criteria]
    not_passing = [s for s in statuses if s != "pass"]
    assert _table_statuses(render_decisions([d], "table")) == statuses
    assert _table_statuses(render_decisions([d], "table", explain="fails")) == not_passing
    rows = [line for line in render_decisions([d], "markdown").splitlines() if re.match(r"\| (pass|fail|unknown) \|", line)]
    assert [row.split(" | ")[0][2:] for row in rows] == statuses
    fails = render_decisions([d], "markdown", explain="fails")
    assert len([line for line in fails.splitlines() if re.match(r"\| (pass|fail|unknown) \|", line)]) == len(not_passing)


def test_full_explanation_adds_every_criterion_source():
    d = decision("not_ready")
    for fmt in ("table", "markdown"):
        full = flat(render_decisions([d], fmt, explain="full"))
        plain = flat(render_decisions([d], fmt))
        for c in d.criteria:
            assert flat(c.source_title) in full  # the readable citation (issue 13)
        assert len(full) > len(plain)


def test_several_decisions_render_one_after_the_other():
    d, e = decision("not_ready"), decision("ready")
    assert render_decisions([d, e], "markdown") == (render_decisions([d], "markdown") + "\n\n"
                                                    + render_decisions([e], "markdown"))
    both = flat(render_decisions([d, e], "table"))
    assert both.index(flat(headline(d))) < both.index(flat(headline(e)))


def _with_hostile_text(d: Decision) -> Decision:
    """The decision with pipes and line breaks in text a candidate reads (as a packet or ladder could put there)."""
    first = d.criteria[0].model_copy(update={
        "title": "Ships | scales", "actual": "3 | 4\nmore", "next_step": "add | one\nmore", "explanation": "why |\nso"})
    return d.model_copy(update={"criteria": [first, *d.criteria[1:]], "next_steps": ["step | one\ntwo"],
                                "warnings": ["field | typo\nhere"]})


def test_markdown_escapes_pipes_and_line_breaks_in_candidate_visible_text():
    d = _with_hostile_text(decision("not_ready"))
    for explain in (None, "full"):
        text = render_decisions([d], "markdown", explain=explain)
        row = next(line for line in text.splitlines() if "Ships" in line and line.startswith("| "))
        cells = CELL.split(row)
        assert len(cells) == 8, row  # six cells: nothing inside a cell ended it
        title, actual, step = (cells[i].strip() for i in (2, 5, 6))
        assert (title, actual, step) == ("Ships \\| scales", "3 \\| 4 more", "add \\| one more")
        assert "1. step \\| one two" in text
        assert "> warning: field \\| typo here" in text
    full = render_decisions([d], "markdown", explain="full")
    assert "- **Ships \\| scales** (" in full and "found 3 \\| 4 more." in full
    explained = render_explanation(d, "markdown")
    assert "- **Found:** 3 \\| 4 more" in explained and "- **Next step:** add \\| one more" in explained
    first = d.criteria[0]
    assert f"### {first.status.upper()} · Ships \\| scales ({'required' if first.required else 'supporting'})" in explained
    assert "1. step \\| one two" in explained and "> warning: field \\| typo here" in explained


def test_escape_markdown():
    assert escape_markdown("a|b\nc") == "a\\|b c"
    assert escape_markdown("plain `code` *stays*") == "plain `code` *stays*"
    assert escape_markdown(1234) == "1234"


def test_what_if_shows_both_verdicts_in_words_and_the_criteria_that_moved():
    result = what_if(evaluator(TINY), copy.deepcopy(TINY_PACKET), ["reviews=null"])
    assert (result.before.verdict, result.after.verdict) == ("ready", "insufficient_evidence")
    moved = [s.title for s in result.changed]
    assert moved
    text = render_what_if([result], "table")
    lines = text.splitlines()
    assert lines[:2] == ["What if: reviews=null", "Verdict: ready → insufficient evidence"]
    assert lines[2].startswith("Changed: ") and all(title in lines[2] for title in moved)
    assert flat(text).find(flat(headline(result.after))) > 0
    markdown = render_what_if([result], "markdown")
    assert markdown.startswith("- What if: reviews=null\n- Verdict: ready → insufficient evidence\n- Changed: ")
    assert markdown.endswith(render_decisions([result.after], "markdown"))
    data = json.loads(render_what_if([result], "json"))
    assert data["verdict"] == "insufficient_evidence" and data["what_if"]["verdict_before"] == "ready"
    assert len(json.loads(render_what_if([result, result], "json"))) == 2


def test_what_if_without_a_moved_criterion_says_so():
    result = what_if(evaluator(TINY), copy.deepcopy(TINY_PACKET), ["candidate.name=Tessa"])
    assert result.changed == []
    assert "No criterion changed status." in render_what_if([result], "table").splitlines()


def test_ladder_list():
    rows = [{"id": "a", "version": "1", "title": "Ladder A", "folder": "/x/a", "transitions": ["p-to-q", "q-to-r"]},
            {"id": "b", "version": "2", "title": "Ladder B", "folder": "/x/b", "transitions": []}]
    assert render_ladder_list(rows, "table") == "a 1: Ladder A (2 transitions)\n  p-to-q\n  q-to-r\nb 2: Ladder B (0 transitions)"
    one = [{**rows[0], "transitions": ["p-to-q"]}]
    assert render_ladder_list(one, "table") == "a 1: Ladder A (1 transition)\n  p-to-q"
    assert json.loads(render_ladder_list(rows, "json")) == rows


def test_ladder_show_in_each_format():
    lad = load_ladder()
    view = describe_ladder(lad, "apm-to-pm")
    (transition,) = view["transitions"]
    markdown = render_ladder(view, "markdown")
    assert markdown.startswith(f"# {lad.title} ({lad.id} {lad.version})\n\n## {transition['title']}\n")
    for c in transition["criteria"]:
        kind = "required" if c["required"] else "supporting"
        assert f"### {c['title']} ({kind})\n\n- **Expected:** {c['expected']}\n" in markdown
    assert json.loads(render_ladder(view, "json")) == json.loads(json.dumps(view))
    table = flat(render_ladder(view, "table"))
    assert table.startswith(flat(f"{transition['title']} ({transition['key']}, {transition['track']} track"))
    assert all(flat(c["source_title"]).split()[0] in table for c in transition["criteria"])


def test_ladder_validate_line():
    lad = load_ladder(TINY)
    criteria = sum(len(t.criteria) for t in lad.transitions)
    assert render_validated(lad) == (f"ok: ladder {lad.id} {lad.version}: {len(lad.levels)} levels, "
                                     f"{len(lad.transitions)} transitions, {criteria} criteria, "
                                     f"{len(lad.measures)} measures")
    first = lad.transitions[0]
    one = lad.model_copy(update={"transitions": (first.model_copy(update={"criteria": first.criteria[:1]}),)})
    assert render_validated(one) == (f"ok: ladder {lad.id} {lad.version}: {len(lad.levels)} levels, "
                                     f"1 transition, 1 criterion, {len(lad.measures)} measures")


def test_ladder_test_results():
    results = [
        CaseResult(file="ex/a.yaml", transition="p-to-q", name="strong", candidate_id="c1", ok=True),
        CaseResult(file="ex/a.yaml", transition="p-to-q", name="weak", candidate_id="c2", ok=False,
                   mismatches=[Mismatch(what="verdict", expected="not_ready", actual="ready")]),
        CaseResult(file="ex/b.yaml", transition="q-to-r", name="broken", candidate_id="c3", ok=False,
                   error="bad packet"),
    ]
    assert render_example_results(results).splitlines() == [
        "ok   p-to-q / strong (c1)",
        "FAIL p-to-q / weak (c2)",
        "     ex/a.yaml: verdict: expected not_ready, got ready",
        "FAIL q-to-r / broken (c3)",
        "     ex/b.yaml: error: bad packet",
        "1 passed, 2 failed",
    ]
    # With each case's line, a failing case is named file:line, so an author can jump to it.
    assert render_example_results(results, [3, 17, 5]).splitlines()[2:5] == [
        "     ex/a.yaml:17: verdict: expected not_ready, got ready",
        "FAIL q-to-r / broken (c3)",
        "     ex/b.yaml:5: error: bad packet",
    ]


def test_verdict_words_and_the_escape_are_written_once():
    """Only render/text.py spells a verdict for people or escapes markdown; every renderer imports them."""
    folder = os.path.join(ROOT, "cli", "render")
    spelled = []
    for name in sorted(os.listdir(folder)):
        if name.endswith(".py") and name != "text.py":
            with open(os.path.join(folder, name), encoding="utf-8") as fh:
                source = fh.read()
            spelled += [f"{name}: {word!r}" for word in ('"not ready"', '"insufficient evidence"', '"\\\\|"')
                        if word in source]
    assert spelled == []


def test_importing_the_renderers_is_light():
    """batch's coordinating process imports the summary renderer from this package: no pydantic, no rich."""
    code = ("import sys, promoready.cli.render; "
            "print(sorted(m for m in ('pydantic', 'rich', 'promoready.schemas.decision') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
