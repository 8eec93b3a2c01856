"""A lazy evaluator compiles a transition when a packet first needs it (issue 18: a command that
evaluates one packet compiled all eleven transitions of the default ladder first).

It must decide exactly as an eager one, compile each transition once whatever the threads, and the
front ends that serve many packets (a batch's workers, the service) still compile everything first.
"""

from __future__ import annotations

import gc
import glob
import os
import threading
import time

import pytest

from promoready.engine import Evaluator, PromoreadyError, load_ladder, registry
from promoready.engine._documents import parse_yaml
from promoready.engine._durable import live_rulesets
from promoready.engine._ladder import bundled_ladders
from promoready.engine.registry import LadderRegistry, batch_evaluation

FOLDER = bundled_ladders()["product-management"]


def _cases() -> list[dict]:
    """Every example packet of the default ladder: each of its transitions, the verdicts it expects."""
    packets = []
    for path in sorted(glob.glob(os.path.join(FOLDER, "examples", "*.yaml"))):
        with open(path, encoding="utf-8") as fh:
            data = parse_yaml(fh.read(), path)
        packets += [case["packet"] for case in data["cases"]]
    return packets


CASES = _cases()


def _rulesets(plans) -> int:
    return sum(len(getattr(plan.ruleset, "rulesets", [plan.ruleset])) for plan in plans)


@pytest.fixture(scope="module")
def eager():
    return Evaluator(load_ladder(FOLDER))


def _key(decision) -> tuple[str, str]:
    return decision.transition.from_, decision.transition.to


def test_the_cases_cover_every_transition(eager):
    assert {_key(eager.evaluate(case)) for case in CASES} == set(eager._plans) == {
        (t.from_, t.to) for t in eager.ladder.transitions}


def _settled() -> int:
    """``live_rulesets()`` once the evaluators earlier tests dropped are collected (a collection in the middle
    of a test would free their rulesets there, and the count would fall by theirs)."""
    gc.collect()
    return live_rulesets()


def test_a_lazy_evaluator_compiles_only_the_transition_a_packet_needs(eager):
    before = _settled()
    lazy = Evaluator(load_ladder(FOLDER), lazy=True)
    assert live_rulesets() == before and not lazy._plans
    case = next(c for c in CASES if _key(eager.evaluate(c)) == ("senior-pm", "director"))
    decision = lazy.evaluate(case)
    assert (decision.transition.from_, decision.transition.to) == ("senior-pm", "director")
    assert list(lazy._plans) == [("senior-pm", "director")]
    assert live_rulesets() == before + _rulesets(lazy._plans.values())
    lazy.evaluate(case)  # the second packet of a transition compiles nothing
    assert live_rulesets() == before + _rulesets(lazy._plans.values())
    assert [t.key for t in lazy.transitions] == [t.key for t in lazy.ladder.transitions]  # all known, one compiled


def test_lazy_and_eager_evaluators_give_the_same_bytes_for_every_case(eager):
    lazy = Evaluator(eager.ladder, lazy=True)
    assert len(eager._plans) == len(eager.ladder.transitions)
    for case in reversed(CASES):  # another order than the eager one compiled in
        assert lazy.evaluate(case).to_json() == eager.evaluate(case).to_json()
    assert set(lazy._plans) == set(eager._plans)


def test_a_packet_without_a_target_compiles_the_transition_it_is_given(eager):
    lazy = Evaluator(load_ladder(FOLDER), lazy=True)
    case = dict(next(c for c in CASES if _key(eager.evaluate(c)) == ("apm", "pm")))
    case.pop("target_level", None)
    case.pop("track", None)
    assert lazy.evaluate(case).transition.to == "pm"
    assert list(lazy._plans) == [("apm", "pm")]


