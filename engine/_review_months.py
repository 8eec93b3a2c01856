"""The ``review_months`` measure: months of reviews at or above a level, and when more months can come.

Kept apart from ``_measures`` (which builds the other kinds) because it is the one measure with its
own time projection: only a qualifying review period still under way on ``as_of`` can add months.
"""

from __future__ import annotations

import datetime
from fractions import Fraction
from typing import Any, Callable, Optional

from promoready.schemas.ladder import ReviewMonthsMeasure
from promoready.schemas.packet import ORDINALS, Packet

from ._calendar import _first_day, months_through, shift_months, window_start
from ._levels import LevelIndex
from ._measures import Context, Fn, Measured, _known_rank
from .words import plural

_DAY = datetime.timedelta(days=1)


def review_months(m: ReviewMonthsMeasure, levels: dict[str, int], index: LevelIndex) -> Fn:
    """The ``review_months`` measure: calendar months of reviews judged at or above a level (overlapping
    and adjacent periods merged, clipped to ``as_of`` and to a window), with the first day time alone
    would make it pass if a qualifying period is still under way."""
    spec = m.review_months
    name = spec.at_or_above
    floor = levels[name] if name in levels else index.rung(name).rank
    ratings = ORDINALS["rating"]
    min_rating = ratings.index(spec.min_rating) if spec.min_rating else None
    within = spec.within_months

    def measure_reviews(packet: Packet, ctx: Context) -> Measured:
        measured = count_reviews(packet, ctx)
        if measured.value is None:
            return measured
        # Only a qualifying period still under way on as_of can add months; one that has ended cannot.
        reach = max((r.end for r in packet.reviews or () if r.end > ctx.as_of and r.start <= ctx.as_of
                     and qualifies(r, ctx)), default=None)

        def when(ok: Callable[[Any], bool]) -> tuple[Optional[datetime.date], str]:
            if reach is None:
                return None, "no qualifying review period is under way on as_of (one that has ended cannot grow)"
            short = f"the review period under way ends on {reach.isoformat()}, before the months would be enough"

            def passes(day: datetime.date) -> bool:
                value = count_reviews(packet, Context(day, ctx.index, ctx.ranks)).value
                return value is not None and ok(value)

            if within is None:  # nothing leaves the count: it only grows, so search by halves
                return _first_day(ctx.as_of, reach, passes, short)
            if not ok(Fraction(within)):
                return None, f"the last {within} months can never hold enough"
            # Months also leave the window, so the count may fall: try each day. Once the window lies
            # wholly in the period under way it is full, so the search ends there at the latest.
            last = min(reach, shift_months(ctx.as_of, within + 1))
            day = ctx.as_of
            while day < last:
                day += _DAY
                if passes(day):
                    return day, ""
            return None, short

        measured.when = when
        return measured

    def qualifies(review: Any, ctx: Context) -> bool:
        if review.operating_level is None or _known_rank(review.operating_level, ctx) < floor:
            return False
        return min_rating is None or (review.rating is not None and ratings.index(review.rating) >= min_rating)

    def count_reviews(packet: Packet, ctx: Context) -> Measured:
        reviews = packet.reviews
        if reviews is None:
            return Measured(None, missing=["reviews"])
        first_day = window_start(ctx.as_of, within) if within else None
        spans: list[tuple[datetime.date, datetime.date]] = []
        evidence: list[str] = []
        missing: list[str] = []
        for i, review in enumerate(reviews):
            start, end = review.start, min(review.end, ctx.as_of)
            if first_day is not None:
                start = max(start, first_day)
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
        # Merge overlapping and adjacent periods (one ending on the 30th, the next starting on the 1st):
        # each contiguous run is counted in calendar months from its own first day.
        runs: list[list[datetime.date]] = []
        for start, end in sorted(spans):
            if runs and (runs[-1][1] == datetime.date.max or start <= runs[-1][1] + _DAY):
                runs[-1][1] = max(runs[-1][1], end)
            else:
                runs.append([start, end])
        # One run (the usual case) is its own count: no Fraction additions, which cost a microsecond each.
        months = (months_through(runs[0][0], runs[0][1]) if len(runs) == 1
                  else sum((months_through(start, end) for start, end in runs), Fraction(0)))
        periods = len(spans)
        return Measured(months, evidence=evidence, detail=plural(periods, "period"))

    return measure_reviews
