"""A count in doubt is a range, and the engine decides a comparison of it exactly (engine/_ranges.py).

Each region is run through durable-rules itself, for every low and high end up to 6 and the count
unknown: exactly one rule fires, and its status is the truth worked out by brute force (pass if the
comparison holds for every count in the range, fail if for none, unknown otherwise); the plain-Python
reading the explanations use (``one_status``, ``pair_status``) says the same.
"""

from __future__ import annotations

import itertools

import pytest
from promoready.engine._compile import Leaf
from promoready.engine._durable import Ruleset
from promoready.engine._fields import FieldKind
from promoready.engine._keys import SIZE_KEY
from promoready.engine._ranges import leaf_regions, one_status, pair_status
from promoready.engine._regions import STATUS_BY_SUFFIX, Regions, _rule

NUMBER = FieldKind("number")
KEYS = {"c": "m0", "\0hi\0c": "m1", "d": "m2", "\0hi\0d": "m3"}
ENDS = [(lo, hi) for lo in range(7) for hi in range(lo, 7)]


def holds(op: str, n: int, bar) -> bool:
    if op == "in":
        return n in bar
    return {"gte": n >= bar, "gt": n > bar, "lte": n <= bar, "lt": n < bar, "eq": n == bar, "ne": n != bar}[op]


def truth(results: set[bool]) -> str:
    return "pass" if results == {True} else "fail" if results == {False} else "unknown"


_sets = iter(range(10**6))


def ruleset(regions: Regions) -> Ruleset:
    """A ruleset of ``regions`` alone, one rule per alternative, named as a criterion's are."""
    rules = {f"0.{suffix}.{j}": _rule({"k": "e"}, *alternative)
             for suffix, region in (("p", regions.p), ("f", regions.f), ("u", regions.u))
             for j, alternative in enumerate(region)}
    return Ruleset(f"ranges-{next(_sets)}", rules)


def fired(rules: Ruleset, fact: dict) -> list[str]:
    """The statuses of the rules a fact fires."""
    first, _ = rules.run(dict(fact, k="e"))
    return [STATUS_BY_SUFFIX[name.split(".")[1]] for name in first]


BARS = [("gte", 3), ("gt", 3), ("lte", 3), ("lt", 3), ("gte", 2.5), ("lte", 0), ("eq", 3), ("ne", 3), ("eq", 2.5),
        ("in", [1, 2, 3, 5]), ("in", [0, 6]), ("in", [4]), ("in", [2.5]), ("in", [5, 1, 2, 2])]


@pytest.mark.parametrize("op, bar", BARS, ids=[f"{op}-{bar}" for op, bar in BARS])
def test_a_range_compared_with_a_bar_is_decided_exactly_by_the_engine(op, bar):
    leaf = Leaf("c", op, bar, None, NUMBER, None, upper="\0hi\0c")  # type: ignore[arg-type]
    rules = ruleset(leaf_regions(KEYS, leaf))
    for lo, hi in ENDS:
        expected = truth({holds(op, n, bar) for n in range(lo, hi + 1)})
        assert fired(rules, {"m0": lo, "m1": hi}) == [expected], (lo, hi)
        assert one_status(op, lo, hi, bar) == expected, (lo, hi)
    assert fired(rules, {}) == ["unknown"]


def test_a_count_that_is_not_in_doubt_reads_as_its_one_figure():
    leaf = Leaf("c", "gte", 2, None, NUMBER, None, upper="\0hi\0c")  # type: ignore[arg-type]
    rules = ruleset(leaf_regions(KEYS, leaf))
    assert fired(rules, {"m0": 2, "m1": 2}) == ["pass"]
    assert fired(rules, {"m0": 1, "m1": 1}) == ["fail"]
    assert fired(rules, {"m0": 1, "m1": 2}) == ["unknown"]


SIZED = [("gte", (1, 2, 4, 4)), ("lte", (1, 2, 4, 4)), ("eq", (2, 2, 3, 3)), ("in", ([1, 2], [2], [2, 3], [5]))]


@pytest.mark.parametrize("op, bars", SIZED, ids=[op for op, _ in SIZED])
def test_a_bar_by_organisation_size_with_the_size_known_or_not(op, bars):
    leaf = Leaf("c", op, None, bars, NUMBER, None, upper="\0hi\0c")  # type: ignore[arg-type]
    rules = ruleset(leaf_regions(KEYS, leaf))
    for (lo, hi), size in itertools.product(ENDS, [None, *range(len(bars))]):
        fact = {"m0": lo, "m1": hi, **({SIZE_KEY: size} if size is not None else {})}
        applying = bars if size is None else [bars[size]]
        expected = truth({holds(op, n, bar) for n in range(lo, hi + 1) for bar in applying})
        assert fired(rules, fact) == [expected], (lo, hi, size)


@pytest.mark.parametrize("op", ["gte", "gt", "lte", "lt", "eq", "ne"])
@pytest.mark.parametrize("ranged", ["both", "left", "right"])
def test_two_measures_compared_when_either_or_both_are_ranges(op, ranged):
    leaf = Leaf("c", op, None, None, NUMBER, None, other="d",  # type: ignore[arg-type]
                upper="\0hi\0c" if ranged != "right" else None, other_upper="\0hi\0d" if ranged != "left" else None)
    rules = ruleset(leaf_regions(KEYS, leaf))
    small = [(lo, hi) for lo in range(4) for hi in range(lo, 4)]
    for (a1, a2), (b1, b2) in itertools.product(small, small):
        if (ranged == "right" and a1 != a2) or (ranged == "left" and b1 != b2):
            continue  # a side that is not a range has one figure
        fact = {"m0": a1, "m2": b1, **({"m1": a2} if ranged != "right" else {}),
                **({"m3": b2} if ranged != "left" else {})}
        expected = truth({holds(op, x, y) for x in range(a1, a2 + 1) for y in range(b1, b2 + 1)})
        assert fired(rules, fact) == [expected], ((a1, a2), (b1, b2))
        assert pair_status(op, (a1, a2), (b1, b2)) == expected
    # Either side unknown: unknown, never a pass that a missing property inside `$m` would give.
    assert fired(rules, {"m2": 1, "m3": 1}) == ["unknown"]
    assert fired(rules, {"m0": 1, "m1": 1}) == ["unknown"]
