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
from decimal import ROUND_CEILING, ROUND_FLOOR, Context, Decimal
from fractions import Fraction
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Optional, Sequence, Union

from promoready.schemas.ladder import CountMeasure, Measure, MonthsSinceMeasure, ReviewMonthsMeasure, SizeMeasure

from ._compile import Leaf, Node
from ._measures import Measured, add_months
from ._wording import number, shown
from .words import agree

if TYPE_CHECKING:
    from ._explain import Explainer

_SYMBOL = {"gte": "≥", "gt": ">", "lte": "≤", "lt": "<", "eq": "=", "ne": "≠", "in": "one of"}
_LIMIT = {"lte": "at most", "lt": "below"}  # a ceiling in words, as the comparison really is


def fmt(x: Any) -> str:
    """A number as people write it: no trailing ``.0``, at most two decimals."""
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, float):
        if not math.isfinite(x):
            return number(x)
        x = round(x, 2)
        # Two decimals at most, never an exponent: 666666666666.67, not 6.66667e+11.
        return str(int(x)) if x.is_integer() else f"{x:.2f}".rstrip("0")
    return str(x)


def _exact(x: Any) -> Fraction:
    """A number as written: a float by its shortest decimal (2.3 is 23/10), so that a value and a bar
    typed alike compare alike; the order of two floats is kept."""
    return Fraction(repr(x)) if isinstance(x, float) else Fraction(x)


def fmt_beside(x: Any, bars: Sequence[Any]) -> str:
    """A found number shown beside the bars it is compared with, never reading as on the wrong side of
    one: ``fmt`` as usual, but a value a hair below a bar is rounded down at the shown precision (3.2499
    against 3.25 shows 3.24), a hair above one up, with more decimals only if two bars are that close."""
    text = fmt(x)
    if isinstance(x, bool) or not isinstance(x, (int, float, Fraction)) or not bars:
        return text
    if type(x) is int or (isinstance(x, float) and (not math.isfinite(x) or float(text) == x)):
        # Shown exactly (``fmt`` keeps at most six significant digits, so a text that reads back as
        # the same float is that float's own shortest decimal): it is on the side of every bar it is.
        return text
    value = _exact(x)
    sides = [(b, (value > b) - (value < b)) for b in (_exact(bar) for bar in bars)]

    def wrong_side(shown: Fraction) -> Optional[int]:
        """The side the value really is on of the first bar the shown number misplaces, if any."""
        return next((side for b, side in sides if (shown > b) - (shown < b) != side), None)

    places = max(2, max((_decimals(bar) for bar in bars), default=0))
    if places > 2:  # a bar written with more decimals (0.125): the value beside it with as many (0.124, not 0.12)
        text = format(_decimal(value).quantize(Decimal(1).scaleb(-places), context=_WIDE).normalize(_WIDE), "f")
    side = wrong_side(Fraction(text))
    while side is not None and places <= 20:
        step = Decimal(1).scaleb(-places)
        shown = _decimal(value).quantize(step, rounding=ROUND_FLOOR if side < 0 else ROUND_CEILING, context=_WIDE)
        side = wrong_side(Fraction(shown))
        text = format(shown.normalize(_WIDE), "f")
        places += 1
    return text


#: Room for any figure a packet or a ladder holds (at most 1e15, or a float's 309 digits) with 20 decimals:
#: the default context's 28 digits would make quantizing 1e12 to 20 places an InvalidOperation.
_WIDE = Context(prec=400)


def _decimal(x: Fraction) -> Decimal:
    """An exact fraction as a decimal, to ``_WIDE``'s precision."""
    return _WIDE.divide(Decimal(x.numerator), Decimal(x.denominator))


def _decimals(bar: Any) -> int:
    """The decimals a bar was written with (0.125: 3), at most 20."""
    if not isinstance(bar, float) or not math.isfinite(bar) or bar.is_integer():
        return 0
    return _float_decimals(bar)


@lru_cache(maxsize=1024)  # a ladder has few bars; this runs for every number Found shows beside them
def _float_decimals(bar: float) -> int:
    text = number(bar)
    return min(20, len(text.partition(".")[2])) if "e" not in text else 20


