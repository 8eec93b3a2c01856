"""Generated ladders: any ladder ``validate`` accepts must evaluate, exactly as the reference does.

Hypothesis draws valid ladders (``ladder_strategies.ladders``: arbitrary measure names, the engine's
own among them, every measure kind, 1–200 criteria per transition, nested all/any/not, required and
supporting criteria with a quota) and packets for them (``strategies.Kit``); the durable-backed
``Evaluator`` and the plain-Python reference (``reference.py``) must agree on every criterion's
status and on the verdict.

CI runs a fixed sequence in about a minute. Locally, ``PROMOREADY_LADDERS_LONG=1`` runs twenty times
as many ladders with fresh random draws (``PROMOREADY_LADDER_EXAMPLES=N`` sets the number).

Each ladder is compiled, used and dropped: its engine rulesets are freed (``live_rulesets``), so
memory does not grow with the number of ladders a process compiles.
"""

from __future__ import annotations

import gc
import os
import shutil

from hypothesis import given, settings
from hypothesis import strategies as st
from ladder_strategies import ladders, write_ladder
from strategies import RANDOM, Kit, examples
from test_differential import assert_agrees

from promoready.engine import Evaluator
from promoready.engine._durable import live_rulesets

LONG = os.environ.get("PROMOREADY_LADDERS_LONG", "") not in ("", "0")
LADDERS = int(os.environ.get("PROMOREADY_LADDER_EXAMPLES", "0")) or (500 if LONG else 24)
PACKETS = 8  # more would overrun what hypothesis keeps for one example: LONG draws more ladders


def _packets(draw, ladder, engine, count: int) -> None:
    kit = Kit(ladder)
    for _ in range(count):
        transition = draw(st.sampled_from(ladder.transitions))

        @st.composite
        def packet(d):
            return kit.packet(d, transition)

        assert_agrees(ladder, engine, draw(packet()))


def _check(data, **kwargs) -> None:
    ladder, folder = write_ladder(data.draw(ladders(**kwargs)))
    try:
        gc.collect()  # earlier examples' evaluators freed now, not in the middle of the count
        before = live_rulesets()
        engine = Evaluator(ladder)  # any ladder validate accepts compiles
        compiled = sum(len(getattr(p.ruleset, "rulesets", [p.ruleset])) for p in engine._plans.values())
        # the previous examples' ladders were dropped and their rulesets freed: only this one's are new
        assert live_rulesets() == before + compiled
        _packets(data.draw, ladder, engine, PACKETS)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@settings(examples(LADDERS), derandomize=not (LONG or RANDOM))
@given(data=st.data())
def test_generated_ladders_decide_as_the_reference(data):
    _check(data)


@settings(examples(max(3, LADDERS // 6)), derandomize=not (LONG or RANDOM))
@given(data=st.data())
def test_generated_wide_ladders_decide_as_the_reference(data):
    """At least a few ladders with a transition of 65–200 criteria: more than one engine ruleset."""
    _check(data, min_criteria=65)


def test_dropped_ladders_free_their_rulesets():
    """Compiling ladder after ladder in one process does not accumulate engine rulesets."""

    from ladder_strategies import TRANSITIONS

    gc.collect()
    before = live_rulesets()
    for n in range(40):
        files = {"ladder.yaml": {"ladder": "churn", "version": str(n), "title": "Churn",
                                 "levels": [{"id": "a", "title": "A", "track": "both", "rank": 1},
                                            {"id": "b", "title": "B", "track": "both", "rank": 2}],
                                 "measures": {"sid": {"field": "competencies.execution"}}},
                 "a-to-b.yaml": {"transition": {"from": "a", "to": "b", "track": TRANSITIONS[0][2],
                                                "phase": "progressing-seniority", "title": "A to B"},
                                 "criteria": [{"id": f"c-{i}", "title": "C", "required": True, "rationale": "R.",
                                               "source": {"file": "f.txt", "section": "S"},
                                               "condition": {"measure": "sid", "gte": i % 5},
                                               "text": {"pass": "P.", "fail": "F.", "unknown": "U."}}
                                              for i in range(1 + n % 3)]}}
        ladder, folder = write_ladder(files)
        shutil.rmtree(folder)
        Evaluator(ladder).evaluate({"candidate": {"id": "e-1"}, "current_level": "a", "as_of": "2026-11-01"})
    gc.collect()
    assert live_rulesets() <= before + 1
