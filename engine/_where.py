"""``where`` filters: which items of a packet's list a measure reads, by their fields and dates.

Each ``where`` in a measure compiles once to a test of one item; the measures in ``_measures`` and
``_list_measures`` apply it to every item of a list.
"""

from __future__ import annotations

import datetime
import operator
from typing import Any, Callable, Optional

from promoready.schemas._types import ISO_DAY
from promoready.schemas.ladder import Where

from ._calendar import shift_months, window_start
from ._fields import FieldKind, items_of
from ._levels import LevelIndex
from ._measures import Context, _attr, _rank_of
from .words import plural


#: ``where`` tests of an item's date: a window ending on ``as_of``, and comparisons with a day.
DATE_OPS = ("within_months", "before", "after", "on_or_before", "on_or_after")
#: The days a date comparison in ``where`` may name besides an ISO date: ``as_of`` itself, or
#: ``{months_before_as_of: N}`` (``as_of`` moved back N calendar months, the day clamped).
AS_OF = "as_of"
MONTHS_BEFORE = "months_before_as_of"


#: A ``where`` test of one item: True, False, or None when the item lacks the date a window needs
#: (it does not match; ``latest`` is unknown when such an item might be the most recent).
Test = Callable[[Any, Context], Optional[bool]]


def _window_test(key: str, months: int) -> Test:
    def test(item: Any, ctx: Context) -> Optional[bool]:
        day = _attr(item, key)
        if day is None:
            return None
        return window_start(ctx.as_of, months) <= day <= ctx.as_of

    return test


def fixed_day(operand: Any) -> Optional[datetime.date]:
    """The day a date comparison names when it does not depend on ``as_of`` (an ISO date), else None.

    Raises ``ValueError`` for text that is not a YYYY-MM-DD day: Python 3.11+ would also read ISO week
    dates (``2026-W01-1``) and basic forms, which 3.10 refuses; a ladder reads alike on every Python."""
    if isinstance(operand, datetime.datetime):  # an unquoted YAML timestamp: a date and a time, not a day
        raise ValueError(f"a date and a time, not a day: {operand.isoformat()}")
    if isinstance(operand, datetime.date):
        return operand
    if isinstance(operand, str) and operand != AS_OF:
        if ISO_DAY.fullmatch(operand) is None:
            raise ValueError(f"not a YYYY-MM-DD day: {operand!r}")
        return datetime.date.fromisoformat(operand)
    return None


def day_of(operand: Any, as_of: datetime.date) -> datetime.date:
    """The day a date comparison names: an ISO date, ``as_of``, or ``{months_before_as_of: N}``."""
    fixed = fixed_day(operand)
    if fixed is not None:
        return fixed
    if operand == AS_OF:
        return as_of
    return shift_months(as_of, -int(operand[MONTHS_BEFORE]))


_DATE_COMPARE: dict[str, Callable[[datetime.date, datetime.date], bool]] = {
    "before": lambda a, b: a < b, "after": lambda a, b: a > b,
    "on_or_before": lambda a, b: a <= b, "on_or_after": lambda a, b: a >= b,
}


def _date_test(key: str, op: str, operand: Any) -> Test:
    compare = _DATE_COMPARE[op]
    fixed = fixed_day(operand)

    def test(item: Any, ctx: Context) -> Optional[bool]:
        day = _attr(item, key)
        if day is None:
            return None  # like a window: the item does not match, and `latest` cannot tell
        # a packet's evidence is as of its as_of: an item dated later is not there yet, as for a window
        return day <= ctx.as_of and compare(day, fixed if fixed is not None else day_of(operand, ctx.as_of))

    return test