def half_months(x: Any, *, up: bool) -> str:
    """Calendar months as people say them, in whole or half months: ``5.5``, ``6``. A value shown is
    rounded down (a shown 6 never fails a bar of 6), a shortfall up (never "0 more months")."""
    exact = x if type(x) is Fraction else Fraction(x)  # months are Fractions: no second one is made
    halves, den = exact.numerator * 2, exact.denominator
    n = -(-halves // den) if up else halves // den  # ceil / floor of the exact half-month count
    return str(n // 2) if n % 2 == 0 else f"{n / 2:g}"


def months_beside(x: Any, bars: Sequence[Any]) -> str:
    """Calendar months as Found shows them, beside the bars they are compared with: in whole and half months,
    rounded down (``half_months``), unless that reads on the wrong side of a bar (12.03 months shown as 12
    beside "> 12"): then with the decimals it takes (``fmt_beside``)."""
    words = half_months(x, up=False)
    exact = x if type(x) is Fraction else _exact(x)
    if exact.denominator <= 2 or not bars:  # shown as it is: on the side of every bar it is
        return words
    # Shown rounded down: it misreads only a bar from the shown figure up to the value itself (a float test
    # first, as this runs for every months figure Found shows; the exact one only for a bar that close).
    low, high = float(words), float(exact)
    for bar in bars:
        if low - 1e-9 <= bar <= high + 1e-9:
            shown, b = Fraction(words), _exact(bar)
            if (shown > b) - (shown < b) != (exact > b) - (exact < b):
                return fmt_beside(float(exact), bars)
    return words


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
    if leaf.other is not None:
        other = encoded.get(leaf.other)
        return "unknown" if other is None else "pass" if _holds(leaf.op, value, other) else "fail"
    if leaf.keyed is not None:
        key = encoded.get(leaf.keyed.figure)
        known = dict(leaf.keyed.values)
        thresholds = list(leaf.keyed.cases) if key is None else [known.get(key, leaf.keyed.default)]
    else:
        thresholds = [leaf.operand] if leaf.by_size is None else (
            [leaf.by_size[size]] if size is not None else list(leaf.by_size))
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
        need = _WIDE.subtract(_dec(bar), _dec(value))  # exact: decimals as written, not binary fractions
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
        need = _WIDE.subtract(_dec(value), _dec(bar))
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


def _dec(x: Any) -> Decimal:
    """A number exactly as written (a float by its shortest decimal, as ``_exact``), as a Decimal: cheaper
    than a Fraction, and exact for the figures a packet or a ladder can hold."""
    if isinstance(x, float):
        return Decimal(repr(x))
    if isinstance(x, int):
        return Decimal(x)
    return _decimal(x)  # a Fraction (calendar months)


def _enough(need: Decimal, bar: Any) -> str:
    """An amount that is enough: exact at the bar's decimals (at least two), else rounded up there (0.2501
    less is "0.26 less", never "0.25", which would fall short; 3.125 − 3 is 0.125, not 0.12)."""
    if need == need.to_integral_value():
        return str(int(need))
    shown = need.quantize(_PLACES[max(2, _decimals(bar))], rounding=ROUND_CEILING, context=_WIDE)
    return format(shown.normalize(_WIDE), "f")


def _exactly(x: Union[Decimal, Fraction]) -> str:
    """An exact amount in decimals, as many as it takes (at most 20): after "more than", an amount rounded up
    would overstate what is needed."""
    if isinstance(x, Fraction):
        x = _decimal(x)
    if x == x.to_integral_value():
        return str(int(x))
    shown = x.quantize(_PLACES[20], rounding=ROUND_FLOOR, context=_WIDE)
    return format(shown.normalize(_WIDE), "f")


_PLACES = [Decimal(1).scaleb(-n) for n in range(21)]  # 1, 0.1, … 1E-20: the steps a decimal is cut at


def fmt_bar(x: Any) -> str:
    """A bar (a ladder's threshold) as the ladder wrote it, every decimal kept (the lint allows four): a
    bar of 0.125 shown as 0.12 would read as met by 0.124."""
    if isinstance(x, float) and math.isfinite(x) and not x.is_integer():
        return number(x)
    return fmt(x)


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
