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

A count whose ``where`` leaves items in doubt (lacking a field or a date it tests) is a range: a second
figure beside it holds its high end, and its comparisons are written over both ends (``_ranges``).

Values reach the engine in one encoding: numbers rounded to 4 decimals (never exponent notation,
which durable-rules rejects), booleans as 1/0, ordered enums (rating, ambiguity, size, reach) as
their position, levels as ranks, other enums as words. An unknown measure is simply absent from
the fact.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from functools import lru_cache
from typing import Any, Optional

from promoready.schemas.ladder import (
    CONTAINS_OPS,
    AllOf,
    AnyOf,
    AtLeast,
    Condition,
    Ladder,
    LadderFile,
    Leaf as Comparison,
    Not,
    Transition,
)
from promoready.schemas.packet import ORDINALS

# Split by job into private modules: the capacity model and the engine keys are re-exported from here
# (tests import them); the other parts are imported from the modules that define them. The capacity
# table is read through its module so that one assignment (a test's seam) reaches all its uses.
from . import _capacity, _ranges
from ._capacity import CAPACITY, Network, _fits_alone
from ._fields import FieldKind, measure_kind
# Walks of a compiled tree live with the figures it reads; the evaluator imports them from here.
from ._figures import (_comparisons_in, _derived_in, _names_in, count_figures, figures_of, keyed_leaves,
                       uses_org_size, whole_figure, whole_high_figure, word_figure, word_leaves)
from ._keyed import Keyed, _keyed_regions, keyed, resolve_static
from ._keys import RESERVED_KEYS, SIZE_KEY, TALLY_KEYS, engine_hash, engine_keys
from ._levels import LevelIndex, normalise, same_word
from ._ranges import discrete, upper, whole
from ._regions import (
    _PASS_OP,
    STATUS_BY_SUFFIX,
    Regions,
    TooManyRules,
    _and,
    _atom,
    _cmp,
    _combine,
    _first,
    _or,
    _rule,
)
from ._stages import _level, part_rules, stage_kind
from ._tally import verdict_rules