def _compile_test(key: str, op: str, operand: Any, kind: FieldKind, levels: dict[str, int],
                  index: LevelIndex) -> Test:
    if op == "within_months":
        return _window_test(key, operand)
    if op in _DATE_COMPARE:
        return _date_test(key, op, operand)
    ordered = kind.values if kind.kind == "enum" and kind.ordered else None

    def norm(v: Any) -> Any:
        if kind.kind == "level":
            name = v["level"] if isinstance(v, dict) else v
            return levels[name] if name in levels else index.rung(name).rank
        if ordered and op in ("gte", "gt", "lte", "lt"):
            return ordered.index(v)
        return v

    target = [norm(v) for v in operand] if op == "in" else norm(operand)

    # The item's value as compared, by a reader chosen once here rather than by tests on every item.
    if kind.kind == "level":
        def value_of(item: Any, ctx: Context) -> Any:
            raw = _attr(item, key)
            return None if raw is None else _rank_of(raw, ctx)
    elif ordered and op in ("gte", "gt", "lte", "lt"):
        position = ordered.index

        def value_of(item: Any, ctx: Context) -> Any:
            raw = _attr(item, key)
            return None if raw is None else position(raw)
    elif kind.kind == "number":
        def value_of(item: Any, ctx: Context) -> Any:
            raw = _attr(item, key)
            # compared at 4 decimals, as every number the rules engine compares
            return None if raw is None else round(raw, 4)
    else:
        def value_of(item: Any, ctx: Context) -> Any:
            return _attr(item, key)

    if op == "in":
        def test(item: Any, ctx: Context) -> bool:
            value = value_of(item, ctx)
            return value is not None and value in target
    else:
        compare = _COMPARE[op]  # the operator module's functions: C calls, not a lambda per item

        def test(item: Any, ctx: Context) -> bool:
            value = value_of(item, ctx)
            return value is not None and compare(value, target)

    return test


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "gte": operator.ge, "gt": operator.gt, "lte": operator.le, "lt": operator.lt, "eq": operator.eq, "ne": operator.ne,
}


def _tests_by_field(list_path: str, where: Where, levels: dict[str, int], index: LevelIndex,
                    ladder: Any) -> list[tuple[str, list[Test]]]:
    """Each field a ``where`` tests, in the ladder's order, with its compiled tests."""
    fields = items_of(ladder, list_path)
    out: list[tuple[str, list[Test]]] = []
    for key, spec in where.items():
        pairs = spec.items() if isinstance(spec, dict) else [("eq", spec)]
        out.append((key, [_compile_test(key, op, operand, fields[key], levels, index) for op, operand in pairs]))
    return out


#: A count's items sorted in one pass of their ``where`` tests: the indexes of those that match; the
#: missing dates of those a date test could not place; the absent fields of those that lack only
#: ``where`` fields (every test of a field they have passes); each near miss, (its index, the one
#: field it fails on), for an item that has every field and fails the tests of that field only; and how
#: many items are in doubt (undated, or lacking only ``where`` fields: the count's range, ``_ranges``).
#: The near misses are what an explanation names, never what decides.
Sorted = tuple[list[int], list[str], list[str], list[tuple[int, str]], int]


def _counted(list_path: str, where: Optional[Where], levels: dict[str, int], index: LevelIndex,
             ladder: Any = None) -> Callable[[list, Context], Sorted]:
    """How a count sorts a list's items (``Sorted``): each item's tests run once, whatever is asked of them.

    An item matches as ``_where``'s test says (False if any test fails, else None if a date test cannot
    tell, else True). No near misses for a ``where`` of one field (its every other item would be one), nor
    for an item left out by a date test: nobody can redate evidence to make it count.

    Every test of an item runs, where a match alone stops at the first that fails: a compiled test only
    reads and compares values the packet's validation has already typed (levels resolved, enums known,
    days clamped), so none can raise on an item that an earlier test would have left out."""
    if not where:
        def every(items: list, ctx: Context) -> Sorted:
            return list(range(len(items))), [], [], [], 0
        return every
    by_field = _tests_by_field(list_path, where, levels, index, ladder)
    keys = [key for key, _ in by_field]
    tests = [(key, test) for key, key_tests in by_field for test in key_tests]  # in the where's order
    dated = {key for key, spec in where.items() if isinstance(spec, dict) and any(op in DATE_OPS for op in spec)}
    several = len(by_field) > 1

    def sort(items: list, ctx: Context) -> Sorted:
        hits: list[int] = []
        undated: list[str] = []
        wanting: list[str] = []
        near: list[tuple[int, str]] = []
        doubt = 0
        for i, item in enumerate(items):
            failed: list[str] = []  # the fields with a failing test, in the where's order
            undecided = False
            for key, test in tests:
                result = test(item, ctx)
                if result is False:
                    if not failed or failed[-1] != key:  # a field's other tests add nothing to what it fails
                        failed.append(key)
                elif result is None:  # a date test without its date (a test answers None for nothing else)
                    undecided = True
            if not failed:
                if undecided:
                    undated.append(f"{list_path}[{i}].{_undated(item, where)}")
                    doubt += 1
                else:
                    hits.append(i)
                continue
            absent = [key for key in keys if _attr(item, key) is None]
            if absent:
                if all(key in absent for key in failed):  # only the absent fields keep it out
                    wanting.extend(f"{list_path}[{i}].{key}" for key in absent)
                    doubt += 1
            elif several and len(failed) == 1 and failed[0] not in dated:
                near.append((i, failed[0]))
        return hits, undated, wanting, near, doubt

    return sort


