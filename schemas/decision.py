"""The decision (contract §2): one per packet, the same bytes for the same packet and ladder."""

from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

try:  # optional, as for engine/_jsontext.py: without it pydantic writes every decision (tested by forcing it)
    import orjson as _orjson
except ImportError:  # pragma: no cover - orjson is installed with promoready
    _orjson = None  # type: ignore[assignment]

Status = Literal["pass", "fail", "unknown"]
Verdict = Literal["ready", "not_ready", "insufficient_evidence"]

DECISION_VERSION = 1


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)


class LadderRef(_Out):
    """Which ladder decided, down to its content digest."""

    id: str
    version: str
    digest: str = Field(description="sha256 of the ladder's canonical JSON")


class TransitionRef(_Out):
    """The step evaluated."""

    from_: str = Field(alias="from")
    to: str
    track: str
    phase: str


class CriterionResult(_Out):
    """One criterion, explained: its status, what was expected and found, and what would pass it."""

    id: str
    title: str
    required: bool
    status: Status
    expected: str
    actual: str
    explanation: str
    evidence: list[str] = Field(description="Packet paths whose evidence counted")
    missing: list[str] = Field(description="Packet paths whose absence made the criterion unknown")
    next_step: Optional[str] = Field(description="What would turn this into a pass, with the amount; null on pass")
    source: str
    source_title: str = Field(description="The source in words: the article's title and section where the ladder "
                                          "declares its sources, else the same as `source`")
    threshold_basis: Optional[Literal["source", "calibration"]] = Field(
        default=None, description="Whether the threshold is the cited source's or this ladder's calibration; "
                                  "null where the ladder does not say")
    group: Optional[str] = Field(default=None, description="The named supporting group (`supporting_groups`) this "
                                                          "supporting criterion counts towards; left out where it "
                                                          "counts towards none")


class Summary(_Out):
    """How many criteria have each status."""

    pass_: int = Field(alias="pass")
    fail: int
    unknown: int


class Supporting(_Out):
    """The supporting-criteria quota of the transition."""

    needed: int
    passed: int
    unknown: int


class Group(_Out):
    """A named supporting quota of the transition (``supporting_groups``): how many of its criteria
    passed, and how many are unknown."""

    id: str
    title: Optional[str] = Field(default=None, description="The group's title, where the ladder gives one")
    needed: int
    passed: int
    unknown: int


class Projection(_Out):
    """When time alone would make the packet ready, at the current pace, or why no such date exists
    (contract §5: an additive field of version 1)."""

    date: Optional[str] = Field(description="YYYY-MM-DD by which every criterion still short that time alone can "
                                            "fix would pass at the current pace (the decision's as_of when "
                                            "ready); null when time alone cannot make the packet ready")
    reason: str = Field(description="The date's basis, or why there is none, in one sentence")
    waiting_on: list[str] = Field(description="Ids of the criteria time alone would turn into passes")
    blocked_by: list[str] = Field(description="Ids of the criteria time cannot fix: they need evidence or change first")


#: What a decision without named groups leaves out of its JSON (read-only: shared by every call).
_NO_GROUPS: dict[str, Any] = {"groups": True, "criteria": {"__all__": {"group"}}}


class Decision(_Out):
    """The verdict on one packet, with every criterion explained."""

    decision_version: int = DECISION_VERSION
    candidate_id: str
    ladder: LadderRef
    packet_digest: str
    transition: TransitionRef
    as_of: str
    verdict: Verdict
    criteria: list[CriterionResult]
    summary: Summary
    supporting: Supporting
    next_steps: list[str] = Field(description="Ordered, smallest change first")
    warnings: list[str] = Field(default_factory=list, description="Ignored fields that look like typos, and similar")
    committee_outcome: Optional[str] = Field(default=None, description="Echoed from the packet, for calibration")
    projection: Optional[Projection] = Field(default=None, description="When time alone would make the packet "
                                                                       "ready, or why no such date exists")

    groups: Optional[list[Group]] = Field(default=None, description="The transition's named supporting groups "
                                                                    "(`supporting` is the quota of the criteria in "
                                                                    "none); left out where it declares none")

    def _left_out(self) -> Optional[dict[str, Any]]:
        # `groups`, and a criterion's `group`, are written only where a transition declares named
        # groups, so that every other decision keeps its bytes (contract §5: fields are added, never changed).
        if self.groups is None:
            return _NO_GROUPS
        ungrouped = {i: {"group"} for i, c in enumerate(self.criteria) if c.group is None}
        return {"criteria": ungrouped} if ungrouped else None

    def to_json(self) -> str:
        """The canonical JSON of this decision (key order fixed, UTF-8, no wall-clock time)."""
        fast = _fast_json(self)
        return fast.decode("utf-8") if fast is not None else self._pydantic_json()

    def to_json_bytes(self) -> bytes:
        """``to_json()`` encoded as UTF-8, made without the round trip through ``str`` (for JSONL output)."""
        fast = _fast_json(self)
        return fast if fast is not None else self._pydantic_json_bytes()

    # pydantic's own text: what ``to_json``/``to_json_bytes`` write whenever the fast path is not sure
    # to write the same bytes (and the reference the tests hold the fast path to).

    def _pydantic_json(self) -> str:
        return self.model_dump_json(by_alias=True, exclude=self._left_out())

    def _pydantic_json_bytes(self) -> bytes:
        return self.__pydantic_serializer__.to_json(self, by_alias=True, exclude=self._left_out())


