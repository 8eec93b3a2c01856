"""``where`` filters: which items of a packet's list a measure reads, by their fields and dates.

Each ``where`` in a measure compiles once to a test of one item; the measures in ``_measures`` and
``_list_measures`` apply it to every item of a list.
"""

from __future__ import annotations

import datetime
import operator
from typing import Any, Callable, Optional

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
    """The day a date comparison names when it does not depend on ``as_of`` (an ISO date), else None."""
    if isinstance(operand, datetime.date):
        return operand
    if isinstance(operand, str) and operand != AS_OF:
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


#: The ``where`` fields an item lacks when they alone keep it from matching (every test of a field it
#: has passes), else nothing: what an explanation names, never what decides a status.
Wants = Callable[[Any, Context], list[str]]


#: The one ``where`` field an item fails on, when it has every field and passes the tests of all the others
#: (a near miss: "advocates[0].committed is false"), else None: what an explanation names, never what decides.
Near = Callable[[Any, Context], Optional[str]]


def _where_and_wants(list_path: str, where: Optional[Where], levels: dict[str, int], index: LevelIndex,
                     ladder: Any = None) -> tuple[Test, Optional[Wants], Optional[Near]]:
    """``_where``'s test, and the ``Wants`` and ``Near`` of the same ``where`` (None without one: every item
    matches; no ``Near`` for a ``where`` of one field, whose every other item is a near miss), from one
    compilation of its tests."""
    if not where:
        return _where(list_path, where, levels, index, ladder), None, None
    by_field = _tests_by_field(list_path, where, levels, index, ladder)
    keys = [key for key, _ in by_field]

    # An item outside a date test is not a near miss: nobody can redate evidence to make it count.
    dated = {key for key, spec in where.items() if isinstance(spec, dict) and any(op in DATE_OPS for op in spec)}

    def near(item: Any, ctx: Context) -> Optional[str]:
        failed = None
        for key, tests in by_field:
            if _attr(item, key) is None:
                return None
            for test in tests:
                result = test(item, ctx)
                if result is False:
                    if failed is not None:
                        return None  # short of two tests: not a near miss
                    failed = key
                    break
                if result is None:
                    return None
        return None if failed in dated else failed

    def wants(item: Any, ctx: Context) -> list[str]:
        # Most items that do not match have every field and fail on a value: told by the fields alone.
        absent = [key for key in keys if _attr(item, key) is None]
        if not absent:
            return []
        for key, tests in by_field:
            if key not in absent and any(t(item, ctx) is False for t in tests):
                return []  # a field it has fails: adding the absent ones would not make it match
        return absent

    return _match([t for _, key_tests in by_field for t in key_tests]), wants, (near if len(by_field) > 1 else None)


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
    does not (so more evidence never undoes a pass); the caller names it where it can."""
    hits, missing, _ = _matching_and_wanting(items, match, ctx, list_path, where, None)
    return hits, missing


def _matching_and_wanting(items: list, match: Test, ctx: Context, list_path: str, where: Optional[Where],
                          wants: Optional[Wants]) -> tuple[list[int], list[str], list[str]]:
    """``_matching``'s two lists, and (with ``wants``; a count names them) the missing fields of the
    other items that lack only ``where`` fields.

    An item that lacks a field other than a date is named with every `where` field it lacks, its
    dates too."""
    hits: list[int] = []
    missing: list[str] = []
    wanting: list[str] = []
    for i, item in enumerate(items):
        result = match(item, ctx)
        if result is None:
            missing.append(f"{list_path}[{i}].{_undated(item, where)}")
        elif result:
            hits.append(i)
        elif wants is not None:
            wanting.extend(f"{list_path}[{i}].{key}" for key in wants(item, ctx))
    return hits, missing, wanting
