"""Named supporting groups (issue 12's `supporting_groups`) in every view that words a supporting quota:
the headline names the group that blocks, the quota sentence counts each group, `ladder show` shows the
groups and each criterion's group, and the committee summary counts a group that blocked.

Real evaluations of the bundled example ladder (examples/ladders/monzo-product), exact sentences.
"""

from __future__ import annotations

import copy
import json
import os

import yaml

from promoready.cli.render import headline, render_decisions, render_explanation
from promoready.cli.render.summary import render_markdown, render_text
from promoready.cli.render.text import quota, quota_lines
from promoready.engine.summary import Outcome, Summary

from clirun import run, write
from conftest import EXAMPLE, ROOT, evaluator

FOLDER = os.path.join(ROOT, "examples", "ladders", "monzo-product")
CRAFT = "Craft at level 2: problem solving, users, data"
SQUAD = "Squad at level 2: execution, working through others, communication"


def case(name: str, transition: str = "product-1-to-product-2") -> dict:
    """A copy of one example case's packet."""
    with open(os.path.join(FOLDER, "examples", f"{transition}.yaml"), encoding="utf-8") as fh:
        (found,) = [c for c in yaml.safe_load(fh)["cases"] if c["name"] == name]
    return copy.deepcopy(found["packet"])


def decide(name: str, transition: str = "product-1-to-product-2"):
    return evaluator(FOLDER).evaluate(case(name, transition))


# -- the headline and the quota ----------------------------------------------------------------------


def test_a_group_short_of_its_quota_is_named_in_the_headline():
    d = decide("craft_group_short")
    assert d.verdict == "not_ready" and d.supporting.needed == 0
    assert headline(d) == (f"ex-monzo-p1-p2-craft-short: not ready for product-1 → product-2: too few criteria of "
                           f"{CRAFT} pass: 1 where 2 are needed (7 pass, 3 fail, 0 unknown).")
    assert "0 where 0" not in headline(d)


def test_the_quota_is_worded_per_group_with_its_own_count():
    d = decide("craft_group_short")
    assert quota_lines(d) == [f"{CRAFT}: 1 of 3 passes, 2 needed.", f"{SQUAD}: 1 of 2 passes, 1 needed."]
    assert "none needed" not in quota(d)


def test_a_ready_decision_with_groups_speaks_of_the_quotas():
    d = decide("ready")
    assert d.verdict == "ready"
    assert headline(d).endswith(": every required criterion passes; 1 supporting criterion fails, within the "
                                "quotas (9 pass, 1 fail, 0 unknown).")
    assert quota_lines(d) == [f"{CRAFT}: 3 of 3 pass, 2 needed.", f"{SQUAD}: 1 of 2 passes, 1 needed."]


def test_a_group_reachable_only_through_unknowns_is_named_when_evidence_is_missing():
    d = decide("craft_group_short")
    # The decision as it would read with the craft group's failures unknown instead (renderers decide nothing).
    craft = d.groups[0].model_copy(update={"unknown": 2})
    open_ = d.model_copy(update={"verdict": "insufficient_evidence", "groups": [craft, d.groups[1]]})
    assert headline(open_).startswith(f"ex-monzo-p1-p2-craft-short: insufficient evidence for product-1 → product-2: "
                                      f"supporting evidence missing in {CRAFT}: 2 supporting criteria lack evidence "
                                      f"and 1 passes where 2 are needed (")
    assert quota_lines(open_)[0] == f"{CRAFT}: 1 of 3 passes, 2 without evidence, 2 needed."


def test_the_explanation_shows_each_group_and_each_criterion_s_group():
    d = decide("craft_group_short")
    md = render_explanation(d, "markdown")
    assert f"\n\n- {CRAFT}: 1 of 3 passes, 2 needed.\n- {SQUAD}: 1 of 2 passes, 1 needed.\n\n" in md
    assert "### FAIL · Runs experiments as a habit (supporting, craft)" in md
    text = render_explanation(d, "table")
    assert f"{CRAFT}: 1 of 3 passes, 2 needed." in " ".join(text.split())
    assert "Supporting criteria: 0 of 5" not in " ".join(text.split())
    table = " ".join(render_decisions([d], "table").split())
    assert "supporting, craft" in table and "supporting, squad" in table
    assert "| no (craft) |" in render_decisions([d], "markdown")


def test_the_explain_command_words_the_group(tmp_path):
    packet = write(tmp_path, "p.json", json.loads(json.dumps(case("craft_group_short"), default=str)))
    result = run("explain", packet, "--ladder", FOLDER, "--format", "markdown")
    assert result.exit_code == 0, result.output
    assert f"too few criteria of {CRAFT} pass: 1 where 2 are needed" in result.output
    assert f"- {CRAFT}: 1 of 3 passes, 2 needed." in result.output