# -- the same bytes, written faster ---------------------------------------------------------------------
#
# pydantic takes ~16 µs to write a benchmark decision's bytes; orjson writes the same bytes in ~10 µs,
# counting the making of the plain dicts it is given: the models' own ``__dict__``s, the two aliased
# models renamed, and the keys ``_left_out`` names dropped. It escapes strings as pydantic-core
# does (ASCII control characters as \uXXXX or their short escapes, U+2028/U+2029 and non-BMP characters
# as themselves) and refuses lone surrogates, as pydantic does. Only a decision whose bytes are surely
# pydantic's takes this path; any other, or one orjson refuses, is written by pydantic, which gives its
# own text or raises its own error. Both are held to the same bytes in tests/schemas/test_decision_json.py.

#: Each model's field names in definition order. pydantic (2.14) writes a model's fields in the order of
#: its ``__dict__``, skipping keys that are not fields; validation and ``model_construct`` make that dict
#: in definition order, but ``engine._build.build`` keeps the order of the dict it is given, and
#: ``model_copy(update=...)`` can add keys. A ``__dict__`` with exactly these keys in this order is written
#: in this order by pydantic whether it follows the dict or the definition. Checking costs ~1.5 µs a
#: decision (~20 models) of the ~7 µs saved; engine-built decisions pass (their dict literals are in field
#: order: tested).
_FIELDS: dict[type, list[str]] = {m: list(m.model_fields) for m in (LadderRef, TransitionRef, CriterionResult,
                                                                       Summary, Supporting, Group, Projection,
                                                                       Decision)}
_DECISION, _CRITERION, _GROUP = _FIELDS[Decision], _FIELDS[CriterionResult], _FIELDS[Group]
_LADDER, _SUPPORTING, _PROJECTION = _FIELDS[LadderRef], _FIELDS[Supporting], _FIELDS[Projection]
_TRANSITION, _SUMMARY = _FIELDS[TransitionRef], _FIELDS[Summary]

#: orjson refuses, instead of writing its own way, subclasses of str, int, list and dict, dates and
#: times, and dataclasses: values no field here declares, which only an unvalidated model (the builder,
#: ``model_construct``, ``model_copy(update=...)``) can hold. pydantic writes a datetime in UTC with ``Z``,
#: orjson with ``+00:00``; the others it was seen to write alike, but refusing them costs nothing here
#: and only sends such a (hand-made) decision to pydantic.
_OPTIONS = 0 if _orjson is None else (_orjson.OPT_PASSTHROUGH_SUBCLASS | _orjson.OPT_PASSTHROUGH_DATETIME
                                      | _orjson.OPT_PASSTHROUGH_DATACLASS)


def _plain(decision: Decision) -> Optional[dict[str, Any]]:
    """The decision as plain data (dicts, lists, scalars) that orjson writes as pydantic does, or None
    where that is not sure: a subclass of any model (it may be written its own way), a ``__dict__``
    whose keys are not its model's fields in order (``_FIELDS``), or a bool where a count belongs
    (pydantic writes ``1``, orjson ``true``: the one difference the tests find when they put values of
    other types than a field declares in each field)."""
    top = decision.__dict__
    if type(decision) is not Decision or [*top] != _DECISION:
        return None
    ladder, transition, summary = top["ladder"], top["transition"], top["summary"]
    supporting, projection, groups = top["supporting"], top["projection"], top["groups"]
    criteria = top["criteria"]
    if (type(ladder) is not LadderRef or type(transition) is not TransitionRef or type(summary) is not Summary
            or type(supporting) is not Supporting or type(criteria) is not list):
        return None
    lad, tra, summ, sup = ladder.__dict__, transition.__dict__, summary.__dict__, supporting.__dict__
    if [*lad] != _LADDER or [*tra] != _TRANSITION or [*summ] != _SUMMARY or [*sup] != _SUPPORTING:
        return None
    if type(top["decision_version"]) is bool or bool in map(type, summ.values()) or bool in map(type, sup.values()):
        return None
    out = top.copy()
    out["ladder"] = lad
    out["transition"] = {"from": tra["from_"], "to": tra["to"], "track": tra["track"], "phase": tra["phase"]}
    out["summary"] = {"pass": summ["pass_"], "fail": summ["fail"], "unknown": summ["unknown"]}
    out["supporting"] = sup
    results = []
    for c in criteria:
        if type(c) is not CriterionResult:
            return None
        one = c.__dict__
        if [*one] != _CRITERION:
            return None
        if groups is None or one["group"] is None:  # left out (``_left_out``)
            one = one.copy()
            del one["group"]
        results.append(one)
    out["criteria"] = results
    if projection is not None:
        if type(projection) is not Projection or [*projection.__dict__] != _PROJECTION:
            return None
        out["projection"] = projection.__dict__
    if groups is None:
        del out["groups"]  # left out, as each criterion's group above, whatever the criteria hold
    else:
        if type(groups) is not list:
            return None
        named = []
        for g in groups:
            if type(g) is not Group or [*g.__dict__] != _GROUP or bool in map(type, g.__dict__.values()):
                return None
            named.append(g.__dict__)
        out["groups"] = named
    return out


def _fast_json(decision: Decision) -> Optional[bytes]:
    """The decision's JSON written by orjson, or None where pydantic must write it: without orjson,
    where ``_plain`` is not sure, or where orjson refuses a value (an integer beyond 64 bits, a lone
    surrogate, a type ``_OPTIONS`` refuses)."""
    if _orjson is None:
        return None
    tree = _plain(decision)
    if tree is None:
        return None
    try:
        return _orjson.dumps(tree, option=_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return None
