"""The values a measure (or an item field) can take, for the ladder lint's check that a condition can pass.

Read from the packet schema (each field's ``ge``/``le``, whole numbers for ``int`` fields), a declared
field's ``min``/``max`` (or the ±1e15 any packet figure stays within), a scale's or an enum's words,
and what each kind of measure yields: a count is a whole number from 0, months since a date are at
least 0, review months within N months at most N, a ``sum_of`` of bounded parts is bounded by their
sums, a ``weighted_mean`` by their extremes. A field that grows with time has no upper bound. Bounds
are taken at 4 decimals, as the engine compares values. ``Left`` narrows a domain by comparisons and
says whether anything is left.
"""

from __future__ import annotations

import math
import types
import typing
from dataclasses import dataclass, field, replace
from typing import Any, Optional, Union

from pydantic import BaseModel

from promoready.schemas._evidence import MAX_FIGURE
from promoready.schemas.ladder import (
    Aggregate,
    Dated,
    FieldMeasure,
    LadderFile,
    ListMeasure,
    Measure,
    MonthsSinceMeasure,
    ReviewMonthsMeasure,
    SumOfMeasure,
    WeightedMeanMeasure,
)
from promoready.schemas.packet import LIST_ITEMS, Packet

from ._fields import EVIDENCE, FieldKind, fields_of, items_of, measure_kind
from ._wording import number, shown


#: The comparison that holds exactly when a comparison does not (on a known value).
NEGATED = {"gte": "lt", "gt": "lte", "lte": "gt", "lt": "gte", "eq": "ne", "ne": "eq", "in": "not_in"}


@dataclass(frozen=True)
class Domain:
    """The values a measure (or an item field) can take when known: a few words or true/false
    (``words``, lowest first when ``ordered``), or numbers from ``lo`` to ``hi`` (None: no bound),
    whole ones only when ``whole``. ``subject`` says what the values are, for messages."""

    subject: str
    words: Optional[tuple[Any, ...]] = None
    ordered: bool = False
    lo: Optional[float] = None
    hi: Optional[float] = None
    whole: bool = False

    def said(self) -> str:
        """The values in words: "a whole number from 1 to 5", "one of low, medium, high"."""
        if self.words is not None:
            if set(self.words) == {True, False}:
                return "true or false"
            return "one of " + ", ".join(_word(w) for w in self.words) + (" (lowest first)" if self.ordered else "")
        what = "a whole number" if self.whole else "a number"
        if self.lo is not None and self.hi is not None:
            return f"{what} from {_num(self.lo)} to {_num(self.hi)}"
        if self.lo is not None:
            return f"{what} of at least {_num(self.lo)}"
        if self.hi is not None:
            return f"{what} of at most {_num(self.hi)}"
        return "any number"


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e16 else number(float(x))


def _word(w: Any) -> str:
    return shown(w) if isinstance(w, bool) else str(w)


# -- what a measure can be ------------------------------------------------------------------------------


def _bounds_of(annotation: Any) -> tuple[Optional[float], Optional[float], bool]:
    """The ``ge``/``le`` bounds an annotation carries (``Annotated[int, Field(ge=1, le=5)]``), and
    whether its values are whole numbers."""
    lo = hi = None
    whole = False
    stack = [annotation]
    while stack:
        a = stack.pop()
        origin = typing.get_origin(a)
        if origin is typing.Annotated:
            base, *meta = typing.get_args(a)
            stack.append(base)
            for m in meta:
                for item in (m, *getattr(m, "metadata", ())):
                    low = getattr(item, "ge", None)
                    low = getattr(item, "gt", None) if low is None else low
                    high = getattr(item, "le", None)
                    high = getattr(item, "lt", None) if high is None else high
                    if isinstance(low, (int, float)):
                        lo = low if lo is None else max(lo, low)
                    if isinstance(high, (int, float)):
                        hi = high if hi is None else min(hi, high)
        elif origin in (Union, types.UnionType):
            stack.extend(x for x in typing.get_args(a) if x is not type(None))
        elif a is int:
            whole = True
    return lo, hi, whole


def _model_of(annotation: Any) -> Optional[type[BaseModel]]:
    stack = [annotation]
    while stack:
        a = stack.pop()
        if isinstance(a, type) and issubclass(a, BaseModel):
            return a
        stack.extend(typing.get_args(a))
    return None


def _builtin_number(model: Optional[type[BaseModel]], path: str, subject: str) -> Optional[Domain]:
    """The bounds the packet schema gives the number at ``path`` (dotted, below ``model``)."""
    *sections, name = path.split(".")
    for part in sections:
        info = model.model_fields.get(part) if model is not None else None
        model = _model_of(info.annotation) if info is not None else None
    info = model.model_fields.get(name) if model is not None else None
    if info is None:
        return None
    lo, hi, whole = _bounds_of(info.annotation)
    return Domain(subject, lo=_grid(lo), hi=_grid(hi), whole=whole)


