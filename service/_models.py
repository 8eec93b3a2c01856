"""The service's own request and response models, around the project's packet, decision and ladder models.

They exist so that the OpenAPI document is exact: every response the service sends is described here
(the decision itself is ``promoready.schemas.Decision``, unchanged). The service writes the bytes of
decisions itself (``_engine.decision_body``) so that they are the library's bytes; these models are
what those bytes validate against.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field

from promoready.schemas.decision import CriterionResult, Decision, LadderRef, Status, Verdict
from promoready.schemas.packet import Packet

Explain = Literal["fails", "full"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)


class Provenance(_Model):
    """What produced a decision: the ladder down to its digest, and the software versions."""

    ladder: LadderRef
    promoready: str = Field(description="The promoready package version")
    durable_rules: str = Field(description="The durable-rules package version that decided")


class Explanation(_Model):
    """``?explain=fails|full``: the criteria a person should read, failing ones first, and a markdown rendering."""

    mode: Explain
    criteria: list[CriterionResult]
    markdown: str = Field(description="The decision as `promoready evaluate --format markdown --explain` prints it")


class ServiceDecision(Decision):
    """The contract's decision, byte for byte, followed by the fields the service adds."""

    decision_id: str = Field(description="Unique id of this decision (a UUID)")
    provenance: Provenance
    explanation: Optional[Explanation] = Field(default=None, description="Only with ?explain=fails|full")


class WhatIfRequest(_Model):
    """A packet and the changes to try on it, in the command line's ``--set`` language."""

    packet: Packet
    changes: list[str] = Field(min_length=1, max_length=100,
                               description="PATH=VALUE or PATH+=VALUE, e.g. experience.product_years=10")


class Flip(_Model):
    """A criterion whose status differs between the packet and the changed packet."""

    id: str
    title: str
    before: str = Field(description="pass, fail, unknown, or absent when the transition changed")
    after: Status


class WhatIfResponse(_Model):
    """Both decisions, and the criteria whose status the changes flip."""

    decision_id: str = Field(description="Unique id of this comparison (a UUID)")
    provenance: Provenance
    changes: list[str]
    verdict_before: Verdict
    verdict_after: Verdict
    flipped: list[Flip]
    before: Decision
    after: Decision


class ProblemItem(_Model):
    """One problem of an input with several (a packet's ``problems``): the fields of a problem detail."""

    type: str = Field(description="A URI naming the error code's documentation")
    title: str = Field(description="The meaning of the code, from the error catalogue")
    status: int
    detail: str = Field(description="The one line the command line would print")
    code: str = Field(description="A code from the error catalogue (docs/errors.md)")
    path: Optional[str] = Field(default=None, description="The field path, e.g. reviews[1].end")
    line: Optional[int] = Field(default=None, description="The line of the request body (or of the batch stream)")
    suggestion: Optional[str] = Field(default=None, description="The closest known name, for an unknown one")


class Problem(ProblemItem):
    """An RFC 9457 problem detail, carrying the same code, path, line and suggestion as the command line.

    For a packet that is not valid, the top-level fields are its first problem and ``problems`` lists
    every problem found (the first included), in the order of the body, so one request reports them all."""

    instance: Optional[str] = Field(default=None, description="The request path")
    problems: Optional[list[ProblemItem]] = Field(
        default=None, description="Every problem of an invalid packet (shape, values, unknown level names, "
                                  "declared evidence), the first being the top-level one; absent for other errors")
    more: Optional[int] = Field(default=None, description="How many more problems were found past the reporting "
                                                          "cap (20) and not listed; absent when none")


class BatchLine(_Model):
    """One line of a batch answer: a decision or a problem, keyed by the caller's item id."""

    id: Optional[Union[str, int]] = Field(description="The item's `id` as the caller gave it (text stays text, a whole "
                                                      "number stays a number); null if the line had none")
    line: int = Field(description="The line of the request stream this answers")
    status: int = Field(description="200 for a decision, else the problem's HTTP status")
    decision_id: Optional[str] = None
    decision: Optional[Decision] = None
    provenance: Optional[Provenance] = None
    problem: Optional[Problem] = None


