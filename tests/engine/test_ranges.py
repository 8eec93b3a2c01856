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
from promoready.engine._ranges import (UNKNOWN_HIGH, UNKNOWN_LOW, leaf_regions, one_status, pair_status,
                                      whole_ends)
from promoready.engine._regions import STATUS_BY_SUFFIX, Regions, _rule

NUMBER = FieldKind("number")
KEYS = {"c": "m0", "\0hi\0c": "m1", "d": "m2", "\0hi\0d": "m3", "\0whole\0c": "m4", "\0whole\0d": "m5",
        "\0whole-hi\0c": "m6", "\0whole-hi\0d": "m7"}
UNKNOWN = {"m0": UNKNOWN_LOW, "m1": UNKNOWN_HIGH}  # an unknown count, as the evaluator writes it
ENDS = [(lo, hi) for lo in range(7) for hi in range(lo, 7)]


def holds(op: str, n: int, bar) -> bool:
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
        ("eq", 0), ("ne", 0), ("eq", 6), ("ne", 2.5), ("ne", 6)]  # (`in` on a number is refused by the lint)


@pytest.mark.parametrize("op, bar", BARS, ids=[f"{op}-{bar}" for op, bar in BARS])
def test_a_range_compared_with_a_bar_is_decided_exactly_by_the_engine(op, bar):
    leaf = Leaf("c", op, bar, None, NUMBER, None, upper="\0hi\0c")  # type: ignore[arg-type]
    rules = ruleset(leaf_regions(KEYS, leaf))
    for lo, hi in ENDS:
        expected = truth({holds(op, n, bar) for n in range(lo, hi + 1)})
        assert fired(rules, {"m0": lo, "m1": hi}) == [expected], (lo, hi)
        assert one_status(op, lo, hi, bar) == expected, (lo, hi)
    assert fired(rules, UNKNOWN) == ["unknown"]


def test_a_count_that_is_not_in_doubt_reads_as_its_one_figure():
    leaf = Leaf("c", "gte", 2, None, NUMBER, None, upper="\0hi\0c")  # type: ignore[arg-type]
    rules = ruleset(leaf_regions(KEYS, leaf))
    assert fired(rules, {"m0": 2, "m1": 2}) == ["pass"]
    assert fired(rules, {"m0": 1, "m1": 1}) == ["fail"]
    assert fired(rules, {"m0": 1, "m1": 2}) == ["unknown"]


SIZED = [("gte", (1, 2, 4, 4)), ("lte", (1, 2, 4, 4)), ("eq", (2, 2, 3, 3)), ("ne", (1, 2.5, 2, 5))]


@pytest.mark.parametrize("op, bars", SIZED, ids=[op for op, _ in SIZED])
def test_a_bar_by_organisation_size_with_the_size_known_or_not(op, bars):
    leaf = Leaf("c", op, None, bars, NUMBER, None, upper="\0hi\0c")  # type: ignore[arg-type]
    rules = ruleset(leaf_regions(KEYS, leaf))
    for (lo, hi), size in itertools.product(ENDS, [None, *range(len(bars))]):
        fact = {"m0": lo, "m1": hi, **({SIZE_KEY: size} if size is not None else {})}
        applying = bars if size is None else [bars[size]]
        expected = truth({holds(op, n, bar) for n in range(lo, hi + 1) for bar in applying})
        assert fired(rules, fact) == [expected], (lo, hi, size)
    for size in [None, *range(len(bars))]:
        assert fired(rules, {**UNKNOWN, **({SIZE_KEY: size} if size is not None else {})}) == ["unknown"]


@pytest.mark.parametrize("op", ["gte", "gt", "lte", "lt", "eq", "ne"])
@pytest.mark.parametrize("ranged", ["both", "left", "right"])
def test_two_measures_compared_when_either_or_both_are_ranges(op, ranged):
    left, right = ranged != "right", ranged != "left"
    whole = None
    if op in ("eq", "ne") and left != right:  # the figure beside a count, read as a count compares with it
        whole = "d" if left else "c"
    leaf = Leaf("c", op, None, None, NUMBER, None, other="d",  # type: ignore[arg-type]
                upper="\0hi\0c" if left else None, other_upper="\0hi\0d" if right else None, whole=whole)
    rules = ruleset(leaf_regions(KEYS, leaf))
    counts = [(lo, hi) for lo in range(4) for hi in range(lo, 4)]
    figures = [(x, x) for x in (0, 1, 1.5, 2, 3, 4.25)]  # a figure need not be a whole number

    def fact(a: tuple, b: tuple) -> dict:
        out = {"m0": a[0], "m2": b[0], **({"m1": a[1]} if left else {}), **({"m3": b[1]} if right else {})}
        if whole is not None:
            out["m5" if left else "m4"], out["m7" if left else "m6"] = whole_ends(*(b if left else a))
        return out

    for a, b in itertools.product(counts if left else figures, counts if right else figures):
        expected = truth({holds(op, x, y) for x in _values(a, left) for y in _values(b, right)})
        assert fired(rules, fact(a, b)) == [expected], (a, b)
        side = None if whole is None else "right" if whole == "d" else "left"
        assert pair_status(op, a, b, side) == expected, (a, b)
    # Either side unknown: unknown, never a pass that a missing property inside `$m` would give.
    unknown_count = (UNKNOWN_LOW, UNKNOWN_HIGH)
    for a, b in [(unknown_count if left else None, (1, 1)), ((1, 1), unknown_count if right else None)]:
        known = {k: v for k, v in fact(a or (1, 1), b or (1, 1)).items()}
        if a is None:
            known = {k: v for k, v in known.items() if k not in ("m0", "m4", "m6")}
        if b is None:
            known = {k: v for k, v in known.items() if k not in ("m2", "m5", "m7")}
        assert fired(rules, known) == ["unknown"], (a, b)


