"""The cycle summary of a batch: a streaming accumulator over decisions and errors.

Pure data: nothing here prints or reads files. ``Summary.add`` takes one ``Outcome`` (the few facts
of a decision the summary needs, small enough to send between processes), ``Summary.add_error`` one
error record; ``Summary.to_dict`` gives the summary as JSON-ready data. Memory grows with the number
of distinct transitions, criteria and missing paths, with calibration disagreements, ready candidates
and errored packets (a committee chair needs each by name), and with the candidate ids seen (one
string each, to flag a candidate who appears twice); nothing else of a packet is kept.

Everything is deterministic: counts are sorted by count, ties by name; lists of candidates and
packets keep the input order.
"""

from __future__ import annotations

from typing import Any, Mapping, NamedTuple, Optional, cast

VERDICTS = ("ready", "not_ready", "insufficient_evidence")


class Outcome(NamedTuple):
    """What the summary needs from one decision (a named tuple: one per packet crosses between processes)."""

    candidate_id: str
    verdict: str
    transition: tuple[str, str]  # (from, to)
    blocking: tuple[tuple[str, str], ...]  # (id, title) of each required criterion that failed
    failed: tuple[str, ...]  # ids of every criterion that failed, in ladder order
    unknown: tuple[str, ...]  # ids of every criterion that is unknown, in ladder order
    missing: tuple[str, ...]  # distinct packet paths missing, in order of first mention
    committee_outcome: Optional[str] = None
    warnings: tuple[str, ...] = ()  # fields the packet has that look like typos of known ones
    warning_lines: tuple[Optional[int], ...] = ()  # the line of each warning in its file, where known
    # (id, title) of each supporting quota out of reach in a not-ready decision: a named group by its
    # id, the criteria in no group by "" (a group blocks as a required criterion does, without one failing)
    short_groups: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, decision: Any) -> "Outcome":
        """From a ``Decision`` model or its JSON form (a dict, as read back from a JSONL line)."""
        if isinstance(decision, Mapping):
            return cls._from_json(decision)
        criteria = decision.criteria
        return cls(
            candidate_id=decision.candidate_id,
            verdict=decision.verdict,
            transition=(decision.transition.from_, decision.transition.to),
            blocking=tuple((c.id, c.title) for c in criteria if c.required and c.status == "fail"),
            failed=tuple(c.id for c in criteria if c.status == "fail"),
            unknown=tuple(c.id for c in criteria if c.status == "unknown"),
            missing=tuple(dict.fromkeys(p for c in criteria for p in c.missing)),
            committee_outcome=decision.committee_outcome,
            warnings=tuple(decision.warnings),
            short_groups=_short(decision.verdict, decision.supporting.model_dump(),
                                [g.model_dump() for g in decision.groups or ()]),
        )

    @classmethod
    def _from_json(cls, d: Mapping) -> "Outcome":
        criteria = d.get("criteria") or []
        transition = d.get("transition") or {}
        # A decision line this program wrote: these keys are always there.
        return cls(
            candidate_id=cast(str, d.get("candidate_id")),
            verdict=cast(str, d.get("verdict")),
            transition=(cast(str, transition.get("from")), cast(str, transition.get("to"))),
            blocking=tuple((c["id"], c.get("title", c["id"])) for c in criteria
                           if c.get("required") and c.get("status") == "fail"),
            failed=tuple(c["id"] for c in criteria if c.get("status") == "fail"),
            unknown=tuple(c["id"] for c in criteria if c.get("status") == "unknown"),
            missing=tuple(dict.fromkeys(p for c in criteria for p in c.get("missing") or ())),
            committee_outcome=d.get("committee_outcome"),
            warnings=tuple(d.get("warnings") or ()),
            short_groups=_short(cast(str, d.get("verdict")), d.get("supporting") or {}, d.get("groups") or []),
        )


def _short(verdict: str, supporting: Mapping, groups: list) -> tuple[tuple[str, str], ...]:
    """The supporting quotas a not-ready decision cannot meet even if every unknown passed, as the
    decision states them (its ``supporting`` and ``groups``): nothing is decided here."""
    if verdict != "not_ready":
        return ()
    quotas = [("", "supporting criteria in no group", supporting)] + [
        (g["id"], g.get("title") or g["id"], g) for g in groups]
    return tuple((gid, title) for gid, title, q in quotas
                 if q.get("passed", 0) + q.get("unknown", 0) < q.get("needed", 0))


def _ranked(counts: Mapping[str, int]) -> list[tuple[str, int]]:
    """Most first; ties by name."""
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


