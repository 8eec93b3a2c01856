"""The reference pipeline: promoready with the durable-rules stage replaced by plain Python.

Everything else is promoready's own code (parsing, validation, measures, explanation, the decision
and its JSON), so the difference between the two pipelines is exactly what deciding in the Rete
engine costs. The statuses come from ``Explainer.status`` (the plain-Python three-valued reading of
each criterion's compiled condition tree) and the verdict from the transition's required flags and
``supporting_needed``, with the rules of ``engine/_tally.verdict_rules``:

- ``not_ready`` if a required criterion fails, or supporting passed + unknown < needed;
- ``insufficient_evidence`` if a required criterion is unknown, or supporting passed < needed;
- ``ready`` otherwise.

``bench/run.py`` checks that it produces byte-identical ``Decision.to_json()`` to ``Evaluator``.
"""

from __future__ import annotations

from promoready.engine import Evaluator
from promoready.engine._ranges import UNKNOWN_LOW


class ReferenceEvaluator(Evaluator):
    """``Evaluator`` deciding in plain Python instead of durable-rules (same inputs, same output)."""

    def _decide(self, plan, fact: dict) -> tuple[list[str], str]:
        status = plan.explainer.status
        size = fact.get("_size")
        named = {name: fact[key] for name, key in plan.keys.items() if key in fact}  # engine keys → measure names
        for name, figure in plan.uppers.items():  # an unknown count is the widest range in the fact: unknown here
            if named.get(name) == UNKNOWN_LOW:
                del named[name], named[figure]
        statuses = [status(tree, named, size) for tree in plan.trees]
        rf = ru = sp = spu = 0
        for criterion, s in zip(plan.transition.criteria, statuses):
            if criterion.required:
                rf += s == "fail"
                ru += s == "unknown"
            else:
                sp += s == "pass"
                spu += s != "fail"
        needed = plan.transition.supporting_needed
        if rf or spu < needed:
            verdict = "not_ready"
        elif ru or sp < needed:
            verdict = "insufficient_evidence"
        else:
            verdict = "ready"
        return statuses, verdict
