"""Compiling a transition's criteria into durable-rules rules (the rules stay data: dicts of JSON).

Each criterion becomes rules over one *evidence fact* (the transition's measures, flattened): the
pass, fail and unknown regions of its three-valued (Kleene) condition. Negation does not exist inside
a durable-rules condition, so the compiler writes each region out positively (``not a >= 6`` is
``a < 6``; "unknown" is "neither pass nor fail" expanded by De Morgan), in disjunctive normal form
with alternatives that exclude each other. Each alternative is its own flat rule, ``<i>.<p|f|u>.<j>``:
durable-rules activates a rule once per matching alternative of an ``$or`` and allows only 32
expressions per pattern, and flat exclusive rules avoid both. For any fact exactly one rule of each
criterion matches, so the engine fires exactly one status per criterion.

The verdict is a second stage: a *tally fact* (how many required criteria the engine failed or left
unknown, how many supporting ones passed) meets three verdict rules, exactly one of which matches.

The engine never sees a measure's name: each measure of a transition is given a short engine key
(``m0``, ``m1``…), so that no name a ladder author can write (``sid``, ``id``, ``k``, ``$s``, a dotted
name) can collide with the fields durable-rules or this compiler use, or with another key (the engine
knows a property only by a 32-bit hash of its name; the keys are chosen so that no two hashes meet).

durable-rules has fixed tables (see ``Capacity``): most notably, matching one fact may leave at most
64 alpha nodes pending, so a transition of more than about 60 criteria fails on every packet (error
303) if compiled into one ruleset. The compiler models the alpha network the engine builds and, only
when a transition needs it, splits its criteria into *chunks*, each one ruleset that stays inside
every table; each chunk sees only the measures its criteria read, and the last one also holds the
verdict rules.

Values reach the engine in one encoding: numbers rounded to 4 decimals (never exponent notation,
which durable-rules rejects), booleans as 1/0, ordered enums (rating, ambiguity, size, reach) as
their position, levels as ranks, other enums as words. An unknown measure is simply absent from
the fact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Iterator, Optional

from promoready.schemas.ladder import AllOf, AnyOf, Condition, Ladder, LadderFile, Leaf as Comparison, Not, Transition
from promoready.schemas.packet import ORDINALS

# Split by job into private modules; the names other modules use are re-exported from here. The
# capacity table is read through its module so that one assignment (a test's seam) reaches all its uses.
from . import _capacity
from ._capacity import CAPACITY, Network, _fits_alone
from ._fields import FieldKind, measure_kind
from ._keys import RESERVED_KEYS, SIZE_KEY, TALLY_KEYS, engine_hash, engine_keys
from ._levels import LevelIndex

SIZES = ORDINALS["size"]
STATUS_BY_SUFFIX = {"p": "pass", "f": "fail", "u": "unknown"}

_PASS_OP = {"gte": "$gte", "gt": "$gt", "lte": "$lte", "lt": "$lt"}
_FAIL_OP = {"gte": "$lt", "gt": "$lte", "lte": "$gt", "lt": "$gte"}


def encode_number(x: float | Fraction) -> float | int:
    """A number as the engine may see it: at most 4 decimals, so ``json`` never writes an exponent.

    An exact value (a ``Fraction``: calendar months) that is not on the 4-decimal grid is encoded as
    the midpoint of the grid step it falls in, so that it compares with every threshold (which has
    at most 4 decimals) exactly as the exact value does: 179/30 months is below 6, never equal to it.
    """
    if isinstance(x, bool):
        return int(x)
    if isinstance(x, int):
        return x
    if isinstance(x, Fraction):
        steps = x * 10000
        if steps.denominator == 1:
            return encode_number(float(x))
        return round((math.floor(steps) + 0.5) / 10000, 5)
    r = round(x, 4)
    return int(r) if r.is_integer() else r


#: A region in disjunctive normal form: alternatives (rules) of conjunctions of atoms (comparisons).
#: Every alternative of a region excludes every other, so a fact matches at most one of them.
DNF = tuple[tuple[dict, ...], ...]

TRUE: DNF = ((),)


#: Evidence rules one criterion may compile to: it stops the exponential growth of ``all``/``any``
#: products early, and keeps a criterion under the 511 successors one engine node holds
#: (NEXT_BUCKET_LENGTH, code 106), since its rules mostly start at the same node. A transition's
#: criteria together may need more: they are then split across rulesets (``Compiler.chunks``).
MAX_RULES = 500


class TooManyRules(Exception):
    """A condition the engine cannot hold: more than ``MAX_RULES`` alternatives, or beyond a ``Capacity``
    table even in a ruleset of its own. The message names the limit."""

    def __init__(self, message: str = f"compiles to more than {MAX_RULES} engine rules") -> None:
        super().__init__(message)
        self.message = message
        self.index: Optional[int] = None  # the criterion, when known


def _and(*parts: DNF) -> DNF:
    """The conjunction of regions: every combination of their alternatives."""
    out: DNF = TRUE
    for part in parts:
        if len(out) * len(part) > MAX_RULES:
            raise TooManyRules  # stop before building an exponential product
        out = tuple(x + y for x in out for y in part)
    return out


def _or(*parts: DNF) -> DNF:
    """The union of regions that exclude each other (the caller guarantees it)."""
    out = tuple(alt for part in parts for alt in part)
    if len(out) > MAX_RULES:
        raise TooManyRules
    return out


def _atom(condition: dict) -> DNF:
    return ((condition,),)


def _first(parts: list["Regions"], *, before, at, after) -> DNF:
    """An exclusive disjunction: for some k, ``before`` holds for parts < k, ``at`` for part k and
    ``after`` (if given) for parts > k. Alternatives differ in k, so at most one matches."""
    alternatives = []
    for k, part in enumerate(parts):
        terms = [before(r) for r in parts[:k]] + [at(part)]
        if after is not None:
            terms += [after(r) for r in parts[k + 1:]]
        alternatives.append(_and(*terms))
    return _or(*alternatives)


@dataclass(frozen=True)
class Leaf:
    """A comparison after compilation: the fact key, the operator and the engine-encoded operand.

    ``operand`` is a number/word, a list (for ``in``), or for an organisation-dependent threshold a
    tuple of one threshold per size (``by_size``). ``kind`` is the measure's value kind.
    """

    measure: str
    op: str
    operand: Any
    by_size: Optional[tuple[Any, ...]]
    kind: FieldKind
    source: Comparison


@dataclass(frozen=True)
class Node:
    """A compiled condition: ``all`` / ``any`` / ``not`` over children, or a ``leaf``."""

    form: str  # "leaf" | "all" | "any" | "not"
    children: tuple["Node", ...] = ()
    leaf: Optional[Leaf] = None


@dataclass(frozen=True)
class Regions:
    """The pass, fail and unknown regions of a condition, each in exclusive disjunctive normal form."""

    p: DNF
    f: DNF
    u: DNF


class Compiler:
    """Compiles the criteria of one transition of a ladder."""

    def __init__(self, ladder: Ladder | LadderFile, transition: Transition, index: LevelIndex) -> None:
        self.ladder = ladder
        self.transition = transition
        self.index = index
        self.relative = {"current": index.rung(transition.from_).rank, "target": index.rung(transition.to).rank}
        # Every measure the criteria read, in order of first use, with the key the engine knows it by.
        used = [n for c in transition.criteria for n in _names_in(c.condition)]
        self.keys = engine_keys(list(dict.fromkeys(used)))

    # -- values -------------------------------------------------------------------------------------

    def rank(self, ref: Any) -> int:
        """The rank of a level reference: ``director``, ``{level: director}``, ``target``…"""
        name = ref["level"] if isinstance(ref, dict) else ref
        if name in self.relative:
            return self.relative[name]
        return self.index.rung(name).rank

    def encode_operand(self, value: Any, kind: FieldKind) -> Any:
        """An operand from a rule file in the engine's encoding for a measure of ``kind``."""
        if kind.kind == "level":
            return self.rank(value)
        if kind.kind == "bool":
            return int(value)
        if kind.kind in ("enum", "word"):
            return kind.values.index(value) if kind.ordered else value
        return encode_number(value)

    # -- conditions ---------------------------------------------------------------------------------

    def node(self, c: Condition) -> Node:
        """A condition of the rule file as a compiled tree."""
        if isinstance(c, AllOf):
            return Node("all", tuple(self.node(x) for x in c.all))
        if isinstance(c, AnyOf):
            return Node("any", tuple(self.node(x) for x in c.any))
        if isinstance(c, Not):
            return Node("not", (self.node(c.not_),))
        kind = measure_kind(self.ladder.measures[c.measure], self.ladder)
        op = c.op
        raw = c.operand
        by_size = None
        if isinstance(raw, dict) and "by_org_size" in raw:
            by_size = tuple(self.encode_operand(raw["by_org_size"][s], kind) for s in SIZES)
            operand = None
        elif op == "in":
            # Two names can encode to one engine value (a word listed twice, two levels of one rank);
            # one pass rule per *value* keeps the alternatives exclusive.
            operand = list(dict.fromkeys(self.encode_operand(v, kind) for v in raw))
        else:
            operand = self.encode_operand(raw, kind)
        return Node("leaf", leaf=Leaf(c.measure, op, operand, by_size, kind, c))

    @staticmethod
    def _cmp(key: str, op: str, value: Any, *, passing: bool) -> DNF:
        if op in _PASS_OP:
            return _atom({(_PASS_OP if passing else _FAIL_OP)[op]: {key: value}})
        if op == "in":
            if passing:  # equal to one of the values: the values differ, so the alternatives exclude each other
                return tuple(({key: v},) for v in value)
            return (tuple({"$neq": {key: v}} for v in value),)
        equal = (op == "eq") == passing
        return _atom({key: value} if equal else {"$neq": {key: value}})

    def regions(self, node: Node) -> Regions:
        """The three regions of a compiled condition (Kleene logic, written without negation).

        Every disjunction is written so that its alternatives exclude each other ("the first part
        that fails is part k"), because durable-rules activates a rule once per matching alternative
        of an ``$or``; with exclusive alternatives, each criterion fires exactly one rule.
        """
        if node.leaf is not None:
            return self._leaf_regions(node.leaf)
        if node.form == "not":
            inner = self.regions(node.children[0])
            return Regions(inner.f, inner.p, inner.u)
        parts = [self.regions(ch) for ch in node.children]
        if node.form == "all":
            # pass: every part passes; fail: part k is the first that fails;
            # unknown: part k is the first unknown, the ones before pass and none after fails.
            p = _and(*(r.p for r in parts))
            f = _first(parts, before=lambda r: _or(r.p, r.u), at=lambda r: r.f, after=None)
            u = _first(parts, before=lambda r: r.p, at=lambda r: r.u, after=lambda r: _or(r.p, r.u))
        else:  # any: the mirror image
            p = _first(parts, before=lambda r: _or(r.f, r.u), at=lambda r: r.p, after=None)
            f = _and(*(r.f for r in parts))
            u = _first(parts, before=lambda r: r.f, at=lambda r: r.u, after=lambda r: _or(r.f, r.u))
        return Regions(p, f, u)

    def _leaf_regions(self, leaf: Leaf) -> Regions:
        key = self.keys[leaf.measure]
        absent = _atom({"$nex": {key: 1}})
        if leaf.by_size is None:
            return Regions(self._cmp(key, leaf.op, leaf.operand, passing=True),
                           self._cmp(key, leaf.op, leaf.operand, passing=False), absent)
        # One threshold per organisation size. With the size unknown: pass if every size's threshold
        # is met, fail if none is, unknown otherwise.
        each = [Regions(self._cmp(key, leaf.op, t, passing=True), self._cmp(key, leaf.op, t, passing=False), absent)
                for t in leaf.by_size]
        size_absent = _atom({"$nex": {SIZE_KEY: 1}})
        sized = [_atom({SIZE_KEY: i}) for i in range(len(SIZES))]
        p = _or(*(_and(sized[i], r.p) for i, r in enumerate(each)), _and(size_absent, *(r.p for r in each)))
        f = _or(*(_and(sized[i], r.f) for i, r in enumerate(each)), _and(size_absent, *(r.f for r in each)))
        if leaf.op in _PASS_OP:
            # Ordered thresholds: "holds for some size" is one comparison with the easiest threshold,
            # "fails for some size" one with the hardest (one alternative instead of nine).
            easiest, hardest = (min, max) if leaf.op in ("gte", "gt") else (max, min)
            some_pass = self._cmp(key, leaf.op, easiest(leaf.by_size), passing=True)
            some_fail = self._cmp(key, leaf.op, hardest(leaf.by_size), passing=False)
        else:
            some_pass = _first(each, before=lambda r: r.f, at=lambda r: r.p, after=None)
            some_fail = _first(each, before=lambda r: r.p, at=lambda r: r.f, after=None)
        u = _or(absent, _and(size_absent, some_pass, some_fail))
        return Regions(p, f, u)

    # -- rules --------------------------------------------------------------------------------------

    def criterion_rules(self, i: int, tree: Node) -> dict[str, dict]:
        """The evidence rules of criterion ``i``: ``<i>.<p|f|u>.<j>``, one per alternative of each region."""
        regions = self.regions(tree)
        return {f"{i}.{suffix}.{j}": _rule({"k": "e"}, *conjunction)
                for suffix, region in (("p", regions.p), ("f", regions.f), ("u", regions.u))
                for j, conjunction in enumerate(region)}

    def chunks(self) -> tuple[list["Chunk"], list[Node]]:
        """The rulesets of the transition, and the compiled tree of each criterion.

        One ruleset unless the criteria together exceed a ``Capacity`` table; then the criteria are
        split, in file order, into as few chunks as fit. The last chunk holds the verdict rules.
        Raises ``TooManyRules`` for a criterion that does not fit even alone.
        """
        trees = [self.node(c.condition) for c in self.transition.criteria]
        chunks: list[Chunk] = []
        rules: dict[str, dict] = {}
        criteria: list[int] = []
        keys: set[str] = set()
        network = Network()
        for i, tree in enumerate(trees):
            try:
                own = self.criterion_rules(i, tree)
            except TooManyRules as exc:
                exc.index = i
                raise
            own_keys = {self.keys[n] for n in _measures_of(tree)}
            capacity = _capacity.CAPACITY
            if criteria and (len(keys | own_keys) > capacity.keys or len(rules) + len(own) > capacity.rules
                             or network.add_all(own.values()) is not None):
                chunks.append(Chunk(rules, tuple(criteria), frozenset(keys)))
                network, rules, criteria, keys = Network(), {}, [], set()
            if not criteria:
                problem = _fits_alone(network, own, own_keys)
                if problem is not None:
                    too_many = TooManyRules(problem)
                    too_many.index = i
                    raise too_many
            rules.update(own)
            criteria.append(i)
            keys |= own_keys
        rules.update(verdict_rules(self.transition.supporting_needed))
        chunks.append(Chunk(rules, tuple(criteria), frozenset(keys)))
        return chunks, trees

    def rule_count(self, criterion) -> int:
        """How many evidence rules a criterion compiles to; raises ``TooManyRules`` (with the limit in
        its message) if it cannot be compiled, even in a ruleset of its own."""
        rules = self.criterion_rules(0, self.node(criterion.condition))
        problem = _fits_alone(Network(), rules, {self.keys[n] for n in _measures_of(self.node(criterion.condition))})
        if problem is not None:
            raise TooManyRules(problem)
        return len(rules)


