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

import bisect
from dataclasses import dataclass
from typing import Any, Iterator, Optional

from promoready.schemas.ladder import AllOf, AnyOf, Condition, Ladder, LadderFile, Leaf as Comparison, Not, Transition
from promoready.schemas.packet import ORDINALS

from ._durable import RELEASE_KEY
from ._fields import FieldKind, measure_kind
from ._levels import LevelIndex

SIZE_KEY = "_size"  # organisation size (its position in ORDINALS["size"]); measures have keys m0, m1…
SIZES = ORDINALS["size"]
STATUS_BY_SUFFIX = {"p": "pass", "f": "fail", "u": "unknown"}

_PASS_OP = {"gte": "$gte", "gt": "$gt", "lte": "$lte", "lt": "$lt"}
_FAIL_OP = {"gte": "$lt", "gt": "$lte", "lte": "$gt", "lt": "$gte"}


def encode_number(x: float) -> float | int:
    """A number as the engine may see it: at most 4 decimals, so ``json`` never writes an exponent."""
    if isinstance(x, bool):
        return int(x)
    if isinstance(x, int):
        return x
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


def engine_hash(name: str) -> int:
    """The 32-bit FNV-1a hash by which durable-rules identifies a property name (``fnv1Hash32``).

    The C code xors each *signed* char, so bytes above 127 are sign-extended first.
    """
    h = 2166136261
    for b in name.encode("utf-8"):
        h ^= b if b < 128 else (b - 256) & 0xFFFFFFFF
        h = (h * 16777619) & 0xFFFFFFFF
    return h


TALLY_KEYS = ("rf", "ru", "sp", "spu")
#: Property names with a meaning of their own: durable-rules' ``sid``, ``id`` and ``$s`` (its state
#: fact), the fact kind ``k``, the organisation size, the release fact's key and the tally counts.
RESERVED_KEYS = ("sid", "id", "$s", "k", SIZE_KEY, RELEASE_KEY, *TALLY_KEYS)


