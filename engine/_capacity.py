"""What one durable-rules ruleset can hold: the engine's fixed tables (``Capacity``) and a model of
the alpha network it builds (``Network``), so the compiler can split a transition's criteria into
rulesets that each stay inside every table."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Any, Optional

def _fits_alone(network: "Network", rules: dict[str, dict], keys: set[str]) -> Optional[str]:
    if len(keys) > CAPACITY.keys:
        return (f"reads {len(keys)} measures; one engine fact holds at most {CAPACITY.keys} "
                "(MAX_OBJECT_PROPERTIES)")
    if len(rules) > CAPACITY.rules:
        return f"compiles to {len(rules)} engine rules; one ruleset holds at most {CAPACITY.rules} (MAX_ACTIONS)"
    return network.add_all(rules.values())


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
    else:
        key, prop, value = "$eq", key, inner
    if isinstance(value, dict):  # another property of the fact (``{"$m": "m1"}``): hashable, told apart
        ((ref, other),) = value.items()
        value = (ref, other)
    return key, prop, value


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
    if any(op == "$ex" or isinstance(v, tuple) for op, v in present):
        # A presence test, or a comparison with another property: any present value may pass them all.
        return max(absent, len(present))
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
            key: tuple = (prop, op, type(value).__name__, value)
            if isinstance(value, tuple):
                # A test against another property (``$m``) is a node of its own in every rule that has
                # it, never shared, and every one a fact reaches stays pending (measured: 70 rules
                # alike up to such a test and differing after it fail with code 303). The compiler
                # puts it last in each rule.
                key += (len(node.children),)
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
