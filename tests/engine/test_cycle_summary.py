"""The cycle summary (``engine.summary``): deterministic whatever the order, the same from a decision or its JSON."""

from __future__ import annotations

import json

from batch_helpers import case

from promoready.engine.summary import Outcome, Summary


def test_summary_is_deterministic_and_reads_back_from_json():
    from promoready.engine import Evaluator, load_ladder

    decision = Evaluator(load_ladder()).evaluate(case("pm-to-senior-pm", "not_ready"))
    assert Outcome.of(decision) == Outcome.of(json.loads(decision.to_json()))
    one, two = Summary(), Summary()
    a = Outcome("a", "not_ready", ("x", "y"), (("zeta", "Z"), ("alpha", "A")), ("zeta", "alpha"), (), ("p.q", "b"))
    b = Outcome("b", "ready", ("w", "y"), (), (), (), ("b",))
    for s, order in ((one, (a, b)), (two, (b, a))):
        for outcome in order:
            s.add(outcome)
        s.add_error("input.json")
    assert one.to_dict() == two.to_dict()
    d = one.to_dict()
    assert [b["criterion"] for b in d["top_blockers"]] == ["alpha", "zeta"]
    assert d["most_missing"] == [{"path": "b", "candidates": 2}, {"path": "p.q", "candidates": 1}]
    assert [(t["from"], t["to"]) for t in d["transitions"]] == [("w", "y"), ("x", "y")]



def test_the_chair_sees_who_is_ready_what_blocks_each_transition_and_who_appears_twice():
    s = Summary()
    s.add(Outcome("a", "ready", ("pm", "spm"), (), (), (), ()), "f:1")
    s.add(Outcome("b", "not_ready", ("pm", "spm"), (("impact", "Measured impact"),), ("impact",), (), ()), "f:2")
    s.add(Outcome("c", "not_ready", ("spm", "dir"), (("impact", "Impact beyond one product"),), ("impact",), (), ()), "f:3")
    s.add(Outcome("a", "not_ready", ("pm", "spm"), (("impact", "Measured impact"),), ("impact",), (), ()), "f:4")
    s.add_error("packet.list-type", source="f:5", candidate_id="c", message="f:5: reviews: must be a list")
    s.add_error("input.json", source="f:6")
    d = s.to_dict()
    steps = {(t["from"], t["to"]): t for t in d["transitions"]}
    assert steps[("pm", "spm")]["ready_candidates"] == [{"candidate_id": "a", "source": "f:1"}]
    assert steps[("spm", "dir")]["ready_candidates"] == []
    # One criterion id in two transitions: each keeps its own title and count.
    assert steps[("pm", "spm")]["blockers"] == [{"criterion": "impact", "title": "Measured impact", "candidates": 2}]
    assert steps[("spm", "dir")]["blockers"] == [
        {"criterion": "impact", "title": "Impact beyond one product", "candidates": 1}]
    assert d["errored"] == [
        {"source": "f:5", "candidate_id": "c", "code": "packet.list-type", "message": "f:5: reviews: must be a list"},
        {"source": "f:6", "candidate_id": None, "code": "input.json", "message": None}]
    assert d["duplicate_candidates"] == [{"candidate_id": "a", "sources": ["f:1", "f:4"]},
                                         {"candidate_id": "c", "sources": ["f:3", "f:5"]}]
