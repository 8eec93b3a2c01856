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
    FieldMeasure,
    ListMeasure,
    Measure,
    MonthsSinceMeasure,
    ReviewMonthsMeasure,
    SizeMeasure,
    SumOfMeasure,
    WeightedMeanMeasure,
)
from promoready.schemas.packet import Packet

from ._fields import EVIDENCE, FieldKind, fields_of, items_of, measure_kind
from ._levels import LevelIndex, same_word
from ._wording import shown

#: The longest window (``within_months``) a ladder may declare: a hundred years.
MAX_WINDOW_MONTHS = 1200
#: The date a list's items are ordered and windowed by when a measure does not say (``by``): for
#: ``latest``, and for ``earliest``.
_DATE_FIELDS = {"reviews": "end"}
_EARLIEST_DATE_FIELDS = {"reviews": "start"}


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
    #: Unknown although its list is there: every item falls outside the ``where``'s window, said here
    #: (``end in the last 12 months``); ``detail`` says so, and the words name no path as missing.
    #: A measure of other measures (``sum_of``, ``weighted_mean``) has it when every unknown part has.
    outside: str = ""
    #: A count that knows a range (``_ranges``): its high end, ``value`` and every item in doubt (an item
    #: lacking a field or the date its ``where`` tests); of a combination of such a count, the combination
    #: of the high ends. None when no item is in doubt.
    upper: Any = None
    #: The paths whose absence leaves those items in doubt, in list order (what an unknown asks for).
    unsure: list[str] = field(default_factory=list)
    #: A count's items that would count but for one ``where`` test: (that field's path, its value), in list order.
    near: list[tuple[str, Any]] = field(default_factory=list)
    #: Of a measure of other measures: each missing path whose list is there, every item outside its
    #: part's window → that window (the parts' windows may differ; None: ``outside`` for every path).
    windows: Optional[dict[str, str]] = None
    #: For a figure that grows with time: the first day after ``as_of`` on which the figure would
    #: satisfy a test, if only the clock moved, searched no further than the evidence reaches; with
    #: the reason when there is no such day. None: the figure does not grow by itself.
    when: Optional[Callable[[Callable[[Any], bool]], tuple[Optional[datetime.date], str]]] = None


    def windows_of(self) -> dict[str, str]:
        """Each missing path whose list is there but has every item outside a window → the window."""
        if self.windows is not None:
            return self.windows
        return dict.fromkeys(self.missing, self.outside) if self.outside else {}


Fn = Callable[[Packet, Context], Measured]


#: Near misses a count's Found names one by one at most; more are counted by field ("5 items (2 on measured, 3 on
#: reach)").
NEAR_NAMED = 3


#: The paths of items in doubt a count's Found names at most (``missing`` has them all).
DOUBT_NAMED = 5


def _first_paths(paths: list[str]) -> str:
    """Paths in words: every one up to ``DOUBT_NAMED``, else the first ones and how many more."""
    if len(paths) <= DOUBT_NAMED + 1:
        return ", ".join(paths)
    return ", ".join(paths[:DOUBT_NAMED]) + f" and {len(paths) - DOUBT_NAMED:,} more"


def _near_words(near: list[tuple[str, Any]]) -> str:
    """Near misses in words: each named with its value, up to ``NEAR_NAMED``; more, counted by field. Never
    a choice among them: the words must not depend on the list's order (nor on which of two alike is first)."""
    if len(near) <= NEAR_NAMED:
        return ", ".join(f"{path} is {shown(value)}" for path, value in near)
    fields: dict[str, int] = {}
    for path, _ in near:
        key = path.rsplit(".", 1)[1]
        fields[key] = fields.get(key, 0) + 1
    return f"{len(near)} items (" + ", ".join(f"{n} on {key}" for key, n in sorted(fields.items())) + ")"


def _grown(value: float, base: datetime.date, day: datetime.date, per_month: float) -> float:
    """A figure that grows with time, true on ``base``, measured on ``day``: grown (or shrunk) by the calendar
    months between, at ``per_month``. Cut to four decimals (a bar's finest), never rounded up: 6.99997 years
    must not meet a 7-year bar a day before the projected date, and a figure that met a bar of 2.995 must
    still meet it a day later (cut to hundredths, it fell to 2.99). The epsilon absorbs float error."""
    months = months_between(base, day) if day > base else -months_between(day, base)  # calendar months
    return max(0.0, math.floor((value + float(months) * per_month) * 10000 + 1e-6) / 10000)


