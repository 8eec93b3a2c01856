"""Explaining a criterion the engine has decided: what was expected, what was found, what would pass.

Nothing here decides a status: the status comes from the rules engine. To say *which part* of a
condition falls short and *by how much*, the explainer looks at each comparison of the condition
with the same three-valued reading the compiler gave the engine, and words the gap ("2.1 more
months of reviews at director or above, projected 2027-01-04").
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Any, Optional, Sequence

from promoready.schemas.ladder import Criterion, FieldMeasure, Measure, MonthsSinceMeasure, ReviewMonthsMeasure

from ._compile import SIZES, Leaf, Node
from ._levels import LevelIndex
from ._measures import Measured, add_months, reads_title_first
from .words import agree

_SYMBOL = {"gte": "≥", "gt": ">", "lte": "≤", "lt": "<", "eq": "=", "ne": "≠", "in": "one of"}
_LIMIT = {"lte": "at most", "lt": "below"}  # a ceiling in words, as the comparison really is


def fmt(x: Any) -> str:
    """A number as people write it: no trailing ``.0``, at most two decimals."""
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, float):
        x = round(x, 2)
        return str(int(x)) if x.is_integer() else f"{x:g}"
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

    side = wrong_side(Fraction(text))
    places = 2
    while side is not None and places <= 20:
        step = Decimal(1).scaleb(-places)
        shown = (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
            step, rounding=ROUND_FLOOR if side < 0 else ROUND_CEILING)
        side = wrong_side(Fraction(shown))
        text = format(shown.normalize(), "f")
        places += 1
    return text


def half_months(x: Any, *, up: bool) -> str:
    """Calendar months as people say them, in whole or half months: ``5.5``, ``6``. A value shown is
    rounded down (a shown 6 never fails a bar of 6), a shortfall up (never "0 more months")."""
    halves = Fraction(x) * 2
    n = math.ceil(halves) if up else math.floor(halves)
    return str(n // 2) if n % 2 == 0 else f"{n / 2:g}"


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


class Explainer:
    """Words for the criteria of one transition (built once, used for every packet)."""

    def __init__(self, measures: dict[str, Measure], index: LevelIndex, level_titles: dict[str, str],
                 trees: Sequence[Node] = ()) -> None:
        self.measures = measures
        self.index = index
        self.level_titles = level_titles  # "current"/"target" → level id, for titles with placeholders
        self._rank_names: dict[int, str] = {}
        for rung in sorted(index.rungs.values(), key=lambda r: (not r.is_level, r.id)):
            self._rank_names.setdefault(rung.rank, rung.id)
        # Each measure's first comparison, for wording its values (ranks as levels, positions as words).
        self._kinds: dict[str, Leaf] = {}
        self._titles: dict[str, str] = {}
        #: Per measure, what ``actual`` needs besides the packet: (measure, its first comparison,
        #: whether it counts calendar months), filled on first use.
        self._reading: dict[str, tuple[Measure, Optional[Leaf], bool]] = {}
        #: Per measure, the numbers it is compared with anywhere in the transition, and the measures
        #: it is compared with: a value is shown on the same side of each as it really is.
        self._bars: dict[str, list[Any]] = {}
        self._against: dict[str, list[str]] = {}
        for tree in trees:
            for leaf in leaves(tree):
                self._kinds.setdefault(leaf.measure, leaf)
                if leaf.kind.kind != "number":
                    continue
                if leaf.other is not None:
                    self._against.setdefault(leaf.measure, []).append(leaf.other)
                    self._against.setdefault(leaf.other, []).append(leaf.measure)
                    continue
                bars = self._bars.setdefault(leaf.measure, [])
                if leaf.keyed is not None:
                    bars.extend(t for _, t in leaf.keyed.values)
                    if leaf.keyed.default is not None:
                        bars.append(leaf.keyed.default)
                elif leaf.by_size is not None:
                    bars.extend(leaf.by_size)
                elif leaf.op != "in" and leaf.operand is not None:
                    bars.append(leaf.operand)

    def bars(self, name: str, encoded: dict[str, Any]) -> list[Any]:
        """The numbers a measure's value is compared with: its thresholds, and the values of the
        measures it is compared with in this packet."""
        fixed = self._bars.get(name, [])
        others = self._against.get(name)
        if not others:
            return fixed
        return fixed + [v for v in (encoded.get(o) for o in others) if isinstance(v, (int, float, Fraction))]

    # -- words for values ---------------------------------------------------------------------------

    def title(self, name: str) -> str:
        text = self._titles.get(name)
        if text is None:  # a measure's title depends only on the transition: worded once
            measure = self.measures[name]
            text = measure.title or name.replace("_", " ")
            for key, level in self.level_titles.items():
                text = text.replace("{" + key + "}", level)
            self._titles[name] = text
        return text

    def value_words(self, leaf: Leaf, encoded: Any) -> str:
        """An engine-encoded operand or value in words (ranks as level ids, positions as enum words)."""
        kind = leaf.kind
        if kind.kind == "level":
            return self._rank_names.get(encoded, f"rank {encoded}")
        if kind.kind == "bool":
            return "yes" if encoded else "no"
        if kind.kind == "enum" and kind.ordered and isinstance(encoded, int):
            return kind.values[encoded]
        return fmt(encoded)

    def number_first(self, name: str) -> bool:
        """Whether the title reads after a number ("6 months of reviews…") or before it ("horizon ≥ 36 months")."""
        measure = self.measures[name]
        title = self.title(name)
        if measure.unit:
            return title.startswith(measure.unit)
        return not reads_title_first(measure, self._kinds[name].kind if name in self._kinds else None)

    def _phrase(self, name: str, symbol: str, words: str, count: Any = None) -> str:
        """``≥ 2 mentees`` or ``title: ≥ 2 mentees``; the unit agrees with ``count`` (a number, if the words are one)."""
        unit = self.measures[name].unit or ""
        if self.number_first(name):
            return f"{symbol} {words} {_agree(count, self.title(name), unit)}"
        if unit:
            return f"{self.title(name)}: {symbol} {words} {_agree(count, unit, unit)}"
        return f"{self.title(name)} {symbol} {words}"

    def leaf_expected(self, leaf: Leaf, size: Optional[int], values: Optional[dict[str, Any]] = None) -> str:
        if leaf.other is not None:
            return f"{self.title(leaf.measure)} {_SYMBOL[leaf.op]} {self.title(leaf.other)}"
        if leaf.words:
            joiner = " or " if leaf.op == "contains_any" else " and "
            return f"{self.title(leaf.measure)} include {joiner.join(leaf.words)}"
        if leaf.keyed is not None:
            return self._keyed_expected(leaf, (values or {}).get(leaf.keyed.figure))
        if leaf.basis:
            return self.leaf_expected(Leaf(leaf.measure, leaf.op, leaf.operand, leaf.by_size, leaf.kind, leaf.source),
                                      size) + f" ({leaf.basis})"
        if leaf.kind.kind == "bool" and leaf.op in ("eq", "ne"):
            want = bool(leaf.operand) == (leaf.op == "eq")
            return f"{self.title(leaf.measure)}: {'yes' if want else 'no'}"
        if leaf.op == "in":
            words = " or ".join(self.value_words(leaf, v) for v in leaf.operand)
            return f"{self.title(leaf.measure)}: {words}"
        symbol = _SYMBOL[leaf.op]
        if leaf.by_size is None:
            return self._phrase(leaf.measure, symbol, self.value_words(leaf, leaf.operand), leaf.operand)
        if size is not None:
            threshold = leaf.by_size[size]
            return (self._phrase(leaf.measure, symbol, self.value_words(leaf, threshold), threshold)
                    + f" ({SIZES[size]} organisation)")
        each = [f"{self.value_words(leaf, t)} ({s})" for s, t in zip(SIZES, leaf.by_size)]
        return self._phrase(leaf.measure, symbol, ", ".join(each[:-1]) + " or " + each[-1])

    def _keyed_expected(self, leaf: Leaf, key: Any) -> str:
        """A threshold keyed by a packet field: the one that applies, or every case when the key is unknown."""
        keyed = leaf.keyed
        assert keyed is not None
        symbol = _SYMBOL[leaf.op]
        field = keyed.path.rsplit(".", 1)[-1].replace("_", " ")
        key_leaf = Leaf(keyed.path, "eq", None, None, keyed.kind, leaf.source)
        if key is not None:
            threshold = dict(keyed.values).get(key, keyed.default)
            return (self._phrase(leaf.measure, symbol, self.value_words(leaf, threshold), threshold)
                    + f" ({field}: {self.value_words(key_leaf, key)})")
        each = [f"{self.value_words(leaf, t)} ({self.value_words(key_leaf, v)})" for v, t in keyed.values]
        if keyed.default is not None:
            each.append(f"{self.value_words(leaf, keyed.default)} (any other {field})")
        return self._phrase(leaf.measure, symbol, ", ".join(each[:-1]) + " or " + each[-1] if len(each) > 1 else each[0])

    def expected(self, node: Node, size: Optional[int], values: Optional[dict[str, Any]] = None) -> str:
        """The condition in words, thresholds resolved for the packet's organisation size (and, with
        ``values``, the encoded figures, for the fields other thresholds are keyed by)."""
        if node.leaf is not None:
            return self.leaf_expected(node.leaf, size, values)
        if node.form == "not":
            return f"not ({self.expected(node.children[0], size, values)})"
        if node.form == "at_least":  # a titled part is named, then said: "build (execution ≥ 3)"
            parts = [f"{ch.title} ({self.expected(ch, size, values)})" if not self._plain_title(ch) else
                     self.expected(ch, size, values) if ch.form in ("leaf", "not") else
                     f"({self.expected(ch, size, values)})" for ch in node.children]
            return f"at least {node.need} of {len(parts)}: " + "; ".join(parts)
        parts = [self.expected(ch, size, values) if ch.form in ("leaf", "not") else
                 f"({self.expected(ch, size, values)})" for ch in node.children]
        joiner = " and " if node.form == "all" else " or "
        return joiner.join(parts)

    def label(self, node: Node, size: Optional[int], values: Optional[dict[str, Any]] = None) -> str:
        """A short name for a part of an at_least condition: its own `title`, else a comparison's
        measure, else the part in words."""
        if node.title is not None:
            return node.title
        if node.leaf is not None:
            return self.title(node.leaf.measure)
        return self.expected(node, size, values)

    def _plain_title(self, node: Node) -> bool:
        """Whether a part reads without its own title: it has none, or it is a comparison of a measure
        titled the same (``build (build ≥ 3)`` would say it twice)."""
        return node.title is None or (node.leaf is not None and node.title == self.title(node.leaf.measure))

    def actual(self, names: list[str], measured: dict[str, Measured], encoded: dict[str, Any]) -> str:
        """What the packet shows for each measure the criterion reads."""
        out = []
        reading = self._reading
        for name in names:
            m = measured[name]
            if m.value is None:
                why = f"{m.detail}; " if m.detail else ""  # e.g. "none of the 2 listed matches; "
                out.append(f"{self.title(name)}: unknown ({why}missing {', '.join(m.missing)})")
                continue
            known = reading.get(name)
            if known is None:
                measure = self.measures[name]
                known = reading[name] = (measure, self._kinds.get(name), counts_calendar_months(measure))
            measure, leaf, in_months = known
            count = m.value
            if isinstance(m.value, (list, tuple)):  # a list of words
                text = ", ".join(str(w) for w in m.value) or "none"
                out.append(text if len(names) == 1 else f"{self.title(name)}: {text}")
                continue
            if in_months:
                words = half_months(m.value, up=False)
                count = float(words)  # the unit agrees with the number shown ("1 month", "1.5 months")
            elif leaf is not None and leaf.kind.kind == "number":
                words = fmt_beside(encoded[name], self.bars(name, encoded))
            else:
                words = self.value_words(leaf, encoded[name]) if leaf else fmt(m.value)
            unit = f" {_agree(count, measure.unit, measure.unit)}" if measure.unit else ""
            text = f"{words}{unit}" if len(names) == 1 else f"{self.title(name)}: {words}{unit}"
            if m.detail:
                text += f" ({m.detail})"
            out.append(text)
        return "; ".join(out)

    # -- gaps ---------------------------------------------------------------------------------------

    def status(self, node: Node, encoded: dict[str, Any], size: Optional[int]) -> str:
        """The three-valued reading of a (sub)condition, used only to word what falls short."""
        if node.leaf is not None:
            return self._leaf_status(node.leaf, encoded, size)
        if node.form == "not":
            inner = self.status(node.children[0], encoded, size)
            return {"pass": "fail", "fail": "pass"}.get(inner, inner)
        results = [self.status(ch, encoded, size) for ch in node.children]
        if node.form == "at_least":
            passed, unknown = results.count("pass"), results.count("unknown")
            return "pass" if passed >= node.need else "fail" if passed + unknown < node.need else "unknown"
        if node.form == "all":
            return "fail" if "fail" in results else "unknown" if "unknown" in results else "pass"
        return "pass" if "pass" in results else "unknown" if "unknown" in results else "fail"

    def _leaf_status(self, leaf: Leaf, encoded: dict[str, Any], size: Optional[int]) -> str:
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

    def gaps(self, node: Node, encoded: dict[str, Any], size: Optional[int], as_of: datetime.date,
             negate: bool = False, measured: Optional[dict[str, Measured]] = None) -> list[Gap]:
        """The smallest set of changes that would turn a failing (sub)condition into a pass.

        With ``measured``, a figure that grows with time is projected to the day it would pass, as far
        as its evidence reaches (a review period that has ended adds nothing later)."""
        if node.form == "not":
            return self.gaps(node.children[0], encoded, size, as_of, not negate, measured)
        if node.leaf is not None:
            status = self._leaf_status(node.leaf, encoded, size)
            if status == ("fail" if negate else "pass"):
                return []
            return [self._leaf_gap(node.leaf, encoded, size, as_of, negate, (measured or {}).get(node.leaf.measure))]
        child_gaps = [self.gaps(ch, encoded, size, as_of, negate, measured) for ch in node.children]
        if node.form == "at_least":
            return self._at_least_gaps(node, child_gaps, encoded, size, negate)
        needs_all = (node.form == "all") != negate
        if needs_all:
            return [g for gs in child_gaps for g in gs]
        options = [gs for gs in child_gaps if gs]
        if len(options) < len(child_gaps):
            return []  # one alternative already holds
        return min(options, key=lambda gs: sum(g.size for g in gs))

    def _words_gap(self, leaf: Leaf, value: Any, negate: bool) -> Gap:
        words, count = _words_gap_text(leaf, value, negate)
        now = ", ".join(value) or "none"
        return Gap(f"{words} to {self.title(leaf.measure)} (now {now})" if not negate else
                   f"{words} from {self.title(leaf.measure)} (now {now})", float(max(count, 1)))

    def _at_least_gaps(self, node: Node, child_gaps: list[list[Gap]], encoded: dict[str, Any],
                       size: Optional[int], negate: bool) -> list[Gap]:
        """What an at_least condition lacks: "needs 3 of 4: has 2 (a, b); closest: …" (negated: which
        passing parts to give up). The cheapest parts to turn are the closest."""
        statuses = [self.status(ch, encoded, size) for ch in node.children]
        good = "fail" if negate else "pass"
        have = [self.label(ch, size, encoded) for ch, st in zip(node.children, statuses) if st == good]
        short = (len(have) - node.need + 1) if negate else node.need - len(have)
        if short <= 0:
            return []
        options = sorted((sum(g.size for g in gs), q) for q, gs in enumerate(child_gaps) if gs)
        chosen = [child_gaps[q] if self._plain_title(node.children[q]) else _named(node.children[q].title, child_gaps[q])
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

    def _leaf_gap(self, leaf: Leaf, encoded: dict[str, Any], size: Optional[int], as_of: datetime.date,
                  negate: bool, measured: Optional[Measured] = None) -> Gap:
        title = self.title(leaf.measure)
        value = encoded.get(leaf.measure)
        measure = self.measures[leaf.measure]
        op = _NEGATED[leaf.op] if negate else leaf.op
        if value is None:
            return Gap(f"add evidence for {title}", 0.0)
        if leaf.words:
            return self._words_gap(leaf, value, negate)
        if leaf.other is not None:
            other = encoded.get(leaf.other)
            if other is None:
                return Gap(f"add evidence for {self.title(leaf.other)}", 0.0)
            if leaf.kind.kind == "number":
                now = f"{fmt_beside(value, [other])} and {fmt_beside(other, [value])}"
            else:
                now = f"{self.value_words(leaf, value)} and {self.value_words(leaf, other)}"
            return Gap(f"{title} {_SYMBOL[op]} {self.title(leaf.other)} (now {now})", 1.0)
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
            words = (f"{amount} more {_agree(float(amount), title, unit)}" if self.number_first(leaf.measure)
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
            need = threshold - value + (0 if op == "gte" else _step(threshold))
            more = fmt_beside(need, [0])  # a shortfall of a hair is 0.01 more, never "0 more"
            if self.number_first(leaf.measure):
                words = f"{more} more {_agree(need, title, measure.unit or '')}"
            elif measure.unit:
                words = f"{title}: {more} more {_agree(need, measure.unit, measure.unit)}"
            else:
                words = f"raise {title} from {fmt_beside(value, [*self.bars(leaf.measure, encoded), threshold])} to {fmt(threshold + (0 if op == 'gte' else _step(threshold)))}"
            date = None
            if measure.grows and measure.unit in ("months", "years"):
                months = need * (12 if measure.unit == "years" else 1)
                try:
                    date = add_months(as_of, months)
                except OverflowError:  # a threshold so far off that no calendar date reaches it
                    words += ", beyond any calendar date at the current pace"
                else:
                    words += f", projected {date.isoformat()} at the current pace"
            return Gap(words, need / max(abs(threshold), 1), date)
        if leaf.kind.kind == "number" and op in ("lte", "lt"):
            need = value - threshold + (0 if op == "lte" else _step(threshold))
            return Gap(f"{fmt_beside(need, [0])} less {title} (now {fmt_beside(value, [*self.bars(leaf.measure, encoded), threshold])}, "
                       f"{_LIMIT[op]} {fmt(threshold)})",
                       need / max(abs(threshold), 1))
        want = self.leaf_expected(Leaf(leaf.measure, op, leaf.operand, leaf.by_size, leaf.kind, leaf.source), size)
        return Gap(f"{want} (now {self.value_words(leaf, value)})", 1.0)


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


def _step(threshold: Any) -> float:
    return 1 if isinstance(threshold, int) else 0.01


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


def leaves(node: Node) -> list[Leaf]:
    """The comparisons of a compiled tree, in file order."""
    if node.leaf is not None:
        return [node.leaf]
    return [leaf for ch in node.children for leaf in leaves(ch)]


def measure_names(node: Node) -> list[str]:
    """The measures a compiled tree reads (both of a comparison of two measures), in first-use order."""
    return list(dict.fromkeys(n for leaf in leaves(node) for n in (leaf.measure, leaf.other) if n is not None))


def texts_for(criterion: Criterion, status: str) -> str:
    """The words the rule file gives for a status."""
    return {"pass": criterion.text.pass_, "fail": criterion.text.fail, "unknown": criterion.text.unknown}[status]
