"""A ladder's own examples: packets with the verdict and statuses the ladder's authors expect.

Each ladder folder may hold ``examples/<transition>.yaml``::

    transition: {from: senior-pm, to: director}
    cases:
      - name: ready
        note: what the case shows
        expect: {verdict: ready, fail: [], unknown: []}
        packet: {...}

``run_examples`` evaluates every case with the ladder of the folder (a packet's own ``ladder`` field
is ignored there) and compares the verdict and the exact sets of failing and unknown criteria. ``promoready ladder test`` and the test suite both call it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from . import _documents as docs
from ._ladder import _resolve_folder, load_ladder
from ._wording import literal_values, validation_message
from . import errors
from .errors import LadderError, PromoreadyError, closest
from .evaluator import Evaluator


class _Expect(BaseModel):
    model_config = ConfigDict(extra="forbid")
    verdict: Literal["ready", "not_ready", "insufficient_evidence"]
    fail: list[str] = Field(default_factory=list)
    unknown: list[str] = Field(default_factory=list)


class _Case(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    note: Optional[str] = None
    expect: _Expect
    packet: dict


class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    from_: str = Field(alias="from")
    to: str


class _ExampleFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    transition: _Step
    cases: list[_Case] = Field(min_length=1)


@dataclass
class Mismatch:
    """One way a case's outcome differs from what it expects."""

    what: str  # "verdict" or a criterion id
    expected: str
    actual: str


@dataclass
class CaseResult:
    """The outcome of one example case."""

    file: str
    transition: str
    name: str
    candidate_id: str
    ok: bool
    mismatches: list[Mismatch] = field(default_factory=list)
    error: Optional[str] = None


def example_files(folder: str) -> list[str]:
    """The example files of a ladder folder, sorted."""
    path = os.path.join(folder, "examples")
    if not os.path.isdir(path):
        return []
    return sorted(os.path.join(path, n) for n in os.listdir(path) if n.endswith((".yaml", ".yml", ".json")))


def run_examples(ladder_path: Optional[str] = None, *, evaluator: Optional[Evaluator] = None,
                 only: Optional[str] = None) -> list[CaseResult]:
    """Evaluate every example case of a ladder; ``only`` limits it to one transition (``from-to-to``)."""
    folder = _resolve_folder(ladder_path)
    evaluator = evaluator or Evaluator(load_ladder(folder))
    results: list[CaseResult] = []
    for path in example_files(folder):
        text = docs.read_text(path)
        try:
            spec = _ExampleFile.model_validate(docs.parse(text, path))
        except ValidationError as exc:
            found = exc.errors(include_url=False)  # a misspelt key first: it says why one is missing
            err = next((e for e in found if e["type"] == "extra_forbidden"), found[0])
            loc = tuple(err["loc"])
            message, suggestion = _said(err)
            raise LadderError(message, code=errors.LADDER_EXAMPLE, file=path, line=docs.line_of(text, loc),
                              path=docs.format_path(loc), suggestion=suggestion) from None
        key = f"{spec.transition.from_}-to-{spec.transition.to}"
        if only is not None and key != only:
            continue
        for case in spec.cases:
            results.append(_run_case(evaluator, path, key, case))
    return results


#: The model of the mapping under each key of an example file (for the keys it may have).
_MODEL_AT: dict[str, type[BaseModel]] = {"transition": _Step, "cases": _Case, "expect": _Expect}


def _said(err: Any) -> tuple[str, Optional[str]]:
    """One of pydantic's complaints about an example file in the ladder's words, and the closest
    known word to a misspelt key or value."""
    loc, given = tuple(err["loc"]), err.get("input")
    if err["type"] == "missing":
        return f"missing required key '{loc[-1]}'", None
    if err["type"] == "extra_forbidden":
        model: type[BaseModel] = _ExampleFile
        for part in loc[:-1]:
            model = _MODEL_AT.get(part, model) if isinstance(part, str) else model
        known = [info.alias or name for name, info in model.model_fields.items()]
        return f"unknown key '{loc[-1]}'", closest(str(loc[-1]), known)
    if err["type"] == "literal_error" and isinstance(given, str) and len(given) <= 200:
        return validation_message(err), closest(given, literal_values(err))
    return validation_message(err), None


def _run_case(evaluator: Evaluator, path: str, key: str, case: _Case) -> CaseResult:
    candidate = str(case.packet.get("candidate", {}).get("id", "?")) if isinstance(case.packet.get("candidate"), dict) else "?"
    result = CaseResult(file=path, transition=key, name=case.name, candidate_id=candidate, ok=True)
    # An example belongs to the ladder whose folder holds it, whatever its packet's `ladder` says
    # (a copied ladder keeps its examples working under its new id).
    packet = {k: v for k, v in case.packet.items() if k != "ladder"}
    try:
        decision = evaluator.evaluate(packet)
    except PromoreadyError as exc:
        result.ok = False
        result.error = str(exc)
        return result
    got_key = f"{decision.transition.from_}-to-{decision.transition.to}"
    if got_key != key:
        result.mismatches.append(Mismatch("transition", key, got_key))
    if decision.verdict != case.expect.verdict:
        result.mismatches.append(Mismatch("verdict", case.expect.verdict, decision.verdict))
    expected = {cid: "fail" for cid in case.expect.fail}
    expected.update({cid: "unknown" for cid in case.expect.unknown})
    known = {c.id for c in decision.criteria}
    for cid in sorted(set(expected) - known):
        result.mismatches.append(Mismatch(cid, expected[cid], "no such criterion"))
    for c in decision.criteria:
        want = expected.get(c.id, "pass")
        if c.status != want:
            result.mismatches.append(Mismatch(c.id, want, f"{c.status} (actual: {c.actual})"))
    result.ok = not result.mismatches
    return result
