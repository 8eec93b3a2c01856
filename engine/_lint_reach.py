"""The ladder lint's check that a condition can pass and a ``where`` test can match.

A comparison whose bar lies beyond every value its measure can take (a 1–5 rating with ``gte: 6``, a
count with ``lt: 0``, a field declared ``{type: number, max: 4}`` with ``gte: 5``) fails every candidate
and offers a next step no one can take. What a measure can take is ``_lint_domains``'s to say.

What is caught: one comparison with a constant (a number, a word, true/false, an ``in`` list), under
``not`` too; the comparisons an ``all`` (or a ``not any``) needs together, on ONE measure with
constants (``all: [st ≥ 5, st < 3]``); and the tests a ``where`` makes of one item field, a date's
included (an empty window between two days relative to ``as_of``, or between two fixed days). What
is not: thresholds by org size, track, level or a field; two measures compared; levels by rank;
anything that takes two measures or an ``any``/``at_least`` to see. A comparison every known value
passes (``gte: 0`` on a count) is accepted: it still needs the evidence, and is unknown without it.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any, Optional, Union

from promoready.schemas.ladder import AllOf, AnyOf, Condition, Leaf, Not
from promoready.schemas.packet import EARLIEST_DATE, LATEST_DATE

from ._lint_domains import NEGATED, Domain, Left, constant, item_domain, measure_domain
from ._where import fixed_day
from ._wording import shown
from . import errors

if TYPE_CHECKING:
    from ._lint import Lint, Loc


def _said_test(op: str, value: Any, negated: bool = False) -> str:
    test = f"`{op}: {shown(value)}`"
    return f"`not` of {test}" if negated else test


# -- conditions ---------------------------------------------------------------------------------------------


def check_can_pass(lint: Lint, file: str, loc: Loc, c: Condition) -> None:
    """Report each comparison of criterion condition ``c`` that can never pass, and each ``all`` whose
    comparisons on one measure can never all hold."""
    _walk(lint, file, loc, c, positive=True, joined=False)


def _walk(lint: Lint, file: str, loc: Loc, c: Condition, *, positive: bool, joined: bool) -> None:
    if isinstance(c, Leaf):
        _check_leaf(lint, file, loc, c, positive)
        return
    conjunction = isinstance(c, AllOf) if positive else isinstance(c, AnyOf)
    if conjunction and not joined:
        _check_conjunction(lint, file, loc, c, positive)
    inner = joined and isinstance(c, Not) or conjunction  # an enclosing conjunction collected these already
    for where, part in c.located_children():
        _walk(lint, file, loc + where, part, positive=positive != isinstance(c, Not), joined=inner)


def _leaf_domain(lint: Lint, c: Leaf, op: str) -> Optional[Domain]:
    if c.measure in lint.broken_measures:
        return None
    d = measure_domain(lint.head, c.measure)
    return d if d is not None and constant(d, op, c.operand) else None


def _check_leaf(lint: Lint, file: str, loc: Loc, c: Leaf, positive: bool) -> None:
    op = c.op if positive else NEGATED.get(c.op, "")
    d = _leaf_domain(lint, c, op)
    if d is None or not _never(d, [(op, c.operand)]):
        return
    why = "every candidate would fail it" if positive else "the comparison always holds, so the `not` never does"
    lint.r.problem(file, loc + (c.op,),
                   f"{_said_test(c.op, c.operand, not positive)} can never pass: measure '{c.measure}' "
                   f"({d.subject}) is {d.said()}, so {why}; change the value or the operator",
                   code=errors.LADDER_NEVER_PASSES)


def _never(d: Domain, tests: list[tuple[str, Any]]) -> bool:
    left = Left.of(d)
    for op, value in tests:
        left.narrow(op, value)
    return left.empty()


def _forced(loc: Loc, c: Condition, positive: bool) -> list[tuple[Loc, Leaf, bool]]:
    """The comparisons (where, which, whether they must hold or fail) that must all pass for ``c`` to
    pass, as far as ``all``, ``not`` and ``not any`` say."""
    if isinstance(c, Leaf):
        return [(loc, c, positive)]
    if isinstance(c, Not) or (isinstance(c, AllOf) if positive else isinstance(c, AnyOf)):
        flip = isinstance(c, Not)
        return [f for where, part in c.located_children() for f in _forced(loc + where, part, positive != flip)]
    return []


def _check_conjunction(lint: Lint, file: str, loc: Loc, c: Condition, positive: bool) -> None:
    by_measure: dict[str, list[tuple[Loc, Leaf, str]]] = {}
    for where, leaf, holds in _forced((), c, positive):
        op = leaf.op if holds else NEGATED.get(leaf.op, "")
        d = _leaf_domain(lint, leaf, op)
        if d is not None and not _never(d, [(op, leaf.operand)]):  # one that never passes is said on its own
            by_measure.setdefault(leaf.measure, []).append((where, leaf, op))
    for name, tests in by_measure.items():
        d = measure_domain(lint.head, name)
        if len(tests) < 2 or d is None or not _never(d, [(op, leaf.operand) for _, leaf, op in tests]):
            continue
        said = [f"{_said_test(leaf.op, leaf.operand, leaf.op != op)} ({_path(where)})" for where, leaf, op in tests]
        listed = ", ".join(said[:-1]) + " and " + said[-1]
        key = "all" if isinstance(c, AllOf) else "any"
        lint.r.problem(file, loc + (key,),
                       f"`{key}`{' under `not`' if key == 'any' else ''} can never pass: measure '{name}' cannot "
                       f"pass {listed} at once ({d.subject} is {d.said()}); every candidate would fail it: "
                       "change or remove one of them",
                       code=errors.LADDER_NEVER_PASSES)


def _path(loc: Loc) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p)) for i, p in enumerate(loc))


# -- where tests ------------------------------------------------------------------------------------------


def check_where_can_match(lint: Lint, loc: Loc, list_path: str, key: str, test: Any) -> None:
    """Report the tests of item field ``key`` in a ``where`` that no item can pass together (the lint
    has checked each one's operator and value)."""
    tests = list(test.items()) if isinstance(test, dict) else [("eq", test)]
    d = item_domain(lint.head, list_path, key)
    if d is None:
        return
    fixed = [(op, v) for op, v in tests if constant(d, op, v)]
    if not fixed or not _never(d, fixed):
        return
    listed = " and ".join(_said_test(op, v) for op, v in fixed)
    lint.r.problem(lint.path, loc, f"{key}: {listed} can never match: {d.subject} is {d.said()}, so the measure "
                                   "would find no item; change the test", code=errors.LADDER_NEVER_PASSES)


#: A bound a date test sets: the day (months before as_of, or a fixed day), whether that day itself is
#: excluded, and the test in words.
_Bound = tuple[Union[int, datetime.date], bool, str]
_OP_WORDS = {"after": "after", "on_or_after": "on or after", "before": "before", "on_or_before": "on or before"}


def _day_words(value: Any) -> str:
    if isinstance(value, dict):
        return f"{value['months_before_as_of']} months before as_of"
    return str(value)


def check_window(lint: Lint, loc: Loc, key: str, test: dict) -> None:
    """Report a date ``where`` whose tests leave no day: a lower bound after an upper one, both
    relative to as_of (``{after: {months_before_as_of: 6}, before: {months_before_as_of: 12}}``) or
    both fixed days. Every date test also ends at as_of; items are dated 1900-01-01 to 2999-12-31."""
    # months before as_of (a lower bound of a months is a later day than an upper one of b > a), and fixed days
    relative: tuple[list[_Bound], list[_Bound]] = ([], [(0, False, "on or before as_of (where every date test ends)")])
    fixed: tuple[list[_Bound], list[_Bound]] = (
        [(EARLIEST_DATE, False, f"on or after {EARLIEST_DATE.isoformat()} (the earliest date a packet may carry)")],
        [(LATEST_DATE, False, f"on or before {LATEST_DATE.isoformat()} (the latest date a packet may carry)")])
    for op, value in test.items():
        lower = op in ("after", "on_or_after", "within_months")
        if op == "within_months":  # from (as_of + 1 day) − N months: never before as_of − N months
            relative[0].append((value, False, f"in the last {value} months"))
            continue
        try:
            bound = (0 if value == "as_of" else value["months_before_as_of"] if isinstance(value, dict)
                     else fixed_day(value))
        except (ValueError, TypeError, KeyError):  # not a day at all: check_day has said so
            return
        if bound is None:
            return
        said = f"{_OP_WORDS[op]} {_day_words(value)}"
        target = fixed if isinstance(bound, datetime.date) else relative
        (target[0] if lower else target[1]).append((bound, op in ("after", "before"), said))
    for lows, highs, later in ((relative[0], relative[1], lambda a, b: a < b), (fixed[0], fixed[1], lambda a, b: a > b)):
        for low, s, low_said in lows:
            for high, t, high_said in highs:
                if later(low, high) or (low == high and (s or t)):
                    lint.r.problem(lint.path, loc, f"{key}: {shown(test)} can never match: no day is {low_said} and "
                                                   f"{high_said}, so the measure would find no item; change the test",
                                   code=errors.LADDER_NEVER_PASSES)
                    return
