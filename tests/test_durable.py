"""The durable-rules adapter: errors translated, values engine-safe, one status fired per criterion."""

from __future__ import annotations

import durable_rules_engine
import pytest

from promoready.engine import EngineError
from promoready.engine._compile import encode_number
from promoready.engine._durable import ENGINE_CODES, Ruleset, translate


@pytest.mark.parametrize("code", sorted(ENGINE_CODES) + [999])
def test_every_engine_code_becomes_an_engine_error(code):
    err = translate(durable_rules_engine.error(f"Could not assert fact, error code: {code}"), "doing a thing")
    assert isinstance(err, EngineError)
    assert err.code == (f"engine.{code}" if code in ENGINE_CODES else "engine.unlisted-code")
    assert err.exit_code == 3
    assert str(err).startswith("doing a thing: ")


def test_an_error_without_a_code_is_still_translated():
    err = translate(RuntimeError("something odd"), "compiling")
    assert err.code == "engine.unknown" and "something odd" in err.message


def test_engine_rejects_exponent_floats_and_we_translate_it():
    rs = Ruleset("probe-exponent", {"r.p.0": {"all": [{"m": {"$gte": {"a": 1}}}]}})
    with pytest.raises(EngineError) as err:
        rs.run({"a": 1e-05}, lambda fired: {"k": "t"})
    assert err.value.code == "engine.204"
    # and the process and the ruleset still work afterwards
    first, _ = rs.run({"a": 2}, lambda fired: {"k": "t"})
    assert first == ["r.p.0"]


@pytest.mark.parametrize("x", [1e-7, 1.5e-5, 0.00012345, 1e15, 123456789.123456, -1e-9, 2.0, 7])
def test_encoded_numbers_never_use_exponent_notation(x):
    import json

    text = json.dumps(encode_number(x))
    assert "e" not in text.lower(), text


def test_invalid_rules_are_an_engine_error_not_a_crash():
    with pytest.raises(EngineError) as err:
        Ruleset("probe-bad", {"x": {"all": [{"m": {"$bogus": {"a": 1}}}]}})
    assert err.value.code.startswith("engine.")


def test_only_one_module_imports_durable():
    import os
    import re

    from conftest import ROOT

    importers = []
    for folder in ("engine", "schemas", "cli", "pkg"):
        for dirpath, _, files in os.walk(os.path.join(ROOT, folder)):
            for name in files:
                if name.endswith(".py"):
                    text = open(os.path.join(dirpath, name)).read()
                    if re.search(r"^\s*(import|from)\s+durable", text, re.M):
                        importers.append(name)
    assert importers == ["_durable.py"]


# -- engine states: an engine error costs its packet only (issue 11, item 4) -------------------------------

import subprocess
import sys
import textwrap

#: Seventy rules whose first tests all match one fact: asserting it overflows the engine's 64-entry
#: alpha stack (code 303) after the state was created. The same fact without ``a*`` fires one rule.
OVERFLOW = {f"r.p.{i}": {"all": [{"m": {"$and": [{"k": "e"}, {"$gte": {f"a{i}": 0}}]}}]} for i in range(70)}
OVERFLOWING_FACT = {"k": "e", **{f"a{i}": 1 for i in range(70)}}


def run_python(code: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter (a crash there is a failed test, not a dead test session)."""
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=timeout)


def test_1100_engine_errors_then_a_good_fact():
    """Regression: every engine error left its state behind (no action had run, so deleting it was
    unsafe); after 1,024 the ruleset's state table was full and every later fact, good ones
    included, failed with MemoryError. Now each error costs its own evaluation only."""
    result = run_python(f"""
        import resource
        from promoready.engine import EngineError
        from promoready.engine._durable import Ruleset
        rs = Ruleset("overflow", {OVERFLOW!r})
        codes = set()
        for _ in range(1100):
            try:
                rs.run({OVERFLOWING_FACT!r}, lambda fired: {{"k": "t"}})
            except EngineError as exc:
                codes.add(exc.code)
        print(sorted(codes))
        print(rs.run({{"k": "e", "a3": 1}}, lambda fired: {{"k": "t"}}))
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
    """)
    assert result.returncode == 0, result.stderr
    codes, fired, rss_mb = result.stdout.splitlines()
    assert codes == "['engine.303']"
    assert fired == "(['r.p.3'], [])"
    assert int(rss_mb) < 400, f"{rss_mb} MB after 1,100 engine errors: states are leaking"  # ~1 GB when they leak


def test_states_where_nothing_fired_are_released():
    """A fact that fires no rule leaves a state in which no action ever ran; it used to be kept
    (deleting it could crash the process), so 1,024 of them filled the state table."""
    result = run_python(f"""
        from promoready.engine._durable import Ruleset
        rs = Ruleset("quiet", {OVERFLOW!r})
        for _ in range(3000):
            assert rs.run({{"k": "e"}}) == ([], [])
        print(rs.run({{"k": "e", "a5": 0}}))
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "(['r.p.5'], [])"


def test_a_ruleset_whose_states_cannot_be_released_is_compiled_again(monkeypatch):
    """If the release rule itself fails, the state is left; after ``LEAK_LIMIT`` of them the
    ruleset starts again under a fresh engine handle (the old one is freed) and keeps deciding."""
    from promoready.engine import _durable

    rs = Ruleset("rotating", OVERFLOW)

    def broken_settle(self, sid):
        raise durable_rules_engine.error("Could not assert fact, error code: 101")

    monkeypatch.setattr(_durable.Ruleset, "_settle", broken_settle)
    for _ in range(_durable.LEAK_LIMIT - 1):
        assert rs.run({"k": "e"}) == ([], [])  # nothing fires: the state needs the release rule
    assert rs.rotations == 0
    assert rs.run({"k": "e"}) == ([], [])
    assert rs.rotations == 1
    monkeypatch.undo()
    assert rs.run({"k": "e", "a7": 0}) == (["r.p.7"], [])


def test_collected_rulesets_are_freed_in_the_engine():
    """Compiling many ladders in one process must not accumulate engine rulesets (about 0.5 MB each
    for this one): a collected ``Ruleset`` frees its engine ruleset on the next engine call."""
    import gc

    from promoready.engine._durable import live_rulesets

    gc.collect()
    before = live_rulesets()
    for _ in range(200):
        Ruleset("short-lived", OVERFLOW).run({"k": "e", "a1": 0})
    gc.collect()
    assert live_rulesets() <= before + 1
    kept = [Ruleset("kept", OVERFLOW) for _ in range(3)]
    assert live_rulesets() == before + 3
    del kept


def test_rulesets_freed_keep_memory_flat():
    result = run_python(f"""
        import resource
        from promoready.engine._durable import Ruleset
        def rss():
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        for _ in range(100):
            Ruleset("warm-up", {OVERFLOW!r}).run({{"k": "e", "a1": 0}})
        start = rss()
        for _ in range(1500):
            Ruleset("churn", {OVERFLOW!r}).run({{"k": "e", "a1": 0}})
        print(rss() - start)
    """)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) < 150, f"{result.stdout.strip()} MB more after 1,500 rulesets (about 750 when leaking)"
