"""The cycle summary of a batch: a streaming accumulator over decisions and errors.

Pure data: nothing here prints or reads files. ``Summary.add`` takes one ``Outcome`` (the few facts
of a decision the summary needs, small enough to send between processes), ``Summary.add_error`` one
error record, ``Summary.merge`` a ``Part``: what a chunk of decisions adds, counted where they were
decided (a batch worker), with the same result as adding each in turn. ``Summary.to_dict`` gives the
summary as JSON-ready data. Memory grows with the number
of distinct transitions, criteria and missing paths, with calibration disagreements, ready candidates,
warned and errored packets (a committee chair needs each by name), and with the candidate ids seen (to
flag a candidate who appears twice); nothing else of a packet is kept.

Those per-packet entries are kept compactly, because a batch of 100,000 packets keeps 100,000 of
them in the coordinating process: a candidate seen once costs its id (a key of one dict) and 8 bytes
for where it was first seen; a packet named in a list costs a reference per field, its words shared
with the other packets (verdicts, codes, criterion lists), and 8 bytes for its source. A source is a
number (``_Sources``): the file of ``file:line`` is kept once for all its lines, the line as a number
(an error record keeps its source as given, beside the message that mostly repeats it).

Everything is deterministic: counts are sorted by count, ties by name; lists of candidates and
packets keep the input order.
"""

from __future__ import annotations

import re
from array import array
from typing import Any, Iterable, Iterator, Mapping, NamedTuple, Optional, cast

from ._summary_counts import VERDICTS, Part, _Counts

__all__ = ["VERDICTS", "Outcome", "Part", "Summary"]


class Outcome(NamedTuple):
    """What the summary needs from one decision (a named tuple: one per packet crosses between processes)."""

    candidate_id: str
    verdict: str
    transition: tuple[str, str]  # (from, to)
    blocking: tuple[tuple[str, str], ...]  # (id, title) of each required criterion that failed
    failed: tuple[str, ...]  # ids of every criterion that failed, in ladder order
    unknown: tuple[str, ...]  # ids of every criterion that is unknown, in ladder order
    missing: tuple[str, ...]  # distinct fields missing (item indexes as []), in order of first mention
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
            missing=tuple(dict.fromkeys(_field(p) for c in criteria for p in c.missing)),
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
            missing=tuple(dict.fromkeys(_field(p) for c in criteria for p in c.get("missing") or ())),
            committee_outcome=d.get("committee_outcome"),
            warnings=tuple(d.get("warnings") or ()),
            short_groups=_short(cast(str, d.get("verdict")), d.get("supporting") or {}, d.get("groups") or []),
        )


_INDEX = re.compile(r"\[\d+\]")


def _field(path: str) -> str:
    """A missing path as a cycle counts it: by field, whichever item (``advocates[3].committed`` is
    ``advocates[].committed``), so a candidate with many items lacking one field counts once for it."""
    return _INDEX.sub("[]", path) if "[" in path else path


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


#: A line number kept as a number in a source's low 32 bits is below this (nine digits at most).
_LINES = 1_000_000_000


class _Sources:
    """Where packets came from (``file:line``, ``file``, or None), each as one number that reads back
    as the same string.

    A source ending in a line number keeps its file once (every line of a JSONL file shares it) and
    its line in the low 32 bits; any other (no line, or an ending that would not read back the same
    from a number: ``x:0``, ``x:007``, ``x:+4``, a non-ASCII digit, a line past 999,999,999) is kept
    whole, line 0. Number 0 is None.
    """

    __slots__ = ("parts", "index")

    def __init__(self) -> None:
        self.parts: list[Any] = [None]  # files and whole sources; a number's high bits say which
        self.index: dict[str, int] = {}  # file → its place in parts

    def code(self, source: Optional[str]) -> int:
        """The number for ``source``."""
        if source is None:
            return 0
        if source.__class__ is str:
            file, colon, line = source.rpartition(":")
            if colon and line.isdigit() and line.isascii() and line[0] != "0" and len(line) < 10:
                return self._file_at(file) << 32 | int(line)
        self.parts.append(source)  # one packet file, one source: nothing to share
        return (len(self.parts) - 1) << 32

    def code_at(self, file: str, line: Optional[int]) -> int:
        """The number for ``file:line`` (``file`` when ``line`` is None), without making that string
        when the line is kept as a number."""
        if line is not None and 0 < line < _LINES and file.__class__ is str:
            return self._file_at(file) << 32 | line
        return self.code(file if line is None else f"{file}:{line}")

    def codes(self, places: Iterable[tuple[str, Optional[int]]]) -> list[int]:
        """``code_at`` of each place; the lines of one file (given as the same string, as one JSONL file's
        are) share one look-up."""
        out: list[int] = []
        add = out.append
        file_was: Optional[str] = None
        high = 0
        for file, line in places:
            if line is not None and 0 < line < _LINES and file.__class__ is str:
                if file is not file_was:
                    file_was, high = file, self._file_at(file) << 32
                add(high | line)
            else:
                add(self.code_at(file, line))
        return out

    def _file_at(self, file: str) -> int:
        """The place of ``file`` in ``parts``, added the first time."""
        at = self.index.get(file)
        if at is None:
            at = self.index[file] = len(self.parts)
            self.parts.append(file)
        return at

    def source(self, code: int) -> Optional[str]:
        """The source ``code`` stands for, as it was given."""
        part = self.parts[code >> 32]
        line = code & 0xFFFFFFFF
        return f"{part}:{line}" if line else part


