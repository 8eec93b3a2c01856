"""Measures: the figures a transition's rules compare, computed from a packet once per evaluation.

Each declared measure compiles (once per transition, when the ``Evaluator`` is built) to a function
``packet, context -> Measured``. A measure whose evidence is absent is unknown (``value`` None) and
says which packet paths are missing; a known one says which paths counted. Python prepares these
figures; it never compares them with a threshold (durable-rules does that).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from promoready.schemas.ladder import (
    Aggregate,
    CountMeasure,
    FieldMeasure,
    ListMeasure,
    MaxMeasure,
    Measure,
    MonthsSinceMeasure,
    ReviewMonthsMeasure,
    SizeMeasure,
    SumMeasure,
    Where,
)
from promoready.schemas.packet import ORDINALS, Packet

from ._fields import FieldKind, item_fields, packet_fields
from ._levels import LevelIndex
from .words import plural

DAYS_PER_MONTH = 30.4375  # the mean Gregorian month: 365.2425 / 12, rounded as most HR tools do


@dataclass(frozen=True)
class Context:
    """What a measure needs besides the packet: the date and the transition's own levels."""

    as_of: datetime.date
    index: LevelIndex
    ranks: dict[str, int]  # rank of each level or title name the packet uses, as written (resolved once)
    #: The packet's own date (its ``as_of``): figures that grow with time were true then.
    packet_date: Optional[datetime.date] = None


@dataclass
class Measured:
    """One measure's value for one packet, with the packet paths that counted or were missing."""

    value: Any  # None = unknown
    evidence: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    detail: str = ""  # extra words for `actual`, e.g. "2 periods"


Fn = Callable[[Packet, Context], Measured]


def add_months(day: datetime.date, months: float) -> datetime.date:
    """``day`` plus a (fractional) number of mean months."""
    return day + datetime.timedelta(days=round(months * DAYS_PER_MONTH))


