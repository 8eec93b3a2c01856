"""The ladder registry (``engine.registry``): which ladder a packet gets, one compiled evaluator per ladder digest,
thread-safe, and a packet's ``ladder`` field kept to the places the registry may read."""

from __future__ import annotations

import os
import shutil
import threading
import time

import pytest
from conftest import ROOT, TINY, TINY_PACKET

from promoready.engine import PacketError, PromoreadyError, registry
from promoready.engine.errors import PACKET_LADDER_NOT_ALLOWED as NOT_ALLOWED
from promoready.engine.registry import LadderRegistry, batch_evaluation

STARTUP = os.path.join(ROOT, "rules", "startup")
#: A packet for the default ladder and the startup ladder alike (both know the PM level).
PM_PACKET = {"candidate": {"id": "r-1"}, "current_level": "PM", "as_of": "2026-11-01",
             "experience": {"product_years": 4}}


def _packet(**fields) -> dict:
    return {**PM_PACKET, **fields}


def test_a_bundled_id_a_folder_and_its_ladder_file_each_give_their_ladder():
    ladders = LadderRegistry()
    assert ladders.evaluator_for(None).ladder.id == "product-management"
    assert ladders.evaluator_for("startup").ladder.id == "startup"
    assert ladders.evaluator_for(TINY).ladder.id == "tiny"
    assert ladders.evaluator_for(os.path.join(TINY, "ladder.yaml")) is ladders.evaluator_for(TINY)
    assert set(ladders.bundled) >= {"product-management", "startup"}


def test_each_ladder_is_compiled_once_per_digest(tmp_path):
    ladders = LadderRegistry()
    default = ladders.evaluator_for(None)
    assert ladders.evaluator_for("product-management") is default
    copy = tmp_path / "startup-copy"
    shutil.copytree(STARTUP, copy)
    startup = ladders.evaluator_for("startup")
    assert ladders.evaluator_for(str(copy)) is startup  # another place, the same ladder: the same evaluator
    assert startup is not default
    assert LadderRegistry().evaluator_for("startup") is startup  # once in the whole process
    assert LadderRegistry(str(copy)).evaluator_for(None) is startup
    (copy / "ladder.yaml").write_text((copy / "ladder.yaml").read_text().replace("ladder: startup", "ladder: fork"))
    assert LadderRegistry().evaluator_for(str(copy)).digest != startup.digest  # edited: compiled on its own


def test_a_fixed_ladder_wins_over_the_packet_field():
    ladders = LadderRegistry("startup")
    for fields in ({}, {"ladder": "product-management"}, {"ladder": "../elsewhere"}):
        assert ladders.evaluator_for_packet(_loaded(**fields)).ladder.id == "startup"
    assert ladders.evaluate(_packet()).ladder.id == "startup"
    with pytest.raises(PacketError) as caught:  # the evaluator itself refuses a packet for another ladder
        ladders.evaluate(_packet(ladder="product-management"))
    assert caught.value.code == "packet.ladder-mismatch"
    assert LadderRegistry(TINY).evaluate(dict(TINY_PACKET)).ladder.id == "tiny"


def test_the_packet_field_chooses_among_the_bundled_ladders_else_the_default():
    ladders = LadderRegistry()
    assert ladders.evaluate(_packet(ladder="startup")).ladder.id == "startup"
    assert ladders.evaluate(_packet(ladder="Startup")).ladder.id == "startup"  # names are normalised
    assert ladders.evaluate(_packet()).ladder.id == "product-management"
    assert ladders.evaluator_for_packet(_loaded(ladder="no-such-ladder")) is ladders.evaluator_for(None)
    changed = ladders.what_if(_packet(ladder="startup"), ["experience.product_years=9"])
    assert changed.before.ladder.id == changed.after.ladder.id == "startup"


def test_a_bundled_id_is_bundled_even_beside_a_folder_of_that_name(tmp_path, monkeypatch):
    (tmp_path / "startup").mkdir()  # not a ladder
    monkeypatch.chdir(tmp_path)
    ladders = LadderRegistry()
    assert ladders.evaluator_for("startup").ladder.id == "startup"
    assert ladders.evaluate(_packet(ladder="startup")).ladder.id == "startup"


@pytest.mark.parametrize("value", ["../startup", "rules/startup", STARTUP, os.path.join(STARTUP, "ladder.yaml"),
                                   "startup.yaml", "~/startup"])
def test_a_packet_pointing_at_a_path_is_refused_with_the_field_and_a_suggestion(tmp_path, value):
    path = tmp_path / "packet.yaml"
    path.write_text(f"candidate:\n  id: r-2\ncurrent_level: PM\nladder: {value}\n")
    with pytest.raises(PacketError) as caught:
        LadderRegistry().evaluate(str(path))
    error = caught.value
    assert (error.code, error.path, error.file, error.line) == (NOT_ALLOWED, "ladder", str(path), 4)
    assert error.suggestion == "'startup'"
    assert "must be a bundled ladder id" in error.message