def _values(ends: tuple, ranged: bool) -> list:
    return list(range(ends[0], ends[1] + 1)) if ranged else [ends[0]]


INTERVAL_BARS = [("eq", 2), ("eq", 2.5), ("ne", 2.5), ("gte", 2.25), ("lt", 3)]


@pytest.mark.parametrize("op, bar", INTERVAL_BARS, ids=[f"{op}-{bar}" for op, bar in INTERVAL_BARS])
def test_a_combination_in_doubt_is_an_interval_any_number_between_its_ends(op, bar):
    """A sum or mean of a count in doubt takes numbers between its ends: eq passes only if both ends
    are the bar, fails if the bar is outside, and is unknown otherwise (2.5 may be reached)."""
    leaf = Leaf("c", op, bar, None, NUMBER, None, upper="\0hi\0c", discrete=False)  # type: ignore[arg-type]
    rules = ruleset(leaf_regions(KEYS, leaf))
    ends = [(lo / 4, hi / 4) for lo in range(0, 16) for hi in range(lo, 16)]
    for lo, hi in ends:
        inside = [x for x in (lo, hi, bar) if lo <= x <= hi]  # the ends, and the bar if it falls between
        expected = truth({holds(op, x, bar) for x in inside})
        assert fired(rules, {"m0": lo, "m1": hi}) == [expected], (lo, hi)
        assert one_status(op, lo, hi, bar, whole_numbers=False) == expected, (lo, hi)
    assert fired(rules, UNKNOWN) == ["unknown"]


@pytest.mark.parametrize("op", ["eq", "ne"])
@pytest.mark.parametrize("count_side", ["left", "right"])
def test_a_count_compared_with_a_combination_in_doubt_by_eq(op, count_side):
    """A count (whole numbers) against a combination's interval (any number between its ends): equal
    for some pair if a whole number of the count's range lies in the interval, for every pair only if
    both are one and the same whole number (0.25 is never a count; 0.5 to 1.5 holds 1 and also 0.7)."""
    left = count_side == "left"
    other = "d" if left else "c"  # the combination's side, read as a count compares with it
    leaf = Leaf("c", op, None, None, NUMBER, None, other="d", upper="\0hi\0c",  # type: ignore[arg-type]
                other_upper="\0hi\0d", whole=other, discrete=left)
    rules = ruleset(leaf_regions(KEYS, leaf))
    counts = [(lo, hi) for lo in range(4) for hi in range(lo, 4)]
    intervals = [(lo / 4, hi / 4) for lo in range(0, 14, 1) for hi in range(lo, 14, 3)]
    for count, interval in itertools.product(counts, intervals):
        whole_numbers = [n for n in range(count[0], count[1] + 1) if interval[0] <= n <= interval[1]]
        every = count[0] == count[1] == interval[0] == interval[1]
        expected = "pass" if every else "unknown" if whole_numbers else "fail"
        if op == "ne":
            expected = {"pass": "fail", "fail": "pass"}.get(expected, expected)
        a, b = (count, interval) if left else (interval, count)
        fact = {"m0": a[0], "m1": a[1], "m2": b[0], "m3": b[1]}
        fact["m5" if left else "m4"], fact["m7" if left else "m6"] = whole_ends(*interval)
        assert fired(rules, fact) == [expected], (count, interval)
        assert pair_status(op, a, b, "right" if left else "left") == expected, (count, interval)
    unknown = {"m0": UNKNOWN_LOW, "m1": UNKNOWN_HIGH, "m2": UNKNOWN_LOW, "m3": UNKNOWN_HIGH}
    unknown["m5" if left else "m4"], unknown["m7" if left else "m6"] = whole_ends(UNKNOWN_LOW, UNKNOWN_HIGH)
    assert fired(rules, unknown) == ["unknown"]
