"""Wording what a failing condition lacks (the gaps: "2.1 more months of reviews at director or
above, projected 2027-01-04") and the numbers in it, for the ``Explainer`` of one transition.

Nothing here decides a status: the engine has. To say *which part* of a condition falls short and
*by how much*, each comparison is read with the same three-valued logic the compiler gave the
engine. Plain functions taking the transition's ``Explainer`` (its titles and words) first.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Optional

from promoready.schemas.ladder import CountMeasure, Measure, MonthsSinceMeasure, ReviewMonthsMeasure, SizeMeasure

from ._compile import Leaf, Node
from ._measures import Measured, add_months
from ._ranges import one_status, pair_status
from ._shown_numbers import (_dec, _enough, _exactly, difference, fmt, fmt_bar, fmt_beside, half_months,
                             months_beside)
from ._wording import shown
from .words import agree

if TYPE_CHECKING:
    from ._explain import Explainer

_SYMBOL = {"gte": "≥", "gt": ">", "lte": "≤", "lt": "<", "eq": "=", "ne": "≠", "in": "one of"}
_LIMIT = {"lte": "at most", "lt": "below"}  # a ceiling in words, as the comparison really is


def counts_calendar_months(measure: Measure) -> bool:
    """Whether a measure counts calendar months (shown in whole and half months)."""
    return isinstance(measure, (ReviewMonthsMeasure, MonthsSinceMeasure))


@dataclass
class Gap:
    """What one comparison lacks: words for a next step, and a size used to order steps; ``date``
    when time alone closes it at the current pace (a figure that grows), else None."""

    words: str
    size: float
    date: Optional[datetime.date] = None


# -- gaps ---------------------------------------------------------------------------------------


def status(ex: Explainer, node: Node, encoded: dict[str, Any], size: Optional[int]) -> str:
    """The three-valued reading of a (sub)condition, used only to word what falls short."""
    if node.leaf is not None:
        return leaf_status(node.leaf, encoded, size)
    if node.form == "not":
        inner = status(ex, node.children[0], encoded, size)
        return {"pass": "fail", "fail": "pass"}.get(inner, inner)
    results = [status(ex, ch, encoded, size) for ch in node.children]
    if node.form == "at_least":
        passed, unknown = results.count("pass"), results.count("unknown")
        return "pass" if passed >= node.need else "fail" if passed + unknown < node.need else "unknown"
    if node.form == "all":
        return "fail" if "fail" in results else "unknown" if "unknown" in results else "pass"
    return "pass" if "pass" in results else "unknown" if "unknown" in results else "fail"


def leaf_status(leaf: Leaf, encoded: dict[str, Any], size: Optional[int]) -> str:
    """One comparison's three-valued reading (unknown when a threshold it may use is in doubt)."""
    value = encoded.get(leaf.measure)
    if value is None:
        return "unknown"
    if leaf.words:
        found = [w in value for w in leaf.words]
        return "pass" if (any(found) if leaf.op == "contains_any" else all(found)) else "fail"
    ranged = leaf.upper is not None or leaf.other_upper is not None  # a count that knows a range
    if leaf.other is not None:
        other = encoded.get(leaf.other)
        if other is None:
            return "unknown"
        if ranged:
            side = None if leaf.whole is None else "right" if leaf.whole == leaf.other else "left"
            return pair_status(leaf.op, (value, encoded.get(leaf.upper, value) if leaf.upper else value),
                               (other, encoded.get(leaf.other_upper, other) if leaf.other_upper else other), side)
        return "pass" if _holds(leaf.op, value, other) else "fail"
    if leaf.keyed is not None:
        key = encoded.get(leaf.keyed.figure)
        known = dict(leaf.keyed.values)
        thresholds = list(leaf.keyed.cases) if key is None else [known.get(key, leaf.keyed.default)]
    else:
        thresholds = [leaf.operand] if leaf.by_size is None else (
            [leaf.by_size[size]] if size is not None else list(leaf.by_size))
    if leaf.upper is not None:
        # (no high end given, as in a what-if's figures: no item in doubt)
        statuses = {one_status(leaf.op, value, encoded.get(leaf.upper, value), t, leaf.discrete) for t in thresholds}
        return statuses.pop() if len(statuses) == 1 else "unknown"
    results = {_holds(leaf.op, value, t) for t in thresholds}
    return "pass" if results == {True} else "fail" if results == {False} else "unknown"


