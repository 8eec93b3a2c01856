"""The counts of a cycle summary (``_Counts``), and what a chunk of decisions adds to one (``Part``).

Kept apart from ``summary`` (which keeps, and reads back, the packets named one by one): these are
sums over decisions, made one decision at a time in ``Summary.add`` or a chunk at a time in a batch
worker (``Part``), and added together in input order (``_Counts._add_counts``) with the same result.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Mapping, cast

if TYPE_CHECKING:
    from .summary import Outcome

VERDICTS = ("ready", "not_ready", "insufficient_evidence")


def _tally(counts: dict[str, int], titles: dict[tuple[str, str, str], str], transition: tuple[str, str],
           entries: Iterable[tuple[str, str]]) -> None:
    """Count each (id, title) of one decision in a transition's ``counts``; an id's title there is the one
    it had when its count started."""
    for key, title in entries:
        n = counts.get(key)
        if n is None:
            counts[key] = 1
            titles[transition + (key,)] = title
        else:
            counts[key] = n + 1


class _Counts:
    """The counts of a summary: sums over decisions, which add up the same chunk by chunk (``Part``) as
    one decision at a time. Keys are kept in the order first counted; a title is the one a count started with."""

    def __init__(self) -> None:
        self.verdicts: dict[str, int] = dict.fromkeys(VERDICTS, 0)
        self.transitions: dict[tuple[str, str], dict[str, int]] = {}
        self.blockers: dict[str, int] = {}
        self.titles: dict[str, set[str]] = {}  # a criterion id may have a title per transition
        self.missing: dict[str, int] = {}
        self.with_outcome = 0
        # per transition: required criteria that blocked, with their title there
        self.transition_blockers: dict[tuple[str, str], dict[str, int]] = {}
        self.transition_titles: dict[tuple[str, str, str], str] = {}
        # per transition: supporting quotas out of reach ("" for the criteria in no group), and their titles
        self.transition_groups: dict[tuple[str, str], dict[str, int]] = {}
        self.group_titles: dict[tuple[str, str, str], str] = {}

    def _count(self, outcome: Outcome) -> bool:
        """Count one decision; whether its committee's outcome contradicts its verdict."""
        verdict, transition = outcome.verdict, outcome.transition
        self.verdicts[verdict] = self.verdicts.get(verdict, 0) + 1
        by_verdict = self.transitions.get(transition)
        if by_verdict is None:
            by_verdict = self.transitions[transition] = dict.fromkeys(VERDICTS, 0)
        by_verdict[verdict] = by_verdict.get(verdict, 0) + 1
        if outcome.blocking:
            blocking = dict.fromkeys(outcome.blocking)
            for criterion, title in blocking:
                self.blockers[criterion] = self.blockers.get(criterion, 0) + 1
                titles = self.titles.get(criterion)
                if titles is None:
                    titles = self.titles[criterion] = set()
                titles.add(title)
            _tally(self.transition_blockers.setdefault(transition, {}), self.transition_titles, transition, blocking)
        if outcome.short_groups:
            _tally(self.transition_groups.setdefault(transition, {}), self.group_titles, transition,
                   dict.fromkeys(outcome.short_groups))
        for path in outcome.missing:
            self.missing[path] = self.missing.get(path, 0) + 1
        committee = outcome.committee_outcome
        if committee == "promoted" or committee == "not_promoted":
            self.with_outcome += 1
            return (committee == "promoted") != (verdict == "ready")
        return False

    def _add_counts(self, other: _Counts) -> None:
        """Add the counts of ``other``, made of the decisions that come after those counted here."""
        _add(self.verdicts, other.verdicts)
        _add(self.blockers, other.blockers)
        _add(self.missing, other.missing)
        self.with_outcome += other.with_outcome
        for criterion, titles in other.titles.items():
            known = self.titles.get(criterion)
            if known is None:
                self.titles[criterion] = set(titles)
            else:
                known |= titles
        for counts, theirs in ((self.transitions, other.transitions),
                               (self.transition_blockers, other.transition_blockers),
                               (self.transition_groups, other.transition_groups)):
            for transition, by_key in theirs.items():
                mine = counts.get(transition)
                if mine is None:
                    counts[transition] = dict(by_key)
                else:
                    _add(mine, by_key)
        for started, their_started in ((self.transition_titles, other.transition_titles),
                                       (self.group_titles, other.group_titles)):
            for key, title in their_started.items():  # the title a count started with: the earlier one stands
                started.setdefault(key, title)


def _add(counts: dict[Any, int], more: Mapping[Any, int]) -> None:
    for key, n in more.items():
        counts[key] = counts.get(key, 0) + n


class Part(_Counts):
    """What a chunk of decisions adds to a summary, made where they were decided (a batch worker), so
    that the coordinating process adds the chunk at once (``Summary.merge``) rather than one outcome at a
    time. Only decisions without warnings: a packet with warnings, or an error record, goes on its own.
    Where each packet came from is not here: the coordinating process knows it (``merge``'s ``places``)."""

    def __init__(self) -> None:
        super().__init__()
        self.candidates: list[str] = []  # each decision's candidate id, in order
        self.ready: list[tuple[int, tuple[str, str]]] = []  # (place in the chunk, transition) of each ready one
        # (place, committee outcome, verdict, failed, unknown) of each decision its committee contradicts
        self.disagreements: list[tuple[int, str, str, tuple[str, ...], tuple[str, ...]]] = []

    def add(self, outcome: Outcome) -> None:
        """One decision (with no warnings: those are named one by one, with their lines)."""
        if outcome.warnings:
            raise ValueError("a decision with warnings is added to the summary on its own")
        place = len(self.candidates)
        self.candidates.append(outcome.candidate_id)
        if outcome.verdict == "ready":
            self.ready.append((place, outcome.transition))
        if self._count(outcome):
            self.disagreements.append((place, cast(str, outcome.committee_outcome), outcome.verdict,
                                       outcome.failed, outcome.unknown))

    def __len__(self) -> int:
        return len(self.candidates)