SIZES = ORDINALS["size"]


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
        # x × 10000 from the numerator and denominator, with integers: no second Fraction (its
        # multiplication and floor cost ~1.5 us; months measures give a Fraction every packet).
        scaled, den = x.numerator * 10000, x.denominator
        if scaled % den == 0:  # on the grid: x × 10000 is whole
            return encode_number(float(x))
        return round((scaled // den + 0.5) / 10000, 5)
    r = round(x, 4)
    return int(r) if r.is_integer() else r


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
    upper: Optional[str] = None  # the figure of the measure's high end, if it knows a range (_ranges)
    other_upper: Optional[str] = None  # the same of the measure compared with
    whole: Optional[str] = None  # eq/ne of a count and another measure: that measure, read as a count (_ranges.whole)
    discrete: bool = True  # a range of whole numbers only (a count), not any number between its ends


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
        uppers = [f for n in dict.fromkeys(used) if (f := upper(n, ladder.measures)) is not None]
        wholes = [f for c in transition.criteria for leaf in _comparisons_in(c.condition)
                  if isinstance(leaf.operand, dict) and set(leaf.operand) == {"measure"}
                  and (n := whole(leaf.op, leaf.measure, leaf.operand["measure"], ladder.measures)) is not None
                  for f in (whole_figure(n), whole_high_figure(n))]
        self.keys = engine_keys(list(dict.fromkeys(used + derived + uppers + wholes)))
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
            words = tuple(dict.fromkeys(same_word(w) for w in ([raw] if op == "contains" else raw)))
            return Node("leaf", leaf=Leaf(c.measure, op, None, None, kind, c, words=words))
        measures = self.ladder.measures
        high, counted = upper(c.measure, measures), discrete(c.measure, measures)
        if isinstance(raw, dict) and set(raw) == {"measure"}:
            other = raw["measure"]
            return Node("leaf", leaf=Leaf(c.measure, op, None, None, kind, c, other=other, upper=high,
                                          other_upper=upper(other, measures), discrete=counted,
                                          whole=whole(op, c.measure, other, measures)))
        if isinstance(raw, dict) and "by" in raw:
            return Node("leaf", leaf=Leaf(c.measure, op, None, None, kind, c, upper=high, discrete=counted,
                                          keyed=keyed(self.ladder, self.encode_operand, raw["by"], kind)))
        basis = ""
        if isinstance(raw, dict) and ("by_track" in raw or "by_level" in raw):
            raw, basis = resolve_static(self.transition, self.index, raw)
        if isinstance(raw, dict) and "by_org_size" in raw:
            by_size = tuple(self.encode_operand(raw["by_org_size"][s], kind) for s in SIZES)
            operand = None
        elif op == "in":
            # Two names can encode to one engine value (a word listed twice, two levels of one rank);
            # one pass rule per *value* keeps the alternatives exclusive.
            operand = list(dict.fromkeys(self.encode_operand(v, kind) for v in raw))
        else:
            operand = self.encode_operand(raw, kind)
        return Node("leaf", leaf=Leaf(c.measure, op, operand, by_size, kind, c, basis=basis, upper=high,
                                      discrete=counted))

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

    def _other_regions(self, leaf: Leaf) -> Regions:
        """Two measures compared: unknown if either is; both guarded by ``$ex`` (a property missing
        inside ``$m`` would match every comparison)."""
        a, b = self.keys[leaf.measure], self.keys[leaf.other or ""]
        both = ({"$ex": {a: 1}}, {"$ex": {b: 1}})
        ref = {"$m": b}
        return Regions(_and(((*both,),), _cmp(a, leaf.op, ref, passing=True)),
                       _and(((*both,),), _cmp(a, leaf.op, ref, passing=False)),
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

    def _leaf_regions(self, leaf: Leaf) -> Regions:
        if leaf.upper is not None or leaf.other_upper is not None:  # a count that knows a range
            return _ranges.leaf_regions(self.keys, leaf)
        if leaf.other is not None:
            return self._other_regions(leaf)
        if leaf.words:
            return self._word_regions(leaf)
        if leaf.keyed is not None:
            return _keyed_regions(self.keys, leaf)
        key = self.keys[leaf.measure]
        absent = _atom({"$nex": {key: 1}})
        if leaf.by_size is None:
            return Regions(_cmp(key, leaf.op, leaf.operand, passing=True),
                           _cmp(key, leaf.op, leaf.operand, passing=False), absent)
        # One threshold per organisation size. With the size unknown: pass if every size's threshold
        # is met, fail if none is, unknown otherwise.
        each = [Regions(_cmp(key, leaf.op, t, passing=True), _cmp(key, leaf.op, t, passing=False), absent)
                for t in leaf.by_size]
        size_absent = _atom({"$nex": {SIZE_KEY: 1}})
        sized = [_atom({SIZE_KEY: i}) for i in range(len(SIZES))]
        p = _or(*(_and(sized[i], r.p) for i, r in enumerate(each)), _and(size_absent, *(r.p for r in each)))
        f = _or(*(_and(sized[i], r.f) for i, r in enumerate(each)), _and(size_absent, *(r.f for r in each)))
        if leaf.op in _PASS_OP:
            # Ordered thresholds: "holds for some size" is one comparison with the easiest threshold,
            # "fails for some size" one with the hardest (one alternative instead of nine).
            easiest, hardest = (min, max) if leaf.op in ("gte", "gt") else (max, min)
            some_pass = _cmp(key, leaf.op, easiest(leaf.by_size), passing=True)
            some_fail = _cmp(key, leaf.op, hardest(leaf.by_size), passing=False)
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
        return {**part_rules(self.regions, tree), **self.criterion_rules(i, tree)}

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


@lru_cache(maxsize=1 << 16)  # as part_index
def criterion_index(rule_name: str) -> tuple[int, str]:
    """``"3.f.0"`` → ``(3, "fail")``: the criterion and the status a fired rule decided."""
    i, suffix, _ = rule_name.split(".")
    return int(i), STATUS_BY_SUFFIX[suffix]


def encode_words(value: Any) -> Optional[list[str]]:
    """A list of words as ``contains`` compares them: each normalised like a level name (case, and
    runs of spaces, ``_`` and ``-``, do not matter); None stays None (unknown)."""
    if value is None:
        return None
    return [same_word(str(w)) for w in value]


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
