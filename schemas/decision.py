"""The decision (contract §2): one per packet, the same bytes for the same packet and ladder."""

from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

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
        return self.model_dump_json(by_alias=True, exclude=self._left_out())

    def to_json_bytes(self) -> bytes:
        """``to_json()`` encoded as UTF-8, made without the round trip through ``str`` (for JSONL output)."""
        return self.__pydantic_serializer__.to_json(self, by_alias=True, exclude=self._left_out())
