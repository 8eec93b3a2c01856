"""What the store's read functions return: plain frozen values, ready for any renderer."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Optional


#: How long a batch's cycle counts as still written after its batch last marked it as running (a batch marks
#: it every ``recorder.HEARTBEAT`` seconds while it runs, and takes the mark away when it stops): the time
#: after which the cycle of a batch killed outright (SIGKILL, a crash, a power loss) can be pruned.
RUNNING_WITHIN = datetime.timedelta(minutes=5)


@dataclass(frozen=True)
class Cycle:
    """One promotion cycle as recorded: its settings, when it ran, and what it holds."""

    id: int
    name: str
    ladder_id: Optional[str]
    ladder_digest: Optional[str]
    as_of: Optional[datetime.date]
    started_at: datetime.datetime
    finished_at: Optional[datetime.datetime]
    complete: bool
    runs: int
    decisions: int
    errors: int
    dropped: int
    store_packets: bool
    masks: tuple[str, ...]
    verdicts: dict[str, int] = field(default_factory=dict)
    #: The HTTP service's decision log (``serve --cycle``), never complete, rather than a batch's cycle.
    log: bool = False
    #: A batch is still writing it: it marked the cycle as running within ``RUNNING_WITHIN``, and has not stopped.
    running: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "id": self.id, "name": self.name, "ladder": {"id": self.ladder_id, "digest": self.ladder_digest},
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "started_at": self.started_at.isoformat(), "finished_at": _iso(self.finished_at),
            "complete": self.complete, "runs": self.runs, "decisions": self.decisions, "errors": self.errors,
            "dropped": self.dropped, "store_packets": self.store_packets, "masks": list(self.masks),
            "verdicts": dict(self.verdicts), "log": self.log, "running": self.running,
        }


@dataclass(frozen=True)
class Pruned:
    """What ``cycles prune`` deleted (or, in a dry run, would delete): the cycles by name and their decisions
    counted; the decision logs (``serve --cycle``) started before the date that were kept, a service
    possibly still writing them (pruned only when asked for); and the cycles kept because a batch is still
    writing them (``Cycle.running``: never pruned)."""

    cycles: list[str]
    decisions: int
    logs_kept: list[str] = field(default_factory=list)
    dry_run: bool = False
    running_kept: list[str] = field(default_factory=list)


def _iso(value: Optional[datetime.datetime]) -> Optional[str]:
    return value.isoformat() if value else None


@dataclass(frozen=True)
class StoredDecision:
    """One stored decision: where it came from, its (masked) decision document and, if stored, packet.

    ``uuid`` is the decision's public id (the HTTP service's ``decision_id``); ``id`` its row number.
    """

    id: int
    cycle: str
    item: str
    candidate_id: Optional[str]
    verdict: Optional[str]
    decision: dict[str, Any]
    packet: Optional[Any]
    uuid: Optional[str] = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the store's facts, then the decision document as stored."""
        return {"id": self.id, "uuid": self.uuid, "cycle": self.cycle, "item": self.item,
                "candidate_id": self.candidate_id, "verdict": self.verdict, "decision": self.decision,
                "packet": self.packet}


class StoredRecord(NamedTuple):
    """One record of a cycle as ``batch`` wrote it to its JSONL: a decision (``kind`` ``decision``, ``text`` its
    JSON as stored, masked) or an error record (``kind`` ``error``, ``text`` the error's JSON)."""

    seq: int
    item: str
    candidate_id: Optional[str]
    kind: str
    text: str


@dataclass(frozen=True)
class Change:
    """A criterion whose status differs between two decisions (None: absent from that decision)."""

    criterion_id: str
    before: Optional[str]
    after: Optional[str]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"criterion": self.criterion_id, "before": self.before, "after": self.after}


@dataclass(frozen=True)
class HistoryEntry:
    """A candidate's decision in one cycle, and what changed since the entry before it."""

    decision_id: int
    cycle: str
    started_at: datetime.datetime
    transition: str
    verdict: Optional[str]
    statuses: dict[str, str]
    changes: tuple[Change, ...]
    #: The decision's public id (``decision_id`` above is its row number, as ``decisions show`` takes it too).
    uuid: Optional[str] = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"decision_id": self.decision_id, "uuid": self.uuid, "cycle": self.cycle, "started_at": self.started_at.isoformat(),
                "transition": self.transition, "verdict": self.verdict, "statuses": dict(self.statuses),
                "changes": [c.to_dict() for c in self.changes]}


@dataclass(frozen=True)
class VerdictChange:
    """A candidate whose verdict on one step differs between two cycles."""

    candidate_id: str
    transition: str
    before: Optional[str]
    after: Optional[str]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"candidate_id": self.candidate_id, "transition": self.transition, "before": self.before,
                "after": self.after}


@dataclass(frozen=True)
class CriterionMove:
    """How many candidates' status of one criterion moved, and which way, between two cycles."""

    criterion_id: str
    improved: int
    worsened: int
    other: int

    @property
    def moved(self) -> int:
        """All candidates whose status of this criterion changed."""
        return self.improved + self.worsened + self.other

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"criterion": self.criterion_id, "moved": self.moved, "improved": self.improved,
                "worsened": self.worsened, "other": self.other}


@dataclass(frozen=True)
class CycleDiff:
    """Cycle ``a`` against cycle ``b``, pairing decisions by candidate and step."""

    a: str
    b: str
    paired: int
    only_a: int
    only_b: int
    became_ready: tuple[VerdictChange, ...]
    regressed: tuple[VerdictChange, ...]
    other_changes: tuple[VerdictChange, ...]
    criteria: tuple[CriterionMove, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"a": self.a, "b": self.b, "paired": self.paired, "only_in_a": self.only_a, "only_in_b": self.only_b,
                "became_ready": [c.to_dict() for c in self.became_ready],
                "regressed": [c.to_dict() for c in self.regressed],
                "other_changes": [c.to_dict() for c in self.other_changes],
                "criteria": [m.to_dict() for m in self.criteria]}