def _grid(x: Optional[float]) -> Optional[float]:
    """A bound as the engine sees a value there: at 4 decimals (rounding keeps the order)."""
    return None if x is None else round(x, 4)


def _declared_number(spec: Any, subject: str) -> Domain:
    """A declared number: within its ``min`` and ``max``, else within what any packet figure may be."""
    lo = spec.min if spec.min is not None else -MAX_FIGURE
    hi = spec.max if spec.max is not None else MAX_FIGURE
    return Domain(f"{subject}, as ladder.yaml declares it" if spec.min is not None or spec.max is not None else subject,
                  lo=_grid(lo), hi=_grid(hi), whole=spec.type == "integer")


def _of_kind(kind: FieldKind, subject: str) -> Optional[Domain]:
    """A domain of words or true/false, for a field of that kind."""
    if kind.kind == "bool":
        return Domain(subject, words=(False, True))
    if kind.kind == "enum" and kind.values:
        return Domain(subject, words=tuple(kind.values), ordered=bool(kind.ordered))
    return None


def field_domain(head: LadderFile, path: str) -> Optional[Domain]:
    """What the packet field at ``path`` can be when known."""
    kind = fields_of(head).get(path)
    if kind is None:
        return None
    if kind.kind == "number":
        if path.startswith(EVIDENCE + "."):
            return _declared_number(head.evidence[path.split(".", 1)[1]], path)
        return _builtin_number(Packet, path, path)
    return _of_kind(kind, path)


def item_domain(head: LadderFile, list_path: str, key: str) -> Optional[Domain]:
    """What field ``key`` of the items of ``list_path`` can be when an item has it."""
    kind = items_of(head, list_path).get(key)
    subject = f"{list_path}[].{key}"
    if kind is None:
        return None
    if kind.kind == "number":
        if list_path.startswith(EVIDENCE + "."):
            spec = head.evidence[list_path.split(".", 1)[1]]
            return _declared_number((spec.fields or {})[key], subject)
        return _builtin_number(LIST_ITEMS.get(list_path), key, subject)
    return _of_kind(kind, subject)


def measure_domain(head: LadderFile, name: str, seen: frozenset[str] = frozenset()) -> Optional[Domain]:
    """What measure ``name`` can be when known; None when anything may be (or it is not worth saying)."""
    m = head.measures.get(name)
    if m is None or name in seen:
        return None
    return _measure_domain(head, m, seen | {name})


def _measure_domain(head: LadderFile, m: Measure, seen: frozenset[str]) -> Optional[Domain]:
    if isinstance(m, FieldMeasure):
        d = field_domain(head, m.field)
        if d is not None and d.words is None and m.grows and m.unit in ("months", "years"):
            # measured to another day than the packet's, the figure grows (or shrinks, down to 0) with time
            lo = None if d.lo is None else min(d.lo, 0)
            return Domain(f"{m.field}, which grows with time", lo=lo)
        return d
    if isinstance(m, MonthsSinceMeasure):
        return Domain(f"months since {m.months_since}", lo=0)
    if isinstance(m, ReviewMonthsMeasure):
        within = m.review_months.within_months
        return Domain("months of reviews" + (f" in the last {within} months" if within else ""), lo=0, hi=within)
    if isinstance(m, (SumOfMeasure, WeightedMeanMeasure)):
        return _arithmetic_domain(head, m, seen)
    if not isinstance(m, ListMeasure):
        return None
    if m.kind in ("count", "size"):
        return Domain(f"a {'count' if m.kind == 'count' else 'number of distinct names'} of {m.list_path}", lo=0,
                      whole=True)
    of = getattr(m, "of", None)
    item = item_domain(head, m.list_path, of) if of is not None else None
    if item is None:
        return None
    subject = f"the {m.kind} of {item.subject}"
    if isinstance(m, Dated) or item.words is not None:
        return replace(item, subject=subject)
    assert isinstance(m, Aggregate)
    if m.kind == "min":
        return replace(item, subject=subject)
    if m.kind == "max":  # the max of no number is 0
        return replace(item, subject=subject, lo=None if item.lo is None else min(item.lo, 0),
                       hi=None if item.hi is None else max(item.hi, 0))
    # sum: of no number, 0; of numbers of one sign, that sign
    return Domain(subject, lo=0 if item.lo is not None and item.lo >= 0 else None,
                  hi=0 if item.hi is not None and item.hi <= 0 else None, whole=item.whole)


