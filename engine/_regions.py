"""Regions in exclusive disjunctive normal form, the algebra ``_compile`` writes conditions with.

A region (pass, fail or unknown) is a tuple of alternatives, each a conjunction of atoms (one
durable-rules comparison each); every alternative of a region excludes every other, so a fact
matches at most one of them and each criterion fires exactly one rule. ``_rule`` turns one
alternative into a durable-rules rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

#: The status a rule decides, by the suffix that names its region in the rule name (``3.f.0``).
STATUS_BY_SUFFIX = {"p": "pass", "f": "fail", "u": "unknown"}
_PASS_OP = {"gte": "$gte", "gt": "$gt", "lte": "$lte", "lt": "$lt"}
_FAIL_OP = {"gte": "$lt", "gt": "$lte", "lte": "$gt", "lt": "$gte"}


#: A region in disjunctive normal form: alternatives (rules) of conjunctions of atoms (comparisons).
#: Every alternative of a region excludes every other, so a fact matches at most one of them.
DNF = tuple[tuple[dict, ...], ...]

TRUE: DNF = ((),)


#: Evidence rules one criterion may compile to: it stops the exponential growth of ``all``/``any``
#: products early, and keeps a criterion under the 511 successors one engine node holds
#: (NEXT_BUCKET_LENGTH, code 106), since its rules mostly start at the same node. A transition's
#: criteria together may need more: they are then split across rulesets (``Compiler.chunks``).
MAX_RULES = 500


class TooManyRules(Exception):
    """A condition the engine cannot hold: more than ``MAX_RULES`` alternatives, or beyond a ``Capacity``
    table even in a ruleset of its own. The message names the limit."""

    def __init__(self, message: str = f"compiles to more than {MAX_RULES} engine rules") -> None:
        super().__init__(message)
        self.message = message
        self.index: Optional[int] = None  # the criterion, when known


def _and(*parts: DNF) -> DNF:
    """The conjunction of regions: every combination of their alternatives."""
    out: DNF = TRUE
    for part in parts:
        if len(out) * len(part) > MAX_RULES:
            raise TooManyRules  # stop before building an exponential product
        out = tuple(x + y for x in out for y in part)
    return out


def _or(*parts: DNF) -> DNF:
    """The union of regions that exclude each other (the caller guarantees it)."""
    out = tuple(alt for part in parts for alt in part)
    if len(out) > MAX_RULES:
        raise TooManyRules
    return out


def _atom(condition: dict) -> DNF:
    return ((condition,),)


def _first(parts: list["Regions"], *, before, at, after) -> DNF:
    """An exclusive disjunction: for some k, ``before`` holds for parts < k, ``at`` for part k and
    ``after`` (if given) for parts > k. Alternatives differ in k, so at most one matches."""
    alternatives = []
    for k, part in enumerate(parts):
        terms = [before(r) for r in parts[:k]] + [at(part)]
        if after is not None:
            terms += [after(r) for r in parts[k + 1:]]
        alternatives.append(_and(*terms))
    return _or(*alternatives)


def _combine(form: str, parts: list["Regions"]) -> "Regions":
    """The regions of ``all`` / ``any`` over parts' regions, every disjunction exclusive."""
    if form == "all":
        # pass: every part passes; fail: part k is the first that fails;
        # unknown: part k is the first unknown, the ones before pass and none after fails.
        p = _and(*(r.p for r in parts))
        f = _first(parts, before=lambda r: _or(r.p, r.u), at=lambda r: r.f, after=None)
        u = _first(parts, before=lambda r: r.p, at=lambda r: r.u, after=lambda r: _or(r.p, r.u))
    else:  # any: the mirror image
        p = _first(parts, before=lambda r: _or(r.f, r.u), at=lambda r: r.p, after=None)
        f = _and(*(r.f for r in parts))
        u = _first(parts, before=lambda r: r.f, at=lambda r: r.u, after=lambda r: _or(r.f, r.u))
    return Regions(p, f, u)


@dataclass(frozen=True)
class Regions:
    """The pass, fail and unknown regions of a condition, each in exclusive disjunctive normal form."""

    p: DNF
    f: DNF
    u: DNF


def _cmp(key: str, op: str, value: Any, *, passing: bool) -> DNF:
    """The region where ``key op value`` holds (``passing``) or fails, the key present."""
    if op in _PASS_OP:
        return _atom({(_PASS_OP if passing else _FAIL_OP)[op]: {key: value}})
    if op == "in":
        if passing:  # equal to one of the values: the values differ, so the alternatives exclude each other
            return tuple(({key: v},) for v in value)
        return (tuple({"$neq": {key: v}} for v in value),)
    equal = (op == "eq") == passing
    return _atom({key: value} if equal else {"$neq": {key: value}})


def _refers(atom: dict) -> bool:
    """Whether a test compares with another property of the fact (``{"$lt": {"m0": {"$m": "m1"}}}``)."""
    ((_, inner),) = atom.items()
    return isinstance(inner, dict) and any(isinstance(v, dict) and "$m" in v for v in inner.values())


def _rule(*conditions: dict) -> dict:
    """A durable-rules rule matching one fact on all ``conditions`` (a flat ``$and``). Tests against
    another property go last: the engine never shares their nodes, so nothing may hang below them
    (see ``_capacity.Network.add``)."""
    conditions = tuple(sorted(conditions, key=_refers))
    return {"all": [{"m": conditions[0] if len(conditions) == 1 else {"$and": list(conditions)}}]}
