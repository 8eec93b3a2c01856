"""The ladder lint's checks of the declared measures: each reads a packet field of the kind it needs,
its ``where`` tests name item fields with operands that fit, ``latest``/``earliest`` have a date to
order by, and ``sum_of``/``weighted_mean`` combine valid numeric measures without including themselves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, Union

from promoready.schemas.ladder import (
    Aggregate,
    Dated,
    EarliestMeasure,
    FieldMeasure,
    FilteredMeasure,
    LadderFile,
    ListMeasure,
    Measure,
    MonthsSinceMeasure,
    ReviewMonthsMeasure,
    SizeMeasure,
    SumOfMeasure,
    WeightedMeanMeasure,
)

from ._fields import FieldKind, fields_of, is_words, items_of, measure_kind
from ._measures import MAX_WINDOW_MONTHS, default_date_field
from ._lint_reach import check_where_can_match, check_window
from ._where import AS_OF, DATE_OPS, MONTHS_BEFORE, fixed_day
from ._wording import shown
from . import errors
from .errors import closest

if TYPE_CHECKING:
    from ._lint import Lint, Loc, Problems

_WHERE_OPS = ("gte", "gt", "lte", "lt", "eq", "ne", "in")
_DATE_OPS = DATE_OPS


def field_kind(r: Problems, ladder_path: str, head: LadderFile, loc: Loc, path: str, *,
               want: tuple[str, ...]) -> Optional[FieldKind]:
    """The kind of packet field ``path`` if it is one of ``want`` (and not free text), else None after
    reporting it."""
    fields = fields_of(head)
    kind = fields.get(path)
    if kind is None:
        declared = (" (ladder.yaml declares no such `evidence:` field)" if path.startswith("evidence.") else "")
        r.problem(ladder_path, loc, f"'{path}' is not a field of the packet{declared}",
                  code=errors.LADDER_UNKNOWN_FIELD, suggestion=closest(path, fields))
        return None
    if kind.kind == "text":
        r.problem(ladder_path, loc, f"'{path}' is free text: no rule may read it", code=errors.LADDER_FREE_TEXT)
        return None
    if kind.kind not in want:
        r.problem(ladder_path, loc, f"'{path}' is {_a(kind)}; expected a {' or '.join(want)}",
                  code=errors.LADDER_FIELD_KIND)
        return None
    return kind


def check_measure(lint: Lint, name: str, m: Measure) -> None:
    """Check declared measure ``name``; a measure with a problem is marked broken, so that conditions on
    it and measures combining it are not reported again."""
    before = len(lint.r.problems)
    _check_measure(lint, name, m)
    if len(lint.r.problems) > before:
        lint.broken_measures.add(name)


def _check_measure(lint: Lint, name: str, m: Measure) -> None:
    loc: Loc = ("measures", name)
    if isinstance(m, (SumOfMeasure, WeightedMeanMeasure)):
        check_arithmetic(lint, name, loc, m)
    elif isinstance(m, FieldMeasure):
        # a list of words too (issue 12): conditions read it with contains / contains_all / contains_any
        kind = fields_of(lint.head).get(m.field)
        if kind is not None and is_words(kind):
            return
        field_kind(lint.r, lint.path, lint.head, loc + ("field",), m.field,
                   want=("number", "bool", "enum", "level", "word"))
    elif isinstance(m, MonthsSinceMeasure):
        field_kind(lint.r, lint.path, lint.head, loc + ("months_since",), m.months_since, want=("date",))
    elif isinstance(m, ReviewMonthsMeasure):
        lint.level_ref(lint.path, loc + ("review_months", "at_or_above"), m.review_months.at_or_above, relative=True,
                       levels_only=True)
    elif isinstance(m, ListMeasure):
        list_path = m.list_path
        kind = field_kind(lint.r, lint.path, lint.head, loc + (m.kind,), list_path, want=("list",))
        if kind is None:
            return
        if isinstance(m, SizeMeasure) and not is_words(kind):
            # it would tell records apart by all their fields: a name or a free-text note among them
            lint.r.problem(lint.path, loc + ("size",), f"'{list_path}' is a list of records; size counts distinct "
                           f"words (functions, teams) and would tell records apart by every field, names and free "
                           f"text among them: count the records with `count: {list_path}`",
                           code=errors.LADDER_FIELD_KIND)
            return
        items = items_of(lint.head, list_path)
        if isinstance(m, Dated):
            check_latest(lint.r, lint.path, lint.head, loc, m, items)
        if isinstance(m, Aggregate):
            of = items.get(m.of)
            ordered = of is not None and of.is_ordered and m.kind in ("min", "max")
            if of is None:
                lint.r.problem(lint.path, loc + ("of",), f"'{m.of}' is not a field of {list_path} items",
                               code=errors.LADDER_UNKNOWN_FIELD, suggestion=closest(m.of, items))
            elif of.kind != "number" and not ordered:
                needs = "a number" if m.kind == "sum" else "a number or an ordered field (a rating, a scale, a level)"
                lint.r.problem(lint.path, loc + ("of",), f"'{m.of}' is {_a(of)}; {m.kind} needs {needs}",
                               code=errors.LADDER_FIELD_KIND)
        if isinstance(m, FilteredMeasure):
            for key, test in (m.where or {}).items():
                check_where(lint, loc + ("where", key), list_path, key, test, items)


def check_latest(r: Problems, ladder_path: str, head: LadderFile, loc: Loc, m: Dated,
                 items: dict[str, FieldKind]) -> None:
    """``latest`` / ``earliest``: ``of`` is a field the rules can compare, and the items have a date to
    order them by."""
    of = items.get(m.of)
    if of is None:
        r.problem(ladder_path, loc + ("of",), f"'{m.of}' is not a field of {m.list_path} items",
                  code=errors.LADDER_UNKNOWN_FIELD, suggestion=closest(m.of, items))
    elif of.kind not in ("number", "bool", "enum", "level", "word"):
        r.problem(ladder_path, loc + ("of",), f"'{m.of}' is {_a(of)}; {m.kind} needs a number, true/false, word or level",
                  code=errors.LADDER_FIELD_KIND)
    by = m.by or default_date_field(m.list_path, head, earliest=isinstance(m, EarliestMeasure))
    dates = [k for k, f in items.items() if f.kind == "date"]
    if by is None:
        r.problem(ladder_path, loc + (m.kind,),
                  f"{m.list_path} items have no date to order them by" if not dates else
                  f"{m.list_path} items have more than one date ({', '.join(dates)}): name one with `by`",
                  code=errors.LADDER_FIELD_KIND)
    elif items.get(by) is None or items[by].kind != "date":
        what = "not a field" if by not in items else f"{_a(items[by])}, not a date"
        r.problem(ladder_path, loc + ("by",), f"'{by}' is {what} of {m.list_path} items",
                  code=errors.LADDER_FIELD_KIND if by in items else errors.LADDER_UNKNOWN_FIELD,
                  suggestion=closest(by, dates) or errors.suggestion(dates))


def check_arithmetic(lint: Lint, name: str, loc: Loc, m: Union[SumOfMeasure, WeightedMeanMeasure]) -> None:
    """Each part is a declared, valid measure of a number or of a rating whose scale gives numbers,
    and no measure includes itself."""
    for i, (part, weight) in enumerate(m.parts):
        ploc = loc + ((m.kind, i) if isinstance(m, SumOfMeasure) else (m.kind, i, "measure"))
        measure = lint.head.measures.get(part)
        if measure is None:
            lint.r.problem(lint.path, ploc, f"unknown measure '{part}'", code=errors.LADDER_UNKNOWN_MEASURE,
                           suggestion=closest(part, [n for n in lint.head.measures if n != name]))
            continue
        if _includes(lint.head, part, name, set()):
            lint.r.problem(lint.path, ploc, f"'{part}' includes '{name}' itself: a measure cannot be part of itself",
                           code=errors.LADDER_MEASURE_CYCLE)
            continue
        if part in lint.broken_measures:
            lint.broken_measures.add(name)  # reported at the part itself
            continue
        kind = measure_kind(measure, lint.head)
        if lint.unknown_scale(kind):
            lint.broken_measures.add(name)  # reported at the evidence field's scale
            continue
        if kind.kind == "enum" and kind.ordered:
            if not kind.numbers or any(n is None for n in kind.numbers):
                where = f"scale '{kind.scale}'" if kind.scale else f"{part} (a built-in rating)"
                lint.r.problem(lint.path, ploc, f"'{part}' is a rating, but {where} gives no `value` to each step: "
                                                f"{m.kind} needs numbers", code=errors.LADDER_FIELD_KIND)
        elif kind.kind != "number":
            lint.r.problem(lint.path, ploc, f"'{part}' is {_a(kind)}; {m.kind} needs numbers or ratings on a scale "
                                            "with values", code=errors.LADDER_FIELD_KIND)
        if isinstance(m, WeightedMeanMeasure) and round(weight, 4) != weight:
            lint.r.problem(lint.path, loc + (m.kind, i, "weight"), f"{shown(weight)} has more than 4 decimals",
                           code=errors.LADDER_BAD_OPERAND)


def _includes(head: LadderFile, name: str, target: str, seen: set[str]) -> bool:
    """Whether measure ``name`` is ``target`` or combines it, at any depth."""
    if name == target:
        return True
    if name in seen:
        return False
    seen.add(name)
    m = head.measures.get(name)
    if not isinstance(m, (SumOfMeasure, WeightedMeanMeasure)):
        return False
    return any(_includes(head, part, target, seen) for part, _ in m.parts)


def check_where(lint: Lint, loc: Loc, list_path: str, key: str, test: Any, items: dict[str, FieldKind]) -> None:
    """One ``where`` test of a list measure: an item field that is not free text, tested by an operator
    and operand that fit its kind (a date by the date tests)."""
    field = items.get(key)
    if field is None:
        lint.r.problem(lint.path, loc, f"'{key}' is not a field of {list_path} items", code=errors.LADDER_UNKNOWN_FIELD,
                       suggestion=closest(key, items))
        return
    if field.kind == "text":
        lint.r.problem(lint.path, loc, f"'{list_path}.{key}' is free text: no rule may read it", code=errors.LADDER_FREE_TEXT)
        return
    tests = test.items() if isinstance(test, dict) else [("eq", test)]
    said = len(lint.r.problems)
    _check_tests(lint, loc, list_path, key, test, field, tests)
    if len(lint.r.problems) == said:  # each test fits its field: can they match together?
        if field.kind == "date" and isinstance(test, dict):
            check_window(lint, loc, key, test)
        elif field.kind != "date":
            check_where_can_match(lint, loc, list_path, key, test)


def _check_tests(lint: Lint, loc: Loc, list_path: str, key: str, test: Any, field: FieldKind, tests: Any) -> None:
    if field.kind == "date":
        for op, value in tests:
            if op not in _DATE_OPS:
                lint.r.problem(lint.path, loc + ((op,) if isinstance(test, dict) else ()),
                               f"'{list_path}.{key}' is a date: test it with {', '.join(_DATE_OPS)}",
                               code=errors.LADDER_BAD_OPERATOR if op in _WHERE_OPS else errors.LADDER_UNKNOWN_OPERATOR,
                               suggestion=closest(op, _DATE_OPS) or errors.suggestion(_DATE_OPS))
            elif op == "within_months":
                if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_WINDOW_MONTHS:
                    lint.r.problem(lint.path, loc + (op,), f"within_months needs a whole number of months from 1 to "
                                                           f"{MAX_WINDOW_MONTHS}, got {shown(value)}", code=errors.LADDER_BAD_OPERAND)
            else:
                check_day(lint.r, lint.path, loc + (op,), op, value)
                if op == "after" and (value == AS_OF or value == {MONTHS_BEFORE: 0}):
                    # every date test ends at as_of, so nothing is both on or before it and after it (on or
                    # after it is an item dated on as_of itself)
                    lint.r.problem(lint.path, loc + (op,),
                                   f"{op}: {AS_OF if value == AS_OF else f'{{{MONTHS_BEFORE}: 0}} (that is {AS_OF})'}"
                                   f" can never match: every date test counts only items dated on or before "
                                   f"{AS_OF} (a later item is not there yet)",
                                   code=errors.LADDER_BAD_OPERAND)
        return
    for op, value in tests:
        if op in _DATE_OPS:
            lint.r.problem(lint.path, loc + (op,), f"{op} applies to dates; '{list_path}.{key}' is {_a(field)}",
                           code=errors.LADDER_BAD_OPERATOR)
            continue
        if op not in _WHERE_OPS:
            lint.r.problem(lint.path, loc + (op,), f"unknown operator '{op}'", code=errors.LADDER_UNKNOWN_OPERATOR,
                           suggestion=closest(op, _WHERE_OPS))
            continue
        lint.check_operand(lint.path, loc + ((op,) if isinstance(test, dict) else ()), op, value, field,
                           f"{list_path}.{key}", relative=True, allow_by_size=False)


def check_day(r: Problems, ladder_path: str, loc: Loc, op: str, value: Any) -> None:
    """The day a date comparison names: an ISO date, ``as_of``, or ``{months_before_as_of: N}``."""
    if isinstance(value, dict) and set(value) == {MONTHS_BEFORE}:
        n = value[MONTHS_BEFORE]
        if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= MAX_WINDOW_MONTHS:
            r.problem(ladder_path, loc + (MONTHS_BEFORE,), f"{MONTHS_BEFORE} needs a whole number of months "
                                                         f"from 0 to {MAX_WINDOW_MONTHS}, got {shown(n)}",
                      code=errors.LADDER_BAD_OPERAND)
        return
    if isinstance(value, dict):
        unknown = [k for k in value if k != MONTHS_BEFORE]
        r.problem(ladder_path, loc, f"{op} needs a date (YYYY-MM-DD), {AS_OF} or {{{MONTHS_BEFORE}: N}}; "
                                  f"unknown key {', '.join(shown(k) for k in unknown)}",
                  code=errors.LADDER_BAD_OPERAND, suggestion=closest(str(unknown[0]), (MONTHS_BEFORE,)) if unknown else None)
        return
    try:
        ok = value == AS_OF or (isinstance(value, str) and len(value) == 10 and fixed_day(value) is not None) or (
            fixed_day(value) is not None and not isinstance(value, str))
    except ValueError:
        ok = False
    if not ok or isinstance(value, bool):
        r.problem(ladder_path, loc, f"{op} needs a date (YYYY-MM-DD), {AS_OF} or {{{MONTHS_BEFORE}: N}}, "
                                  f"got {shown(value)}", code=errors.LADDER_BAD_OPERAND,
                  suggestion=AS_OF if isinstance(value, str) and closest(value, (AS_OF,)) else None)


def _a(kind: FieldKind) -> str:
    """A field kind as a sentence names it: "a number", "an enum", "a list"."""
    word = {"enum": "word", "bool": "true/false"}.get(kind.kind, kind.kind)
    if kind.kind == "enum" and kind.ordered:
        word = "rating"
    return ("an " if word[0] in "aeiou" else "a ") + word