def engine_keys(names: list[str], reserved: tuple[str, ...] = RESERVED_KEYS) -> dict[str, str]:
    """An engine key for each measure name: ``m0``, ``m1``… skipping any whose hash meets a reserved
    name's or an earlier key's (so the engine can never confuse two properties)."""
    taken = {engine_hash(r) for r in reserved}
    keys: dict[str, str] = {}
    n = 0
    for name in names:
        while True:
            key, n = f"m{n}", n + 1
            if engine_hash(key) not in taken:
                break
        taken.add(engine_hash(key))
        keys[name] = key
    return keys


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
        if kind.kind == "enum":
            return kind.values.index(value) if kind.values in ORDINALS.values() else value
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
        kind = measure_kind(self.ladder.measures[c.measure])
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
            if criteria and (len(keys | own_keys) > CAPACITY.keys or len(rules) + len(own) > CAPACITY.rules
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


def _fits_alone(network: "Network", rules: dict[str, dict], keys: set[str]) -> Optional[str]:
    if len(keys) > CAPACITY.keys:
        return (f"reads {len(keys)} measures; one engine fact holds at most {CAPACITY.keys} "
                "(MAX_OBJECT_PROPERTIES)")
    if len(rules) > CAPACITY.rules:
        return f"compiles to {len(rules)} engine rules; one ruleset holds at most {CAPACITY.rules} (MAX_ACTIONS)"
    return network.add_all(rules.values())


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


# -- what one ruleset can hold ----------------------------------------------------------------------


@dataclass(frozen=True)
class Capacity:
    """The fixed tables of durable-rules 2.0.28 (from its C source) that one ruleset must stay inside;
    each is named by its constant there, and the engine's error code past it is given."""

    #: events.c MAX_STACK_SIZE: alpha nodes pending while one fact is matched (code 303).
    stack: int = 64
    #: rete.c NEXT_BUCKET_LENGTH (512): the children of one node that test a value. The table is
    #: probed until an empty slot, so a full one would loop forever: stay well below (code 106).
    values: int = 500
    #: NEXT_LIST_LENGTH (128): the children of one node that test absence; the list needs a final 0 (107).
    absences: int = 127
    #: BETA_LIST_LENGTH (256): rules whose tests end on one node; the list needs a final 0 (code 108).
    endings: int = 255
    #: state.h MAX_OBJECT_PROPERTIES (255): one fact holds at most 254 properties, of which sid, id
    #: (added by the engine), k and the organisation size are four (code 302).
    keys: int = 250
    #: rete.c MAX_ACTIONS (4096): rules of one ruleset, with room for the verdict and release rules.
    rules: int = 4080


CAPACITY = Capacity()

_OTHER = object()  # a value equal to no operand


def _test(atom: dict) -> tuple[str, str, Any]:
    """``{"$gte": {"m0": 3}}`` → ``("$gte", "m0", 3)``; ``{"m0": 3}`` → ``("$eq", "m0", 3)``."""
    ((key, inner),) = atom.items()
    if key.startswith("$"):
        ((prop, value),) = inner.items()
        return key, prop, value
    return "$eq", key, inner


def _most_at_once(tests: list[tuple[str, Any]]) -> int:
    """The most of these tests (on one property) that one fact can pass together.

    An absent property passes only the ``$nex`` tests; a present one only value tests. Numbers are
    swept over every threshold and the gaps between them; words over every word and one that no test
    names. A property whose operands mix numbers and words is counted as passing all of them.
    """
    absent = sum(op == "$nex" for op, _ in tests)
    present = [(op, v) for op, v in tests if op != "$nex"]
    if not present:
        return absent
    numbers = [v for _, v in present if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if len(numbers) == len(present):
        return max(absent, _most_numbers(present))
    if not numbers and all(op in ("$eq", "$neq") for op, _ in present):
        eq: dict[Any, int] = {}
        neq: dict[Any, int] = {}
        for op, v in present:
            (eq if op == "$eq" else neq)[v] = (eq if op == "$eq" else neq).get(v, 0) + 1
        total_neq = sum(neq.values())
        best = max([total_neq] + [eq.get(w, 0) + total_neq - neq.get(w, 0) for w in set(eq) | set(neq)])
        return max(absent, best)
    return max(absent, len(present))


def _most_numbers(tests: list[tuple[str, Any]]) -> int:
    by_op: dict[str, list] = {op: [] for op in ("$eq", "$neq", "$lt", "$lte", "$gt", "$gte")}
    for op, v in tests:
        by_op[op].append(v)
    for values in by_op.values():
        values.sort()
    eq, neq, lt, lte, gt, gte = (by_op[o] for o in ("$eq", "$neq", "$lt", "$lte", "$gt", "$gte"))

    def passing(x: float) -> int:
        same = bisect.bisect_right(eq, x) - bisect.bisect_left(eq, x)
        not_same = len(neq) - (bisect.bisect_right(neq, x) - bisect.bisect_left(neq, x))
        return (same + not_same
                + len(lt) - bisect.bisect_right(lt, x)  # x < v
                + len(lte) - bisect.bisect_left(lte, x)  # x <= v
                + bisect.bisect_left(gt, x)  # v < x
                + bisect.bisect_right(gte, x))  # v <= x

    points = sorted({v for _, v in tests})
    candidates = points + [points[0] - 1, points[-1] + 1] + [(a + b) / 2 for a, b in zip(points, points[1:])]
    return max(passing(x) for x in candidates)


class _Alpha:
    """A node of the alpha network: a test, and the tests that may follow it."""

    __slots__ = ("children", "tests", "most", "values", "absences", "endings", "bound")

    def __init__(self) -> None:
        self.children: dict[tuple, _Alpha] = {}
        self.tests: dict[str, list[tuple[str, Any]]] = {}  # property → (operator, operand) of the children
        self.most: dict[str, int] = {}  # property → the most of those children one fact can pass
        self.values = 0
        self.absences = 0
        self.endings = 0
        self.bound: Optional[int] = 0  # the stack bound of the subtree (None: to be computed again)


class Network:
    """The alpha network durable-rules builds for a ruleset (rete.c ``findAlpha``/``linkAlpha``).

    Each rule is a chain of tests from the root; a test equal to one already under the same parent
    (property, operator and operand) is shared, so rules that begin alike share their first nodes.
    Matching a fact (events.c ``handleAlpha``) pops a node and pushes every child the fact passes, on
    a stack of 64. ``bound`` is an upper bound of that stack's height: for a node whose children one
    fact can pass at most ``m`` of at once, ``m - 1 + max(1, the children's bounds)``.
    """

    def __init__(self) -> None:
        self.root = _Alpha()

    def add_all(self, rules) -> Optional[str]:
        """Add the rules; the first table they overflow, in words, or None if they fit.

        A network that overflowed is not used again (the caller starts a new one).
        """
        for rule in rules:
            problem = self.add(rule)
            if problem is not None:
                return problem
        if self.bound() > CAPACITY.stack:
            return (f"may leave more than {CAPACITY.stack} tests pending while one fact is matched "
                    "(MAX_STACK_SIZE, engine code 303)")
        return None

    def add(self, rule: dict) -> Optional[str]:
        """Add one rule (as ``_rule`` writes it); the first table it overflows, or None. The stack
        bound is checked by ``add_all``."""
        (pattern,) = rule["all"]
        condition = pattern["m"]
        atoms = condition["$and"] if "$and" in condition else [condition]
        node = self.root
        path = [node]
        for atom in atoms:
            op, prop, value = _test(atom)
            key = (prop, op, type(value).__name__, value)
            child = node.children.get(key)
            if child is None:
                child = node.children[key] = _Alpha()
                if op == "$nex":
                    node.absences += 1
                    if node.absences > CAPACITY.absences:
                        return (f"needs more than {CAPACITY.absences} absence tests after one test "
                                "(NEXT_LIST_LENGTH, engine code 107)")
                else:
                    node.values += 1
                    if node.values > CAPACITY.values:
                        return f"needs more than {CAPACITY.values} tests after one test (NEXT_BUCKET_LENGTH, engine code 106)"
                tests = node.tests.setdefault(prop, [])
                tests.append((op, value))
                node.most[prop] = _most_at_once(tests)
            node = child
            path.append(node)
        node.endings += 1
        if node.endings > CAPACITY.endings:
            return f"needs more than {CAPACITY.endings} rules ending on one test (BETA_LIST_LENGTH, engine code 108)"
        for n in path:
            n.bound = None
        return None

    def bound(self, node: Optional[_Alpha] = None) -> int:
        """An upper bound of the matching stack's height below ``node`` (the root by default)."""
        node = self.root if node is None else node
        if node.bound is None:
            m = sum(node.most.values())
            node.bound = 0 if m == 0 else m - 1 + max(1, max(self.bound(c) for c in node.children.values()))
        return node.bound


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
    if kind.kind == "enum":
        return kind.values.index(value) if kind.values in ORDINALS.values() else value
    return encode_number(value)