class _Rows:
    """Entries of one shape (a packet named in the summary), kept by column: its source as a number in
    an array (8 bytes) and each other field in a list of its own, rather than a dict per entry."""

    __slots__ = ("where", "columns")

    def __init__(self, width: int) -> None:
        self.where = array("Q")
        self.columns: tuple[list[Any], ...] = tuple([] for _ in range(width))

    def add(self, where: int, *fields: Any) -> None:
        self.where.append(where)
        for column, value in zip(self.columns, fields):
            column.append(value)

    def add1(self, where: int, value: Any) -> None:
        """An entry of a single field."""
        self.where.append(where)
        self.columns[0].append(value)

    def rows(self) -> Iterator[tuple[Any, ...]]:
        """(source number, field, …) of each entry, in the order they were added."""
        return zip(self.where, *self.columns)


#: The high bit of a number in ``Summary._first`` or ``_again``: the rest is the place of an error
#: record, whose source it stands for (``_Sources`` numbers never have it).
_ERRORED = 1 << 63


class Summary(_Counts):
    """Accumulates a batch, one record (or one chunk of decisions, ``merge``) at a time, in input order."""

    def __init__(self) -> None:
        super().__init__()
        self.packets = 0
        self.errors = 0
        self.error_codes: dict[str, int] = {}
        # The packets named one by one (see ``_Rows``), each field in the order of the entries of
        # ``ready``, ``warned``, ``disagreements`` and ``errored``:
        self._sources = _Sources()
        self._ready: dict[tuple[str, str], _Rows] = {}  # per transition: candidate id
        # Each error record: (source, candidate id, code, message), its source as given: its message,
        # which mostly repeats it, costs more anyway, and reading the line number out would cost about
        # as much again as the rest of add_error. Its place, with _ERRORED, stands for its source in
        # _first and _again.
        self._errored: list[tuple[Any, Optional[str], str, Optional[str]]] = []
        self._warned = _Rows(3)  # candidate id, warnings, their lines (None: not known for each)
        self._disagreements = _Rows(5)  # candidate id, committee outcome, verdict, failed, unknown
        # Every candidate id, in the order first seen, with where (a number in the same order); then
        # each later sighting. A candidate's first source is looked up only if it is seen again.
        self._ids: dict[str, None] = {}
        self._first = array("Q")
        self._again = _Rows(1)  # candidate id
        # One object for each recurring word or list of words kept per entry (verdicts, codes,
        # criterion lists), rather than the copy each outcome brings from its worker.
        self._shared: dict[Any, Any] = {}

    # -- adding ---------------------------------------------------------------------------------------

    def add(self, outcome: Outcome, source: Optional[str] = None) -> None:
        """One decision."""
        self.packets += 1
        disagrees = self._count(outcome)
        candidate = outcome.candidate_id
        where = self._sources.code(source)
        self._seen(candidate, where)
        if outcome.verdict == "ready":
            self._ready_row(outcome.transition).add1(where, candidate)
        if outcome.warnings:
            lines = outcome.warning_lines if len(outcome.warning_lines) == len(outcome.warnings) else None
            self._warned.add(where, candidate, outcome.warnings, lines)
        if disagrees:
            self._disagree(where, candidate, cast(str, outcome.committee_outcome), outcome.verdict, outcome.failed,
                           outcome.unknown)

    def merge(self, part: Part, places: Iterable[tuple[str, Optional[int]]]) -> None:
        """The decisions of ``part``, which came from ``places`` (file and line, the line None for a whole
        file; one per decision, in order): the same as adding each in turn, source ``file:line`` or ``file``."""
        wheres = self._sources.codes(places)
        candidates = part.candidates
        if len(wheres) != len(candidates):
            raise ValueError(f"{len(wheres)} places for {len(candidates)} decisions")
        self.packets += len(wheres)
        self._add_counts(part)
        fresh = dict.fromkeys(candidates)
        if len(fresh) == len(candidates) and self._ids.keys().isdisjoint(fresh):  # all first sightings, as usual
            self._ids.update(fresh)
            self._first.extend(wheres)
        else:
            seen = self._seen
            for candidate, where in zip(candidates, wheres):
                seen(candidate, where)
        for place, transition in part.ready:
            self._ready_row(transition).add1(wheres[place], part.candidates[place])
        for place, committee, verdict, failed, unknown in part.disagreements:
            self._disagree(wheres[place], part.candidates[place], committee, verdict, failed, unknown)

    def _ready_row(self, transition: tuple[str, str]) -> _Rows:
        ready = self._ready.get(transition)
        if ready is None:
            ready = self._ready[transition] = _Rows(1)
        return ready

    def _disagree(self, where: int, candidate: str, committee: str, verdict: str, failed: tuple[str, ...],
                  unknown: tuple[str, ...]) -> None:
        share = self._shared.setdefault
        disagreement = self._disagreements
        disagreement.where.append(where)
        candidates, committees, verdicts, failed_, unknown_ = disagreement.columns
        candidates.append(candidate)
        committees.append("promoted" if committee == "promoted" else "not_promoted")
        verdicts.append(share(verdict, verdict))
        failed_.append(share(failed, failed))
        unknown_.append(share(unknown, unknown))

    def add_error(self, code: str, *, source: Optional[str] = None, candidate_id: Optional[str] = None,
                  message: Optional[str] = None) -> None:
        """One error record (a packet that could not be evaluated): its code, and where it was
        (``file[:line]``), whose it was and the one-line message, when known."""
        self.packets += 1
        self.errors += 1
        code = self._shared.setdefault(code, code)
        self.error_codes[code] = self.error_codes.get(code, 0) + 1
        errored = self._errored
        errored.append((source, candidate_id, code, message))
        if candidate_id is not None:
            self._seen(candidate_id, _ERRORED | (len(errored) - 1))

    def _seen(self, candidate: str, where: int) -> None:
        """A sighting of ``candidate`` at ``where`` (a source number, or an error record's place): its first,
        or one more to report as a duplicate."""
        if candidate in self._ids:
            self._again.add(where, candidate)
        else:
            self._ids[candidate] = None
            self._first.append(where)

    # -- reading --------------------------------------------------------------------------------------

    @property
    def decisions(self) -> int:
        return self.packets - self.errors

    @property
    def ready(self) -> dict[tuple[str, str], list[dict]]:
        """Per transition, its ready candidates in input order: ``{"candidate_id", "source"}`` each."""
        source = self._sources.source
        return {t: [{"candidate_id": c, "source": source(w)} for w, c in rows.rows()]
                for t, rows in self._ready.items()}

    @property
    def errored(self) -> list[dict]:
        """Each error record: where, which candidate, what."""
        return [{"source": source, "candidate_id": c, "code": code, "message": message}
                for source, c, code, message in self._errored]

    @property
    def warned(self) -> list[dict]:
        """Each packet with fields that look like typos, and the warnings (with their lines, where known)."""
        source = self._sources.source
        return [{"candidate_id": c, "source": source(w), "warnings": list(warnings),
                 "lines": list(lines) if lines is not None else [None] * len(warnings)}
                for w, c, warnings, lines in self._warned.rows()]

    @property
    def disagreements(self) -> list[dict]:
        """Each decision the committee's outcome contradicts, in input order."""
        source = self._sources.source
        return [{"candidate_id": c, "source": source(w), "committee_outcome": committee, "verdict": verdict,
                 "failed": list(failed), "unknown": list(unknown)}
                for w, c, committee, verdict, failed, unknown in self._disagreements.rows()]

    @property
    def duplicates(self) -> dict[str, list[Optional[str]]]:
        """Candidate id → every source it was seen at, for each candidate seen more than once (in the
        order each was first seen again)."""
        source = self._source
        sources: dict[str, list[Optional[str]]] = {}
        for w, c in self._again.rows():
            sources.setdefault(c, []).append(source(w))
        left = len(sources)
        for n, c in enumerate(self._ids):  # once, to the last candidate seen again: where each was first
            if not left:
                break
            later = sources.get(c)
            if later is not None:
                later.insert(0, source(self._first[n]))
                left -= 1
        return sources

    def _source(self, where: int) -> Optional[str]:
        """The source a number in ``_first`` or ``_again`` stands for."""
        if where & _ERRORED:
            return cast(Optional[str], self._errored[where ^ _ERRORED][0])
        return self._sources.source(where)

    def seen_verdicts(self) -> list[str]:
        """The verdicts that occurred at least once (for ``--fail-on``)."""
        return [v for v, n in self.verdicts.items() if n]

    def to_dict(self) -> dict:
        """The summary as JSON-ready data, deterministic for the same records in the same order."""
        transitions = sorted(self.transitions.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
        ready = self.ready
        disagreements = self.disagreements
        disagree = len(disagreements)
        return {
            "packets": self.packets,
            "decisions": self.decisions,
            "errors": self.errors,
            "verdicts": dict(self.verdicts),
            "transitions": [
                {"from": a, "to": b, "count": sum(v.values()), "verdicts": dict(v),
                 "ready_candidates": ready.get((a, b), []),
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
            "errored": self.errored,
            "warned": self.warned,
            "duplicate_candidates": [{"candidate_id": c, "sources": sources}
                                     for c, sources in self.duplicates.items()],
            "calibration": {
                "with_committee_outcome": self.with_outcome,
                "agree": self.with_outcome - disagree,
                "disagree": disagree,
                "disagreements": disagreements,
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