class Summary:
    """Accumulates a batch, one record at a time, in input order."""

    def __init__(self) -> None:
        self.packets = 0
        self.verdicts: dict[str, int] = dict.fromkeys(VERDICTS, 0)
        self.transitions: dict[tuple[str, str], dict[str, int]] = {}
        self.blockers: dict[str, int] = {}
        self.titles: dict[str, set[str]] = {}  # a criterion id may have a title per transition
        self.missing: dict[str, int] = {}
        self.errors = 0
        self.error_codes: dict[str, int] = {}
        self.errored: list[dict] = []  # each error record: where, which candidate, what
        self.warned: list[dict] = []  # each packet with fields that look like typos, and the warnings
        self.with_outcome = 0
        self.disagreements: list[dict] = []
        # per transition: ready candidates in input order, and required criteria that blocked, with their title there
        self.ready: dict[tuple[str, str], list[dict]] = {}
        self.transition_blockers: dict[tuple[str, str], dict[str, int]] = {}
        self.transition_titles: dict[tuple[str, str, str], str] = {}
        # per transition: supporting quotas out of reach ("" for the criteria in no group), and their titles
        self.transition_groups: dict[tuple[str, str], dict[str, int]] = {}
        self.group_titles: dict[tuple[str, str, str], str] = {}
        self.first_seen: dict[str, Optional[str]] = {}  # candidate id → the source it was first seen at
        self.duplicates: dict[str, list[Optional[str]]] = {}  # candidate id → every source, when more than one

    # -- adding ---------------------------------------------------------------------------------------

    def add(self, outcome: Outcome, source: Optional[str] = None) -> None:
        """One decision."""
        self.packets += 1
        self.verdicts[outcome.verdict] = self.verdicts.get(outcome.verdict, 0) + 1
        by_verdict = self.transitions.setdefault(outcome.transition, dict.fromkeys(VERDICTS, 0))
        by_verdict[outcome.verdict] = by_verdict.get(outcome.verdict, 0) + 1
        for criterion, title in dict.fromkeys(outcome.blocking):
            self.blockers[criterion] = self.blockers.get(criterion, 0) + 1
            self.titles.setdefault(criterion, set()).add(title)
            here = self.transition_blockers.setdefault(outcome.transition, {})
            here[criterion] = here.get(criterion, 0) + 1
            self.transition_titles.setdefault((*outcome.transition, criterion), title)
        for group, title in dict.fromkeys(outcome.short_groups):
            here = self.transition_groups.setdefault(outcome.transition, {})
            here[group] = here.get(group, 0) + 1
            self.group_titles.setdefault((*outcome.transition, group), title)
        if outcome.verdict == "ready":
            self.ready.setdefault(outcome.transition, []).append(
                {"candidate_id": outcome.candidate_id, "source": source})
        self._seen(outcome.candidate_id, source)
        if outcome.warnings:
            lines = list(outcome.warning_lines) if len(outcome.warning_lines) == len(outcome.warnings) else []
            self.warned.append({"candidate_id": outcome.candidate_id, "source": source,
                                "warnings": list(outcome.warnings), "lines": lines or [None] * len(outcome.warnings)})
        for path in outcome.missing:
            self.missing[path] = self.missing.get(path, 0) + 1
        if outcome.committee_outcome in ("promoted", "not_promoted"):
            self.with_outcome += 1
            promoted = outcome.committee_outcome == "promoted"
            if promoted != (outcome.verdict == "ready"):
                self.disagreements.append({
                    "candidate_id": outcome.candidate_id,
                    "source": source,
                    "committee_outcome": outcome.committee_outcome,
                    "verdict": outcome.verdict,
                    "failed": list(outcome.failed),
                    "unknown": list(outcome.unknown),
                })

    def add_error(self, code: str, *, source: Optional[str] = None, candidate_id: Optional[str] = None,
                  message: Optional[str] = None) -> None:
        """One error record (a packet that could not be evaluated): its code, and where it was
        (``file[:line]``), whose it was and the one-line message, when known."""
        self.packets += 1
        self.errors += 1
        self.error_codes[code] = self.error_codes.get(code, 0) + 1
        self.errored.append({"source": source, "candidate_id": candidate_id, "code": code, "message": message})
        if candidate_id is not None:
            self._seen(candidate_id, source)

    def _seen(self, candidate_id: str, source: Optional[str]) -> None:
        if candidate_id not in self.first_seen:
            self.first_seen[candidate_id] = source
            return
        self.duplicates.setdefault(candidate_id, [self.first_seen[candidate_id]]).append(source)

    # -- reading --------------------------------------------------------------------------------------

    @property
    def decisions(self) -> int:
        return self.packets - self.errors

    def seen_verdicts(self) -> list[str]:
        """The verdicts that occurred at least once (for ``--fail-on``)."""
        return [v for v, n in self.verdicts.items() if n]

    def to_dict(self) -> dict:
        """The summary as JSON-ready data, deterministic for the same records in the same order."""
        transitions = sorted(self.transitions.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
        disagree = len(self.disagreements)
        return {
            "packets": self.packets,
            "decisions": self.decisions,
            "errors": self.errors,
            "verdicts": dict(self.verdicts),
            "transitions": [
                {"from": a, "to": b, "count": sum(v.values()), "verdicts": dict(v),
                 "ready_candidates": list(self.ready.get((a, b), [])),
                 "blockers": [{"criterion": c, "title": self.transition_titles[(a, b, c)], "candidates": n}
                              for c, n in _ranked(self.transition_blockers.get((a, b), {}))],
                 **self._blocking_groups((a, b))}
                for (a, b), v in transitions
            ],
            "top_blockers": [
                {"criterion": c, "title": " / ".join(sorted(self.titles[c])), "candidates": n} for c, n in _ranked(self.blockers)
            ],
            "most_missing": [{"path": p, "candidates": n} for p, n in _ranked(self.missing)],
            "errors_by_code": dict(_ranked(self.error_codes)),
            "errored": list(self.errored),
            "warned": list(self.warned),
            "duplicate_candidates": [{"candidate_id": c, "sources": list(sources)}
                                     for c, sources in self.duplicates.items()],
            "calibration": {
                "with_committee_outcome": self.with_outcome,
                "agree": self.with_outcome - disagree,
                "disagree": disagree,
                "disagreements": list(self.disagreements),
            },
        }

    def _blocking_groups(self, transition: tuple[str, str]) -> dict[str, list[dict]]:
        """``blocking_groups`` of a transition, only where a supporting quota blocked someone there (a
        summary without any keeps its shape): ``group`` is the id, null for the criteria in no group."""
        counts = self.transition_groups.get(transition)
        if not counts:
            return {}
        a, b = transition
        return {"blocking_groups": [{"group": g or None, "title": self.group_titles[(a, b, g)], "candidates": n}
                                    for g, n in _ranked(counts)]}
