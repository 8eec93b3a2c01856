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

