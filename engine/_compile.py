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
unknown, how many supporting ones passed, per supporting group) meets the verdict rules, exactly one
of which matches.

``{at_least: N, of: [...]}`` is decided in stages rather than written out (its disjunctive form has a
term per N-subset of its parts): the engine first decides each part (rules ``a<i>_<n>_<q>.<p|f|u>.<j>``
over the evidence fact), the evaluator counts those firings, and the next *stage fact* (the evidence
again, with each node's count of parts passed, and passed or unknown) lets one comparison per region
decide the node: pass if passed ≥ N, fail if passed-or-unknown < N, unknown otherwise. A node nested
in another's part is decided a stage earlier. The rule count stays linear in the parts (3-of-8 is 8
parts' rules plus 3).

Comparing two measures uses the engine's own reference to another property of the fact
(``{"$lte": {"m0": {"$m": "m1"}}}``), guarded by ``$ex`` on both (a missing property inside ``$m``
matches every comparison). ``contains`` on a measure of a list of words reads one figure per word the
ladder names: how many items of the list are that word (normalised like level names), so the engine
compares it with 1; the list unknown leaves every such figure out.

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
from dataclasses import dataclass, replace
from fractions import Fraction
from functools import lru_cache
from typing import Any, Iterator, Optional

from promoready.schemas.ladder import (
    CONTAINS_OPS,
    AllOf,
    AnyOf,
    AtLeast,
    Condition,
    FieldMeasure,
    Ladder,
    LadderFile,
    Leaf as Comparison,
    Not,
    Transition,
)
from promoready.schemas.packet import ORDINALS

# Split by job into private modules; the names other modules use are re-exported from here. The
# capacity table is read through its module so that one assignment (a test's seam) reaches all its uses.
from . import _capacity
from ._capacity import CAPACITY, Network, _fits_alone
from ._fields import FieldKind, measure_kind
from ._keys import RESERVED_KEYS, SIZE_KEY, TALLY_KEYS, engine_hash, engine_keys, group_keys
from ._levels import LevelIndex, normalise

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


#: Names of the figures the compiler derives besides the ladder's measures (a word of a list, a
#: threshold's key field, an ``at_least`` node's counts). A measure name is ``[a-z][a-z0-9_]*``, so
#: none of these, which start with a NUL, can be one.
_DERIVED = "\0"


def word_figure(measure: str, word: str) -> str:
    """The derived figure "how many items of list measure ``measure`` are ``word``"."""
    return f"{_DERIVED}has{_DERIVED}{measure}{_DERIVED}{word}"


def key_figure(path: str) -> str:
    """The derived figure holding the value of the packet field a ``by:`` threshold is keyed by."""
    return f"{_DERIVED}by{_DERIVED}{path}"


def count_figures(slot: str) -> tuple[str, str]:
    """The derived figures of an ``at_least`` node: its parts passed, and passed or unknown."""
    return f"{_DERIVED}p{_DERIVED}{slot}", f"{_DERIVED}pu{_DERIVED}{slot}"


def is_derived(name: str) -> bool:
    """Whether a figure name is one the compiler derived (not a measure of the ladder)."""
    return name.startswith(_DERIVED)


@dataclass(frozen=True)
class Keyed:
    """A threshold keyed by a packet field (``{by: {field, values, default}}``): one threshold per
    listed value (engine-encoded), a default for the others, and every threshold that can apply
    when the key is unknown (``cases``)."""

    path: str
    figure: str  # the derived figure holding the key field's value
    kind: FieldKind  # the key field's kind
    values: tuple[tuple[Any, Any], ...]  # (encoded key value, encoded threshold)
    default: Any  # encoded threshold for a value not listed, or None
    cases: tuple[Any, ...]  # the thresholds that may apply when the key is unknown


def _combine(form: str, parts: list["Regions"]) -> "Regions":
    """The regions of ``all`` / ``any`` over parts' regions, every disjunction exclusive."""
    if form == "all":
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


@dataclass(frozen=True)
class Leaf:
    """A comparison after compilation: the fact key, the operator and the engine-encoded operand.

    ``operand`` is a number/word, a list (for ``in``), or for an organisation-dependent threshold a
    tuple of one threshold per size (``by_size``). ``kind`` is the measure's value kind. ``other``
    names the measure compared with (``{measure: b}``); ``words`` are the normalised words of a
    ``contains`` operator; ``keyed`` is a threshold keyed by a packet field; ``basis`` says which
    track or level a ``by_track``/``by_level`` threshold was resolved for ("management track").
    """

    measure: str
    op: str
    operand: Any
    by_size: Optional[tuple[Any, ...]]
    kind: FieldKind
    source: Comparison
    other: Optional[str] = None
    words: tuple[str, ...] = ()
    keyed: Optional[Keyed] = None
    basis: str = ""


@dataclass(frozen=True)
class Node:
    """A compiled condition: ``all`` / ``any`` / ``not`` / ``at_least`` over children, or a ``leaf``.

    An ``at_least`` node has its quota (``need``), its place (``slot``: ``<criterion>_<n>``, numbered
    in pre-order) and its stage (``level``: 1 + the deepest ``at_least`` level in its parts).
    """

    form: str  # "leaf" | "all" | "any" | "not" | "at_least"
    children: tuple["Node", ...] = ()
    leaf: Optional[Leaf] = None
    need: int = 0
    slot: str = ""
    level: int = 0
    title: Optional[str] = None  # the condition's own `title:`, naming it as a part


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
        # Every measure the criteria read, in order of first use, with the key the engine knows it by;
        # after them, the figures derived for words, keyed thresholds and at_least counts.
        used = [n for c in transition.criteria for n in _names_in(c.condition)]
        derived = [n for i, c in enumerate(transition.criteria) for n in _derived_in(c.condition, i, [0])]
        self.keys = engine_keys(list(dict.fromkeys(used + derived)))
        self._slots = [0]  # the pre-order number of the next at_least node of the criterion compiled
        self._criterion = 0

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

    def tree(self, i: int, c: Condition) -> Node:
        """Criterion ``i``'s condition as a compiled tree (its at_least nodes numbered for ``i``)."""
        self._criterion, self._slots = i, [0]
        return self.node(c)

    def node(self, c: Condition) -> Node:
        """A condition of the rule file as a compiled tree."""
        made = self._node(c)
        return replace(made, title=c.title) if c.title is not None else made

    def _node(self, c: Condition) -> Node:
        if isinstance(c, AllOf):
            return Node("all", tuple(self.node(x) for x in c.all))
        if isinstance(c, AnyOf):
            return Node("any", tuple(self.node(x) for x in c.any))
        if isinstance(c, Not):
            return Node("not", (self.node(c.not_),))
        if isinstance(c, AtLeast):
            slot = f"{self._criterion}_{self._slots[0]}"
            self._slots[0] += 1
            parts = tuple(self.node(x) for x in c.of)
            return Node("at_least", parts, need=c.at_least, slot=slot, level=1 + max(_level(p) for p in parts))
        kind = measure_kind(self.ladder.measures[c.measure], self.ladder)
        op = c.op
        raw = c.operand
        by_size = None
        if op in CONTAINS_OPS:
            words = tuple(dict.fromkeys(normalise(w) for w in ([raw] if op == "contains" else raw)))
            return Node("leaf", leaf=Leaf(c.measure, op, None, None, kind, c, words=words))
        if isinstance(raw, dict) and set(raw) == {"measure"}:
            return Node("leaf", leaf=Leaf(c.measure, op, None, None, kind, c, other=raw["measure"]))
        if isinstance(raw, dict) and "by" in raw:
            return Node("leaf", leaf=Leaf(c.measure, op, None, None, kind, c, keyed=self.keyed(raw["by"], kind)))
        basis = ""
        if isinstance(raw, dict) and ("by_track" in raw or "by_level" in raw):
            raw, basis = self.resolve_static(raw)
        if isinstance(raw, dict) and "by_org_size" in raw:
            by_size = tuple(self.encode_operand(raw["by_org_size"][s], kind) for s in SIZES)
            operand = None
        elif op == "in":
            # Two names can encode to one engine value (a word listed twice, two levels of one rank);
            # one pass rule per *value* keeps the alternatives exclusive.
            operand = list(dict.fromkeys(self.encode_operand(v, kind) for v in raw))
        else:
            operand = self.encode_operand(raw, kind)
        return Node("leaf", leaf=Leaf(c.measure, op, operand, by_size, kind, c, basis=basis))

    def resolve_static(self, raw: dict) -> tuple[Any, str]:
        """A ``by_track`` / ``by_level`` threshold resolved for this transition: its track is the
        packet's (a packet on another track is refused), its from-level the packet's current level.
        Returns the threshold as written and words for which case it is."""
        key: str
        if "by_track" in raw:
            table, key, words = raw["by_track"], self.transition.track, f"{self.transition.track} track"
        else:
            table, words = raw["by_level"], f"at {self.transition.from_}"
            key = next((k for k in table if k != "default" and (rung := self.index.resolve(k, levels_only=True))
                        is not None and rung.id == self.transition.from_), "default")
        return (table[key] if key in table else table["default"]), words

    def keyed(self, spec: dict, kind: FieldKind) -> Keyed:
        """A threshold keyed by a packet field, engine-encoded."""
        path = spec["field"]
        key_kind = measure_kind(FieldMeasure(field=path), self.ladder)
        # Two names of one engine value (two levels of one rank): the first listed decides, as written.
        encoded: dict[Any, Any] = {}
        for v, t in spec["values"].items():
            encoded.setdefault(self.encode_operand(v, key_kind), self.encode_operand(t, kind))
        values = tuple(encoded.items())
        default = self.encode_operand(spec["default"], kind) if spec.get("default") is not None else None
        covered = key_kind.kind == "enum" and set(spec["values"]) >= set(key_kind.values)
        cases = tuple(dict.fromkeys([t for _, t in values] + ([] if default is None or covered else [default])))
        return Keyed(path, key_figure(path), key_kind, values, default, cases)

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
        if node.form == "at_least":
            # Decided from the counts of its parts the engine decided a stage earlier (see the module).
            passed, reachable = (self.keys[f] for f in count_figures(node.slot))
            need = node.need
            return Regions(_atom({"$gte": {passed: need}}), _atom({"$lt": {reachable: need}}),
                           ((({"$lt": {passed: need}}), {"$gte": {reachable: need}}),))
        return _combine(node.form, [self.regions(ch) for ch in node.children])

    def part_rules(self, i: int, tree: Node) -> dict[str, dict]:
        """The rules deciding each part of every ``at_least`` node of criterion ``i``:
        ``a<slot>_<q>.<p|f|u>.<j>``, over the fact of the stage before the node's."""
        out: dict[str, dict] = {}
        for node in _at_least_nodes(tree):
            kind = stage_kind(node.level - 1)
            for q, part in enumerate(node.children):
                regions = self.regions(part)
                out.update({f"a{node.slot}_{q}.{suffix}.{j}": _rule({"k": kind}, *conjunction)
                            for suffix, region in (("p", regions.p), ("f", regions.f), ("u", regions.u))
                            for j, conjunction in enumerate(region)})
        return out

    def _other_regions(self, leaf: Leaf) -> Regions:
        """Two measures compared: unknown if either is; both guarded by ``$ex`` (a property missing
        inside ``$m`` would match every comparison)."""
        a, b = self.keys[leaf.measure], self.keys[leaf.other or ""]
        both = ({"$ex": {a: 1}}, {"$ex": {b: 1}})
        ref = {"$m": b}
        return Regions(_and(((*both,),), self._cmp(a, leaf.op, ref, passing=True)),
                       _and(((*both,),), self._cmp(a, leaf.op, ref, passing=False)),
                       (({"$nex": {a: 1}},), ({"$ex": {a: 1}}, {"$nex": {b: 1}})))

    def _word_regions(self, leaf: Leaf) -> Regions:
        """``contains``: every word (contains, contains_all) or any word (contains_any) is in the list."""
        parts = []
        for word in leaf.words:
            key = self.keys[word_figure(leaf.measure, word)]
            parts.append(Regions(_atom({"$gte": {key: 1}}), _atom({"$lt": {key: 1}}), _atom({"$nex": {key: 1}})))
        if len(parts) == 1:
            return parts[0]
        return _combine("any" if leaf.op == "contains_any" else "all", parts)

    def _keyed_regions(self, leaf: Leaf) -> Regions:
        """A threshold keyed by a packet field: the listed value's threshold, else the default; with the
        key unknown, pass if every case passes, fail if none does, unknown otherwise."""
        keyed = leaf.keyed
        assert keyed is not None
        key = self.keys[leaf.measure]
        field = self.keys[keyed.figure]
        absent = _atom({"$nex": {key: 1}})

        def each(t: Any) -> Regions:
            return Regions(self._cmp(key, leaf.op, t, passing=True), self._cmp(key, leaf.op, t, passing=False), absent)

        listed = [(_atom({field: v}), each(t)) for v, t in keyed.values]
        if keyed.default is not None:
            other = (tuple({"$neq": {field: v}} for v, _ in keyed.values) + ({"$ex": {field: 1}},),)
            listed.append((other, each(keyed.default)))
        cases = [each(t) for t in keyed.cases]
        key_absent = _atom({"$nex": {field: 1}})
        p = _or(*(_and(when, r.p) for when, r in listed), _and(key_absent, *(r.p for r in cases)))
        f = _or(*(_and(when, r.f) for when, r in listed), _and(key_absent, *(r.f for r in cases)))
        some_pass = _first(cases, before=lambda r: r.f, at=lambda r: r.p, after=None)
        some_fail = _first(cases, before=lambda r: r.p, at=lambda r: r.f, after=None)
        u = _or(absent, _and(key_absent, some_pass, some_fail))
        return Regions(p, f, u)

    def _leaf_regions(self, leaf: Leaf) -> Regions:
        if leaf.other is not None:
            return self._other_regions(leaf)
        if leaf.words:
            return self._word_regions(leaf)
        if leaf.keyed is not None:
            return self._keyed_regions(leaf)
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
        kind = stage_kind(_level(tree))
        return {f"{i}.{suffix}.{j}": _rule({"k": kind}, *conjunction)
                for suffix, region in (("p", regions.p), ("f", regions.f), ("u", regions.u))
                for j, conjunction in enumerate(region)}

    def own_rules(self, i: int, tree: Node) -> dict[str, dict]:
        """Every rule criterion ``i`` needs: its own, and those deciding the parts of its at_least nodes."""
        return {**self.part_rules(i, tree), **self.criterion_rules(i, tree)}

    def own_keys(self, tree: Node) -> set[str]:
        """The engine keys the rules of a criterion read: its measures and derived figures."""
        return {self.keys[n] for n in figures_of(tree)}

    def chunks(self) -> tuple[list["Chunk"], list[Node]]:
        """The rulesets of the transition, and the compiled tree of each criterion.

        One ruleset unless the criteria together exceed a ``Capacity`` table; then the criteria are
        split, in file order, into as few chunks as fit. The last chunk holds the verdict rules.
        Raises ``TooManyRules`` for a criterion that does not fit even alone.
        """
        trees = [self.tree(i, c.condition) for i, c in enumerate(self.transition.criteria)]
        chunks: list[Chunk] = []
        rules: dict[str, dict] = {}
        criteria: list[int] = []
        keys: set[str] = set()
        network = Network()
        for i, tree in enumerate(trees):
            try:
                own = self.own_rules(i, tree)
            except TooManyRules as exc:
                exc.index = i
                raise
            own_keys = self.own_keys(tree)
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
        groups = self.transition.supporting_groups
        rules.update(verdict_rules(self.transition.supporting_needed, tuple(g.needed for g in groups.values())))
        chunks.append(Chunk(rules, tuple(criteria), frozenset(keys)))
        return chunks, trees

    def rule_count(self, criterion) -> int:
        """How many evidence rules a criterion compiles to; raises ``TooManyRules`` (with the limit in
        its message) if it cannot be compiled, even in a ruleset of its own."""
        i = self.transition.criteria.index(criterion) if criterion in self.transition.criteria else 0
        tree = self.tree(i, criterion.condition)
        rules = self.own_rules(i, tree)
        problem = _fits_alone(Network(), rules, self.own_keys(tree))
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
        if isinstance(c.operand, dict) and set(c.operand) == {"measure"}:
            yield c.operand["measure"]
    for part in c.children:
        yield from _names_in(part)


def _measures_of(node: Node) -> Iterator[str]:
    if node.leaf is not None:
        yield node.leaf.measure
        if node.leaf.other is not None:
            yield node.leaf.other
    for child in node.children:
        yield from _measures_of(child)


def figures_of(node: Node) -> Iterator[str]:
    """Every figure the rules of a compiled tree read: measures (a list of words only through its
    words), keys of keyed thresholds, and at_least counts."""
    if node.leaf is not None:
        leaf = node.leaf
        if leaf.words:
            yield from (word_figure(leaf.measure, w) for w in leaf.words)
        else:
            yield leaf.measure
        if leaf.other is not None:
            yield leaf.other
        if leaf.keyed is not None:
            yield leaf.keyed.figure
    if node.form == "at_least":
        yield from count_figures(node.slot)
    for child in node.children:
        yield from figures_of(child)


def _derived_in(c: Condition, i: int, slots: list[int]) -> Iterator[str]:
    """The derived figures of criterion ``i``'s condition, at_least nodes numbered in pre-order as
    ``Compiler.node`` numbers them."""
    if isinstance(c, AtLeast):
        yield from count_figures(f"{i}_{slots[0]}")
        slots[0] += 1
    if isinstance(c, Comparison):
        raw = c.operand
        if c.op in CONTAINS_OPS:
            yield from (word_figure(c.measure, normalise(w)) for w in ([raw] if c.op == "contains" else raw))
        elif isinstance(raw, dict) and isinstance(raw.get("by"), dict):
            yield key_figure(raw["by"]["field"])
    for part in c.children:
        yield from _derived_in(part, i, slots)


def _level(node: Node) -> int:
    """The stage that decides a tree: the deepest at_least level in it (0: none, the evidence fact)."""
    return max([node.level] + [_level(ch) for ch in node.children])


def _at_least_nodes(node: Node) -> Iterator[Node]:
    if node.form == "at_least":
        yield node
    for child in node.children:
        yield from _at_least_nodes(child)


def at_least_nodes(node: Node) -> list[Node]:
    """The at_least nodes of a compiled tree, in pre-order."""
    return list(_at_least_nodes(node))


def stage_of(node: Node) -> int:
    """The stage whose fact decides a criterion's tree (0: the evidence fact)."""
    return _level(node)


def stage_kind(stage: int) -> str:
    """The fact kind (``k``) of a stage: ``e`` for the evidence fact, ``e1``, ``e2``… after it."""
    return "e" if stage == 0 else f"e{stage}"


@lru_cache(maxsize=1 << 16)  # a ladder's rule names are few; every packet reads a dozen of them twice
def part_index(rule_name: str) -> Optional[tuple[str, int, str]]:
    """``"a3_0_2.p.1"`` → ``("3_0", 2, "pass")``: the at_least node, its part and the status decided;
    None for any other rule."""
    if not rule_name.startswith("a"):
        return None
    head, suffix, _ = rule_name.split(".")
    slot, _, q = head[1:].rpartition("_")
    return slot, int(q), STATUS_BY_SUFFIX[suffix]


def _refers(atom: dict) -> bool:
    """Whether a test compares with another property of the fact (``{"$lt": {"m0": {"$m": "m1"}}}``)."""
    ((_, inner),) = atom.items()
    return isinstance(inner, dict) and any(isinstance(v, dict) and "$m" in v for v in inner.values())


def _rule(*conditions: dict) -> dict:
    """A durable-rules rule matching one fact on all ``conditions`` (a flat ``$and``). Tests against
    another property go last: the engine never shares their nodes, so nothing may hang below them
    (see ``_capacity.Network.add``)."""
    conditions = tuple(sorted(conditions, key=_refers))
    return {"all": [{"m": conditions[0] if len(conditions) == 1 else {"$and": list(conditions)}}]}


def verdict_rules(needed: int, groups: tuple[int, ...] = ()) -> dict[str, dict]:
    """The verdict stage over the tally fact ``{k: t, rf, ru, sp, spu}``: exactly one rule matches.

    ``rf``/``ru``: required criteria failed/unknown; ``sp``: supporting passed; ``spu``: supporting
    passed or unknown (the quota is still reachable only through unknown evidence when sp < needed ≤ spu).
    ``sp``/``spu`` count the supporting criteria of no named group; ``groups`` gives each named
    group's quota, counted the same way under ``group_keys``.
    """
    tally = {"k": "t"}
    if groups:
        return _group_verdict_rules(needed, groups)
    return {
        "v.not_ready.0": _rule(tally, {"$gt": {"rf": 0}}),
        "v.not_ready.1": _rule(tally, {"rf": 0}, {"$lt": {"spu": needed}}),
        "v.insufficient_evidence.0": _rule(tally, {"rf": 0}, {"$gte": {"spu": needed}}, {"$gt": {"ru": 0}}),
        "v.insufficient_evidence.1": _rule(tally, {"rf": 0}, {"$gte": {"spu": needed}}, {"ru": 0}, {"$lt": {"sp": needed}}),
        "v.ready.0": _rule(tally, {"rf": 0}, {"ru": 0}, {"$gte": {"sp": needed}}),
    }


def _group_verdict_rules(needed: int, groups: tuple[int, ...]) -> dict[str, dict]:
    """The verdict rules with named groups: each quota (the unnamed one first) is checked in turn,
    and each rule names the first quota that decides it, so that exactly one rule matches."""
    tally = {"k": "t"}
    quotas = [("sp", "spu", needed)] + [(p, pu, n) for (p, pu), n in zip(group_keys(len(groups)), groups)]
    reachable = [{"$gte": {pu: n}} for _, pu, n in quotas]
    met = [{"$gte": {p: n}} for p, _, n in quotas]
    rules = {"v.not_ready.0": _rule(tally, {"$gt": {"rf": 0}})}
    for q, (_, pu, n) in enumerate(quotas):
        rules[f"v.not_ready.{q + 1}"] = _rule(tally, {"rf": 0}, *reachable[:q], {"$lt": {pu: n}})
    rules["v.insufficient_evidence.0"] = _rule(tally, {"rf": 0}, *reachable, {"$gt": {"ru": 0}})
    for q, (p, _, n) in enumerate(quotas):
        rules[f"v.insufficient_evidence.{q + 1}"] = _rule(tally, {"rf": 0}, *reachable, {"ru": 0}, *met[:q],
                                                          {"$lt": {p: n}})
    rules["v.ready.0"] = _rule(tally, {"rf": 0}, {"ru": 0}, *met)
    return rules


@lru_cache(maxsize=1 << 16)  # as part_index
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


def _leaves(node: Node) -> Iterator[Leaf]:
    if node.leaf is not None:
        yield node.leaf
    for child in node.children:
        yield from _leaves(child)


def word_leaves(node: Node) -> list[Leaf]:
    """The ``contains`` comparisons of a compiled tree."""
    return [leaf for leaf in _leaves(node) if leaf.words]


def keyed_leaves(node: Node) -> list[Leaf]:
    """The comparisons of a compiled tree with a threshold keyed by a packet field (``by:``)."""
    return [leaf for leaf in _leaves(node) if leaf.keyed is not None]


def encode_words(value: Any) -> Optional[list[str]]:
    """A list of words as ``contains`` compares them: each normalised like a level name (case, and
    runs of spaces, ``_`` and ``-``, do not matter); None stays None (unknown)."""
    if value is None:
        return None
    return [normalise(str(w)) for w in value]


def encode_value(value: Any, kind: FieldKind) -> Any:
    """A measure's value in the engine's encoding (None stays None: the key is left out). A list of
    words is not a value the engine reads (``encode_words`` gives its figures): it is kept as a tuple."""
    if value is None:
        return None
    if type(value) is int and kind.kind == "number":  # the common case: a count, as it is
        return value
    if isinstance(value, (list, tuple)):
        return tuple(encode_words(value) or ())
    if kind.kind == "bool":
        return int(value)
    if kind.kind in ("enum", "word"):
        return kind.values.index(value) if kind.ordered else value
    return encode_number(value)
