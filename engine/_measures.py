"""Measures: the figures a transition's rules compare, computed from a packet once per evaluation.

Each declared measure compiles (once per transition, when the ``Evaluator`` is built) to a function
``packet, context -> Measured``. A measure whose evidence is absent is unknown (``value`` None) and
says which packet paths are missing; a known one says which paths counted. Python prepares these
figures; it never compares them with a threshold (durable-rules does that).
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from promoready.schemas.ladder import (
    Aggregate,
    CountMeasure,
    Dated,
    EarliestMeasure,
    FieldMeasure,
    ListMeasure,
    MaxMeasure,
    Measure,
    MonthsSinceMeasure,
    ReviewMonthsMeasure,
    SizeMeasure,
    SumMeasure,
    SumOfMeasure,
    WeightedMeanMeasure,
    Where,
)
from promoready.schemas.packet import Packet

from ._fields import EVIDENCE, FieldKind, fields_of, items_of, measure_kind
from ._levels import LevelIndex

#: The longest window (``within_months``) a ladder may declare: a hundred years.
MAX_WINDOW_MONTHS = 1200
#: The date a list's items are ordered and windowed by when a measure does not say (``by``): for
#: ``latest``, and for ``earliest``.
_DATE_FIELDS = {"reviews": "end"}
_EARLIEST_DATE_FIELDS = {"reviews": "start"}
#: ``where`` tests of an item's date: a window ending on ``as_of``, and comparisons with a day.
DATE_OPS = ("within_months", "before", "after", "on_or_before", "on_or_after")
#: The days a date comparison in ``where`` may name besides an ISO date: ``as_of`` itself, or
#: ``{months_before_as_of: N}`` (``as_of`` moved back N calendar months, the day clamped).
AS_OF = "as_of"
MONTHS_BEFORE = "months_before_as_of"


@dataclass(frozen=True)
class Context:
    """What a measure needs besides the packet: the date and the transition's own levels."""

    as_of: datetime.date
    index: LevelIndex
    ranks: dict[str, int]  # rank of each level or title name the packet uses, as written (resolved once)
    #: The packet's own date (its ``as_of``): figures that grow with time were true then.
    packet_date: Optional[datetime.date] = None
    #: The packet's ``evidence:`` section checked against the ladder's declarations (declared name →
    #: typed value; records as mappings), or None when the packet has none.
    evidence: Optional[dict[str, Any]] = None


@dataclass
class Measured:
    """One measure's value for one packet, with the packet paths that counted or were missing."""

    value: Any  # None = unknown
    evidence: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    detail: str = ""  # extra words for `actual`, e.g. "2 periods"
    #: For a figure that grows with time: the first day after ``as_of`` on which the figure would
    #: satisfy a test, if only the clock moved, searched no further than the evidence reaches; with
    #: the reason when there is no such day. None: the figure does not grow by itself.
    when: Optional[Callable[[Callable[[Any], bool]], tuple[Optional[datetime.date], str]]] = None


Fn = Callable[[Packet, Context], Measured]


# Calendar months (1 Jan to 30 Jun is 6): the arithmetic lives in _calendar, re-exported here.
from ._calendar import (  # noqa: E402  (after the types the rest of this module uses)
    _first_day,
    add_months,
    months_between,
    months_through,
    shift_months,
    window_start,
)


def default_date_field(list_path: str, ladder: Any = None, *, earliest: bool = False) -> Optional[str]:
    """The date field a list's items are ordered by when a measure does not name one (``by``): a
    review's ``end`` (its ``start`` for ``earliest``), else the items' only date field."""
    defaults = _EARLIEST_DATE_FIELDS if earliest else _DATE_FIELDS
    if list_path in defaults:
        return defaults[list_path]
    dates = [name for name, kind in items_of(ladder, list_path).items() if kind.kind == "date"]
    return dates[0] if len(dates) == 1 else None


def _attr(item: Any, key: str) -> Any:
    """A field of a list item: a packet model's attribute, or a declared record's key."""
    if isinstance(item, dict):
        return item.get(key)
    return getattr(item, key, None)


