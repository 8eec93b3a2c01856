"""A count that knows a range: the items that surely match its ``where``, up to those that might.

An item lacking a field a ``where`` tests (an advocate without ``committed``), or the date a window
tests, may or may not match: nobody has said. Such a count knows a range ``[lo, hi]``: ``lo`` the items
that surely match, ``hi`` those and every item in doubt. A comparison of it passes if it holds for every
count in the range, fails if it holds for none, and is unknown otherwise (missing evidence is not
failure): with one advocate whose commitment is not given, "at least 1 committed advocate" is unknown.
More evidence never undoes a pass of an "at least": an item in doubt raises ``hi`` only.

The engine compares both ends: ``lo`` is the count's own figure, ``hi`` a figure derived beside it
(``upper_figure``). Both are always in the fact: a count whose list is absent is the widest range,
``UNKNOWN_LOW`` to ``UNKNOWN_HIGH``, beyond every bar, so every comparison of it is unknown and no region
tests absence (a region of its own for absence would double the alternatives an ``all`` or ``any`` of
counts multiplies, and refuse ladders that fit before). The regions written here are exact:

- ``gte``/``gt``: pass on ``lo``, fail on ``hi``; ``lte``/``lt`` the other way round;
- ``eq`` (``ne``, its negation): pass if both ends are the bar, fail if the bar is outside the range
  (or, for a count, is no whole number), unknown otherwise (``in`` on a number is refused by the lint);
- a threshold that depends on an unknown organisation size or key field: pass if every threshold
  passes, fail if every one fails (for an ordered operator, the hardest and easiest threshold);
- two measures compared, either or both a range: the corners (``a >= b`` passes when ``a``'s low end
  is at least ``b``'s high end, fails when ``a``'s high end is below ``b``'s low end); for ``eq``/``ne``
  a measure beside a count is read as a count compares with it (``whole_ends``).

``status`` reads a comparison the same way in plain Python, only to word what falls short.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Mapping, Optional, Sequence

from promoready.schemas.ladder import CountMeasure, Measure, SumOfMeasure, WeightedMeanMeasure

from ._figures import upper_figure, whole_figure, whole_high_figure
from ._keys import SIZE_KEY
from ._regions import DNF, TRUE, Regions, _and, _atom, _first, _or

if TYPE_CHECKING:
    from ._compile import Leaf

_ASCENDING = ("gte", "gt")  # ops that hold from a bar upwards; lte/lt hold from it downwards
_ORDERED = ("gte", "gt", "lte", "lt")
_OP = {"gte": "$gte", "gt": "$gt", "lte": "$lte", "lt": "$lt"}
_NOT = {"gte": "lt", "gt": "lte", "lte": "gt", "lt": "gte"}

#: The ends of an unknown count's range (its list absent): beyond every bar a ladder may write (±1e15)
#: and every figure a packet gives, so that every comparison of it is unknown without a region of its
#: own for absence. Whole numbers that a double holds exactly (the engine may read them as doubles).
UNKNOWN_LOW, UNKNOWN_HIGH = -10**18, 10**18


def ranged(name: str, measures: Mapping[str, Measure]) -> bool:
    """Whether a measure knows a range rather than one figure: a count with a ``where``, or a
    combination (``sum_of``, ``weighted_mean``) of such a count (its weights are positive: the
    combination of the low ends is its low end)."""
    measure = measures[name]
    if isinstance(measure, CountMeasure):
        return bool(measure.where)
    if isinstance(measure, (SumOfMeasure, WeightedMeanMeasure)):
        return any(ranged(part, measures) for part, _ in measure.parts)
    return False


def discrete(name: str, measures: Mapping[str, Measure]) -> bool:
    """Whether a ranged measure takes whole numbers only (a count: every one in its range), rather than
    any number between its ends (a combination, read as an interval)."""
    return isinstance(measures[name], CountMeasure)


def upper(name: str, measures: Mapping[str, Measure]) -> Optional[str]:
    """The derived figure holding a ranged measure's high end; None for any other measure."""
    return upper_figure(name) if ranged(name, measures) else None


def whole(op: str, measure: str, other: str, measures: Mapping[str, Measure]) -> Optional[str]:
    """For ``eq``/``ne`` of a count's range with a measure that is not one (a figure, or a combination's
    range): that measure, which the evaluator also reads as a count compares with it (``whole_ends``);
    None when it is not needed."""
    if op not in ("eq", "ne"):
        return None
    counts = [ranged(m, measures) and discrete(m, measures) for m in (measure, other)]
    if counts[0] == counts[1]:
        return None
    return other if counts[0] else measure


def whole_ends(low: Any, high: Any) -> tuple[Any, Any]:
    """The whole numbers from ``low`` to ``high`` as a count compares with them by eq/ne: their ends
    (a figure's own value when it is a whole number); -1 for both when there is none (no count is -1);
    the high end raised by a half when the two differ, so that no count equals every value between them."""
    if low <= UNKNOWN_LOW or high >= UNKNOWN_HIGH:  # an unknown range: every whole number
        return UNKNOWN_LOW, UNKNOWN_HIGH
    first, last = math.ceil(low), math.floor(high)
    if first > last:
        return -1, -1
    return (first, last) if low == high else (first, last + 0.5)