def gaps(ex: Explainer, node: Node, encoded: dict[str, Any], size: Optional[int], as_of: datetime.date,
         negate: bool = False, measured: Optional[dict[str, Measured]] = None) -> list[Gap]:
    """The smallest set of changes that would turn a failing (sub)condition into a pass.

    With ``measured``, a figure that grows with time is projected to the day it would pass, as far
    as its evidence reaches (a review period that has ended adds nothing later)."""
    if node.form == "not":
        return gaps(ex, node.children[0], encoded, size, as_of, not negate, measured)
    if node.leaf is not None:
        status = leaf_status(node.leaf, encoded, size)
        if status == ("fail" if negate else "pass"):
            return []
        return [leaf_gap(ex, node.leaf, encoded, size, as_of, negate, (measured or {}).get(node.leaf.measure))]
    child_gaps = [gaps(ex, ch, encoded, size, as_of, negate, measured) for ch in node.children]
    if node.form == "at_least":
        return at_least_gaps(ex, node, child_gaps, encoded, size, negate)
    needs_all = (node.form == "all") != negate
    if needs_all:
        return [g for gs in child_gaps for g in gs]
    options = [gs for gs in child_gaps if gs]
    if len(options) < len(child_gaps):
        return []  # one alternative already holds
    return min(options, key=lambda gs: sum(g.size for g in gs))


def words_gap(ex: Explainer, leaf: Leaf, value: Any, negate: bool) -> Gap:
    """What a failing ``contains`` lacks (negated: has too many of), as a step."""
    words, count = _words_gap_text(leaf, value, negate)
    now = ", ".join(value) or "none"
    return Gap(f"{words} to {ex.title(leaf.measure)} (now {now})" if not negate else
               f"{words} from {ex.title(leaf.measure)} (now {now})", float(max(count, 1)))


def at_least_gaps(ex: Explainer, node: Node, child_gaps: list[list[Gap]], encoded: dict[str, Any],
                  size: Optional[int], negate: bool) -> list[Gap]:
    """What an at_least condition lacks: "needs 3 of 4: has 2 (a, b); closest: …" (negated: which
    passing parts to give up). The cheapest parts to turn are the closest."""
    statuses = [status(ex, ch, encoded, size) for ch in node.children]
    good = "fail" if negate else "pass"
    have = [ex.label(ch, size, encoded) for ch, st in zip(node.children, statuses) if st == good]
    short = (len(have) - node.need + 1) if negate else node.need - len(have)
    if short <= 0:
        return []
    options = sorted((sum(g.size for g in gs), q) for q, gs in enumerate(child_gaps) if gs)
    chosen = [child_gaps[q] if ex.plain_title(node.children[q]) else _named(node.children[q].title, child_gaps[q])
              for _, q in options[:short]]
    if negate:
        head = f"needs fewer than {node.need} of {len(statuses)}: has {len(have)} ({', '.join(have)})"
    else:
        head = (f"needs {node.need} of {len(statuses)}: has {len(have)}"
                + (f" ({', '.join(have)})" if have else ""))
    closest = "; ".join(g.words for gs in chosen for g in gs)
    size_of = sum(g.size for gs in chosen for g in gs) or float(short)
    dates = [g.date for gs in chosen for g in gs]
    date = max(dates) if dates and all(d is not None for d in dates) else None  # type: ignore[type-var]
    return [Gap(head + (f"; closest: {closest}" if closest else ""), size_of, date)]


