"""The compiler on small ladders: each criterion's pass, fail and unknown regions exclude each other and
cover every fact, the region a fact falls in is the condition's three-valued (Kleene) reading, the
verdict stage matches exactly one rule, and the number of rules each construct costs.

The regions are read with a small matcher of durable-rules conditions written here (missing field:
no comparison matches, ``$nex`` does); the durable-backed ``Evaluator`` is checked against the same
reading, so the engine really fires one status per criterion.
"""

from __future__ import annotations

import itertools
import operator
from typing import Any

import pytest
from pydantic import TypeAdapter

from promoready.engine import Evaluator
from promoready.engine._compile import Compiler
from promoready.engine._levels import LevelIndex
from promoready.engine._regions import MAX_RULES, TooManyRules
from promoready.engine._tally import verdict_of, verdict_rules
from promoready.schemas import ladder as L
from promoready.schemas.packet import ORDINALS

SIZES = ORDINALS["size"]
AMBIGUITY = ORDINALS["ambiguity"]

#: The measures of the test ladder: measure → packet field.
MEASURES = {
    "years": "experience.product_years",  # number
    "teams": "scope.teams",  # number
    "amb": "scope.ambiguity",  # ordered enum
    "docs": "signals.documents_impact",  # bool
}
#: Values each measure takes in the facts (engine encoding; None = absent from the fact).
VALUES = {"years": (None, 2, 2.5, 3, 3.0001, 4), "teams": (None, 1, 2, 3), "amb": (None, 0, 1, 2), "docs": (None, 0, 1)}
BY_SIZE = {"by_org_size": {"startup": 2, "growth": 3, "enterprise": 4}}


def ladder(*conditions: dict, supporting_needed: int = 0) -> L.Ladder:
    """A two-level ladder whose one transition has a required criterion per condition."""
    return L.Ladder.model_validate({
        "id": "mini", "version": "1", "title": "Mini",
        "levels": [{"id": "a", "title": "A", "track": "both", "rank": 1},
                   {"id": "b", "title": "B", "track": "ic", "rank": 2}],
        "measures": {name: {"field": path} for name, path in MEASURES.items()},
        "transitions": [{
            "from": "a", "to": "b", "track": "ic", "phase": "progressing-seniority", "title": "A to B",
            "file": "a-to-b.yaml", "supporting_needed": supporting_needed,
            "criteria": [{
                "id": f"c{i}", "title": f"C{i}", "required": True, "rationale": "R.",
                "source": {"file": "f.txt", "section": "S"}, "condition": condition,
                "text": {"pass": "P.", "fail": "F.", "unknown": "U."},
            } for i, condition in enumerate(conditions)],
        }],
    })


def compiler(lad: L.Ladder) -> Compiler:
    return Compiler(lad, lad.transitions[0], LevelIndex(lad))


def regions(condition: dict):
    lad = ladder(condition)
    c = compiler(lad)
    compiled = c.regions(c.node(lad.transitions[0].criteria[0].condition))
    # the rules name each measure by its engine key (m0, m1…): read them back by measure name
    names = {key: name for name, key in c.keys.items()}
    return type(compiled)(*(tuple(tuple(_renamed(atom, names) for atom in alt) for alt in region)
                            for region in (compiled.p, compiled.f, compiled.u)))


def _renamed(atom: dict, names: dict) -> dict:
    ((op, arg),) = atom.items()
    if isinstance(arg, dict):
        return {op: {names.get(k, k): v for k, v in arg.items()}}
    return {names.get(op, op): arg}


# -- a reader of durable-rules conditions and of the rules language ---------------------------------------

_CMP = {"$gte": operator.ge, "$gt": operator.gt, "$lte": operator.le, "$lt": operator.lt, "$neq": operator.ne}


def matches(atom: dict, fact: dict) -> bool:
    """Whether one durable-rules condition matches a fact."""
    ((op, arg),) = atom.items()
    if op == "$and":
        return all(matches(a, fact) for a in arg)
    if op in ("$ex", "$nex"):
        ((key, _),) = arg.items()
        return (key in fact) == (op == "$ex")
    if op in _CMP:
        ((key, value),) = arg.items()
        return key in fact and _CMP[op](fact[key], value)
    return op in fact and fact[op] == arg  # equality: {key: value}


def encode(measure: str, value: Any) -> Any:
    """An operand of the test ladder in the engine's encoding."""
    if measure == "amb" and isinstance(value, str):
        return AMBIGUITY.index(value)
    if isinstance(value, bool):
        return int(value)
    return value


