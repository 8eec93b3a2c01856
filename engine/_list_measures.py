"""List measures that read one item's field: ``sum``, ``min``, ``max`` (``_aggregate``), and
``latest``, ``earliest`` (``_dated``), over the items a ``where`` keeps.

``count`` and ``size`` stay in ``_measures``, which dispatches every measure kind.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from promoready.schemas.ladder import Aggregate, Dated, EarliestMeasure, MaxMeasure, SumMeasure
from promoready.schemas.packet import Packet

from ._fields import FieldKind, items_of
from ._measures import Context, Fn, Measured, _attr, _plain, _rank_of, _ranked, default_date_field, reader
from ._where import Outside, Test, _matching


def _aggregate(m: Aggregate, match: Test, kind: FieldKind, outside: Optional[Outside] = None) -> Fn:
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
            if isinstance(m, MaxMeasure) and rank is None and not hits:  # nothing that counts: 0 of it
                return Measured(0, evidence=[list_path], detail="none")
            # no lowest or highest word of nothing; items that count but say nothing of `of` (a strategy with
            # no horizon): unknown, not 0
            window = outside(items, ctx) if outside is not None and not hits else ""
            return Measured(None, missing=[f"{list_path}[].{of}"], outside=window,
                            detail=_outside_words(items, window) if window else _none_matched(items, hits, of))
        pick = max if isinstance(m, MaxMeasure) else min
        if rank is None:
            best = pick(values)
            return Measured(best, evidence=[f"{list_path}[{i}].{of}" for i, v in pairs if v == best])
        top = pick(rank(v, ctx) for v in values)
        chosen = [i for i, v in pairs if rank(v, ctx) == top]
        value = _plain(_attr(items[chosen[0]], of), kind, ctx)  # a level as its rank, a word as itself
        detail = f"{'lowest' if pick is min else 'highest'} of {len(values)}"
        if kind.kind == "level":  # the titles as listed: a Staff Engineer of rank 2 is not a "senior-pm"
            detail += ": " + "; ".join(sorted({f"{title}, rank {r}" for title, r in
                                               (_ranked(_attr(items[i], of), ctx) for i in chosen)}))
        return Measured(value, evidence=[f"{list_path}[{i}].{of}" for i in chosen], detail=detail)

    return measure_aggregate


def _none_matched(items: list, hits: list[int], of: Optional[str] = None) -> str:
    """Why a measure that reads one item has none to read, in words for `actual`."""
    if not items:
        return "none listed"
    if hits and of is not None:
        return f"no matching item gives {of}"
    return f"none of the {len(items)} listed matches" if len(items) > 1 else "the one listed does not match"


def _outside_words(items: list, window: str) -> str:
    """Why a measure of a list is unknown when every item falls outside its window, in words for `actual`."""
    listed = f"the {len(items)} listed fall" if len(items) > 1 else "the one listed falls"
    return f"{listed} outside the window: {window}"


def _dated(m: Dated, match: Test, ladder: Any, outside: Optional[Outside] = None) -> Fn:
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
            window = outside(items, ctx) if outside is not None and not hits else ""
            if window:
                return Measured(None, missing=[list_path], detail=_outside_words(items, window), outside=window)
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