def leaf_gap(ex: Explainer, leaf: Leaf, encoded: dict[str, Any], size: Optional[int], as_of: datetime.date,
             negate: bool, measured: Optional[Measured] = None) -> Gap:
    """What one comparison lacks, in words, with its size (and its date when time alone closes it)."""
    title = ex.title(leaf.measure)
    value = encoded.get(leaf.measure)
    measure = ex.measures[leaf.measure]
    op = _NEGATED[leaf.op] if negate else leaf.op
    if value is None:
        return Gap(f"add evidence for {title}", 0.0)
    if (leaf.upper is not None or leaf.other_upper is not None) and leaf_status(leaf, encoded, size) == "unknown":
        # A count in doubt that its items could still decide either way: what they lack, not an amount.
        paths = measured.unsure if measured is not None and leaf.upper is not None else []
        return Gap(f"add {', '.join(paths)} to the packet" if paths else f"add evidence for {title}", 0.0)
    if leaf.words:
        return words_gap(ex, leaf, value, negate)
    if leaf.other is not None:
        other = encoded.get(leaf.other)
        if other is None:
            return Gap(f"add evidence for {ex.title(leaf.other)}", 0.0)
        if leaf.kind.kind == "number":
            now = f"{fmt_beside(value, [other])} and {fmt_beside(other, [value])}"
        else:
            now = f"{ex.value_words(leaf, value)} and {ex.value_words(leaf, other)}"
        return Gap(f"{title} {_SYMBOL[op]} {ex.title(leaf.other)} (now {now})", 1.0)
    if leaf.keyed is not None:
        key = encoded.get(leaf.keyed.figure)
        if key is None:
            return Gap(f"add evidence for {leaf.keyed.path}", 0.0)
        threshold = dict(leaf.keyed.values).get(key, leaf.keyed.default)
        leaf = Leaf(leaf.measure, leaf.op, threshold, None, leaf.kind, leaf.source)
    threshold = leaf.operand if leaf.by_size is None else leaf.by_size[size if size is not None else
                                                                         _hardest(leaf.op, leaf.by_size)]
    if leaf.kind.kind == "number" and op in ("gte", "gt") and counts_calendar_months(measure):
        need = threshold - value
        amount = half_months(need if need > 0 else Fraction(1, 2), up=True)
        unit = measure.unit or "months"
        words = (f"{amount} more {_agree(float(amount), title, unit)}" if ex.number_first(leaf.measure)
                 else f"{title}: {amount} more {_agree(float(amount), unit, unit)}")
        if 0 < need < Fraction(1, 2) and unit == "months":  # not "0.5 more months" for a few days
            words = f"{title}: less than half a month more"
        day = None
        if measured is not None and measured.when is not None:
            bar = Fraction(str(threshold))
            day, why = measured.when((lambda v: v >= bar) if op == "gte" else (lambda v: v > bar))
            words += f", projected {day.isoformat()} if it continues" if day else f"; no date can be projected: {why}"
        return Gap(words, float(need) / max(abs(threshold), 1), day)
    if leaf.kind.kind == "number" and op in ("gte", "gt"):
        # A count moves by whole items: the bar it must reach is a whole number. Any other figure may take any
        # value, so past a strict bar it needs "more than" the gap, never a made-up step (3.5 > 3 passes).
        whole = _whole(measure, leaf, value)
        bar = (math.floor(threshold) + 1 if op == "gt" else math.ceil(threshold)) if whole else threshold
        strict = op == "gt" and not whole
        need = difference(bar, value)  # exact: decimals as written, not binary fractions
        more = f"more than {_exactly(need)}" if strict else _enough(need, threshold)  # never "0 more"
        if strict and need == 0:  # right on a bar it must be above: no amount to name
            words = (f"{ex.leaf_expected(Leaf(leaf.measure, op, threshold, None, leaf.kind, leaf.source), size)} "
                     f"(now {fmt_beside(value, [threshold])})")
        elif ex.number_first(leaf.measure):
            words = f"{more} more {_agree(float(need), title, measure.unit or '')}"
        elif measure.unit:
            words = f"{title}: {more} more {_agree(float(need), measure.unit, measure.unit)}"
        else:
            now = fmt_beside(value, [*ex.bars(leaf.measure, encoded), threshold])
            words = f"raise {title} from {now} to {'above ' if strict else ''}{fmt_bar(bar)}"
        near = measured.near if measured is not None else []
        if near and whole and need <= len(near):
            # Listed items that fail one test only: making them count is as small a step as adding new ones. Named
            # only when all of them are needed: which to choose among more is the candidate's (Found names them).
            if need == len(near):
                ones = "a listed one" if need == 1 else f"{int(need)} listed ones"
                words += f", or get {ones} to count: " + ", ".join(f"{path} (now {shown(value)})" for path, value in near)
            else:
                words += f", or get {int(need)} of the {len(near)} listed that are one test short to count"
        date = None
        if measure.grows and measure.unit in ("months", "years"):
            if measured is not None and measured.when is not None:  # the day the figure really passes, searched
                test = (lambda v: v >= threshold) if op == "gte" else (lambda v: v > threshold)
                date, why = measured.when(test)
                words += f", projected {date.isoformat()} at the current pace" if date else \
                    f"; no date can be projected: {why}"
            else:
                months = need * (12 if measure.unit == "years" else 1)
                try:
                    date = add_months(as_of, float(months))
                except OverflowError:  # a threshold so far off that no calendar date reaches it
                    words += ", beyond any calendar date at the current pace"
                else:
                    words += f", projected {date.isoformat()} at the current pace"
        return Gap(words, float(need) / max(abs(threshold), 1) if need else 1.0, date)
    if leaf.kind.kind == "number" and op in ("lte", "lt"):
        whole = _whole(measure, leaf, value)
        bar = (math.ceil(threshold) - 1 if op == "lt" else math.floor(threshold)) if whole else threshold
        strict = op == "lt" and not whole
        need = difference(value, bar)
        bars = [*ex.bars(leaf.measure, encoded), threshold]
        if strict and need == 0:  # right on a bar it must be below: no amount to name
            return Gap(f"{ex.leaf_expected(Leaf(leaf.measure, op, threshold, None, leaf.kind, leaf.source), size)} "
                       f"(now {fmt_beside(value, bars)})", 1.0)
        if counts_calendar_months(measure):  # in half months, as Found shows them; the shortfall rounded up
            less, now = half_months(Fraction(need), up=True), months_beside(value, bars)
            strict = strict and Decimal(less) == need  # a shortfall rounded up is enough as it is
        else:
            # An exact amount beside the value as it is (0.0001 less than 0.1251), a rounded one beside it rounded.
            less, now = (_exactly(need), _exactly(_dec(value))) if strict else \
                (_enough(need, threshold), fmt_beside(value, bars))
        less = ("more than " if strict else "") + less
        return Gap(f"{less} less {title} (now {now}, {_LIMIT[op]} {fmt_bar(threshold)})",
                   float(need) / max(abs(threshold), 1))
    want = ex.leaf_expected(Leaf(leaf.measure, op, leaf.operand, leaf.by_size, leaf.kind, leaf.source), size)
    now = fmt_beside(value, [threshold]) if leaf.kind.kind == "number" else ex.value_words(leaf, value)
    return Gap(f"{want} (now {now})", 1.0)