def kleene(c: L.Condition, fact: dict) -> str:
    """The condition's status for a fact of encoded values, straight from docs/rules-language.md."""
    if isinstance(c, L.Not):
        return {"pass": "fail", "fail": "pass"}.get(kleene(c.not_, fact), "unknown")
    if isinstance(c, (L.AllOf, L.AnyOf)):
        parts = [kleene(p, fact) for p in c.children]
        decisive, other = ("fail", "pass") if isinstance(c, L.AllOf) else ("pass", "fail")
        return decisive if decisive in parts else "unknown" if "unknown" in parts else other
    assert isinstance(c, L.Leaf)
    if c.measure not in fact:
        return "unknown"
    value, operand = fact[c.measure], c.operand
    if isinstance(operand, dict):
        sizes = [fact["_size"]] if "_size" in fact else range(len(SIZES))
        outcomes = {compare(c.op, value, encode(c.measure, operand["by_org_size"][SIZES[s]])) for s in sizes}
        return "pass" if outcomes == {True} else "fail" if outcomes == {False} else "unknown"
    if c.op == "in":
        return "pass" if value in [encode(c.measure, o) for o in operand] else "fail"
    return "pass" if compare(c.op, value, encode(c.measure, operand)) else "fail"


def compare(op: str, a: Any, b: Any) -> bool:
    return {"gte": operator.ge, "gt": operator.gt, "lte": operator.le, "lt": operator.lt, "eq": operator.eq,
            "ne": operator.ne}[op](a, b)


def facts(condition: L.Condition, *, with_size: bool):
    """Every combination of the values of the measures a condition reads (and of the organisation size)."""
    names = sorted(set(_measures(condition)))
    axes = [VALUES[n] for n in names] + ([(None, 0, 1, 2)] if with_size else [])
    for combo in itertools.product(*axes):
        fact = {n: v for n, v in zip(names + ["_size"], combo) if v is not None}
        yield fact


def _measures(c: L.Condition):
    if isinstance(c, L.Leaf):
        yield c.measure
    for part in c.children:
        yield from _measures(part)


CONDITIONS = [
    *({"measure": "years", op: 3} for op in ("gte", "gt", "lte", "lt", "eq", "ne")),
    {"measure": "amb", "in": ["medium", "high"]},
    {"measure": "amb", "in": ["high", "high", "low"]},  # a value listed twice: still one rule per value
    {"measure": "amb", "gte": "medium"},
    {"measure": "docs", "eq": True},
    {"measure": "docs", "ne": False},
    {"all": [{"measure": "years", "gte": 3}, {"measure": "docs", "eq": True}]},
    {"any": [{"measure": "years", "gte": 3}, {"measure": "teams", "gt": 2}]},
    {"not": {"measure": "years", "gt": 3}},
    {"all": [{"not": {"any": [{"measure": "teams", "lt": 2}, {"measure": "docs", "eq": False}]}},
             {"any": [{"measure": "amb", "in": ["high"]}, {"not": {"measure": "years", "lte": 2.5}}]}]},
    {"measure": "years", "gte": BY_SIZE},
    {"measure": "years", "lt": BY_SIZE},
    {"measure": "teams", "eq": {"by_org_size": {"startup": 1, "growth": 2, "enterprise": 2}}},
    {"measure": "teams", "ne": {"by_org_size": {"startup": 1, "growth": 2, "enterprise": 3}}},
    {"any": [{"measure": "years", "gte": BY_SIZE}, {"not": {"measure": "teams", "gte": BY_SIZE}}]},
]


@pytest.mark.parametrize("condition", CONDITIONS, ids=lambda c: str(c)[:60])
def test_exactly_one_alternative_of_one_region_matches_each_fact_and_it_is_the_kleene_status(condition):
    parsed = TypeAdapter(L.Condition).validate_python(condition)
    compiled = regions(condition)
    sized = "by_org_size" in str(condition)
    checked = 0
    for fact in facts(parsed, with_size=sized):
        hits = [status for status, region in (("pass", compiled.p), ("fail", compiled.f), ("unknown", compiled.u))
                for alternative in region if all(matches(atom, fact) for atom in alternative)]
        assert hits == [kleene(parsed, fact)], f"{condition} on {fact}: rules {hits}"
        checked += 1
    assert checked >= 3  # absent and at least two known values


def rule_counts(condition: dict) -> tuple[int, int, int]:
    r = regions(condition)
    return len(r.p), len(r.f), len(r.u)


@pytest.mark.parametrize("condition, counts", [
    ({"measure": "years", "gte": 3}, (1, 1, 1)),
    ({"measure": "amb", "in": ["low", "medium", "high"]}, (3, 1, 1)),  # one pass rule per value
    ({"measure": "amb", "in": ["high", "high", "medium"]}, (2, 1, 1)),  # duplicates encode to one value
    ({"not": {"measure": "years", "gte": 3}}, (1, 1, 1)),
    # all: pass when both pass; fail: the first that fails is part 0, or part 1 with part 0 pass or unknown;
    # unknown: part 0 unknown and part 1 not failing, or part 0 passing and part 1 unknown.
    ({"all": [{"measure": "years", "gte": 3}, {"measure": "docs", "eq": True}]}, (1, 3, 3)),
    ({"any": [{"measure": "years", "gte": 3}, {"measure": "docs", "eq": True}]}, (3, 1, 3)),
    # per size, plus size unknown: every threshold holds (or none); unknown when absent or the sizes disagree
    ({"measure": "years", "gte": BY_SIZE}, (4, 4, 2)),
])
def test_rules_each_construct_costs(condition, counts):
    assert rule_counts(condition) == counts
    lad = ladder(condition)
    assert compiler(lad).rule_count(lad.transitions[0].criteria[0]) == sum(counts)