def _get(obj: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if obj is None:
            return None
        obj = getattr(obj, part, None)
    return obj


def _read(packet: Packet, ctx: Context, path: str) -> Any:
    """The value at a field path: the packet's own fields, or its checked ``evidence:`` section."""
    if path.startswith(EVIDENCE + "."):
        return None if ctx.evidence is None else ctx.evidence.get(path[len(EVIDENCE) + 1:])
    return _get(packet, path)


Reader = Callable[[Packet, Context], Any]


def reader(path: str) -> Reader:
    """``_read`` for one field path, with the path taken apart once (a measure reads its path for
    every packet)."""
    if path.startswith(EVIDENCE + "."):
        key = path[len(EVIDENCE) + 1:]

        def read_evidence(packet: Packet, ctx: Context) -> Any:
            evidence = ctx.evidence
            return None if evidence is None else evidence.get(key)

        return read_evidence
    parts = path.split(".")
    if len(parts) == 1:
        name = parts[0]
        return lambda packet, ctx: getattr(packet, name, None)
    if len(parts) == 2:
        section, name = parts

        def read_field(packet: Packet, ctx: Context) -> Any:
            part = getattr(packet, section, None)
            return None if part is None else getattr(part, name, None)

        return read_field
    return lambda packet, ctx: _get(packet, path)


def _known_rank(name: str, ctx: Context) -> int:
    """The rank of a level name the evaluator has already resolved (a review's operating level)."""
    rank = _rank_of(name, ctx)
    if rank is None:
        raise KeyError(name)
    return rank


def _rank_of(name: Optional[str], ctx: Context) -> Optional[int]:
    if name is None:
        return None
    rank = ctx.ranks.get(name)
    if rank is None:
        rung = ctx.index.resolve(name)
        rank = None if rung is None else rung.rank
    return rank


def _ranked(name: str, ctx: Context) -> tuple[str, int]:
    """A level or title name as a committee reads it: the resolved title, and its rank."""
    rung = ctx.index.resolve(name)
    return (rung.title if rung else name), _known_rank(name, ctx)


def _plain(value: Any, kind: FieldKind, ctx: Context) -> Any:
    """A field value as the rules see it: ranks for levels, words for enums, as is otherwise."""
    if value is None:
        return None
    if kind.kind == "level":
        return _rank_of(value, ctx)
    return value


def reads_title_first(m: Measure, kind: Optional[FieldKind]) -> bool:
    """Whether an explanation names the measure before its value ("weighted score ≥ 3.25", "lowest
    rating ≥ meets") rather than after it ("≥ 2 committed advocates"): a field, a combination of
    measures, and a word or level picked from a list (``latest`` keeps the order it always had)."""
    if isinstance(m, (FieldMeasure, SumOfMeasure, WeightedMeanMeasure)):
        return True
    return kind is not None and kind.kind in ("enum", "level", "word") and m.kind != "latest"


# -- where filters ----------------------------------------------------------------------------------


#: A ``where`` test of one item: True, False, or None when the item lacks the date a window needs
#: (it does not match; ``latest`` is unknown when such an item might be the most recent).
Test = Callable[[Any, Context], Optional[bool]]


def _window_test(key: str, months: int) -> Test:
    def test(item: Any, ctx: Context) -> Optional[bool]:
        day = _attr(item, key)
        if day is None:
            return None
        return window_start(ctx.as_of, months) <= day <= ctx.as_of

    return test


def fixed_day(operand: Any) -> Optional[datetime.date]:
    """The day a date comparison names when it does not depend on ``as_of`` (an ISO date), else None."""
    if isinstance(operand, datetime.date):
        return operand
    if isinstance(operand, str) and operand != AS_OF:
        return datetime.date.fromisoformat(operand)
    return None


def day_of(operand: Any, as_of: datetime.date) -> datetime.date:
    """The day a date comparison names: an ISO date, ``as_of``, or ``{months_before_as_of: N}``."""
    fixed = fixed_day(operand)
    if fixed is not None:
        return fixed
    if operand == AS_OF:
        return as_of
    return shift_months(as_of, -int(operand[MONTHS_BEFORE]))


_DATE_COMPARE: dict[str, Callable[[datetime.date, datetime.date], bool]] = {
    "before": lambda a, b: a < b, "after": lambda a, b: a > b,
    "on_or_before": lambda a, b: a <= b, "on_or_after": lambda a, b: a >= b,
}


def _date_test(key: str, op: str, operand: Any) -> Test:
    compare = _DATE_COMPARE[op]
    fixed = fixed_day(operand)

    def test(item: Any, ctx: Context) -> Optional[bool]:
        day = _attr(item, key)
        if day is None:
            return None  # like a window: the item does not match, and `latest` cannot tell
        # a packet's evidence is as of its as_of: an item dated later is not there yet, as for a window
        return day <= ctx.as_of and compare(day, fixed if fixed is not None else day_of(operand, ctx.as_of))

    return test


def _compile_test(key: str, op: str, operand: Any, kind: FieldKind, levels: dict[str, int],
                  index: LevelIndex) -> Test:
    if op == "within_months":
        return _window_test(key, operand)
    if op in _DATE_COMPARE:
        return _date_test(key, op, operand)
    ordered = kind.values if kind.kind == "enum" and kind.ordered else None

    def norm(v: Any) -> Any:
        if kind.kind == "level":
            name = v["level"] if isinstance(v, dict) else v
            return levels[name] if name in levels else index.rung(name).rank
        if ordered and op in ("gte", "gt", "lte", "lt"):
            return ordered.index(v)
        return v

    target = [norm(v) for v in operand] if op == "in" else norm(operand)

    def value_of(item: Any, ctx: Context) -> Any:
        raw = _attr(item, key)
        if raw is None:
            return None
        if kind.kind == "level":
            return _rank_of(raw, ctx)
        if ordered and op in ("gte", "gt", "lte", "lt"):
            return ordered.index(raw)
        if kind.kind == "number":
            return round(raw, 4)  # compared at 4 decimals, as every number the rules engine compares
        return raw

    compare = {
        "gte": lambda a: a >= target, "gt": lambda a: a > target, "lte": lambda a: a <= target,
        "lt": lambda a: a < target, "eq": lambda a: a == target, "ne": lambda a: a != target,
        "in": lambda a: a in target,
    }[op]

    def test(item: Any, ctx: Context) -> bool:
        value = value_of(item, ctx)
        return value is not None and compare(value)

    return test


def _where(list_path: str, where: Optional[Where], levels: dict[str, int], index: LevelIndex,
           ladder: Any = None) -> Test:
    """Whether an item matches every test: False if any test fails, else None if a date test cannot
    tell (no date), else True."""
    if not where:
        return lambda item, ctx: True
    fields = items_of(ladder, list_path)
    tests: list[Test] = []
    for key, spec in where.items():
        pairs = spec.items() if isinstance(spec, dict) else [("eq", spec)]
        for op, operand in pairs:
            tests.append(_compile_test(key, op, operand, fields[key], levels, index))

    if len(tests) == 1:
        return tests[0]  # each test answers True, False or None itself

    def match(item: Any, ctx: Context) -> Optional[bool]:
        undecided = False
        for t in tests:
            result = t(item, ctx)
            if result is False:
                return False
            if result is None:
                undecided = True
        return None if undecided else True

    return match


def _undated(item: Any, where: Optional[Where]) -> str:
    """The date field whose absence left an item undecided (the first one a date test reads)."""
    dated = [k for k, spec in (where or {}).items() if isinstance(spec, dict) and any(op in DATE_OPS for op in spec)]
    return next((k for k in dated if _attr(item, k) is None), dated[0])


def _matching(items: list, match: Test, ctx: Context, list_path: str,
              where: Optional[Where]) -> tuple[list[int], list[str]]:
    """Indexes of the matching items, and the missing dates of items a date test could not place.

    An item without the date a date test reads does not match, as an item missing any `where` field
    does not (so more evidence never undoes a pass); the caller names it where it can."""
    hits: list[int] = []
    missing: list[str] = []
    for i, item in enumerate(items):
        result = match(item, ctx)
        if result is None:
            missing.append(f"{list_path}[{i}].{_undated(item, where)}")
        elif result:
            hits.append(i)
    return hits, missing


# -- the measure kinds ------------------------------------------------------------------------------


def compile_measure(m: Measure, levels: dict[str, int], index: LevelIndex, ladder: Any = None) -> Fn:
    """A function computing measure ``m`` for a packet; ``levels`` maps ``current``/``target`` to ranks.

    ``ladder`` (the ``Ladder`` the measure belongs to) gives its declared evidence fields and scales,
    and the other measures that ``sum_of`` and ``weighted_mean`` combine."""
    if isinstance(m, (SumOfMeasure, WeightedMeanMeasure)):
        from ._arithmetic import arithmetic  # here: that module builds on this one's types

        return arithmetic(m, levels, index, ladder)
    if isinstance(m, FieldMeasure):
        path = m.field
        fkind = fields_of(ladder)[path]
        read_path = reader(path)

        per_month = {"months": 1.0, "years": 1 / 12}.get(m.unit or "") if m.grows else None

        def measure_field(packet: Packet, ctx: Context) -> Measured:
            value = _plain(read_path(packet, ctx), fkind, ctx)
            if value is None:
                return Measured(None, missing=[path])
            if per_month is not None and ctx.packet_date is not None and ctx.packet_date != ctx.as_of \
                    and isinstance(value, (int, float)) and not isinstance(value, bool):
                # A figure that grows with time (years of experience) was true on the packet's date:
                # measured to another date, it has grown (or shrunk) by the time between.
                months = (months_between(ctx.packet_date, ctx.as_of) if ctx.as_of > ctx.packet_date
                          else -months_between(ctx.as_of, ctx.packet_date))  # calendar months, as everywhere
                elapsed = float(months) * per_month
                # Cut to hundredths, never rounded up: 6.997 years must not meet a 7-year bar a day
                # before the projected date (the epsilon absorbs float error on a whole figure).
                grown = max(0.0, math.floor((value + elapsed) * 100 + 1e-6) / 100)
                return Measured(grown, evidence=[path], detail=f"{value:g} on {ctx.packet_date.isoformat()}")
            return Measured(value, evidence=[path])

        return measure_field

    if isinstance(m, MonthsSinceMeasure):
        since_path = m.months_since
        read_since = reader(since_path)

        def measure_since(packet: Packet, ctx: Context) -> Measured:
            since = read_since(packet, ctx)
            if since is None:
                return Measured(None, missing=[since_path])
            months = months_between(since, ctx.as_of)

            def when(ok: Callable[[Any], bool]) -> tuple[Optional[datetime.date], str]:
                # Time itself is the evidence: months since a date only grow, so search by halves.
                return _first_day(ctx.as_of, datetime.date.max, lambda day: ok(months_between(since, day)),
                                  "beyond any calendar date")

            return Measured(months, evidence=[since_path], detail=f"since {since.isoformat()}", when=when)

        return measure_since

    if isinstance(m, ReviewMonthsMeasure):
        from ._review_months import review_months  # here: that module builds on this one's types

        return review_months(m, levels, index)
    assert isinstance(m, ListMeasure), f"no measure function for {type(m).__name__}"
    list_path = m.list_path
    read_list = reader(list_path)

    if isinstance(m, SizeMeasure):

        def measure_size(packet: Packet, ctx: Context) -> Measured:
            items = read_list(packet, ctx)
            if items is None:
                return Measured(None, missing=[list_path])
            return Measured(len(set(items)), evidence=[list_path])

        return measure_size

    if isinstance(m, CountMeasure):
        match = _where(list_path, m.where, levels, index, ladder)
        where = m.where
        # A count that ranks items by a level (advocates at the target or above) says which titles
        # counted and the rank each resolved to: "CTO, rank 7" is what a committee checks.
        fields = items_of(ladder, list_path)
        ranked = next((k for k in (where or {}) if fields.get(k) and fields[k].kind == "level"), None)

        def measure_count(packet: Packet, ctx: Context) -> Measured:
            items = read_list(packet, ctx)
            if items is None:
                return Measured(None, missing=[list_path])
            hits, undated = _matching(items, match, ctx, list_path, where)
            evidence = [f"{list_path}[{i}]" for i in hits]
            detail = f"of {len(items)} listed"
            if ranked and hits:
                # Highest rank first, then by title: the words must not depend on the list's order.
                counted = sorted((_ranked(_attr(items[i], ranked), ctx) for i in hits), key=lambda rt: (-rt[1], rt[0]))
                detail += ": " + "; ".join(f"{title}, rank {rank}" for title, rank in counted)
            if undated:
                detail += "; not counted for want of a date: " + ", ".join(undated)
            return Measured(len(hits), evidence=evidence, detail=detail)

        return measure_count

    if isinstance(m, Dated):
        return _dated(m, _where(list_path, m.where, levels, index, ladder), ladder)

    assert isinstance(m, Aggregate), f"no measure function for {type(m).__name__}"
    return _aggregate(m, _where(list_path, m.where, levels, index, ladder), measure_kind(m, ladder))


def _aggregate(m: Aggregate, match: Test, kind: FieldKind) -> Fn:
    list_path, of, where = m.list_path, m.of, m.where
    read_list = reader(list_path)
    # `min`/`max` of an ordered word (a rating, a declared scale) or a level: the lowest/highest one.
    rank: Optional[Callable[[Any, Context], Any]] = None
    if kind.kind == "enum":
        order = kind.values
        rank = lambda v, ctx: order.index(v)  # noqa: E731
    elif kind.kind == "level":
        rank = lambda v, ctx: _rank_of(v, ctx)  # noqa: E731

    def measure_aggregate(packet: Packet, ctx: Context) -> Measured:
        items = read_list(packet, ctx)
        if items is None:
            return Measured(None, missing=[list_path])
        hits, _ = _matching(items, match, ctx, list_path, where)  # an undated item is not in a window
        pairs = [(i, _attr(items[i], of)) for i in hits if _attr(items[i], of) is not None]
        values = [v for _, v in pairs]
        if isinstance(m, SumMeasure):
            return Measured(round(sum(values), 4), evidence=[f"{list_path}[{i}]" for i, _ in pairs])
        if not values:
            if isinstance(m, MaxMeasure) and rank is None:
                return Measured(0, evidence=[list_path], detail="none")
            # no lowest or highest word of nothing
            return Measured(None, missing=[f"{list_path}[].{of}"], detail=_none_matched(items, hits, of))
        pick = max if isinstance(m, MaxMeasure) else min
        if rank is None:
            best = pick(values)
            return Measured(best, evidence=[f"{list_path}[{i}].{of}" for i, v in pairs if v == best])
        top = pick(rank(v, ctx) for v in values)
        chosen = [i for i, v in pairs if rank(v, ctx) == top]
        value = _plain(_attr(items[chosen[0]], of), kind, ctx)  # a level as its rank, a word as itself
        return Measured(value, evidence=[f"{list_path}[{i}].{of}" for i in chosen],
                        detail=f"{'lowest' if pick is min else 'highest'} of {len(values)}")

    return measure_aggregate


def _none_matched(items: list, hits: list[int], of: Optional[str] = None) -> str:
    """Why a measure that reads one item has none to read, in words for `actual`."""
    if not items:
        return "none listed"
    if hits and of is not None:
        return f"no matching item gives {of}"
    return f"none of the {len(items)} listed matches" if len(items) > 1 else "the one listed does not match"


def _dated(m: Dated, match: Test, ladder: Any) -> Fn:
    """``latest`` / ``earliest``: ``of`` of the most recent / earliest matching item dated on or before ``as_of``."""
    list_path, of, where = m.list_path, m.of, m.where
    earliest = isinstance(m, EarliestMeasure)
    by = m.by or default_date_field(list_path, ladder, earliest=earliest)
    assert by is not None, "the ladder lint has checked that the list has a date"
    kind = items_of(ladder, list_path)[of]
    ordered = kind.values if kind.kind == "enum" and kind.ordered else None
    read_list = reader(list_path)

    def measure_dated(packet: Packet, ctx: Context) -> Measured:
        items = read_list(packet, ctx)
        if items is None:
            return Measured(None, missing=[list_path])
        hits, missing = _matching(items, match, ctx, list_path, where)
        undated = [f"{list_path}[{i}].{by}" for i in hits if _attr(items[i], by) is None]
        if missing or undated:
            return Measured(None, missing=missing + undated)  # the undated one might be the latest (earliest)
        dated = [(_attr(items[i], by), i) for i in hits if _attr(items[i], by) <= ctx.as_of]
        if not dated:
            # Nothing recent enough to read: a committee asks for the item rather than failing.
            return Measured(None, missing=[list_path],
                            detail=_none_matched(items, hits) if not hits else "the matching ones are dated after as_of")
        chosen_day = (min if earliest else max)(d for d, _ in dated)
        tied = [i for d, i in dated if d == chosen_day]
        values = [_attr(items[i], of) for i in tied]
        if any(v is None for v in values):
            return Measured(None, missing=[f"{list_path}[{i}].{of}" for i, v in zip(tied, values) if v is None])
        plain = [_plain(v, kind, ctx) for v in values]  # levels as ranks: two names of one level agree
        if ordered:
            value = min(plain, key=ordered.index)
        elif kind.kind in ("level", "number"):
            value = min(plain)
        elif len(set(plain)) == 1:
            value = plain[0]
        else:
            # `missing` holds paths only (a batch counts them); the reason is the detail Found shows.
            return Measured(None, evidence=[f"{list_path}[{i}].{of}" for i in tied],
                            missing=[f"{list_path}[{tied[0]}].{of}"],
                            detail=f"items dated the same day disagree: {by} {chosen_day.isoformat()}")
        chosen = [i for i, v in zip(tied, plain) if v == value]
        return Measured(value, evidence=[f"{list_path}[{i}].{of}" for i in chosen],
                        detail=f"{by} {chosen_day.isoformat()}")

    return measure_dated
