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
        # VmHWM is this process's own peak; ru_maxrss is inherited from the parent (pytest) across exec.
        print(next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")) // 1024)
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


def test_evaluator_survives_1100_engine_errors():
    """The evaluator's own rulesets: with the compiler's split disabled (the capacity seam), a
    70-criterion transition overflows the alpha stack on every packet with evidence, as before the
    fix; 1,100 such packets cost their own evaluations, and a packet without evidence is then decided."""
    result = run_python("""
        import dataclasses, json, os, tempfile
        from promoready.engine import EngineError, Evaluator, load_ladder
        from promoready.engine import _capacity
        _capacity.CAPACITY = dataclasses.replace(_capacity.CAPACITY, stack=10**6)  # the seam: never split
        fields = ["competencies.execution", "competencies.strategy"]
        head = {"ladder": "wide", "version": "1", "title": "Wide",
                "levels": [{"id": "a", "title": "A", "track": "both", "rank": 1},
                           {"id": "b", "title": "B", "track": "both", "rank": 2}],
                "measures": {f"x{j}": {"field": fields[j % 2]} for j in range(2)}}
        crit = lambda i: {"id": f"c{i}", "title": "C", "required": True, "rationale": "R.",
                          "source": {"file": "f.txt", "section": "S"},
                          "condition": {"measure": f"x{i % 2}", "lte": 1 + i // 2},  # 1-5 ratings: every bar can pass
                          "text": {"pass": "P.", "fail": "F.", "unknown": "U."}}
        t = {"transition": {"from": "a", "to": "b", "track": "ic", "phase": "progressing-seniority", "title": "T"},
             "criteria": [crit(i) for i in range(70)]}
        folder = tempfile.mkdtemp()
        for name, doc in (("ladder.yaml", head), ("a-to-b.yaml", t)):
            with open(os.path.join(folder, name), "w") as f:
                json.dump(doc, f)
        engine = Evaluator(load_ladder(folder))
        base = {"candidate": {"id": "e-1"}, "current_level": "a", "as_of": "2026-11-01"}
        codes = set()
        for i in range(1100):
            try:
                engine.evaluate(dict(base, competencies={"execution": 1 + i % 5, "strategy": 3}))
            except EngineError as exc:
                codes.add(exc.code)
        print(sorted(codes))
        print(engine.evaluate(base).verdict)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["['engine.303']", "insufficient_evidence"]


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
        def rss():  # this process's own peak (ru_maxrss is inherited from pytest across exec)
            return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")) // 1024
        for _ in range(100):
            Ruleset("warm-up", {OVERFLOW!r}).run({{"k": "e", "a1": 0}})
        start = rss()
        for _ in range(1500):
            Ruleset("churn", {OVERFLOW!r}).run({{"k": "e", "a1": 0}})
        print(rss() - start)
    """)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) < 150, f"{result.stdout.strip()} MB more after 1,500 rulesets (about 750 when leaking)"


# -- the compiler's model of the engine's tables (issue 11, item 3) ----------------------------------------

from hypothesis import given
from hypothesis import strategies as st
from strategies import examples

from promoready.engine._compile import CAPACITY, Network


def _chain(name: str, *tests: dict) -> dict:
    return {"all": [{"m": {"$and": [{"k": "e"}, *tests]}}]}


def _leaves(n: int) -> dict:
    """n one-comparison criteria on n properties: pass, fail and unknown rules, as the compiler writes them."""
    rules = {}
    for i in range(n):
        rules[f"{i}.p.0"] = _chain("p", {"$gte": {f"a{i}": 3}})
        rules[f"{i}.f.0"] = _chain("f", {"$lt": {f"a{i}": 3}})
        rules[f"{i}.u.0"] = _chain("u", {"$nex": {f"a{i}": 1}})
    return rules


@pytest.mark.parametrize("n", [64, 65])
def test_the_stack_bound_is_the_engines_limit(n):
    """n such criteria leave n tests pending: 64 is what the engine's stack holds, 65 fails (code 303)."""
    rules = _leaves(n)
    network = Network()
    problem = network.add_all(rules.values())
    assert network.bound() == n
    rs = Ruleset(f"stack-{n}", rules)
    facts = ({"k": "e", **{f"a{i}": 5 for i in range(n)}}, {"k": "e"})
    if n <= CAPACITY.stack:
        assert problem is None
        for fact in facts:
            assert len(rs.run(fact)[0]) == n
    else:
        assert "MAX_STACK_SIZE" in problem and "303" in problem
        for fact in facts:
            with pytest.raises(EngineError) as err:
                rs.run(fact)
            assert err.value.code == "engine.303"