@dataclass(frozen=True)
class Chunk:
    """One ruleset of a transition: the evidence rules of some of its criteria (the last chunk also
    holds the verdict rules), which criteria those are, and the engine keys their rules read."""

    rules: dict[str, dict]
    criteria: tuple[int, ...]
    keys: frozenset[str]


def _names_in(c: Condition) -> Iterator[str]:
    if isinstance(c, Comparison):
        yield c.measure
    for part in c.children:
        yield from _names_in(part)


def _measures_of(node: Node) -> Iterator[str]:
    if node.leaf is not None:
        yield node.leaf.measure
    for child in node.children:
        yield from _measures_of(child)


def _rule(*conditions: dict) -> dict:
    """A durable-rules rule matching one fact on all ``conditions`` (a flat ``$and``)."""
    return {"all": [{"m": conditions[0] if len(conditions) == 1 else {"$and": list(conditions)}}]}


def verdict_rules(needed: int) -> dict[str, dict]:
    """The verdict stage over the tally fact ``{k: t, rf, ru, sp, spu}``: exactly one rule matches.

    ``rf``/``ru``: required criteria failed/unknown; ``sp``: supporting passed; ``spu``: supporting
    passed or unknown (the quota is still reachable only through unknown evidence when sp < needed ≤ spu).
    """
    tally = {"k": "t"}
    return {
        "v.not_ready.0": _rule(tally, {"$gt": {"rf": 0}}),
        "v.not_ready.1": _rule(tally, {"rf": 0}, {"$lt": {"spu": needed}}),
        "v.insufficient_evidence.0": _rule(tally, {"rf": 0}, {"$gte": {"spu": needed}}, {"$gt": {"ru": 0}}),
        "v.insufficient_evidence.1": _rule(tally, {"rf": 0}, {"$gte": {"spu": needed}}, {"ru": 0}, {"$lt": {"sp": needed}}),
        "v.ready.0": _rule(tally, {"rf": 0}, {"ru": 0}, {"$gte": {"sp": needed}}),
    }


def criterion_index(rule_name: str) -> tuple[int, str]:
    """``"3.f.0"`` → ``(3, "fail")``: the criterion and the status a fired rule decided."""
    i, suffix, _ = rule_name.split(".")
    return int(i), STATUS_BY_SUFFIX[suffix]


def verdict_of(rule_name: str) -> str:
    """``"v.not_ready.1"`` → ``"not_ready"``."""
    return rule_name.split(".")[1]


def uses_org_size(tree: Node) -> bool:
    """Whether any comparison in the tree has an organisation-dependent threshold."""
    if tree.leaf is not None:
        return tree.leaf.by_size is not None
    return any(uses_org_size(ch) for ch in tree.children)


def encode_value(value: Any, kind: FieldKind) -> Any:
    """A measure's value in the engine's encoding (None stays None: the key is left out)."""
    if value is None:
        return None
    if kind.kind == "bool":
        return int(value)
    if kind.kind in ("enum", "word"):
        return kind.values.index(value) if kind.ordered else value
    return encode_number(value)