def _same_name(item: Any) -> Any:
    """What a ``size`` measure tells items apart by: for a name, the word ``contains`` reads ("Customer Success",
    "customer_success" and a full-width "ＣＵＳＴＯＭＥＲ－ＳＵＣＣＥＳＳ" are one function; "" is a blank name,
    counted as none: ``same_word``); any other item as it is."""
    return same_word(item) if isinstance(item, str) else item


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
            if per_month is None or not isinstance(value, (int, float)) or isinstance(value, bool):
                return Measured(value, evidence=[path])
            # A figure that grows with time (years of experience) was true on the packet's date: measured to
            # another date, it has grown (or shrunk) by the time between.
            base = ctx.packet_date if ctx.packet_date is not None else ctx.as_of
            rate = per_month

            def when(ok: Callable[[Any], bool]) -> tuple[Optional[datetime.date], str]:
                # The first day it passes, as evaluating on that day would find it (it only grows: search by halves).
                return _first_day(ctx.as_of, datetime.date.max, lambda day: ok(_grown(value, base, day, rate)),
                                  "beyond any calendar date")

            if base == ctx.as_of:
                return Measured(value, evidence=[path], when=when)
            return Measured(_grown(value, base, ctx.as_of, rate), evidence=[path],
                            detail=f"{value:g} on {base.isoformat()}", when=when)

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
            names = [_same_name(item) for item in items]
            distinct = set(names) - {""}
            if len(distinct) == len(items):
                return Measured(len(distinct), evidence=[list_path])
            blank = "" in names
            twice = len(distinct) < len(names) - names.count("")  # a name again, not a second blank
            why = "a name listed more than once (in any case or spacing) counts once" if twice else ""
            why += (", and a blank name not at all" if why else "a blank name does not count") if blank else ""
            return Measured(len(distinct), evidence=[list_path], detail=f"of {len(items)} listed; {why}")

        return measure_size

    # here: these modules build on this one's types
    from ._list_measures import _aggregate, _dated
    from ._where import _counted, _outside_window, _where

    if isinstance(m, CountMeasure):
        sort = _counted(list_path, m.where, levels, index, ladder)
        where = m.where
        # A count that ranks items by a level (advocates at the target or above) says which titles
        # counted and the rank each resolved to: "CTO, rank 7" is what a committee checks.
        fields = items_of(ladder, list_path)
        ranked = next((k for k in (where or {}) if fields.get(k) and fields[k].kind == "level"), None)

        def measure_count(packet: Packet, ctx: Context) -> Measured:
            items = read_list(packet, ctx)
            if items is None:
                return Measured(None, missing=[list_path])
            hits, undated, wanting, near, doubt = sort(items, ctx)
            evidence = [f"{list_path}[{i}]" for i in hits]
            detail = f"of {len(items)} listed"
            if ranked and hits:
                # Highest rank first, then by title: the words must not depend on the list's order.
                counted = sorted((_ranked(_attr(items[i], ranked), ctx) for i in hits), key=lambda rt: (-rt[1], rt[0]))
                detail += ": " + "; ".join(f"{title}, rank {rank}" for title, rank in counted)
            if undated:
                detail += "; in doubt for want of a date: " + _first_paths(undated)
            if wanting:  # an item lacking another `where` field: named with every field it lacks
                detail += "; in doubt for want of " + _first_paths(wanting)
            short = [(f"{list_path}[{i}].{key}", _attr(items[i], key)) for i, key in near] if near else []
            if short:  # items that would count but for one test: what a committee checks first
                detail += "; one test short: " + _near_words(short)
            # Items in doubt may or may not match: the count knows a range (``_ranges``), what they lack named.
            return Measured(len(hits), evidence=evidence, detail=detail, near=short,
                            upper=len(hits) + doubt if doubt else None, unsure=undated + wanting if doubt else [])

        return measure_count

    if isinstance(m, Dated):
        return _dated(m, _where(list_path, m.where, levels, index, ladder), ladder,
                      _outside_window(list_path, m.where, levels, index, ladder))

    assert isinstance(m, Aggregate), f"no measure function for {type(m).__name__}"
    return _aggregate(m, _where(list_path, m.where, levels, index, ladder), measure_kind(m, ladder),
                      _outside_window(list_path, m.where, levels, index, ladder))