def test_a_packet_may_name_a_ladder_inside_an_allowed_folder_and_nothing_outside_it(tmp_path):
    allowed, outside = tmp_path / "ladders", tmp_path / "outside"
    shutil.copytree(TINY, allowed / "tiny")
    shutil.copytree(TINY, outside / "tiny")
    os.symlink(outside / "tiny", allowed / "sneaky")  # inside by name, outside in fact
    ladders = LadderRegistry(allowed=[str(allowed)])
    evaluator = ladders.evaluator_for_packet(_loaded(ladder=str(allowed / "tiny")))
    assert evaluator.ladder.id == "tiny"
    assert ladders.evaluator_for_packet(_loaded(ladder=str(allowed / "tiny" / "ladder.yaml"))) is evaluator
    for value in (outside / "tiny", allowed / "sneaky", allowed / ".." / "outside" / "tiny"):
        with pytest.raises(PacketError) as caught:
            ladders.evaluator_for_packet(_loaded(ladder=str(value)))
        assert caught.value.code == NOT_ALLOWED and str(allowed) in caught.value.message
        assert caught.value.suggestion is None  # "tiny" is not close to any bundled id


def test_a_packet_naming_an_allowed_ladder_folder_is_evaluated_with_it_and_no_other(tmp_path, monkeypatch):
    allowed = tmp_path / "ladders"
    shutil.copytree(TINY, allowed / "tiny")
    monkeypatch.chdir(tmp_path)
    ladders = LadderRegistry(allowed=[str(allowed)])
    for value in ("ladders/tiny", str(allowed / "tiny"), "./ladders/tiny/ladder.yaml"):
        decision = ladders.evaluate({**TINY_PACKET, "ladder": value})
        assert decision.ladder.id == "tiny"
    # The evaluator accepts the paths it was reached by, not any packet naming another ladder.
    evaluator = ladders.evaluator_for_packet(_loaded_tiny(ladder="ladders/tiny"))
    with pytest.raises(PacketError) as caught:
        evaluator.evaluate({**TINY_PACKET, "ladder": "startup"})
    assert caught.value.code == "packet.ladder-mismatch"


def _loaded_tiny(**fields):
    from promoready.engine import load_packet

    return load_packet({**TINY_PACKET, **fields})


def _loaded(**fields):
    from promoready.engine import load_packet

    return load_packet(_packet(**fields))


def test_many_threads_asking_at_once_get_one_evaluator_per_ladder(tmp_path, monkeypatch):
    made = []

    class SlowEvaluator:
        """Stands in for the compiler: slow enough that every thread arrives while the first compiles."""

        def __init__(self, ladder, *, lazy):
            assert lazy  # the registry's evaluators compile a transition when a packet needs it
            time.sleep(0.05)
            made.append(ladder.id)
            self.ladder = ladder

    monkeypatch.setattr(registry, "Evaluator", SlowEvaluator)
    monkeypatch.setattr(registry, "_COMPILED", {})  # none compiled yet (and none of these kept after the test)
    shutil.copytree(STARTUP, tmp_path / "startup")
    ladders = LadderRegistry()
    names = [None, "product-management", "startup", str(tmp_path / "startup")] * 3
    start = threading.Barrier(len(names))
    got = [None] * len(names)

    def ask(index, name):
        start.wait()
        # Half the threads share a registry, half have their own: one evaluator per ladder either way.
        got[index] = (ladders if index % 2 else LadderRegistry()).evaluator_for(name)

    threads = [threading.Thread(target=ask, args=(i, name)) for i, name in enumerate(names)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(made) == ["product-management", "startup"]
    assert len({id(e) for e in got}) == 2
    assert all(got[i] is got[0] for i in range(0, len(names), 4))
    assert all(got[i] is got[2] for i in (3, 6, 7, 10, 11))


def test_the_batch_evaluation_compiles_its_ladder_at_once_and_keys_decisions_for_resume():
    evaluate = batch_evaluation("startup")
    assert evaluate.registry.fixed == "startup"
    loaded = _loaded()
    decision = evaluate(loaded, None)
    assert decision.ladder.id == "startup"
    key = evaluate.resume_key(loaded, None)
    assert key == (decision.packet_digest, decision.ladder.digest, decision.as_of)
    with pytest.raises(PromoreadyError) as caught:  # a bad ladder stops a batch before it starts
        batch_evaluation(os.path.join(ROOT, "no-such-ladder"))
    assert caught.value.code == "ladder.not-found"
