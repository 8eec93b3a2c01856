"""Field types shared by the models: strict numbers, bounded counts, ISO dates.

Packets come from people and from other programs, so the types are strict: a quoted number, a
``1`` for ``true`` or a Unix timestamp for a date is an input error rather than a guess. Bounds
keep every number inside what the rules engine can represent (durable-rules caps integers at
2^63-1 and rejects exponent notation), so an absurd value is refused with its field path instead
of reaching the engine.
"""

from __future__ import annotations

import calendar
import datetime
import re
from functools import lru_cache
from typing import Annotated, Any, Optional

from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

from promoready.engine._wording import shown

#: A day as every date promoready reads is written, YYYY-MM-DD (to be matched whole; ASCII digits, where \d
#: takes any script's): Python 3.11+'s ``date.fromisoformat`` also reads other ISO forms, which 3.10 refuses.
ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

#: The largest count a packet may carry: far above any real career, far below 2^63.
MAX_COUNT = 1_000_000


def _iso_date(value: Any) -> Any:
    if isinstance(value, str):  # JSON's only spelling of a date, so checked first
        if len(value) == 10:  # a date as YYYY-MM-DD has 10 characters
            day = _day(value)
            if day is not None:
                return day
    # datetime is a subclass of date: a timestamp with a time of day is not a date.
    elif isinstance(value, datetime.datetime):
        raise PydanticCustomError("date_format", "expected a date as YYYY-MM-DD, got a date and time")
    elif isinstance(value, datetime.date):
        return value
    raise PydanticCustomError("date_format", "expected a date as YYYY-MM-DD, got {value}", {"value": shown(value)})


@lru_cache(maxsize=4096)  # pure; packets carry the same few hundred days again and again
def _day(text: str) -> Optional[datetime.date]:
    """The day a short text names as YYYY-MM-DD, None for a text of another form, an error for a day that is
    not in the calendar (errors are not remembered)."""
    if not ISO_DAY.fullmatch(text):
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError as exc:
        raise PydanticCustomError("date_value", "not a calendar date: {value} ({reason})",
                                  {"value": text, "reason": not_a_day(text)}) from exc


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def not_a_day(text: str) -> str:
    """Why a text of the form YYYY-MM-DD names no day of the calendar (its year, its month, or the days of
    its month: "February 2026 has 28 days, not 30"), in the same words wherever a date is read."""
    year, month, day = int(text[:4]), int(text[5:7]), int(text[8:10])
    if year < datetime.MINYEAR:
        return "there is no year 0"
    if not 1 <= month <= 12:
        return f"months are 01 to 12, not {text[5:7]}"
    if day < 1:
        return "days start at 01"
    return f"{_MONTHS[month - 1]} {year} has {calendar.monthrange(year, month)[1]} days, not {day}"


Date = Annotated[datetime.date, BeforeValidator(_iso_date)]
Count = Annotated[int, Field(strict=True, ge=0, le=MAX_COUNT)]
Years = Annotated[float, Field(strict=True, ge=0, le=100, allow_inf_nan=False)]
Months = Annotated[float, Field(strict=True, ge=0, le=1200, allow_inf_nan=False)]
Bool = Annotated[bool, Field(strict=True)]
Rating1to5 = Annotated[int, Field(strict=True, ge=1, le=5)]
Text = Annotated[str, Field(strict=True, max_length=10_000)]
Name = Annotated[str, Field(strict=True, min_length=1, max_length=200)]
#: Any measured figure (revenue, users): finite, and small enough to stay an exact JSON number.
Figure = Annotated[float, Field(strict=True, ge=-1e15, le=1e15, allow_inf_nan=False)]
