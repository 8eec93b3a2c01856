"""A packet that leaves out ``target_level`` or ``track`` is evaluated on the transition the ladder picks
for it: its measures read that transition's target and track, never "missing" (exploratory testing,
session 11: ``by: {field: track}`` made such a packet insufficient evidence)."""

from __future__ import annotations

import json

import pytest

from promoready.engine import Evaluator, load_ladder

LEVELS = [{"id": "pm", "title": "Product Manager", "track": "both", "rank": 1},
          {"id": "senior-pm", "title": "Senior PM", "aliases": ["SPM"], "track": "both", "rank": 2}]
CONDITIONS = {
    "by-target": {"measure": "years", "gte": {"by": {"field": "target_level", "values": {"SPM": 3}, "default": 9}}},
    "by-track": {"measure": "years", "gte": {"by": {"field": "track", "values": {"ic": 3, "management": 6}}}},
    "target": {"measure": "target", "gte": {"level": "target"}},
    "track": {"measure": "track", "eq": "ic"},
}


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> Evaluator:
    folder = tmp_path_factory.mktemp("transition-fields")
    criteria = [{"id": cid, "title": cid, "required": True, "rationale": "Transition fields.",
                 "source": {"file": "000_fields.txt", "section": "S"}, "condition": condition,
                 "text": {"pass": "Passes.", "fail": "Fails.", "unknown": "Unknown."}}
                for cid, condition in CONDITIONS.items()]
    measures = {"years": {"field": "experience.product_years", "unit": "years"},
                "target": {"field": "target_level"}, "track": {"field": "track"}}
    files = {"ladder.yaml": {"ladder": "fields", "version": "1", "title": "Fields", "levels": LEVELS,
                             "measures": measures},
             "pm-to-senior-pm.yaml": {"transition": {"from": "pm", "to": "senior-pm", "track": "ic",
                                                     "phase": "progressing-seniority", "title": "PM to Senior PM"},
                                      "criteria": criteria}}
    for name, content in files.items():
        (folder / name).write_text(json.dumps(content, indent=1), encoding="utf-8")
    return Evaluator(load_ladder(str(folder)))


@pytest.mark.parametrize("given", [{}, {"target_level": "senior-pm"}, {"track": "ic"},
                                   {"target_level": "SPM", "track": "ic"}])
def test_the_transition_fixes_what_the_packet_leaves_out(engine, given):
    packet = {"candidate": {"id": "c-1"}, "current_level": "pm", "as_of": "2026-11-01",
              "experience": {"product_years": 3}, **given}
    decision = engine.evaluate(packet)
    assert (decision.transition.to, decision.transition.track) == ("senior-pm", "ic")
    assert {c.id: (c.status, c.missing) for c in decision.criteria} == {cid: ("pass", []) for cid in CONDITIONS}
    assert decision.verdict == "ready"
