"""A packet's dates are read by one remembered call per text (issue 18): the same days, and the same
refusals in the same words, as the reading and range check they replace, however often a text repeats."""

from __future__ import annotations

import datetime
import json

import pytest
from pydantic import ValidationError

from promoready.schemas.packet import Packet

BASE = {"candidate": {"id": "d-1"}, "current_level": "pm"}

#: (as_of, the error's type, its message); None: a valid day.
CASES = [
    ("2026-11-30", None, None),
    ("1900-01-01", None, None),
    ("2999-12-31", None, None),
    ("1899-12-31", "date_out_of_range", "1899-12-31 is outside the dates a packet may carry (1900-01-01 to 2999-12-31)"),
    ("3000-01-01", "date_out_of_range", "3000-01-01 is outside the dates a packet may carry (1900-01-01 to 2999-12-31)"),
    ("2026-02-30", "date_value", "not a calendar date: 2026-02-30 (February 2026 has 28 days, not 30)"),
    ("2024-02-30", "date_value", "not a calendar date: 2024-02-30 (February 2024 has 29 days, not 30)"),
    ("2026-13-01", "date_value", "not a calendar date: 2026-13-01 (months are 01 to 12, not 13)"),
    ("2026-04-00", "date_value", "not a calendar date: 2026-04-00 (days start at 01)"),
    ("0000-01-01", "date_value", "not a calendar date: 0000-01-01 (there is no year 0)"),
    # not the form at all (the pattern's $ let a newline through, and \d took other scripts' digits: these
    # were "not a calendar date", with the newline written raw in the message)
    ("2024-01-05\n", "date_format", "expected a date as YYYY-MM-DD, got '2024-01-05\\n'"),
    ("２０２４-01-05", "date_format", "expected a date as YYYY-MM-DD, got '２０２４-01-05'"),
    ("2024/01/05", "date_format", "expected a date as YYYY-MM-DD, got '2024/01/05'"),
    ("2024-1-5", "date_format", "expected a date as YYYY-MM-DD, got '2024-1-5'"),
    ("2024-01-05T00:00", "date_format", "expected a date as YYYY-MM-DD, got '2024-01-05T00:00'"),
    (20240105, "date_format", "expected a date as YYYY-MM-DD, got 20240105"),
]


@pytest.mark.parametrize("as_of, kind, message", CASES)
@pytest.mark.parametrize("reading", ["dict", "json"])
def test_a_date_reads_alike_every_time(as_of, kind, message, reading):
    def read():
        data = dict(BASE, as_of=as_of)
        return Packet.model_validate(data) if reading == "dict" else Packet.model_validate_json(json.dumps(data))

    for _ in range(3):  # the first reading of a text and the remembered ones
        if kind is None:
            assert read().as_of == datetime.date.fromisoformat(as_of)
            continue
        with pytest.raises(ValidationError) as caught:
            read()
        (error,) = caught.value.errors()
        assert (error["type"], error["msg"], error["loc"], error["input"]) == (kind, message, ("as_of",), as_of)


def test_review_dates_are_range_checked_and_ordered_as_before():
    reviews = [{"start": "2026-01-01", "end": "2025-12-31"}, {"start": "1800-01-01", "end": "2026-06-30"}]
    with pytest.raises(ValidationError) as caught:
        Packet.model_validate(dict(BASE, reviews=reviews))
    assert [(e["type"], e["loc"]) for e in caught.value.errors()] == [
        ("end_before_start", ("reviews", 0, "end")), ("date_out_of_range", ("reviews", 1, "start"))]