def test_a_transition_without_groups_reads_as_before():
    d = evaluator().evaluate(EXAMPLE)
    assert d.groups is None and all(c.group is None for c in d.criteria)
    assert len(quota_lines(d)) == 1 and quota(d).startswith("Supporting criteria: ")
    assert '"group"' not in d.to_json()


# -- the decision's bytes ----------------------------------------------------------------------------


def test_each_grouped_criterion_names_its_group_in_the_decision():
    d = json.loads(decide("craft_group_short").to_json())
    groups = {c["id"]: c.get("group") for c in d["criteria"]}
    assert groups["tests-and-learns"] == "craft" and groups["communicates-proactively"] == "squad"
    # Required criteria belong to no group: the key is left out, not null.
    assert all("group" not in c for c in d["criteria"] if c["required"])


# -- ladder show -------------------------------------------------------------------------------------


def test_ladder_show_json_carries_the_groups_and_each_criterion_s_group():
    result = run("ladder", "show", "product-1-to-product-2", "--ladder", FOLDER, "--format", "json")
    assert result.exit_code == 0, result.output
    (t,) = json.loads(result.output)["transitions"]
    assert t["supporting_groups"] == [{"id": "craft", "title": CRAFT, "needed": 2},
                                      {"id": "squad", "title": SQUAD, "needed": 1}]
    by_id = {c["id"]: c["group"] for c in t["criteria"]}
    assert by_id["tests-and-learns"] == "craft" and by_id["most-topics-at-level-2"] is None


def test_ladder_show_markdown_and_table_word_the_groups():
    md = run("ladder", "show", "product-1-to-product-2", "--ladder", FOLDER, "--format", "markdown").output
    assert (f"supporting criteria needed, by group: craft ({CRAFT}): 2; squad ({SQUAD}): 1; in no group: 0"
            in md)
    assert "supporting criteria needed: 0" not in md
    assert "### Runs experiments as a habit (supporting, craft)" in md
    table = " ".join(run("ladder", "show", "product-1-to-product-2", "--ladder", FOLDER,
                         "--format", "table").output.split())
    assert "supporting criteria needed, by group: craft" in table and "supporting, squad" in table


def test_ladder_show_of_a_ladder_without_groups_has_no_group_keys():
    result = run("ladder", "show", "senior-pm-to-director", "--format", "json")
    (t,) = json.loads(result.output)["transitions"]
    assert "supporting_groups" not in t and all("group" not in c for c in t["criteria"])


# -- the committee summary ---------------------------------------------------------------------------


def test_the_summary_counts_a_group_that_blocked_from_the_model_and_from_json():
    d = decide("craft_group_short")
    assert Outcome.of(d).blocking == ()
    assert Outcome.of(d).short_groups == (("craft", CRAFT),)
    assert Outcome.of(json.loads(d.to_json())).short_groups == (("craft", CRAFT),)
    assert Outcome.of(decide("ready")).short_groups == ()


def test_the_summary_names_the_blocking_group_per_transition():
    s = Summary()
    for name in ("craft_group_short", "not_ready", "ready"):
        s.add(Outcome.of(decide(name)), source=f"{name}.yaml")
    (t,) = s.to_dict()["transitions"]
    assert t["blocking_groups"] == [{"group": "craft", "title": CRAFT, "candidates": 1}]
    text = render_text(s.to_dict())
    assert "too few supporting criteria pass in:" in text and f"     1  craft ({CRAFT})" in text
    md = render_markdown(s.to_dict())
    assert f"| craft | {CRAFT} | 1 |" in md


def test_the_unnamed_quota_blocking_is_counted_too_and_old_summaries_keep_their_shape():
    tiny_ready = evaluator().evaluate(EXAMPLE)
    s = Summary()
    s.add(Outcome.of(tiny_ready))
    assert all("blocking_groups" not in t for t in s.to_dict()["transitions"])
    short = tiny_ready.model_copy(update={
        "verdict": "not_ready", "criteria": [c for c in tiny_ready.criteria if c.required or c.status != "pass"],
        "supporting": tiny_ready.supporting.model_copy(update={"passed": 0, "unknown": 0, "needed": 1})})
    assert Outcome.of(short).short_groups == (("", "supporting criteria in no group"),)
    s.add(Outcome.of(short))
    (t,) = s.to_dict()["transitions"]
    assert t["blocking_groups"] == [{"group": None, "title": "supporting criteria in no group", "candidates": 1}]