def _arithmetic_domain(head: LadderFile, m: Union[SumOfMeasure, WeightedMeanMeasure],
                       seen: frozenset[str]) -> Optional[Domain]:
    los: list[Optional[float]] = []
    his: list[Optional[float]] = []
    whole = True
    for part, _ in m.parts:
        d = measure_domain(head, part, seen)
        kind = head.measures.get(part)
        if d is not None and d.words is not None:  # a rating: the numbers its scale gives its words
            numbers = _scale_numbers(head, kind)
            d = Domain(d.subject, lo=min(numbers), hi=max(numbers)) if numbers else None
        los.append(None if d is None else d.lo)
        his.append(None if d is None else d.hi)
        whole = whole and d is not None and d.whole
    word = "sum" if isinstance(m, SumOfMeasure) else "weighted mean"
    subject = f"a {word} of {', '.join(p for p, _ in m.parts)}"
    if isinstance(m, SumOfMeasure):
        lo = None if None in los else sum(x for x in los if x is not None)
        hi = None if None in his else sum(x for x in his if x is not None)
        return Domain(subject, lo=lo, hi=hi, whole=whole)
    return Domain(subject, lo=None if None in los else min(x for x in los if x is not None),
                  hi=None if None in his else max(x for x in his if x is not None))


def _scale_numbers(head: LadderFile, m: Optional[Measure]) -> list[float]:
    if m is None:
        return []
    numbers = measure_kind(m, head).numbers
    return [] if not numbers or None in numbers else [float(n) for n in numbers if n is not None]


# -- narrowing a domain by comparisons --------------------------------------------------------------------


@dataclass
class Left:
    """What is left of a domain once some comparisons hold: words, or an interval with points left out."""

    domain: Domain
    words: Optional[set[Any]] = None
    lo: Optional[float] = None
    lo_open: bool = False
    hi: Optional[float] = None
    hi_open: bool = False
    out: set[float] = field(default_factory=set)

    @classmethod
    def of(cls, d: Domain) -> Left:
        return cls(d, words=set(d.words) if d.words is not None else None, lo=d.lo, hi=d.hi)

    def narrow(self, op: str, value: Any) -> None:
        if self.words is not None:
            self._words(op, value)
        elif op in ("gte", "gt"):
            if self.lo is None or value > self.lo:
                self.lo, self.lo_open = value, op == "gt"
            elif value == self.lo:
                self.lo_open = self.lo_open or op == "gt"
        elif op in ("lte", "lt"):
            if self.hi is None or value < self.hi:
                self.hi, self.hi_open = value, op == "lt"
            elif value == self.hi:
                self.hi_open = self.hi_open or op == "lt"
        elif op == "eq":
            self.narrow("gte", value)
            self.narrow("lte", value)
        elif op == "ne":
            self.out.add(value)

    def _words(self, op: str, value: Any) -> None:
        assert self.words is not None
        order = list(self.domain.words or ())
        if op == "eq":
            self.words &= {value}
        elif op == "ne":
            self.words -= {value}
        elif op == "in":
            self.words &= set(value)
        elif op == "not_in":
            self.words -= set(value)
        elif value in order:
            at = order.index(value)
            keep = {"gte": lambda i: i >= at, "gt": lambda i: i > at, "lte": lambda i: i <= at,
                    "lt": lambda i: i < at}[op]
            self.words &= {w for i, w in enumerate(order) if keep(i)}

    def empty(self) -> bool:
        if self.words is not None:
            return not self.words
        if self.lo is None or self.hi is None:
            return False
        if self.domain.whole:
            first = math.floor(self.lo) + 1 if self.lo_open and float(self.lo).is_integer() else math.ceil(self.lo)
            last = math.ceil(self.hi) - 1 if self.hi_open and float(self.hi).is_integer() else math.floor(self.hi)
            return first > last or (last - first < 64 and all(n in self.out for n in range(first, last + 1)))
        if self.lo != self.hi:
            return self.lo > self.hi
        return self.lo_open or self.hi_open or self.lo in self.out


def constant(d: Domain, op: str, value: Any) -> bool:
    """Whether ``value`` is a constant this check compares with domain ``d`` (not a level, another
    measure or a keyed threshold); the lint has already checked that it fits."""
    if op not in NEGATED and op != "not_in":
        return False
    if op in ("in", "not_in"):
        return d.words is not None and isinstance(value, list) and all(isinstance(v, (str, bool)) for v in value)
    if d.words is not None:
        return isinstance(value, (str, bool)) and (op in ("eq", "ne") or d.ordered)
    return isinstance(value, (int, float)) and not isinstance(value, bool)
