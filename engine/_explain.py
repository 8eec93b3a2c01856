"""Explaining a criterion the engine has decided: what was expected, what was found, what would pass.

Nothing here decides a status: the status comes from the rules engine. To say *which part* of a
condition falls short and *by how much*, the explainer looks at each comparison of the condition
with the same three-valued reading the compiler gave the engine, and words the gap ("2.1 more
months of reviews at director or above, projected 2027-01-04").
"""

from __future__ import annotations

import datetime
from fractions import Fraction
from typing import Any, Optional, Sequence

from promoready.schemas.ladder import Criterion, Measure

from . import _gaps
from ._compile import SIZES, Leaf, Node
from ._figures import upper_figure
# The gap wording and the numbers in it live in _gaps; the names other modules use are re-exported here.
from ._gaps import _SYMBOL, Gap, _agree, counts_calendar_months
from ._shown_numbers import _exact, fmt, fmt_bar, fmt_beside, months_beside
from ._levels import LevelIndex
from ._measures import Measured, reads_title_first


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
        self._number_first: dict[str, bool] = {}
        #: Per measure, what ``actual`` needs besides the packet: (its first comparison, whether it
        #: counts calendar months, whether that comparison is of numbers, its unit), filled on first use.
        self._reading: dict[str, tuple[Optional[Leaf], bool, bool, Optional[str]]] = {}
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

    def bar_words(self, leaf: Leaf, operand: Any) -> str:
        """A threshold in words: as ``value_words``, but a number with every decimal the ladder gave it."""
        if leaf.kind.kind == "number":
            return fmt_bar(operand)
        return self.value_words(leaf, operand)

    def number_first(self, name: str) -> bool:
        """Whether the title reads after a number ("6 months of reviews…") or before it ("horizon ≥ 36 months")."""
        known = self._number_first.get(name)
        if known is None:  # it depends only on the transition: worked out once
            measure = self.measures[name]
            if measure.unit:
                known = self.title(name).startswith(measure.unit)
            else:
                known = not reads_title_first(measure, self._kinds[name].kind if name in self._kinds else None)
            self._number_first[name] = known
        return known

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
            words = " or ".join(self.bar_words(leaf, v) for v in leaf.operand)
            return f"{self.title(leaf.measure)}: {words}"
        symbol = _SYMBOL[leaf.op]
        if leaf.by_size is None:
            return self._phrase(leaf.measure, symbol, self.bar_words(leaf, leaf.operand), leaf.operand)
        if size is not None:
            threshold = leaf.by_size[size]
            return (self._phrase(leaf.measure, symbol, self.bar_words(leaf, threshold), threshold)
                    + f" ({SIZES[size]} organisation)")
        each = [f"{self.bar_words(leaf, t)} ({s})" for s, t in zip(SIZES, leaf.by_size)]
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
            return (self._phrase(leaf.measure, symbol, self.bar_words(leaf, threshold), threshold)
                    + f" ({field}: {self.value_words(key_leaf, key)})")
        each = [f"{self.bar_words(leaf, t)} ({self.value_words(key_leaf, v)})" for v, t in keyed.values]
        if keyed.default is not None:
            each.append(f"{self.bar_words(leaf, keyed.default)} (any other {field})")
        return self._phrase(leaf.measure, symbol, ", ".join(each[:-1]) + " or " + each[-1] if len(each) > 1 else each[0])

    def expected(self, node: Node, size: Optional[int], values: Optional[dict[str, Any]] = None) -> str:
        """The condition in words, thresholds resolved for the packet's organisation size (and, with
        ``values``, the encoded figures, for the fields other thresholds are keyed by)."""
        if node.leaf is not None:
            return self.leaf_expected(node.leaf, size, values)
        if node.form == "not":
            return f"not ({self.expected(node.children[0], size, values)})"
        if node.form == "at_least":  # a titled part is named, then said: "build (execution ≥ 3)"
            parts = [f"{ch.title} ({self.expected(ch, size, values)})" if not self.plain_title(ch) else
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

    def plain_title(self, node: Node) -> bool:
        """Whether a part reads without its own title: it has none, or it is a comparison of a measure
        titled the same (``build (build ≥ 3)`` would say it twice)."""
        return node.title is None or (node.leaf is not None and node.title == self.title(node.leaf.measure))

    def actual(self, names: list[str], measured: dict[str, Measured], encoded: dict[str, Any]) -> str:
        """What the packet shows for each measure the criterion reads."""
        out = []
        reading = self._reading
        one = len(names) == 1
        for name in names:
            m = measured[name]
            value = m.value
            if value is None:
                if m.outside:  # the list is there: its items fall outside the window, the detail says
                    out.append(f"{self.title(name)}: unknown ({m.detail})")
                    continue
                why = f"{m.detail}; " if m.detail else ""  # e.g. "none of the 2 listed matches; "
                # (a sum_of part outside its window is said in the detail, not as missing)
                gone = [p for p in m.missing if p not in m.windows] if m.windows else m.missing
                out.append(f"{self.title(name)}: unknown ({why}missing {', '.join(gone)})" if gone
                           else f"{self.title(name)}: unknown ({m.detail})")
                continue
            known = reading.get(name)
            if known is None:
                measure = self.measures[name]
                leaf = self._kinds.get(name)
                known = reading[name] = (leaf, counts_calendar_months(measure),
                                         leaf is not None and leaf.kind.kind == "number", measure.unit)
            leaf, in_months, number, unit = known
            count = value
            if isinstance(value, (list, tuple)):  # a list of words
                text = ", ".join(str(w) for w in value) or "none"
                out.append(text if one else f"{self.title(name)}: {text}")
                continue
            if in_months:  # in half months, beside the bars it is compared with
                words = months_beside(value, self.bars(name, encoded))
                count = float(words)  # the unit agrees with the number shown ("1 month", "1.5 months")
            elif number:
                shown = encoded[name]
                # A whole number is shown as it is, whatever the bars (``fmt_beside``): they are not looked up.
                words = str(shown) if type(shown) is int else fmt_beside(shown, self.bars(name, encoded))
            else:
                # (a Fraction, of a combination compared only as another's bar: shown as the engine reads it)
                words = self.value_words(leaf, encoded[name]) if leaf else (
                    fmt_beside(encoded[name], self.bars(name, encoded)) if isinstance(value, Fraction) else fmt(value))
            if m.upper is not None:  # a count that knows a range: up to its items in doubt
                high = encoded[upper_figure(name)]  # as the engine compared it
                high_words = str(high) if type(high) is int else fmt_beside(high, self.bars(name, encoded))
                words, count = f"{words} to {high_words}", 2  # "0 to 1 advocates": a range reads plural
            if unit:
                words = f"{words} {_agree(count, unit, unit)}"
            text = words if one else f"{self.title(name)}: {words}"
            if m.detail:
                text += f" ({m.detail})"
            out.append(text)
        return out[0] if one else "; ".join(out)

    # -- gaps (engine/_gaps.py) ----------------------------------------------------------------------

    def status(self, node: Node, encoded: dict[str, Any], size: Optional[int]) -> str:
        """The three-valued reading of a (sub)condition, used only to word what falls short."""
        return _gaps.status(self, node, encoded, size)

    def gaps(self, node: Node, encoded: dict[str, Any], size: Optional[int], as_of: datetime.date,
             negate: bool = False, measured: Optional[dict[str, Measured]] = None) -> list[Gap]:
        """The smallest set of changes that would turn a failing (sub)condition into a pass
        (``_gaps.gaps``: a figure that grows with time is projected, given ``measured``)."""
        return _gaps.gaps(self, node, encoded, size, as_of, negate, measured)


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