# -- regions (over both ends, always in the fact: no alternative tests absence) ---------------------


def _test(key: str, op: str, value: Any) -> dict:
    return {_OP[op]: {key: value}}


def _equal(lo: str, hi: str, bar: Any, whole_numbers: bool = True) -> Regions:
    """``[lo, hi] eq bar``: pass if both ends are the bar, fail if the bar is outside the range (for a
    count, also a bar that is no whole number: no count is 2.5), unknown otherwise. An unknown count,
    the widest range, holds every bar: unknown."""
    if whole_numbers and not float(bar).is_integer():
        return Regions((), _atom({"$gt": {lo: UNKNOWN_LOW}}), _atom({"$lte": {lo: UNKNOWN_LOW}}))
    on = ({"$gte": {lo: bar}}, {"$lte": {lo: bar}})  # the low end is the bar
    return Regions(p=((*on, {"$lte": {hi: bar}}),),
                   f=(({"$lt": {lo: bar}}, {"$lt": {hi: bar}}), ({"$gt": {lo: bar}},)),
                   u=(({"$lt": {lo: bar}}, {"$gte": {hi: bar}}), (*on, {"$gt": {hi: bar}})))


def _one(lo: str, hi: str, op: str, bar: Any, whole_numbers: bool = True) -> Regions:
    """One comparison of ``[lo, hi]`` with one bar (``in`` on a number is refused by the lint)."""
    if op in _ORDERED:
        first, second = (lo, hi) if op in _ASCENDING else (hi, lo)
        return Regions(_atom(_test(first, op, bar)), _atom(_test(second, _NOT[op], bar)),
                       ((_test(first, _NOT[op], bar), _test(second, op, bar)),))
    equal = _equal(lo, hi, bar, whole_numbers)
    return Regions(equal.f, equal.p, equal.u) if op == "ne" else equal


def _every(lo: str, hi: str, op: str, bars: Sequence[Any], whole_numbers: bool = True) -> Regions:
    """The comparison with a bar not known for this packet, one of ``bars``: pass if it passes for
    every bar, fail if it fails for every one, unknown otherwise."""
    if op in _ORDERED:  # pass for the hardest bar, fail for the easiest: each one comparison
        hardest, easiest = (max, min) if op in _ASCENDING else (min, max)
        passing, failing = _one(lo, hi, op, hardest(bars)), _one(lo, hi, op, easiest(bars))
        first, second = (lo, hi) if op in _ASCENDING else (hi, lo)
        unknown = ((_test(first, _NOT[op], hardest(bars)), _test(second, op, easiest(bars))),)
        return Regions(passing.p, failing.f, unknown)
    cases = [_one(lo, hi, op, bar, whole_numbers) for bar in bars]
    head, rest = cases[0], cases[1:]
    not_pass = _first(rest, before=lambda r: r.p, at=lambda r: _or(r.f, r.u), after=None) if rest else ()
    not_fail = _first(rest, before=lambda r: r.f, at=lambda r: _or(r.p, r.u), after=None) if rest else ()
    return Regions(_and(*(c.p for c in cases)), _and(*(c.f for c in cases)),
                   _or(head.u, _and(head.p, not_pass), _and(head.f, not_fail)))


def _cases(chosen: list[tuple[DNF, Regions]]) -> Regions:
    """Regions chosen by conditions that exclude each other and cover every fact."""
    return Regions(_or(*(_and(w, r.p) for w, r in chosen)), _or(*(_and(w, r.f) for w, r in chosen)),
                   _or(*(_and(w, r.u) for w, r in chosen)))


def leaf_regions(keys: dict[str, str], leaf: Leaf) -> Regions:
    """The regions of a comparison whose measure (or the one it is compared with) is a range. A range's
    ends are always in the fact (the widest range when the count is unknown): no region tests absence."""
    lo = keys[leaf.measure]
    hi = keys[leaf.upper] if leaf.upper is not None else lo
    if leaf.other is not None:
        b = keys[leaf.other]
        ends = (lo, hi, b, keys[leaf.other_upper] if leaf.other_upper else b)
        whole = None
        if leaf.whole is not None:
            whole = ("right" if leaf.whole == leaf.other else "left",
                     keys[whole_figure(leaf.whole)], keys[whole_high_figure(leaf.whole)])
        return _pair(*ends, leaf.op, left=leaf.upper is not None, right=leaf.other_upper is not None, whole=whole)
    op, whole_numbers = leaf.op, leaf.discrete
    if leaf.keyed is not None:
        keyed = leaf.keyed
        field = keys[keyed.figure]
        chosen = [(_atom({field: v}), _one(lo, hi, op, t, whole_numbers)) for v, t in keyed.values]
        if keyed.default is not None:
            chosen.append(((tuple({"$neq": {field: v}} for v, _ in keyed.values) + ({"$ex": {field: 1}},),),
                           _one(lo, hi, op, keyed.default, whole_numbers)))
        return _cases(chosen + [(_atom({"$nex": {field: 1}}), _every(lo, hi, op, keyed.cases, whole_numbers))])
    if leaf.by_size is not None:
        chosen = [(_atom({SIZE_KEY: i}), _one(lo, hi, op, t, whole_numbers)) for i, t in enumerate(leaf.by_size)]
        return _cases(chosen + [(_atom({"$nex": {SIZE_KEY: 1}}), _every(lo, hi, op, leaf.by_size, whole_numbers))])
    return _one(lo, hi, op, leaf.operand, whole_numbers)


