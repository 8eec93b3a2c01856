"""The promotion packet (contract v1): the evidence a candidate, a manager or HR submits.

Every field of ``examples/packet.example.yaml`` is here, with the same name and meaning. Absent
and null both mean *unknown evidence*; an empty list is known and empty. Extra fields are kept
(forward compatibility) and ignored by every rule. Free text (``candidate.name``, summaries,
titles) is carried but never read by a rule.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Any, Literal, Optional

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from ._types import Bool, Count, Figure, Months, Name, Rating1to5, Text, Years, _iso_date

OrgSize = Literal["startup", "growth", "enterprise"]
Rating = Literal["below", "meets", "exceeds", "outstanding"]
ImpactKind = Literal["revenue", "retention", "growth", "efficiency", "adoption", "delivery"]
Reach = Literal["feature", "product", "org", "company"]
Ambiguity = Literal["low", "medium", "high"]
ArtifactKind = Literal["prd", "roadmap", "strategy", "vision", "framework", "okr", "business_case"]
Relationship = Literal["manager", "skip-level", "peer", "cross-functional", "executive"]
Track = Literal["ic", "management"]
CommitteeOutcome = Literal["promoted", "not_promoted"]
#: What an organisation-design change did (``leadership.org_design_changes[].kind``).
OrgDesignKind = Literal["new-team", "reorg", "role-definition", "career-ladder", "operating-process"]
#: The latest engagement survey of the people the candidate leads, against the company as a whole.
Engagement = Literal["below", "at", "above"]

#: The dates a packet may carry: far wider than any career, and far enough inside the calendar
#: (years 1 to 9999) that the months measures add to a date or take from it cannot leave it.
EARLIEST_DATE = datetime.date(1900, 1, 1)
LATEST_DATE = datetime.date(2999, 12, 31)


def outside_decision_dates(day: datetime.date) -> Optional[str]:
    """Why a caller's as-of date (not a packet's) cannot be a decision's, None if it can: it is held to the
    dates a packet may carry."""
    if EARLIEST_DATE <= day <= LATEST_DATE:
        return None
    return (f"{day.isoformat()} is outside the dates a decision can be made for ({EARLIEST_DATE.isoformat()} to "
            f"{LATEST_DATE.isoformat()})")


def _in_range(day: datetime.date) -> datetime.date:
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise PydanticCustomError(
            "date_out_of_range", "{day} is outside the dates a packet may carry ({earliest} to {latest})",
            {"day": day.isoformat(), "earliest": EARLIEST_DATE.isoformat(), "latest": LATEST_DATE.isoformat()},
        )
    return day


def _packet_day(value: Any) -> Any:
    """``Date``'s reading (its days remembered) and the range check in one validator (a packet holds about
    ten dates)."""
    return _in_range(_iso_date(value))


#: A packet's date: an ISO date (as ``Date`` reads it) between ``EARLIEST_DATE`` and ``LATEST_DATE``.
PacketDate = Annotated[datetime.date, BeforeValidator(_packet_day)]

#: Ordered enums: rules may compare them ("rating at least meets").
ORDINALS: dict[str, tuple[str, ...]] = {
    "rating": ("below", "meets", "exceeds", "outstanding"),
    "ambiguity": ("low", "medium", "high"),
    "size": ("startup", "growth", "enterprise"),
    "reach": ("feature", "product", "org", "company"),
    "engagement": ("below", "at", "above"),
}


class _Part(BaseModel):
    """A section of the packet: unknown keys are kept, never read."""

    model_config = ConfigDict(extra="allow", frozen=True)


class Candidate(_Part):
    """Who the packet is about. ``id`` is echoed in the decision; ``name`` is never read by a rule."""

    id: Name
    name: Optional[Text] = None


class Organization(_Part):
    """The organisation the promotion happens in; some thresholds depend on its size."""

    size: Optional[OrgSize] = None


class Experience(_Part):
    """Years of experience and time in the current level."""

    product_years: Optional[Years] = None
    people_management_years: Optional[Years] = None
    current_level_since: Optional[PacketDate] = None
    #: All working years, product management or not: the product and management years are part of them.
    professional_years: Optional[Years] = None

    @field_validator("professional_years")
    @classmethod
    def _covers_the_other_years(cls, value, info: ValidationInfo):
        for name in ("product_years", "people_management_years"):
            part = info.data.get(name)
            if value is not None and part is not None and part > value:
                raise PydanticCustomError(
                    "more_than_professional_years",
                    "{field} ({part}) is more than professional_years ({value}), which includes them",
                    {"field": name, "part": part, "value": value},
                )
        return value


class Review(_Part):
    """One review period: how the work was rated and at which level the reviewer judged it."""

    start: PacketDate
    end: PacketDate
    rating: Optional[Rating] = None
    operating_level: Optional[Name] = None
    #: The level or title of whoever wrote the review (resolved like an advocate's level).
    reviewer_level: Optional[Name] = None

    @field_validator("end")
    @classmethod
    def _end_not_before_start(cls, end, info: ValidationInfo):
        start = info.data.get("start")
        if start is not None and end < start:
            raise PydanticCustomError(
                "end_before_start", "end {end} is before start {start}", {"end": end.isoformat(), "start": start.isoformat()}
            )
        return end


class Impact(_Part):
    """An outcome the candidate drove."""

    summary: Optional[Text] = None
    kind: Optional[ImpactKind] = None
    reach: Optional[Reach] = None
    measured: Optional[Bool] = None
    metric: Optional[Text] = None
    value: Optional[Figure] = None
    date: Optional[PacketDate] = None


class Scope(_Part):
    """What the candidate owns."""

    teams: Optional[Count] = None
    products: Optional[Count] = None
    owns_pnl: Optional[Bool] = None
    strategy_horizon_months: Optional[Months] = None
    ambiguity: Optional[Ambiguity] = None


class OrgDesignChange(_Part):
    """A change to how teams are organised that the candidate led: new teams, a reorganisation,
    role definitions, a career ladder, an operating process. Words, numbers and a date only."""

    kind: Optional[OrgDesignKind] = None
    teams_affected: Optional[Count] = None
    date: Optional[PacketDate] = None


class Leadership(_Part):
    """People the candidate leads, hires and develops, and the organisation and culture they shape.
    pm_reports and manager_reports count direct reports (people reporting directly to the candidate)
    who are product managers, or who manage people themselves; each is at most direct_reports (a
    packet saying more is refused)."""

    direct_reports: Optional[Count] = None
    pm_reports: Optional[Count] = None
    manager_reports: Optional[Count] = None
    hires: Optional[Count] = None
    mentees: Optional[Count] = None
    budget_owner: Optional[Bool] = None
    org_design_changes: Optional[list[OrgDesignChange]] = None
    team_engagement: Optional[Engagement] = None

    @field_validator("pm_reports", "manager_reports")
    @classmethod
    def _within_direct_reports(cls, value, info: ValidationInfo):
        direct = info.data.get("direct_reports")
        if value is not None and direct is not None and value > direct:
            raise PydanticCustomError(
                "more_than_direct_reports",
                "{field} ({value}) is more than direct_reports ({direct}): they are counted among the "
                "direct reports, so direct_reports is at least {value}",
                {"field": info.field_name, "value": value, "direct": direct},
            )
        return value


class Influence(_Part):
    """Influence over the last 12 months."""

    exec_presentations: Optional[Count] = None
    board_interactions: Optional[Count] = None
    cross_functional_partners: Optional[list[Name]] = None
    external_talks: Optional[Count] = None


class Artifact(_Part):
    """A document the candidate wrote or owns (strategy, roadmap, framework…)."""

    kind: Optional[ArtifactKind] = None
    title: Optional[Text] = None
    horizon_months: Optional[Months] = None
    adopted_by_teams: Optional[Count] = None


class Advocate(_Part):
    """A sponsor who will speak for the candidate; ``name`` is never read by a rule."""

    name: Optional[Text] = None
    level: Optional[Name] = None
    relationship: Optional[Relationship] = None
    committed: Optional[Bool] = None


class Competencies(_Part):
    """Ratings against the TARGET level: 1 far below, 3 meets, 5 far above."""

    product_craft: Optional[Rating1to5] = None
    execution: Optional[Rating1to5] = None
    strategy: Optional[Rating1to5] = None
    communication: Optional[Rating1to5] = None
    stakeholder_management: Optional[Rating1to5] = None
    people_leadership: Optional[Rating1to5] = None
    business_acumen: Optional[Rating1to5] = None
    executive_presence: Optional[Rating1to5] = None


class Signals(_Part):
    """The usual promotion blockers, as the manager observes them."""

    documents_impact: Optional[Bool] = None
    steps_up_unasked: Optional[Bool] = None
    addresses_skill_gaps: Optional[Bool] = None
    works_beyond_current_level: Optional[Bool] = None


class Packet(_Part):
    """A promotion packet, contract version 1. See ``examples/packet.example.yaml``."""

    packet_version: Literal[1] = Field(default=1, description="Contract version of the packet")
    candidate: Candidate
    ladder: Optional[Name] = Field(default=None, description="Ladder id; absent = the default ladder")
    current_level: Name
    target_level: Optional[Name] = Field(default=None, description="Absent = the next level on `track`")
    track: Optional[Track] = None
    as_of: Optional[PacketDate] = Field(default=None, description="Durations are measured to this date; absent = today")
    organization: Optional[Organization] = None
    experience: Optional[Experience] = None
    reviews: Optional[list[Review]] = None
    impact: Optional[list[Impact]] = None
    scope: Optional[Scope] = None
    leadership: Optional[Leadership] = None
    influence: Optional[Influence] = None
    artifacts: Optional[list[Artifact]] = None
    advocates: Optional[list[Advocate]] = None
    competencies: Optional[Competencies] = None
    signals: Optional[Signals] = None
    committee_outcome: Optional[CommitteeOutcome] = None
    evidence: Optional[dict[str, Any]] = Field(
        default=None, description="Evidence fields the ladder declares (its `evidence:` block); checked against "
                                  "the ladder the packet is evaluated with")


#: Model of each list field's items, by the list's dotted path (used by measures and by the ladder lint).
LIST_ITEMS: dict[str, type[BaseModel]] = {
    "reviews": Review,
    "impact": Impact,
    "artifacts": Artifact,
    "advocates": Advocate,
    "leadership.org_design_changes": OrgDesignChange,
}