def _named(title: Optional[str], gaps: list[Gap]) -> list[Gap]:
    """A titled part's steps as one, named by the part: "build: raise execution from 2 to 3"."""
    dates = [g.date for g in gaps]
    date = max(dates) if all(d is not None for d in dates) else None  # type: ignore[type-var]
    return [Gap(f"{title}: " + " and ".join(g.words for g in gaps), sum(g.size for g in gaps), date)]


def _words_gap_text(leaf: Leaf, value: Any, negate: bool) -> tuple[str, int]:
    """What a failing ``contains`` lacks (or, negated, has too many of): the words to add or remove."""
    present = [w for w in leaf.words if w in value]
    absent = [w for w in leaf.words if w not in value]
    if negate:  # not contains: every listed word present must go (contains_any: one is enough to fail)
        return "remove " + " and ".join(present), len(present)
    if leaf.op == "contains_any":
        return "add one of " + ", ".join(absent), 1
    return "add " + " and ".join(absent), len(absent)


def _agree(count: Any, phrase: str, unit: str) -> str:
    """``phrase`` with its leading (plural) ``unit`` agreeing with ``count``, as a person writes it
    (``fmt``: 1.0 is 1); anything that is not a number leaves the phrase as written."""
    if isinstance(count, bool) or not isinstance(count, (int, float)):
        return phrase
    return _agree_number(count, phrase, unit)


@lru_cache(maxsize=4096, typed=True)  # pure; a ladder has few units, and a packet's counts are small numbers
def _agree_number(count: float, phrase: str, unit: str) -> str:
    return agree(float(fmt(count)), phrase, unit)


_NEGATED = {"gte": "lt", "gt": "lte", "lte": "gt", "lt": "gte", "eq": "ne", "ne": "eq", "in": "in",
            "contains": "contains", "contains_all": "contains_all", "contains_any": "contains_any"}


def _whole(measure: Measure, leaf: Leaf, value: Any) -> bool:
    """Whether a measure's figure is always a whole number: a number of items (a ``count``, a ``size``), or an
    integer field's value (unless it grows with time: 2 years measured a month on is 2.08). A rating of 3
    against a bar of 3.5 needs 4, never 3.5."""
    return isinstance(measure, (CountMeasure, SizeMeasure)) or (leaf.kind.integer and not measure.grows
                                                                and type(value) is int)


def _hardest(op: str, by_size: tuple) -> int:
    """With the organisation size unknown, the size whose threshold is hardest to meet."""
    values = list(by_size)
    pick = max(values) if op in ("gte", "gt") else min(values)
    return values.index(pick)


def _holds(op: str, value: Any, target: Any) -> bool:
    if op == "in":
        return value in target
    if op in ("eq", "ne"):
        return (value == target) == (op == "eq")
    if isinstance(value, str) != isinstance(target, str):
        return False
    return {"gte": value >= target, "gt": value > target, "lte": value <= target, "lt": value < target}[op]
