"""A count that knows a range: the items that surely match its ``where``, up to those that might.

An item lacking a field a ``where`` tests (an advocate without ``committed``), or the date a window
tests, may or may not match: nobody has said. Such a count knows a range ``[lo, hi]``: ``lo`` the items
that surely match, ``hi`` those and every item in doubt. A comparison of it passes if it holds for every
count in the range, fails if it holds for none, and is unknown otherwise (missing evidence is not
failure): with one advocate whose commitment is not given, "at least 1 committed advocate" is unknown.
More evidence never undoes a pass of an "at least": an item in doubt raises ``hi`` only.

The engine compares both ends: ``lo`` is the count's own figure, ``hi`` a figure derived beside it
(``upper_figure``), present whenever ``lo`` is. The regions written here are exact for every operator:

- ``gte``/``gt``: pass on ``lo``, fail on ``hi``; ``lte``/``lt`` the other way round;
- ``in`` (and ``eq``, one value; ``ne``, its negation): by where ``lo`` falls among the runs of
  consecutive whole numbers the list holds, pass if ``hi`` stays in the same run, fail if ``lo`` is
  outside every run and ``hi`` below the next one;
- a threshold that depends on an unknown organisation size or key field: pass if every threshold
  passes, fail if every one fails (for an ordered operator, the hardest and easiest threshold);
- two measures compared, either or both a range: the corners (``a >= b`` passes when ``a``'s low end
  is at least ``b``'s high end, fails when ``a``'s high end is below ``b``'s low end).

``status`` reads a comparison the same way in plain Python, only to word what falls short.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, Sequence

from promoready.schemas.ladder import CountMeasure, Measure

from ._figures import upper_figure
from ._keys import SIZE_KEY
from ._regions import DNF, TRUE, Regions, _and, _atom, _first, _or

if TYPE_CHECKING:
    from ._compile import Leaf

_ASCENDING = ("gte", "gt")  # ops that hold from a bar upwards; lte/lt hold from it downwards
_ORDERED = ("gte", "gt", "lte", "lt")
_OP = {"gte": "$gte", "gt": "$gt", "lte": "$lte", "lt": "$lt"}
_NOT = {"gte": "lt", "gt": "lte", "lte": "gt", "lt": "gte"}


def ranged(measure: Measure) -> bool:
    """Whether a measure knows a range rather than one figure: a count with a ``where``."""
    return isinstance(measure, CountMeasure) and bool(measure.where)


def upper(name: str, measure: Measure) -> Optional[str]:
    """The derived figure holding a ranged measure's high end; None for any other measure."""
    return upper_figure(name) if ranged(measure) else None


# -- regions (each alternative of p, f and u below implies the count is present) -------------------


def _test(key: str, op: str, value: Any) -> dict:
    return {_OP[op]: {key: value}}


def _whole(values: Sequence[Any]) -> list[int]:
    """The whole numbers among a list's values, sorted and distinct: the only ones a count can equal."""
    return sorted({int(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)
                   and float(v).is_integer()})


def _runs(values: list[int]) -> list[tuple[int, int]]:
    """Sorted whole numbers as runs of consecutive ones: [1, 2, 3, 5] → (1, 3), (5, 5)."""
    runs: list[tuple[int, int]] = []
    for v in values:
        if runs and v == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], v)
        else:
            runs.append((v, v))
    return runs


def _member(lo: str, hi: str, values: Sequence[Any]) -> Regions:
    """``count in values`` over ``[lo, hi]``: by where ``lo`` falls (in a run, or in the gap before
    one), which excludes every other place; then ``hi`` decides."""
    runs = _runs(_whole(values))
    if not runs:  # no whole number listed: no count is one of them
        return Regions((), _atom({"$ex": {lo: 1}}), ())
    p: list[tuple[dict, ...]] = []
    f: list[tuple[dict, ...]] = []
    u: list[tuple[dict, ...]] = []
    after: Optional[int] = None  # the end of the run before the gap
    for a, b in runs:
        gap = ({"$gt": {lo: after}},) if after is not None else ()
        f.append(gap + ({"$lt": {lo: a}}, {"$lt": {hi: a}}))
        u.append(gap + ({"$lt": {lo: a}}, {"$gte": {hi: a}}))
        p.append(({"$gte": {lo: a}}, {"$lte": {lo: b}}, {"$lte": {hi: b}}))
        u.append(({"$gte": {lo: a}}, {"$lte": {lo: b}}, {"$gt": {hi: b}}))
        after = b
    f.append(({"$gt": {lo: after}},))
    return Regions(tuple(p), tuple(f), tuple(u))


def _one(lo: str, hi: str, op: str, bar: Any) -> Regions:
    """One comparison of ``[lo, hi]`` with one bar (a number, or a list for ``in``)."""
    if op in _ORDERED:
        first, second = (lo, hi) if op in _ASCENDING else (hi, lo)
        return Regions(_atom(_test(first, op, bar)), _atom(_test(second, _NOT[op], bar)),
                       ((_test(first, _NOT[op], bar), _test(second, op, bar)),))
    member = _member(lo, hi, bar if op == "in" else [bar])
    return Regions(member.f, member.p, member.u) if op == "ne" else member