def _where(list_path: str, where: Optional[Where], levels: dict[str, int], index: LevelIndex,
           ladder: Any = None) -> Test:
    """Whether an item matches every test: False if any test fails, else None if a date test cannot
    tell (no date), else True."""
    if not where:
        return lambda item, ctx: True
    return _match([t for _, key_tests in _tests_by_field(list_path, where, levels, index, ladder) for t in key_tests])


def _match(tests: list[Test]) -> Test:
    """All of ``tests`` as one: False if any fails, else None if one cannot tell (no date), else True."""
    if len(tests) == 1:
        return tests[0]  # each test answers True, False or None itself

    def match(item: Any, ctx: Context) -> Optional[bool]:
        undecided = False
        for t in tests:
            result = t(item, ctx)
            if result is False:
                return False
            if result is None:
                undecided = True
        return None if undecided else True

    return match


#: Of a list none of whose items a ``where`` kept: its window in words (``end in the last 12 months``)
#: when every item falls outside it (each passes every test but the date tests), else "".
Outside = Callable[[list, Context], str]


def _outside_window(list_path: str, where: Optional[Where], levels: dict[str, int], index: LevelIndex,
                    ladder: Any = None) -> Optional[Outside]:
    """For the words only (never a status): the ``Outside`` of a ``where``; None when it tests no date."""
    dated = {key: spec for key, spec in (where or {}).items()
             if isinstance(spec, dict) and any(op in DATE_OPS for op in spec)}
    if not dated:
        return None
    rest = _where(list_path, {k: v for k, v in (where or {}).items() if k not in dated}, levels, index, ladder)
    window = " and ".join(_date_words(key, op, operand) for key, spec in dated.items() for op, operand in spec.items())

    def outside(items: list, ctx: Context) -> str:
        # each item dated (one without its date is in no window, nor outside one) and kept by every other test
        return window if items and all(all(_attr(item, key) is not None for key in dated) and rest(item, ctx) is True
                                       for item in items) else ""

    return outside


def _date_words(key: str, op: str, operand: Any) -> str:
    """One date test in words: ``end in the last 12 months``, ``date on or after 2026-01-01``."""
    if op == "within_months":
        return f"{key} in the last {plural(operand, 'month')}"
    if isinstance(operand, dict):
        day = f"{plural(operand[MONTHS_BEFORE], 'month')} before {AS_OF}"
    else:
        day = operand.isoformat() if isinstance(operand, datetime.date) else str(operand)
    return f"{key} {op.replace('_', ' ')} {day}"


def _undated(item: Any, where: Optional[Where]) -> str:
    """The date field whose absence left an item undecided (the first one a date test reads)."""
    dated = [k for k, spec in (where or {}).items() if isinstance(spec, dict) and any(op in DATE_OPS for op in spec)]
    return next((k for k in dated if _attr(item, k) is None), dated[0])


def _matching(items: list, match: Test, ctx: Context, list_path: str,
              where: Optional[Where]) -> tuple[list[int], list[str]]:
    """Indexes of the matching items, and the missing dates of items a date test could not place.

    An item without the date a date test reads does not match, as an item missing any `where` field
    does not (so more evidence never undoes a pass); the caller names it where it can. (A count sorts
    its items further, in one pass: ``_counted``.)"""
    hits: list[int] = []
    missing: list[str] = []
    for i, item in enumerate(items):
        result = match(item, ctx)
        if result is None:
            missing.append(f"{list_path}[{i}].{_undated(item, where)}")
        elif result:
            hits.append(i)
    return hits, missing
