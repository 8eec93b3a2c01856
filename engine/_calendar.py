"""Calendar months: the date arithmetic of measures and projections, exact and clamped at the calendar's ends.

A period from the 1st to the last day of a month is one month, whatever the month's length: 1 Jan to
30 Jun is 6 months, a calendar year 12. Months are counted by anniversary from a period's first day
(``anniversary``: in a month too short for that day, the month ends with its last day, so 31 Jan to
28 Feb is one month as 1 to 28 Feb is); what is left over is a fraction of the month it falls in.
Values are exact (``Fraction``).
"""

from __future__ import annotations

import calendar
import datetime
from fractions import Fraction
from functools import lru_cache
from typing import Callable, Optional

_DAY = datetime.timedelta(days=1)


@lru_cache(maxsize=4096, typed=True)  # pure; a packet's measures ask for the same few days again and again
def shift_months(day: datetime.date, months: int) -> datetime.date:
    """``day`` moved by whole calendar months, the day of month clamped (31 Jan + 1 = 28/29 Feb);
    clamped to the first or last representable day at the ends of the calendar (years 1 and 9999)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    if year > datetime.MAXYEAR:
        return datetime.date.max
    if year < datetime.MINYEAR:
        return datetime.date.min
    month += 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def anniversary(start: datetime.date, months: int) -> datetime.date:
    """Where ``months`` calendar months from ``start`` end (the first day after them): the same day of
    month, or in a month too short to have that day, the first day of the next month. So the month
    from 31 January runs to the end of February: 31 January + 1 month ends on 1 March (excluded)."""
    moved = shift_months(start, months)
    if moved.day < start.day and moved < datetime.date.max:  # the day was clamped to the month's last
        return moved + _DAY
    return moved


def months_between(start: datetime.date, stop: datetime.date) -> Fraction:
    """Calendar months from ``start`` (included) to ``stop`` (excluded); 0 if ``stop <= start``.

    Whole months by anniversary (always from ``start``, so there is no drift), then the rest as a
    fraction of the month that starts at the last anniversary.
    """
    if stop <= start:
        return Fraction(0)
    if stop.year >= datetime.MAXYEAR - 1 and start.year > 400:
        # Near the end of the calendar the next anniversary may not be a date. The Gregorian calendar
        # repeats every 400 years (leap days included): count the same days 400 years earlier.
        return months_between(_years_back(start, 400), _years_back(stop, 400))
    whole = (stop.year - start.year) * 12 + stop.month - start.month
    while whole > 0 and anniversary(start, whole) > stop:
        whole -= 1
    last = anniversary(start, whole)
    rest = (stop - last).days
    if rest == 0:
        return Fraction(whole)
    month_days = (anniversary(start, whole + 1) - last).days
    # One Fraction from two integers: a third of the cost of adding an int to a Fraction (the same value).
    return Fraction(whole * month_days + rest, month_days)


def months_through(first: datetime.date, last: datetime.date) -> Fraction:
    """Calendar months covered by the days ``first`` to ``last``, both included."""
    if last < datetime.date.max:
        return months_between(first, last + _DAY)
    # The day after 9999-12-31 is not a date. The Gregorian calendar repeats every 400 years (leap
    # days included), so count the same days 400 years earlier.
    if first.year > 400:
        return months_between(_years_back(first, 400), _years_back(last, 400) + _DAY)
    return months_between(first, last) + Fraction(1, 31)  # a range of 9,600 years: December's last day


def _years_back(day: datetime.date, years: int) -> datetime.date:
    """The same day ``years`` earlier; with ``years`` a multiple of 400 it always exists."""
    return day.replace(year=day.year - years)


@lru_cache(maxsize=1024, typed=True)  # one window per measure and as_of, asked once per list item
def window_start(as_of: datetime.date, months: int) -> datetime.date:
    """The first day of the window of ``months`` calendar months that ends on ``as_of`` (included)."""
    if as_of == datetime.date.max:  # the day after is not a date: 1 January minus N months is 1 December minus N-1
        return shift_months(datetime.date(as_of.year, 12, 1), 1 - months)
    return shift_months(as_of + _DAY, -months)


def add_months(day: datetime.date, months: float) -> datetime.date:
    """The first day on or after ``day`` + ``months`` calendar months (a fraction of a month rounds up
    to whole days), for projections."""
    whole = int(months)
    base = anniversary(day, whole)
    rest = Fraction(months) - whole
    if rest <= 0:
        return base
    month_days = (anniversary(day, whole + 1) - base).days
    extra = -(-rest * month_days // 1)
    return base + datetime.timedelta(days=extra) if (datetime.date.max - base).days >= extra else datetime.date.max


def _first_day(after: datetime.date, last: datetime.date, passes: Callable[[datetime.date], bool],
               never: str) -> tuple[Optional[datetime.date], str]:
    """The first day in (``after``, ``last``] on which ``passes`` holds, for a test that, once it
    holds, keeps holding; else None with the reason ``never``.

    Days 1, 2, 4, 8… after ``after`` are tried until one passes, then the days between are halved: a
    day months away takes about twice the log of its distance, not the log of the distance to ``last``
    (often the calendar's end: every step of that search was a date thousands of years away). A test that
    held and then stopped holding (an ``eq`` bar) would be given a wrong day: only ``gte``/``gt`` bars of
    figures that never shrink with time are searched (``_gaps``)."""
    span = (last - after).days
    if span <= 0:
        return None, never
    lo, step = after, 1
    while True:
        hi = last if step >= span else after + datetime.timedelta(days=step)
        if passes(hi):
            break
        if hi == last:
            return None, never
        lo, step = hi, step * 2
    while (hi - lo).days > 1:
        mid = lo + datetime.timedelta(days=(hi - lo).days // 2)
        lo, hi = (lo, mid) if passes(mid) else (mid, hi)
    return hi, ""
