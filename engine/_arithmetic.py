"""The arithmetic measures: ``sum_of`` and ``weighted_mean`` over other measures.

Each part is another measure of the ladder whose value is a number, or a rating on a declared scale
whose steps give a ``value`` (that number stands for the word). Parts are taken as the rules engine
compares them: numbers at 4 decimals, calendar months exactly, weights as written; the result is
exact (a ``Fraction``), so that it compares with a threshold exactly as the reference does. If any
part is unknown, so is the result, and every part's missing evidence is named. A part that is a count
in doubt (a range, ``_ranges``) makes the result a range: from every part at its low end to every part
at its high end (weights are positive), with what the items in doubt lack.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Union

from promoready.schemas.ladder import SumOfMeasure, WeightedMeanMeasure
from promoready.schemas.packet import Packet

from ._fields import FieldKind, measure_kind
from ._levels import LevelIndex
from ._measures import Context, Fn, Measured, compile_measure
from ._shown_numbers import fmt, fmt_bar


def part_number(value: Any, kind: FieldKind) -> Fraction:
    """A part's value as the number arithmetic adds: a scale's ``value`` for a rating, a number at 4
    decimals (an exact count of calendar months as it is)."""
    if kind.kind == "enum":
        number = kind.numbers[kind.values.index(value)]
        assert number is not None, "the ladder lint has checked that every step of the scale has a value"
        return Fraction(str(number))
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        return Fraction(value)
    return Fraction(str(round(value, 4)))


def _shown(x: Fraction) -> str:
    """A part's figure as Found shows numbers (``fmt``: two decimals at most, never an exponent)."""
    return fmt(float(x))


def _weight(x: Fraction) -> str:
    """A weight as the ladder wrote it (up to four decimals: 0.0001 is not "×0")."""
    return fmt_bar(float(x)) if x.denominator != 1 else str(x.numerator)


def arithmetic(m: Union[SumOfMeasure, WeightedMeanMeasure], levels: dict[str, int], index: LevelIndex,
               ladder: Any) -> Fn:
    """The function of a ``sum_of`` or ``weighted_mean`` measure (its parts compiled once, here)."""
    parts = [(name, Fraction(str(weight)), compile_measure(ladder.measures[name], levels, index, ladder),
              measure_kind(ladder.measures[name], ladder)) for name, weight in m.parts]
    mean = isinstance(m, WeightedMeanMeasure)
    total_weight = sum((w for _, w, _, _ in parts), Fraction(0))

    def measure_arithmetic(packet: Packet, ctx: Context) -> Measured:
        results = [(name, weight, fn(packet, ctx), kind) for name, weight, fn, kind in parts]
        evidence = list(dict.fromkeys(p for _, _, r, _ in results for p in r.evidence))
        missing = list(dict.fromkeys(p for _, _, r, _ in results if r.value is None for p in r.missing))
        unsure = list(dict.fromkeys(p for _, _, r, _ in results for p in r.unsure))
        if any(r.value is None for _, _, r, _ in results):
            # (what the parts in doubt lack is missing too: giving the absent part alone would not decide)
            return _unknown(results, evidence, missing + [p for p in unsure if p not in missing])
        total = high = Fraction(0)
        words = []
        for name, weight, r, kind in results:
            number = part_number(r.value, kind)
            total += weight * number
            # A part in doubt (a count's range): the combination is a range too, from the low ends to the
            # high ends (every weight is positive), and its words say the part's range.
            high += weight * (number if r.upper is None else part_number(r.upper, kind))
            shown = f"{r.value} = {_shown(number)}" if kind.kind == "enum" else _shown(number)
            if r.upper is not None:
                shown += f" to {_shown(part_number(r.upper, kind))}"
            words.append(f"{name} {shown}" + (f" ×{_weight(weight)}" if weight != 1 else ""))
        value = total / total_weight if mean else total
        detail = ("weighted mean of " if mean else "sum of ") + ", ".join(words)
        if not unsure:
            return Measured(value, evidence=evidence, detail=detail)
        return Measured(value, evidence=evidence, detail=detail, upper=high / total_weight if mean else high,
                        unsure=unsure)

    return measure_arithmetic


def _unknown(results: list, evidence: list[str], missing: list[str]) -> Measured:
    """An unknown sum or mean, with the parts whose items all fall outside their window said so, by
    name (``recent_impact: the 2 listed fall outside the window: date in the last 12 months``): they
    are there, not missing. The missing paths stay every unknown part's."""
    unknown = [(name, r) for name, _, r, _ in results if r.value is None]
    outside = [(name, r) for name, r in unknown if r.outside or r.windows]
    if not outside:
        return Measured(None, evidence=evidence, missing=missing)
    windows = {p: w for _, r in outside for p, w in r.windows_of().items()}
    detail = "; ".join(f"{name}: {r.detail}" for name, r in outside)
    every = len(outside) == len(unknown) and all(p in windows for p in missing)
    return Measured(None, evidence=evidence, missing=missing, detail=detail, windows=windows,
                    outside=" and ".join(dict.fromkeys(windows.values())) if every else "")