def test_a_condition_past_the_engine_limit_is_refused_before_its_rules_are_built():
    big = {"all": [{"measure": "years", "gte": BY_SIZE}] + [{"measure": "teams", "gte": i} for i in range(8)]}
    lad = ladder(big)
    with pytest.raises(TooManyRules):
        compiler(lad).rule_count(lad.transitions[0].criteria[0])
    small = {"all": [{"measure": "teams", "gte": i} for i in range(3)]}
    lad = ladder(small)
    assert compiler(lad).rule_count(lad.transitions[0].criteria[0]) < MAX_RULES


# -- the verdict stage ------------------------------------------------------------------------------------


def contract_verdict(rf: int, ru: int, sp: int, spu: int, needed: int) -> str:
    """docs/rules-language.md, "The verdict"."""
    if rf or spu < needed:
        return "not_ready"
    if ru or sp < needed:
        return "insufficient_evidence"
    return "ready"


@pytest.mark.parametrize("needed", [0, 1, 2])
def test_exactly_one_verdict_rule_matches_each_tally(needed):
    rules = verdict_rules(needed)
    for rf, ru, sp, extra in itertools.product(range(3), range(3), range(4), range(3)):
        tally = {"k": "t", "rf": rf, "ru": ru, "sp": sp, "spu": sp + extra}
        fired = [name for name, rule in rules.items() if matches(rule["all"][0]["m"], tally)]
        assert [verdict_of(name) for name in fired] == [contract_verdict(rf, ru, sp, sp + extra, needed)], tally


def test_evidence_rules_never_match_the_tally_and_verdict_rules_never_match_the_evidence():
    lad = ladder(*CONDITIONS[:3])
    c = compiler(lad)
    (chunk,), _ = c.chunks()
    rules = chunk.rules
    evidence = {"k": "e", c.keys["years"]: 3, "_size": 1}
    tally = {"k": "t", "rf": 0, "ru": 0, "sp": 0, "spu": 0}
    verdicts = set(verdict_rules(0))
    for name, rule in rules.items():
        condition = rule["all"][0]["m"]
        assert not (name in verdicts and matches(condition, evidence))
        assert not (name not in verdicts and matches(condition, tally))


# -- through the engine -------------------------------------------------------------------------------------


def packet(fact: dict) -> dict:
    """A packet whose measures encode to ``fact``."""
    out: dict[str, Any] = {"candidate": {"id": "x"}, "current_level": "a", "target_level": "b",
                           "as_of": "2026-11-01", "experience": {}, "scope": {}, "signals": {}}
    if "years" in fact:
        out["experience"]["product_years"] = fact["years"]
    if "teams" in fact:
        out["scope"]["teams"] = fact["teams"]
    if "amb" in fact:
        out["scope"]["ambiguity"] = AMBIGUITY[fact["amb"]]
    if "docs" in fact:
        out["signals"]["documents_impact"] = bool(fact["docs"])
    if "_size" in fact:
        out["organization"] = {"size": SIZES[fact["_size"]]}
    return out


@pytest.fixture(scope="module")
def engine() -> tuple[Evaluator, list[L.Condition]]:
    conditions = [CONDITIONS[i] for i in (0, 7, 11, 13, 14, 15, 19)]
    lad = ladder(*conditions)
    return Evaluator(lad), [c.condition for c in lad.transitions[0].criteria]


def _verdict(statuses: list[str]) -> str:
    return "not_ready" if "fail" in statuses else "insufficient_evidence" if "unknown" in statuses else "ready"


@pytest.mark.parametrize("years", VALUES["years"])
def test_the_engine_fires_one_status_per_criterion_the_kleene_one(engine, years):
    evaluator, conditions = engine
    for teams, amb, docs, size in itertools.product(VALUES["teams"], VALUES["amb"], VALUES["docs"], (None, 0, 2)):
        fact = {k: v for k, v in (("years", years), ("teams", teams), ("amb", amb), ("docs", docs),
                                  ("_size", size)) if v is not None}
        decision = evaluator.evaluate(packet(fact))  # raises EngineError unless one status per criterion
        expected = [kleene(c, fact) for c in conditions]
        assert [c.status for c in decision.criteria] == expected, fact
        assert decision.verdict == _verdict(expected)
