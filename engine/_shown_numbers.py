"""Numbers as explanations show them: values in Found (``fmt``; beside the bars they are compared with,
never on the wrong side of one: ``fmt_beside``, ``months_beside``), bars as the ladder wrote them
(``fmt_bar``), and the amounts of next steps, always enough (``_enough``) or exact (``_exactly``).

Decimal and Fraction arithmetic on the numbers as written (a float by its shortest decimal), never on
binary floats: 3.125 − 3 is 0.125, and 0.1 + 0.2 is 0.3.
"""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, ROUND_FLOOR, Context, Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Any, Optional, Sequence, Union

from ._wording import number

def fmt(x: Any) -> str:
    """A number as people write it: no trailing ``.0``, at most two decimals."""
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, float):
        if not math.isfinite(x):
            return number(x)
        x = round(x, 2)
        # Two decimals at most, never an exponent: 666666666666.67, not 6.66667e+11.
        return str(int(x)) if x.is_integer() else f"{x:.2f}".rstrip("0")
    return str(x)


def _exact(x: Any) -> Fraction:
    """A number as written: a float by its shortest decimal (2.3 is 23/10), so that a value and a bar
    typed alike compare alike; the order of two floats is kept."""
    return Fraction(repr(x)) if isinstance(x, float) else Fraction(x)


def fmt_beside(x: Any, bars: Sequence[Any]) -> str:
    """A found number shown beside the bars it is compared with, never reading as on the wrong side of
    one: ``fmt`` as usual, but a value a hair below a bar is rounded down at the shown precision (3.2499
    against 3.25 shows 3.24), a hair above one up, with more decimals only if two bars are that close."""
    text = fmt(x)
    if isinstance(x, bool) or not isinstance(x, (int, float, Fraction)) or not bars:
        return text
    if type(x) is int or (isinstance(x, float) and (not math.isfinite(x) or float(text) == x)):
        # Shown exactly (``fmt`` keeps at most six significant digits, so a text that reads back as
        # the same float is that float's own shortest decimal): it is on the side of every bar it is.
        return text
    value = _exact(x)
    sides = [(b, (value > b) - (value < b)) for b in (_exact(bar) for bar in bars)]

    def wrong_side(shown: Fraction) -> Optional[int]:
        """The side the value really is on of the first bar the shown number misplaces, if any."""
        return next((side for b, side in sides if (shown > b) - (shown < b) != side), None)

    places = max(2, max((_decimals(bar) for bar in bars), default=0))
    if places > 2:  # a bar written with more decimals (0.125): the value beside it with as many (0.124, not 0.12)
        text = format(_decimal(value).quantize(Decimal(1).scaleb(-places), context=_WIDE).normalize(_WIDE), "f")
    side = wrong_side(Fraction(text))
    while side is not None and places <= 20:
        step = Decimal(1).scaleb(-places)
        shown = _decimal(value).quantize(step, rounding=ROUND_FLOOR if side < 0 else ROUND_CEILING, context=_WIDE)
        side = wrong_side(Fraction(shown))
        text = format(shown.normalize(_WIDE), "f")
        places += 1
    return text


#: Room for any figure a packet or a ladder holds (at most 1e15, or a float's 309 digits) with 20 decimals:
#: the default context's 28 digits would make quantizing 1e12 to 20 places an InvalidOperation.
_WIDE = Context(prec=400)


def _decimal(x: Fraction) -> Decimal:
    """An exact fraction as a decimal, to ``_WIDE``'s precision."""
    return _WIDE.divide(Decimal(x.numerator), Decimal(x.denominator))


def _decimals(bar: Any) -> int:
    """The decimals a bar was written with (0.125: 3), at most 20."""
    if not isinstance(bar, float) or not math.isfinite(bar) or bar.is_integer():
        return 0
    return _float_decimals(bar)


@lru_cache(maxsize=1024)  # a ladder has few bars; this runs for every number Found shows beside them
def _float_decimals(bar: float) -> int:
    text = number(bar)
    return min(20, len(text.partition(".")[2])) if "e" not in text else 20


def half_months(x: Any, *, up: bool) -> str:
    """Calendar months as people say them, in whole or half months: ``5.5``, ``6``. A value shown is
    rounded down (a shown 6 never fails a bar of 6), a shortfall up (never "0 more months")."""
    exact = x if type(x) is Fraction else Fraction(x)  # months are Fractions: no second one is made
    halves, den = exact.numerator * 2, exact.denominator
    n = -(-halves // den) if up else halves // den  # ceil / floor of the exact half-month count
    return str(n // 2) if n % 2 == 0 else f"{n / 2:g}"


def months_beside(x: Any, bars: Sequence[Any]) -> str:
    """Calendar months as Found shows them, beside the bars they are compared with: in whole and half months,
    rounded down (``half_months``), unless that reads on the wrong side of a bar (12.03 months shown as 12
    beside "> 12"): then with the decimals it takes (``fmt_beside``)."""
    words = half_months(x, up=False)
    exact = x if type(x) is Fraction else _exact(x)
    if exact.denominator <= 2 or not bars:  # shown as it is: on the side of every bar it is
        return words
    # Shown rounded down: it misreads only a bar from the shown figure up to the value itself (a float test
    # first, as this runs for every months figure Found shows; the exact one only for a bar that close).
    low, high = float(words), float(exact)
    for bar in bars:
        if low - 1e-9 <= bar <= high + 1e-9:
            shown, b = Fraction(words), _exact(bar)
            if (shown > b) - (shown < b) != (exact > b) - (exact < b):
                return fmt_beside(float(exact), bars)
    return words


def _dec(x: Any) -> Decimal:
    """A number exactly as written (a float by its shortest decimal, as ``_exact``), as a Decimal: cheaper
    than a Fraction, and exact for the figures a packet or a ladder can hold."""
    if isinstance(x, float):
        return Decimal(repr(x))
    if isinstance(x, int):
        return Decimal(x)
    return _decimal(x)  # a Fraction (calendar months)


def _enough(need: Decimal, bar: Any) -> str:
    """An amount that is enough: exact at the bar's decimals (at least two), else rounded up there (0.2501
    less is "0.26 less", never "0.25", which would fall short; 3.125 − 3 is 0.125, not 0.12)."""
    if need == need.to_integral_value():
        return str(int(need))
    shown = need.quantize(_PLACES[max(2, _decimals(bar))], rounding=ROUND_CEILING, context=_WIDE)
    return format(shown.normalize(_WIDE), "f")


def _exactly(x: Union[Decimal, Fraction]) -> str:
    """An exact amount in decimals, as many as it takes (at most 20): after "more than", an amount rounded up
    would overstate what is needed."""
    if isinstance(x, Fraction):
        x = _decimal(x)
    if x == x.to_integral_value():
        return str(int(x))
    shown = x.quantize(_PLACES[20], rounding=ROUND_FLOOR, context=_WIDE)
    return format(shown.normalize(_WIDE), "f")


_PLACES = [Decimal(1).scaleb(-n) for n in range(21)]  # 1, 0.1, … 1E-20: the steps a decimal is cut at


def fmt_bar(x: Any) -> str:
    """A bar (a ladder's threshold) as the ladder wrote it, every decimal kept (the lint allows four): a
    bar of 0.125 shown as 0.12 would read as met by 0.124."""
    if isinstance(x, float) and math.isfinite(x) and not x.is_integer():
        return number(x)
    return fmt(x)


def difference(a: Any, b: Any) -> Decimal:
    """``a`` − ``b`` exactly, each as written (``_dec``): the shortfall a next step names."""
    return _WIDE.subtract(_dec(a), _dec(b))