@pytest.mark.parametrize("change, code", [
    ({"current_level": "cpo", "target_level": "vp"}, "packet.no-transition"),
    ({"current_level": "senior-pm", "target_level": "director", "track": "ic"}, "packet.track-mismatch"),
    ({"current_level": "senior-pm", "target_level": None, "track": None}, "packet.ambiguous-target"),
])
def test_a_packet_with_no_transition_compiles_nothing_and_gets_the_eager_error(eager, change, code):
    lazy = Evaluator(load_ladder(FOLDER), lazy=True)
    case = {k: v for k, v in dict(CASES[0], **change).items() if v is not None}
    with pytest.raises(PromoreadyError) as caught:
        lazy.evaluate(case)
    with pytest.raises(PromoreadyError) as expected:
        eager.evaluate(case)
    assert caught.value.code == code
    assert caught.value.to_dict() == expected.value.to_dict()  # message, path, line, suggestion: the same
    assert not lazy._plans


def test_a_failed_compile_keeps_nothing_and_the_next_packet_compiles_again():
    lazy = Evaluator(load_ladder(FOLDER), lazy=True)
    real, calls = lazy._compile, []

    def failing_once(transition):
        calls.append(transition.key)
        if len(calls) == 1:
            raise MemoryError("the engine is out of memory")
        return real(transition)

    lazy._compile = failing_once  # type: ignore[method-assign]
    with pytest.raises(MemoryError):
        lazy.evaluate(CASES[0])
    assert not lazy._plans and not lazy._compiling.locked()
    assert lazy.evaluate(CASES[0]).verdict and len(lazy._plans) == 1 and len(calls) == 2


def test_threads_asking_for_one_transition_at_once_compile_it_once():
    lazy = Evaluator(load_ladder(FOLDER), lazy=True)
    real, compiled = lazy._compile, []

    def slow(transition):  # every thread arrives while the first compiles
        compiled.append(transition.key)
        time.sleep(0.02)
        return real(transition)

    lazy._compile = slow  # type: ignore[method-assign]
    start = threading.Barrier(8)
    got: list[str] = []

    def run() -> None:
        start.wait()
        got.append(lazy.evaluate(CASES[0]).to_json())

    threads = [threading.Thread(target=run) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(compiled) == 1 and len(got) == 8 and len(set(got)) == 1


def test_many_threads_compile_each_transition_once(eager):
    ladder = eager.ladder
    expected = {id(case): eager.evaluate(case).to_json() for case in CASES}
    before = _settled()
    lazy = Evaluator(ladder, lazy=True)
    compiled = []
    real = lazy._compile

    def counting(transition):
        compiled.append(transition.key)
        return real(transition)

    lazy._compile = counting  # type: ignore[method-assign]
    threads = 8
    start = threading.Barrier(threads)
    got: dict[int, str] = {}
    failures = []

    def run(offset: int) -> None:
        start.wait()
        try:
            for case in CASES[offset:] + CASES[:offset]:
                got[id(case)] = lazy.evaluate(case).to_json()
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    workers = [threading.Thread(target=run, args=(n * len(CASES) // threads,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert not failures
    assert got == expected
    assert sorted(compiled) == sorted(t.key for t in ladder.transitions)  # each once
    assert live_rulesets() == before + _rulesets(lazy._plans.values()) == before + _rulesets(eager._plans.values())


def test_the_registry_is_lazy_and_the_many_packet_front_ends_compile_everything(monkeypatch):
    monkeypatch.setattr(registry, "_COMPILED", {})  # evaluators of its own (none kept after the test)
    ladder = load_ladder(FOLDER)
    made = registry.compiled(ladder)
    assert not made._plans and made.transitions
    one = LadderRegistry("startup")
    assert one.evaluator_for(None).ladder.id == "startup"
    evaluation = batch_evaluation("startup")  # a batch worker: every transition before its first packet
    evaluator = evaluation.registry.evaluator_for(None)
    assert len(evaluator._plans) == len(evaluator.ladder.transitions)


def test_the_service_compiles_every_served_ladder_when_it_warms(monkeypatch):
    from promoready.service._engine import Engine

    monkeypatch.setattr(registry, "_COMPILED", {})  # lazy evaluators of its own, none compiled yet
    engine = Engine(LadderRegistry())
    served = engine.served()
    assert any(len(e._plans) < len(e.ladder.transitions) for e in served.values())
    engine.warm()
    assert all(len(e._plans) == len(e.ladder.transitions) for e in served.values())
    assert engine.ready
