"""The numbers of the gap wording (engine/_gaps.py), against their definitions."""

from __future__ import annotations

import math
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from promoready.engine._shown_numbers import half_months

MONTHS = st.one_of(st.fractions(max_denominator=400), st.integers(-10**6, 10**6),
                   st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False))


@given(MONTHS, st.booleans())
def test_half_months_rounds_the_exact_half_month_count(x, up):
    # Shown values round down, shortfalls up, to a whole or half month of the exact value.
    halves = Fraction(x) * 2
    n = math.ceil(halves) if up else math.floor(halves)
    assert half_months(x, up=up) == (str(n // 2) if n % 2 == 0 else f"{n / 2:g}")
    if abs(x) < 10_000:  # ("%g" keeps six digits: any month count a packet can hold)
        shown = Fraction(half_months(x, up=up))
        assert shown >= Fraction(x) if up else shown <= Fraction(x)