def _add_each(rules: list[dict]):
    """The tables' verdict (``Network.add``, without the stack bound) on adding the rules one by one."""
    network = Network()
    problems = [network.add(rule) for rule in rules]
    return next((p for p in problems if p is not None), None)


def test_tables_at_the_models_limits_work_and_one_more_is_refused():
    """Each table filled to the model's limit compiles and decides; one more is refused by the model
    (past it the engine loops forever, reads past a list, or crashes: see ``Capacity``)."""
    endings = [_chain("e", {"$gte": {"a": 1}}) for _ in range(CAPACITY.endings)]
    absences = [_chain("n", {"$nex": {f"a{i}": 1}}) for i in range(CAPACITY.absences)]
    values = [_chain("v", {"$gte": {f"a{i}": 1}}) for i in range(CAPACITY.values)]
    for label, rules, fact, fired in (("endings", endings, {"k": "e", "a": 2}, CAPACITY.endings),
                                      ("absences", absences, {"k": "e", **{f"a{i}": 0 for i in range(127)}}, 0),
                                      ("values", values, {"k": "e", "a1": 2}, 1)):
        assert _add_each(rules) is None, label
        rs = Ruleset(f"full-{label}", {f"r{i}": r for i, r in enumerate(rules)})
        assert len(rs.run(fact)[0]) == fired, label
    assert "BETA_LIST_LENGTH" in _add_each(endings + [endings[0]])
    assert "NEXT_LIST_LENGTH" in _add_each(absences + [_chain("n", {"$nex": {"b": 1}})])
    assert "NEXT_BUCKET_LENGTH" in _add_each(values + [_chain("v", {"$gte": {"b": 1}})])


def test_one_rule_too_many_on_a_node_fires_a_rule_that_did_not_match():
    """Why the limit on rules ending on one node matters: at 256 the engine reads past its list."""
    rules = {f"r{i}": _chain("e", {"$gte": {"a": 1}}) for i in range(256)}
    fired, _ = Ruleset("endings-256", rules).run({"k": "e", "a": 2})
    assert len(fired) > 256  # the model keeps a chunk at 255


_PROPS = ("p0", "p1", "p2", "p3", "p4")
_NUMBERS = (0, 1, 2, 2.5, 3)
_WORDS = ("x", "y", "z")
_NUMERIC = {"p0", "p1", "p2"}  # the others hold words: one kind per property, as the compiler emits


@st.composite
def _tests(draw):
    prop = draw(st.sampled_from(_PROPS))
    if prop in _NUMERIC:
        op = draw(st.sampled_from(("eq", "$neq", "$lt", "$lte", "$gt", "$gte", "$nex")))
        value = draw(st.sampled_from(_NUMBERS))
    else:
        op = draw(st.sampled_from(("eq", "$neq", "$nex")))
        value = draw(st.sampled_from(_WORDS))
    if op == "$nex":
        return {"$nex": {prop: 1}}
    return {prop: value} if op == "eq" else {op: {prop: value}}


_FACTS = st.fixed_dictionaries({}, optional={p: st.sampled_from(_NUMBERS if p in _NUMERIC else _WORDS)
                                             for p in _PROPS})


@examples(60)
@given(rules=st.lists(st.lists(_tests(), min_size=1, max_size=4), min_size=20, max_size=260),
       facts=st.lists(_FACTS, min_size=1, max_size=12))
def test_rulesets_the_model_accepts_never_overflow(rules, facts):
    """Soundness of the model: pack random rules into rulesets as the compiler does (a new ruleset
    when the next rule overflows a table), then no fact makes the engine fail."""
    chunks: list[list[dict]] = [[]]
    network = Network()
    for tests in rules:
        rule = _chain("r", *tests)
        if network.add_all([rule]) is not None:
            chunks.append([])
            network = Network()
            assert network.add_all([rule]) is None
        chunks[-1].append(rule)
    for n, chunk in enumerate(chunks):
        rs = Ruleset(f"random-{n}", {f"r{i}": r for i, r in enumerate(chunk)})
        for fact in facts:
            rs.run({"k": "e", **fact})  # raises EngineError on an overflow
