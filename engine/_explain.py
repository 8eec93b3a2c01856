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
from fractions import Fraction
from typing import Any, Optional, Sequence

from promoready.schemas.ladder import Criterion, FieldMeasure, Measure, MonthsSinceMeasure, ReviewMonthsMeasure

from ._compile import SIZES, Leaf, Node
from ._levels import LevelIndex
from ._measures import Measured, add_months, reads_title_first
from .words import agree

_SYMBOL = {"gte": "≥", "gt": ">", "lte": "≤", "lt": "<", "eq": "=", "ne": "≠", "in": "one of"}


def fmt(x: Any) -> str:
    """A number as people write it: no trailing ``.0``, at most two decimals."""
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, float):
        x = round(x, 2)
        return str(int(x)) if x.is_integer() else f"{x:g}"
    return str(x)


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
        for tree in trees:
            for leaf in leaves(tree):
                self._kinds.setdefault(leaf.measure, leaf)

    # -- words for values ---------------------------------------------------------------------------

    def title(self, name: str) -> str:
        measure = self.measures[name]
        text = measure.title or name.replace("_", " ")
        for key, level in self.level_titles.items():
            text = text.replace("{" + key + "}", level)
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

    def leaf_expected(self, leaf: Leaf, size: Optional[int]) -> str:
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

    def expected(self, node: Node, size: Optional[int]) -> str:
        """The condition in words, thresholds resolved for the packet's organisation size."""
        if node.leaf is not None:
            return self.leaf_expected(node.leaf, size)
        if node.form == "not":
            return f"not ({self.expected(node.children[0], size)})"
        joiner = " and " if node.form == "all" else " or "
        parts = [self.expected(ch, size) if ch.form in ("leaf", "not") else f"({self.expected(ch, size)})"
                 for ch in node.children]
        return joiner.join(parts)

    def actual(self, names: list[str], measured: dict[str, Measured], encoded: dict[str, Any]) -> str:
        """What the packet shows for each measure the criterion reads."""
        out = []
        for name in names:
            m = measured[name]
            measure = self.measures[name]
            if m.value is None:
                out.append(f"{self.title(name)}: unknown (missing {', '.join(m.missing)})")
                continue
            leaf = self._kinds.get(name)
            count = m.value
            if counts_calendar_months(measure):
                words = half_months(m.value, up=False)
                count = float(words)  # the unit agrees with the number shown ("1 month", "1.5 months")
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
        if node.form == "all":
            return "fail" if "fail" in results else "unknown" if "unknown" in results else "pass"
        return "pass" if "pass" in results else "unknown" if "unknown" in results else "fail"

    def _leaf_status(self, leaf: Leaf, encoded: dict[str, Any], size: Optional[int]) -> str:
        value = encoded.get(leaf.measure)
        if value is None:
            return "unknown"
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
        needs_all = (node.form == "all") != negate
        if needs_all:
            return [g for gs in child_gaps for g in gs]
        options = [gs for gs in child_gaps if gs]
        if len(options) < len(child_gaps):
            return []  # one alternative already holds
        return min(options, key=lambda gs: sum(g.size for g in gs))

    def _leaf_gap(self, leaf: Leaf, encoded: dict[str, Any], size: Optional[int], as_of: datetime.date,
                  negate: bool, measured: Optional[Measured] = None) -> Gap:
        title = self.title(leaf.measure)
        value = encoded.get(leaf.measure)
        measure = self.measures[leaf.measure]
        threshold = leaf.operand if leaf.by_size is None else leaf.by_size[size if size is not None else
                                                                             _hardest(leaf.op, leaf.by_size)]
        op = _NEGATED[leaf.op] if negate else leaf.op
        if value is None:
            return Gap(f"add evidence for {title}", 0.0)
        if leaf.kind.kind == "number" and op in ("gte", "gt") and counts_calendar_months(measure):
            need = threshold - value
            amount = half_months(need if need > 0 else Fraction(1, 2), up=True)
            unit = measure.unit or "months"
            words = (f"{amount} more {_agree(float(amount), title, unit)}" if self.number_first(leaf.measure)
                     else f"{title}: {amount} more {_agree(float(amount), unit, unit)}")
            day = None
            if measured is not None and measured.when is not None:
                bar = Fraction(str(threshold))
                day, why = measured.when((lambda v: v >= bar) if op == "gte" else (lambda v: v > bar))
                words += f", projected {day.isoformat()} if it continues" if day else f"; no date can be projected: {why}"
            return Gap(words, float(need) / max(abs(threshold), 1), day)
        if leaf.kind.kind == "number" and op in ("gte", "gt"):
            need = threshold - value + (0 if op == "gte" else _step(threshold))
            if self.number_first(leaf.measure):
                words = f"{fmt(need)} more {_agree(need, title, measure.unit or '')}"
            elif measure.unit:
                words = f"{title}: {fmt(need)} more {_agree(need, measure.unit, measure.unit)}"
            else:
                words = f"raise {title} from {fmt(value)} to {fmt(threshold + (0 if op == 'gte' else _step(threshold)))}"
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
            return Gap(f"{fmt(need)} less {title} (now {fmt(value)}, at most {fmt(threshold)})",
                       need / max(abs(threshold), 1))
        want = self.leaf_expected(Leaf(leaf.measure, op, leaf.operand, leaf.by_size, leaf.kind, leaf.source), size)
        return Gap(f"{want} (now {self.value_words(leaf, value)})", 1.0)


def _agree(count: Any, phrase: str, unit: str) -> str:
    """``phrase`` with its leading (plural) ``unit`` agreeing with ``count``, as a person writes it
    (``fmt``: 1.0 is 1); anything that is not a number leaves the phrase as written."""
    if isinstance(count, bool) or not isinstance(count, (int, float)):
        return phrase
    return agree(float(fmt(count)), phrase, unit)


_NEGATED = {"gte": "lt", "gt": "lte", "lte": "gt", "lt": "gte", "eq": "ne", "ne": "eq", "in": "in"}


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
    """The measures a compiled tree reads, in first-use order."""
    return list(dict.fromkeys(leaf.measure for leaf in leaves(node)))


def texts_for(criterion: Criterion, status: str) -> str:
    """The words the rule file gives for a status."""
    return {"pass": criterion.text.pass_, "fail": criterion.text.fail, "unknown": criterion.text.unknown}[status]