def _pair(a1: str, a2: str, b1: str, b2: str, op: str, *, left: bool, right: bool,
          whole: Optional[tuple[str, str, str]] = None) -> Regions:
    """``a op b`` with ``a`` in ``[a1, a2]`` and ``b`` in ``[b1, b2]``; ``left``/``right``: which sides
    are ranges (a figure has both ends the same key). A figure may be absent (unknown): every alternative
    guards it with ``$ex``, since a property missing inside ``$m`` would match every comparison. For
    ``eq``/``ne`` of a count with another measure, ``whole`` is (the other's side, "left" or "right", and
    the keys of its whole-number ends, ``whole_ends``): that side is read as a count compares with it."""
    if whole is not None:
        side, w1, w2 = whole
        if side == "left":
            a1, a2 = w1, w2
        else:
            b1, b2 = w1, w2
    figures = [k for k, ranged in ((a1, left), (b1, right)) if not ranged]
    guard: DNF = (tuple({"$ex": {k: 1}} for k in figures),)
    absent: DNF = tuple(tuple({"$ex": {k: 1}} for k in figures[:i]) + ({"$nex": {figures[i]: 1}},)
                        for i in range(len(figures)))

    def t(x: str, o: str, y: str) -> dict:
        return {_OP[o]: {x: {"$m": y}}} if o in _OP else {x: {"$m": y}}

    if op in _ORDERED:
        # The low end of the side that must be high against the high end of the other, and back.
        (x1, x2, y1, y2) = (a1, a2, b1, b2) if op in _ASCENDING else (b1, b2, a1, a2)
        o = op if op in _ASCENDING else {"lte": "gte", "lt": "gt"}[op]
        p: DNF = ((t(x1, o, y2),),)
        f: DNF = ((t(x2, _NOT[o], y1),),)
        u: DNF = ((t(x1, _NOT[o], y2), t(x2, o, y1)),)
    else:  # eq: one value on both sides; ne its negation
        p = ((t(a1, "gte", b2), t(a2, "lte", b1)),)
        f = ((t(a2, "lt", b1),), (t(a1, "gt", b2),))  # exclusive: a range's low end is never above its high end
        u = ((t(a2, "gte", b1), t(a1, "lt", b2)), (t(a1, "eq", b2), t(a2, "gt", b1)))
        if op == "ne":
            p, f = f, p
    return Regions(_and(guard, p), _and(guard, f), _or(absent, _and(guard, u)))


# -- the same reading in plain Python (wording only) --------------------------------------------------


def _holds(op: str, n: Any, bar: Any) -> bool:
    if op in ("eq", "ne"):
        return (n == bar) == (op == "eq")
    return {"gte": n >= bar, "gt": n > bar, "lte": n <= bar, "lt": n < bar}[op]


def one_status(op: str, lo: Any, hi: Any, bar: Any, whole_numbers: bool = True) -> str:
    """``[lo, hi] op bar`` read three-valued: pass if every value in the range holds (every whole number
    of a count's range, any number of a combination's), fail if none does."""
    if op in _ORDERED:
        ends = {_holds(op, lo, bar), _holds(op, hi, bar)}
        return "pass" if ends == {True} else "fail" if ends == {False} else "unknown"
    if whole_numbers and not float(bar).is_integer():
        status = "fail"  # no count is 2.5
    else:
        status = "pass" if lo == hi == bar else "unknown" if lo <= bar <= hi else "fail"
    return {"pass": "fail", "fail": "pass"}.get(status, status) if op == "ne" else status


def pair_status(op: str, a: tuple[Any, Any], b: tuple[Any, Any], whole_side: Optional[str] = None) -> str:
    """``a op b`` for two ranges (a figure is a range of one): pass if it holds for every pair of values,
    fail if for none. ``whole_side`` ("left", "right"): for eq/ne, the figure beside a count, read as a
    count compares with it."""
    if op in _ORDERED:
        corners = {_holds(op, x, y) for x in a for y in b}
        return "pass" if corners == {True} else "fail" if corners == {False} else "unknown"
    if whole_side == "left":
        a = whole_ends(*a)
    elif whole_side == "right":
        b = whole_ends(*b)
    same = a[0] == a[1] == b[0] == b[1]
    apart = a[1] < b[0] or a[0] > b[1]
    status = "pass" if same else "fail" if apart else "unknown"
    return {"pass": "fail", "fail": "pass"}.get(status, status) if op == "ne" else status