def _get(obj: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if obj is None:
            return None
        obj = getattr(obj, part, None)
    return obj


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


def _plain(value: Any, kind: FieldKind, ctx: Context) -> Any:
    """A field value as the rules see it: ranks for levels, words for enums, as is otherwise."""
    if value is None:
        return None
    if kind.kind == "level":
        return _rank_of(value, ctx)
    return value


# -- where filters ----------------------------------------------------------------------------------


def _compile_test(key: str, op: str, operand: Any, kind: FieldKind, levels: dict[str, int],
                  index: LevelIndex) -> Callable[[Any, Context], bool]:
    ordered = kind.values if kind.kind == "enum" and kind.values in ORDINALS.values() else None

    def norm(v: Any) -> Any:
        if kind.kind == "level":
            name = v["level"] if isinstance(v, dict) else v
            return levels[name] if name in levels else index.rung(name).rank
        if ordered and op in ("gte", "gt", "lte", "lt"):
            return ordered.index(v)
        return v

    target = [norm(v) for v in operand] if op == "in" else norm(operand)

    def value_of(item: Any, ctx: Context) -> Any:
        raw = getattr(item, key, None)
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


def _where(list_path: str, where: Optional[Where], levels: dict[str, int],
           index: LevelIndex) -> Callable[[Any, Context], bool]:
    if not where:
        return lambda item, ctx: True
    fields = item_fields(list_path)
    tests: list[Callable[[Any, Context], bool]] = []
    for key, spec in where.items():
        pairs = spec.items() if isinstance(spec, dict) else [("eq", spec)]
        for op, operand in pairs:
            tests.append(_compile_test(key, op, operand, fields[key], levels, index))
    return lambda item, ctx: all(t(item, ctx) for t in tests)


# -- the measure kinds ------------------------------------------------------------------------------


def compile_measure(m: Measure, levels: dict[str, int], index: LevelIndex) -> Fn:
    """A function computing measure ``m`` for a packet; ``levels`` maps ``current``/``target`` to ranks."""
    if isinstance(m, FieldMeasure):
        path = m.field
        fkind = packet_fields()[path]

        per_month = {"months": 1.0, "years": 1 / 12}.get(m.unit or "") if m.grows else None

        def measure_field(packet: Packet, ctx: Context) -> Measured:
            value = _plain(_get(packet, path), fkind, ctx)
            if value is None:
                return Measured(None, missing=[path])
            if per_month is not None and ctx.packet_date is not None and ctx.packet_date != ctx.as_of \
                    and isinstance(value, (int, float)) and not isinstance(value, bool):
                # A figure that grows with time (years of experience) was true on the packet's date:
                # measured to another date, it has grown (or shrunk) by the time between.
                elapsed = (ctx.as_of - ctx.packet_date).days / DAYS_PER_MONTH * per_month
                grown = max(0.0, round(value + elapsed, 2))
                return Measured(grown, evidence=[path], detail=f"{value:g} on {ctx.packet_date.isoformat()}")
            return Measured(value, evidence=[path])

        return measure_field

    if isinstance(m, MonthsSinceMeasure):
        since_path = m.months_since

        def measure_since(packet: Packet, ctx: Context) -> Measured:
            since = _get(packet, since_path)
            if since is None:
                return Measured(None, missing=[since_path])
            months = max(0.0, round((ctx.as_of - since).days / DAYS_PER_MONTH, 2))
            return Measured(months, evidence=[since_path], detail=f"since {since.isoformat()}")

        return measure_since

    if isinstance(m, ReviewMonthsMeasure):
        return _review_months(m, levels, index)
    assert isinstance(m, ListMeasure), f"no measure function for {type(m).__name__}"
    list_path = m.list_path

    if isinstance(m, SizeMeasure):

        def measure_size(packet: Packet, ctx: Context) -> Measured:
            items = _get(packet, list_path)
            if items is None:
                return Measured(None, missing=[list_path])
            return Measured(len(set(items)), evidence=[list_path])

        return measure_size

    if isinstance(m, CountMeasure):
        match = _where(list_path, m.where, levels, index)

        def measure_count(packet: Packet, ctx: Context) -> Measured:
            items = _get(packet, list_path)
            if items is None:
                return Measured(None, missing=[list_path])
            hits = [f"{list_path}[{i}]" for i, item in enumerate(items) if match(item, ctx)]
            return Measured(len(hits), evidence=hits, detail=f"of {len(items)} listed")

        return measure_count

    assert isinstance(m, Aggregate), f"no measure function for {type(m).__name__}"
    return _aggregate(m, _where(list_path, m.where, levels, index))


def _aggregate(m: Aggregate, match: Callable[[Any, Context], bool]) -> Fn:
    list_path, of = m.list_path, m.of

    def measure_aggregate(packet: Packet, ctx: Context) -> Measured:
        items = _get(packet, list_path)
        if items is None:
            return Measured(None, missing=[list_path])
        pairs = [(i, getattr(item, of)) for i, item in enumerate(items) if match(item, ctx) and getattr(item, of) is not None]
        values = [v for _, v in pairs]
        if isinstance(m, SumMeasure):
            return Measured(round(sum(values), 4), evidence=[f"{list_path}[{i}]" for i, _ in pairs])
        if not values:
            if isinstance(m, MaxMeasure):
                return Measured(0, evidence=[list_path], detail="none")
            return Measured(None, missing=[f"{list_path}[].{of}"])
        best = max(values) if isinstance(m, MaxMeasure) else min(values)
        return Measured(best, evidence=[f"{list_path}[{i}].{of}" for i, v in pairs if v == best])

    return measure_aggregate


def _review_months(m: ReviewMonthsMeasure, levels: dict[str, int], index: LevelIndex) -> Fn:
    spec = m.review_months
    name = spec.at_or_above
    floor = levels[name] if name in levels else index.rung(name).rank
    ratings = ORDINALS["rating"]
    min_rating = ratings.index(spec.min_rating) if spec.min_rating else None
    within = spec.within_months

    def measure_reviews(packet: Packet, ctx: Context) -> Measured:
        reviews = packet.reviews
        if reviews is None:
            return Measured(None, missing=["reviews"])
        window_start = add_months(ctx.as_of, -within) if within else None
        spans: list[tuple[datetime.date, datetime.date]] = []
        evidence: list[str] = []
        missing: list[str] = []
        for i, review in enumerate(reviews):
            start, end = review.start, min(review.end, ctx.as_of)
            if window_start is not None:
                start = max(start, window_start)
            if start > end:
                continue  # entirely after as_of or before the window
            if review.operating_level is None:
                missing.append(f"reviews[{i}].operating_level")
                continue
            if min_rating is not None and review.rating is None:
                missing.append(f"reviews[{i}].rating")
                continue
            if _known_rank(review.operating_level, ctx) < floor:
                continue
            if min_rating is not None and ratings.index(review.rating) < min_rating:
                continue
            spans.append((start, end))
            evidence.append(f"reviews[{i}]")
        if missing:
            # A review that would count if it said its level or rating is evidence we don't have.
            return Measured(None, evidence=evidence, missing=missing)
        total_days = 0
        last_end: Optional[datetime.date] = None
        for start, end in sorted(spans):
            if last_end is not None and start <= last_end:
                start = last_end + datetime.timedelta(days=1)
            if start <= end:
                total_days += (end - start).days + 1
            last_end = end if last_end is None else max(last_end, end)
        months = round(total_days / DAYS_PER_MONTH, 2)
        periods = len(spans)
        return Measured(months, evidence=evidence, detail=plural(periods, "period"))

    return measure_reviews
