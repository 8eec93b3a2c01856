"""The words a person reads (issue 14): verdict lines that say why, the supporting quota, labels that
fit the text under them, plurals that agree. Real evaluations of the tiny ladder, exact sentences."""

from __future__ import annotations

import copy
import re

import pytest

from promoready.cli.render import headline, render_decisions, render_explanation
from promoready.cli.render.text import quota

from conftest import TINY, TINY_PACKET, evaluator


def decide(**changes):
    """The tiny ladder's decision for its packet with top-level sections replaced (None: removed)."""
    packet = copy.deepcopy(TINY_PACKET)
    for key, value in changes.items():
        if value is None:
            packet.pop(key)
        else:
            packet[key] = value
    return evaluator(TINY).evaluate(packet)


def test_a_ready_verdict_without_shortfalls_gives_only_the_counts():
    d = decide()
    assert headline(d) == "t-1: ready for junior → senior (6 pass, 0 fail, 0 unknown)."
    assert quota(d) == "Supporting criteria: 3 of 3 pass (1 needed)."


def test_a_ready_verdict_says_when_a_supporting_criterion_fails():
    d = decide(advocates=[])
    assert d.verdict == "ready"
    assert headline(d) == ("t-1: ready for junior → senior: every required criterion passes; 1 supporting "
                           "criterion fails, within the quota (5 pass, 1 fail, 0 unknown).")
    assert quota(d) == "Supporting criteria: 2 of 3 pass (1 needed)."


def test_a_ready_verdict_says_when_a_supporting_criterion_lacks_evidence():
    d = decide(advocates=None)
    assert headline(d).endswith(": every required criterion passes; 1 supporting criterion lacks evidence, "
                                "within the quota (5 pass, 0 fail, 1 unknown).")
    assert quota(d) == "Supporting criteria: 2 of 3 pass, 1 without evidence (1 needed)."


def test_too_few_supporting_criteria():
    d = decide(advocates=[], influence={"cross_functional_partners": []}, artifacts=[])
    assert d.verdict == "not_ready"
    assert headline(d) == ("t-1: not ready for junior → senior: too few supporting criteria pass: 0 where 1 is "
                           "needed (3 pass, 3 fail, 0 unknown).")
    assert quota(d) == "Supporting criteria: 0 of 3 pass (1 needed)."


def test_supporting_evidence_missing():
    d = decide(advocates=None, influence={}, artifacts=None)
    assert d.verdict == "insufficient_evidence"
    assert headline(d) == ("t-1: insufficient evidence for junior → senior: supporting evidence missing: 3 "
                           "supporting criteria lack evidence and 0 pass where 1 is needed (3 pass, 0 fail, 3 unknown).")


def test_one_passing_supporting_criterion_agrees():
    d = decide(advocates=[], influence={"cross_functional_partners": []},
               artifacts=[{"kind": "strategy", "title": "Plan", "horizon_months": 12, "adopted_by_teams": 0}])
    assert quota(d) == "Supporting criteria: 1 of 3 passes (1 needed)."
    assert headline(d).endswith("every required criterion passes; 2 supporting criteria fail, within the quota "
                                "(4 pass, 2 fail, 0 unknown).")


def test_a_ladder_needing_no_supporting_criteria_says_none_are_needed():
    d = decide()
    none_needed = d.model_copy(update={"supporting": d.supporting.model_copy(update={"needed": 0})})
    assert quota(none_needed) == "Supporting criteria: 3 of 3 pass (none needed)."
    only_required = d.model_copy(update={"criteria": [c for c in d.criteria if c.required]})
    assert quota(only_required) == "No supporting criteria."


@pytest.mark.parametrize("fmt", ["markdown", "table"])
def test_advice_is_labelled_what_to_do_and_reasons_why(fmt):
    d = decide(advocates=[])
    text = render_explanation(d, fmt)
    sponsors = next(c for c in d.criteria if c.id == "sponsors")
    passing = next(c for c in d.criteria if c.status == "pass")
    if fmt == "markdown":
        assert f"- **What to do:** {sponsors.explanation}" in text
        assert f"- **Why:** {passing.explanation}" in text
        assert f"- **Why:** {sponsors.explanation}" not in text
    else:
        assert f"What to do: {sponsors.explanation}" in text
        assert re.search(rf"^  Why: +{re.escape(passing.explanation)}$", text, re.M)


def test_the_table_names_each_criterion_kind():
    d = decide(advocates=[])
    rows = [line for line in render_decisions([d], "table").splitlines() if line.startswith("│ ") and "│ " in line[2:]]
    kinds = [row.split("│")[3].strip() for row in rows if row.split("│")[3].strip()]
    assert kinds == ["required" if c.required else "supporting" for c in d.criteria]