class BatchItem(_Model):
    """One line of a batch request."""

    model_config = ConfigDict(extra="forbid")

    id: Optional[Union[Annotated[str, Field(max_length=200)], int]] = Field(
        default=None, description="The caller's id, echoed in the answer line as it is given (5 is echoed 5, "
                                  "\"5\" is echoed \"5\")")
    packet: Packet


class CriterionTexts(_Model):
    """The words a candidate sees for each status."""

    pass_: str = Field(alias="pass")
    fail: str
    unknown: str


class ThresholdInfo(_Model):
    """Where a criterion's threshold comes from: the cited source, or the ladder's own calibration."""

    basis: Literal["source", "calibration"]
    why: Optional[str] = None
    source_title: Optional[str] = Field(default=None, description="Another source the number comes from, in words")


class CriterionInfo(_Model):
    """A criterion of a transition: its threshold in words, why it matters, and its source."""

    id: str
    title: str
    required: bool
    expected: str
    rationale: str
    source: str
    source_title: str = Field(description="The source in words: the article's title and section")
    threshold: Optional[ThresholdInfo] = None
    text: CriterionTexts
    group: Optional[str] = Field(default=None, description="The named supporting group it counts towards, where "
                                                          "the transition declares `supporting_groups`")


class GroupInfo(_Model):
    """A named supporting quota of a transition: at least ``needed`` of its criteria must pass."""

    id: str
    title: Optional[str] = None
    needed: int


class TransitionInfo(_Model):
    """A transition as a committee reads it: each criterion's threshold in words, and its source."""

    key: str
    from_: str = Field(alias="from")
    to: str
    track: str
    phase: str
    title: Optional[str] = None
    rationale: Optional[str] = None
    supporting_needed: int = Field(description="The quota of the supporting criteria in no named group")
    criteria: list[CriterionInfo]
    supporting_groups: Optional[list[GroupInfo]] = Field(default=None, description="Named supporting quotas; "
                                                                                  "left out where there are none")


class LadderInfo(_Model):
    """A ladder the service evaluates with."""

    id: str
    version: str
    title: str
    digest: str
    default: bool = Field(description="Whether a packet without a `ladder` field is evaluated with it")
    transitions: list[str] = Field(description="Transition keys, `from-to-to`")


class LadderDetail(_Model):
    """A ladder with every transition described."""

    id: str
    version: str
    title: str
    digest: str
    transitions: list[TransitionInfo]


class Health(_Model):
    """``/health/live`` and ``/health/ready``."""

    status: Literal["ok", "not_ready"]


class StoredDecisionAnswer(_Model):
    """``GET /v1/decisions/{decision_id}``: a decision as the store keeps it."""

    decision_id: str = Field(description="The decision's id (a UUID): the `decision_id` the service answered with, "
                                         "or the `uuid` the store gave a decision `batch --cycle` recorded")
    cycle: str = Field(description="The store's cycle it is kept in (the service's `--cycle`, or a batch's)")
    candidate_id: Optional[str] = Field(description="The candidate's id; null when a mask removed it")
    verdict: Optional[str]
    decision: dict[str, Any] = Field(description="The contract's decision as stored: with the cycle's masks "
                                                 "applied, so a masked field is absent")
    packet: Optional[Any] = Field(default=None, description="The packet, masked, when the cycle stores packets")


class DecisionLogStatus(_Model):
    """This worker's decision log (``serve --db``)."""

    cycle: str = Field(description="The store's cycle the decisions are logged in")
    recorded: int = Field(description="Decisions handed to the log by this worker")
    lost: int = Field(description="Decisions this worker could not log (the store away, or slower than the service)")


class ServiceStatus(_Model):
    """``GET /v1/status``: what this worker process serves, and how it is configured (no secrets)."""

    promoready: str
    durable_rules: str
    python: str
    pid: int
    uptime_seconds: float
    ready: bool
    auth: bool
    ladders: list[LadderInfo]
    limits: dict[str, float]
    decision_store: bool = Field(description="Whether GET /v1/decisions/{id} is served")
    decision_log: Optional[DecisionLogStatus] = Field(default=None, description="With a decision store: this "
                                                                                "worker's log")