def _every(lo: str, hi: str, op: str, bars: Sequence[Any]) -> Regions:
    """The comparison with a bar not known for this packet, one of ``bars``: pass if it passes for
    every bar, fail if it fails for every one, unknown otherwise."""
    if op in _ORDERED:  # pass for the hardest bar, fail for the easiest: each one comparison
        hardest, easiest = (max, min) if op in _ASCENDING else (min, max)
        passing, failing = _one(lo, hi, op, hardest(bars)), _one(lo, hi, op, easiest(bars))
        first, second = (lo, hi) if op in _ASCENDING else (hi, lo)
        unknown = ((_test(first, _NOT[op], hardest(bars)), _test(second, op, easiest(bars))),)
        return Regions(passing.p, failing.f, unknown)
    cases = [_one(lo, hi, op, bar) for bar in bars]
    head, rest = cases[0], cases[1:]
    not_pass = _first(rest, before=lambda r: r.p, at=lambda r: _or(r.f, r.u), after=None) if rest else ()
    not_fail = _first(rest, before=lambda r: r.f, at=lambda r: _or(r.p, r.u), after=None) if rest else ()
    return Regions(_and(*(c.p for c in cases)), _and(*(c.f for c in cases)),
                   _or(head.u, _and(head.p, not_pass), _and(head.f, not_fail)))


def _cases(when: list[tuple[DNF, Regions]], otherwise: Optional[tuple[DNF, Regions]], absent: DNF) -> Regions:
    """Regions chosen by exclusive conditions (``when``, then ``otherwise``), unknown when ``absent``."""
    chosen = when + ([otherwise] if otherwise is not None else [])
    return Regions(_or(*(_and(w, r.p) for w, r in chosen)), _or(*(_and(w, r.f) for w, r in chosen)),
                   _or(absent, *(_and(w, r.u) for w, r in chosen)))


def leaf_regions(keys: dict[str, str], leaf: Leaf) -> Regions:
    """The regions of a comparison whose measure (or the one it is compared with) is a range."""
    lo = keys[leaf.measure]
    hi = keys[leaf.upper] if leaf.upper is not None else lo
    absent = _atom({"$nex": {lo: 1}})
    if leaf.other is not None:
        b = keys[leaf.other]
        return _pair(lo, hi, b, keys[leaf.other_upper] if leaf.other_upper else b, leaf.op)
    if leaf.keyed is not None:
        keyed = leaf.keyed
        field = keys[keyed.figure]
        when = [(_atom({field: v}), _one(lo, hi, leaf.op, t)) for v, t in keyed.values]
        other = None
        if keyed.default is not None:
            other = ((tuple({"$neq": {field: v}} for v, _ in keyed.values) + ({"$ex": {field: 1}},),),
                     _one(lo, hi, leaf.op, keyed.default))
        return _cases(when + [(_atom({"$nex": {field: 1}}), _every(lo, hi, leaf.op, keyed.cases))], other, absent)
    if leaf.by_size is not None:
        when = [(_atom({SIZE_KEY: i}), _one(lo, hi, leaf.op, t)) for i, t in enumerate(leaf.by_size)]
        return _cases(when + [(_atom({"$nex": {SIZE_KEY: 1}}), _every(lo, hi, leaf.op, leaf.by_size))], None, absent)
    return _cases([(TRUE, _one(lo, hi, leaf.op, leaf.operand))], None, absent)


def _pair(a1: str, a2: str, b1: str, b2: str, op: str) -> Regions:
    """``a op b`` with ``a`` in ``[a1, a2]`` and ``b`` in ``[b1, b2]`` (a figure, not a range, has both
    ends the same key). Every alternative is guarded by ``$ex`` on both: a property missing inside
    ``$m`` would match every comparison."""
    both = ({"$ex": {a1: 1}}, {"$ex": {b1: 1}})

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
    guard: DNF = (both,)
    return Regions(_and(guard, p), _and(guard, f),
                   _or((({"$nex": {a1: 1}},), ({"$ex": {a1: 1}}, {"$nex": {b1: 1}})), _and(guard, u)))


# -- the same reading in plain Python (wording only) --------------------------------------------------


def _holds(op: str, n: Any, bar: Any) -> bool:
    if op == "in":
        return n in bar
    if op in ("eq", "ne"):
        return (n == bar) == (op == "eq")
    return {"gte": n >= bar, "gt": n > bar, "lte": n <= bar, "lt": n < bar}[op]


def one_status(op: str, lo: Any, hi: Any, bar: Any) -> str:
    """``[lo, hi] op bar`` read three-valued: pass if every count in the range holds, fail if none does."""
    if op in _ORDERED:
        ends = {_holds(op, lo, bar), _holds(op, hi, bar)}
        return "pass" if ends == {True} else "fail" if ends == {False} else "unknown"
    listed = [v for v in _whole(bar if op == "in" else [bar]) if lo <= v <= hi]
    every, some = len(listed) == hi - lo + 1, bool(listed)
    status = "pass" if every else "unknown" if some else "fail"
    return {"pass": "fail", "fail": "pass"}.get(status, status) if op == "ne" else status


def pair_status(op: str, a: tuple[Any, Any], b: tuple[Any, Any]) -> str:
    """``a op b`` for two ranges (a figure is a range of one): pass if it holds for every pair of values."""
    if op in _ORDERED:
        corners = {_holds(op, x, y) for x in a for y in b}
        return "pass" if corners == {True} else "fail" if corners == {False} else "unknown"
    same = a[0] == a[1] == b[0] == b[1]
    apart = a[1] < b[0] or a[0] > b[1]
    status = "pass" if same else "fail" if apart else "unknown"
    return {"pass": "fail", "fail": "pass"}.get(status, status) if op == "ne" else status
