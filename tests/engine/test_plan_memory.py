"""What an evaluator works out once per transition lives with the evaluator (issue 18's review: a
module-level cache of each transition's supporting quotas kept the criteria of discarded ladders alive)."""

from __future__ import annotations

import gc
from pathlib import Path

from promoready.engine import Evaluator, load_ladder
from promoready.schemas.ladder import Criterion

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "packet.yaml"


def _live_criteria() -> int:
    gc.collect()
    return sum(isinstance(o, Criterion) for o in gc.get_objects())


def test_a_discarded_evaluator_keeps_no_criterion_alive():
    from promoready.engine._documents import parse_yaml

    packet = parse_yaml(EXAMPLE.read_text(encoding="utf-8"), str(EXAMPLE))
    before = _live_criteria()
    for _ in range(3):
        evaluator = Evaluator(load_ladder(None))
        assert evaluator.evaluate(packet).verdict
        del evaluator
    assert _live_criteria() <= before
