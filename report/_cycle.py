"""One cycle, aggregated in one pass over a decisions JSONL file (the output of ``promoready batch``).

Every count the batch summary also gives comes from the batch summary's own code: ``Summary`` of
``promoready.engine.summary`` is fed the same records in the same order (exactly what ``batch``
computes, per transition included). What the report adds (tracks, criteria that are unknown, pass
counts, projected dates, each candidate's verdict for comparisons and the group analysis) is
gathered beside it, never in its place.
"""

from __future__ import annotations

import datetime
import re
import sys
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Callable, Iterator, NamedTuple, Optional

from promoready.engine import MAX_BYTES, STDIN_NAME
from promoready.engine import errors
from promoready.engine.errors import InputError, PromoreadyError
from promoready.engine.summary import VERDICTS, Outcome, Summary
from promoready.engine.words import shown
from promoready.schemas._types import ISO_DAY  # a projection's date as a decision writes it


def _json_reader() -> Callable[[bytes], Any]:
    """orjson's ``loads`` (four times the standard library's speed on decision lines), else json's."""
    try:
        import orjson

        return orjson.loads
    except ImportError:  # pragma: no cover - orjson is a dependency; this keeps a stripped install working
        import json

        return json.loads


_loads = _json_reader()

#: The words the explainer adds to a gap that time alone closes (engine/_explain.py).
_PROJECTED = re.compile(rf", projected ({ISO_DAY.pattern}) at the current pace$")

Transition = tuple[str, str]  # (from, to)
Track = tuple[str, str, str]  # (from, to, track)


@dataclass
class CriterionCounts:
    """How one criterion of one transition came out across the cycle."""

    title: str
    required: bool
    passed: int = 0
    failed: int = 0
    unknown: int = 0

    @property
    def evaluated(self) -> int:
        return self.passed + self.failed + self.unknown


class Person(NamedTuple):
    """What the comparison and the group analysis need of one candidate's decision."""

    transition: Transition
    verdict: str
    evaluated: tuple[str, ...]  # criterion ids, shared between people with the same ladder step
    passed: frozenset[str]


class ReadyBy(NamedTuple):
    """A candidate whom time alone would make ready, and when, at the current pace."""

    candidate_id: str
    transition: Transition
    date: datetime.date


@dataclass
class Cycle:
    """The aggregates of one decisions file (see the module docstring)."""

    name: str
    summary: Summary = field(default_factory=Summary)
    #: Verdict counts per transition and track (the batch summary has no track).
    by_track: dict[Track, dict[str, int]] = field(default_factory=dict)
    #: (committee outcome, verdict) → decisions, for the packets that carry a committee outcome.
    calibration: dict[tuple[str, str], int] = field(default_factory=dict)
    criteria: dict[Transition, dict[str, CriterionCounts]] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)
    duplicates: int = 0  # decisions whose candidate id came earlier in the file (counted, not compared)
    ready_by: list[ReadyBy] = field(default_factory=list)
    as_of: set[str] = field(default_factory=set)
    ladders: set[str] = field(default_factory=set)
    #: Whether the store marks the cycle complete (False: a batch stopped before its end, or a decision log
    #: still written to, so the figures cover only what was recorded); None for a decisions file: not known.
    complete: Optional[bool] = None
    #: Whether the stored cycle is the HTTP service's decision log (never complete: still open, no batch to
    #: resume); None for a decisions file.
    log: Optional[bool] = None
    _shapes: dict[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict, repr=False)
    _names: dict[Any, Any] = field(default_factory=dict, repr=False)

    def add(self, record: dict[str, Any], source: str) -> None:
        """One decision, read back from its JSON line (checked by ``check`` first)."""
        outcome = Outcome.of(record)
        self.summary.add(outcome, source)
        # One object per distinct name: 100,000 people share a few hundred strings.
        transition = self._names.setdefault(outcome.transition, outcome.transition)
        track = (*transition, record["transition"].get("track") or "")
        verdicts = self.by_track.get(track)
        if verdicts is None:
            verdicts = self.by_track[track] = dict.fromkeys(VERDICTS, 0)
        verdicts[outcome.verdict] += 1
        if outcome.committee_outcome in ("promoted", "not_promoted"):
            key = (outcome.committee_outcome, outcome.verdict)
            self.calibration[key] = self.calibration.get(key, 0) + 1
        counts = self.criteria.get(transition)
        if counts is None:
            counts = self.criteria[transition] = {}
        criteria = record["criteria"]
        passed = []
        for c in criteria:
            entry = counts.get(c["id"])
            if entry is None:
                entry = counts[c["id"]] = CriterionCounts(c.get("title", c["id"]), bool(c.get("required")))
            status = c["status"]
            if status == "pass":
                entry.passed += 1
                passed.append(self._names.setdefault(c["id"], c["id"]))
            elif status == "fail":
                entry.failed += 1
            else:
                entry.unknown += 1
        if outcome.candidate_id in self.people:
            self.duplicates += 1
        else:
            ids = tuple([self._names.setdefault(c["id"], c["id"]) for c in criteria])
            self.people[outcome.candidate_id] = Person(transition, self._names.setdefault(outcome.verdict, outcome.verdict),
                                                       self._shapes.setdefault(ids, ids), frozenset(passed))
        if outcome.verdict == "not_ready":
            day = time_alone(record)
            if day is not None:
                self.ready_by.append(ReadyBy(outcome.candidate_id, transition, day))
        self.as_of.add(record.get("as_of") or "")
        ladder = record.get("ladder") or {}
        self.ladders.add(f"{ladder.get('id')} {ladder.get('version')}")

    def add_error(self, record: dict[str, Any]) -> None:
        """One error record (a packet the batch could not evaluate), given to the summary as batch gives it."""
        error = record["error"]
        # The one line batch gives the summary for it (cli/_batch.py's _error_line): the error as a person reads it.
        line = str(PromoreadyError(str(error.get("message") or ""), code=error["code"], file=error.get("file"),
                                   line=error.get("line"), path=error.get("path"), suggestion=error.get("suggestion")))
        self.summary.add_error(error["code"], source=record.get("source"), candidate_id=record.get("candidate_id"),
                               message=line)

    def required_unknown(self, transition: Transition) -> list[tuple[str, str, int]]:
        """``(criterion, title, candidates)`` for the required criteria left unknown, most first."""
        rows = [(cid, c.title, c.unknown) for cid, c in self.criteria.get(transition, {}).items()
                if c.required and c.unknown]
        return sorted(rows, key=lambda r: (-r[2], r[0]))


def time_alone(record: dict[str, Any]) -> Optional[datetime.date]:
    """The date a not-ready candidate would be ready if only time passed, or None if time is not enough.

    A decision's ``projection.date`` says it (the engine's own projection). A decision written before
    decisions carried a projection is read from its next steps, the same way: every required criterion
    that fails must be closed by time alone (each part of its next step carries a projected date), none
    may be unknown, and a supporting quota still short must be met by the earliest of the failing
    supporting criteria that time alone closes; the date is the last one needed.
    """
    if record.get("verdict") != "not_ready":
        return None
    if "projection" in record:
        day = (record["projection"] or {}).get("date")
        try:
            return datetime.date.fromisoformat(day) if isinstance(day, str) and ISO_DAY.fullmatch(day) else None
        except ValueError:
            return None
    needed: list[datetime.date] = []
    supporting: list[datetime.date] = []
    for c in record["criteria"]:
        if c["status"] == "pass":
            continue
        if c["status"] == "unknown":
            if c.get("required"):
                return None
            continue
        day = _projected(c.get("next_step"))
        if c.get("required"):
            if day is None:
                return None
            needed.append(day)
        elif day is not None:
            supporting.append(day)
    quota = record.get("supporting") or {}
    short = int(quota.get("needed", 0)) - int(quota.get("passed", 0))
    if short > 0:
        if len(supporting) < short:
            return None
        needed.append(sorted(supporting)[short - 1])
    return max(needed) if needed else None


def _projected(step: Optional[str]) -> Optional[datetime.date]:
    """The last projected date of a next step whose every part time closes; None otherwise."""
    if not step:
        return None
    days = []
    for part in step.split("; "):
        m = _PROJECTED.search(part)
        if m is None:
            return None
        try:
            days.append(datetime.date.fromisoformat(m.group(1)))
        except ValueError:
            return None
    return max(days)


def read_cycle(path: str, name: Optional[str] = None) -> Cycle:
    """Aggregate a decisions JSONL file (``-``: stdin); a line that is not a decision or an error record
    is an input error."""
    label = STDIN if path == "-" else path
    cycle = Cycle(name or label)
    seen = 0
    for line_no, record in _records(path):
        seen += 1
        if "error" in record and "criteria" not in record:
            if not isinstance(record["error"], dict) or not isinstance(record["error"].get("code"), str):
                raise _bad(label, line_no, "error.code", "an error record without its code")
            cycle.add_error(record)
            continue
        _check(record, label, line_no)
        cycle.add(record, f"{label}:{line_no}")
    if not seen:
        raise empty(label)
    return cycle


def read_stored_cycle(db: Optional[str], name: str) -> Cycle:
    """Aggregate a cycle the store holds (``batch --cycle NAME``): the same records ``batch`` wrote to its
    JSONL, in the same order, so the same figures; a decision is named by its input (as ``batch`` names
    it), not by a line of a file."""
    from promoready.store import open_store

    with open_store(db) as store:
        found = store.cycle(name)
        label = f"{store.where}, cycle {found.name}"
        cycle = Cycle(found.name, complete=found.complete, log=found.log)
        seen = 0
        for record in store.records(str(found.id)):
            seen += 1
            try:
                data = _loads(record.text.encode("utf-8"))
            except ValueError:
                raise _bad(label, None, "", "a stored record that is not JSON") from None
            if record.kind == "error":
                if not isinstance(data, dict) or not isinstance(data.get("code"), str):
                    raise _bad(label, None, "error.code", "an error record without its code")
                cycle.add_error({"error": data, "source": record.item, "candidate_id": record.candidate_id})
                continue
            if not isinstance(data, dict):
                raise _bad(label, None, "", "each record must be a decision (a JSON object)")
            _check(data, label, None, item=record.item)
            cycle.add(data, record.item)
    if not seen:
        raise InputError(f"cycle {found.name!r} holds no decisions", code=errors.INPUT_EMPTY, file=label)
    return cycle


def empty(path: str) -> InputError:
    """The error for a decisions file without a single record."""
    return InputError("no decisions in it: give the JSONL that `promoready batch --out` writes",
                      code=errors.INPUT_EMPTY, file=path)


#: How stdin is named in messages (as the other commands name it).
STDIN = STDIN_NAME
#: The longest line read: the batch's own limit on a JSONL line (a decision is a few KB).
MAX_LINE = MAX_BYTES
#: The most read in all: a decision is a few KB, so this is several hundred thousand people; it bounds
#: a stream that never ends (a device, a pipe left open).
MAX_TOTAL = 400 * MAX_BYTES


def _records(path: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line number, record)`` for each non-blank line of ``path`` (``-``: stdin), each line and the
    whole read bounded (``MAX_LINE``, ``MAX_TOTAL``)."""
    if path == "-":
        stdin = getattr(sys.stdin, "buffer", None)
        if stdin is None:
            raise InputError("'-' reads decisions from stdin, but there is none", code=errors.INPUT_STDIN)
        yield from _lines(stdin, STDIN)
        return
    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        raise InputError("no such file", code=errors.INPUT_NOT_FOUND, file=path) from None
    except IsADirectoryError:
        raise InputError("a folder, not a decisions file", code=errors.INPUT_IS_FOLDER, file=path) from None
    except OSError as exc:
        raise InputError(f"cannot read it: {exc.strerror}", code=errors.INPUT_UNREADABLE, file=path) from None
    with fh:
        yield from _lines(fh, path)


def _lines(fh: BinaryIO, label: str) -> Iterator[tuple[int, dict[str, Any]]]:
    total = 0
    line_no = 0
    seen = False
    while True:
        try:
            raw = fh.readline(MAX_LINE + 1)
        except OSError as exc:
            raise InputError(f"cannot read it: {exc.strerror or exc}", code=errors.INPUT_UNREADABLE, file=label,
                             line=line_no + 1) from None
        if not raw:
            return
        line_no += 1
        total += len(raw)
        if len(raw) > MAX_LINE:
            raise InputError(f"the line is over {MAX_LINE:,} bytes (a decision is a few KB)",
                             code=errors.INPUT_TOO_LARGE, file=label, line=line_no)
        if total > MAX_TOTAL:
            raise InputError(f"over {MAX_TOTAL:,} bytes read; the limit for a decisions file",
                             code=errors.INPUT_TOO_LARGE, file=label, line=line_no)
        if not raw.strip():
            continue
        try:
            record = _loads(raw)
        except UnicodeDecodeError:
            raise InputError("not UTF-8 text", code=errors.INPUT_ENCODING, file=label, line=line_no) from None
        except ValueError as exc:
            if not seen and _one_document(raw, fh):
                raise InputError("one JSON document over several lines (as `evaluate --format json` writes); "
                                 "expected a decisions JSONL, one decision per line, as `promoready batch --out` "
                                 "or `evaluate --format jsonl` writes", code=errors.INPUT_NOT_JSONL, file=label,
                                 line=line_no) from None
            raise InputError(f"not JSON: {exc}", code=errors.INPUT_JSON, file=label, line=line_no) from None
        if not isinstance(record, dict):
            raise _bad(label, line_no, "", "each line must be a decision (a JSON object)")
        seen = True
        yield line_no, record


def _one_document(first: bytes, fh: BinaryIO) -> bool:
    """Whether ``first`` (the first line, not JSON alone) and what follows it, at most ``MAX_LINE`` bytes,
    are one JSON object or array: a pretty-printed decision (or a list of them) given for a JSONL."""
    if not first.lstrip().startswith((b"{", b"[")):
        return False
    try:
        rest = fh.read(MAX_LINE + 1 - len(first))
    except OSError:
        return False
    if len(first) + len(rest) > MAX_LINE:
        return False
    try:
        document = _loads(first + rest)
    except ValueError:
        return False
    return isinstance(document, (dict, list))


_STATUSES = frozenset(("pass", "fail", "unknown"))


def _check(record: dict[str, Any], path: str, line: Optional[int], item: Optional[str] = None) -> None:
    """The fields the report reads, with the field path of the first one that is wrong (``item``: the input
    a stored decision came from, which a mask may have emptied of a field the report needs)."""
    try:
        _check_fields(record, path, line)
    except InputError as exc:
        if item is not None:
            exc.message += f"; stored for {item}: was a field the report reads masked?"
        raise


def _check_fields(record: dict[str, Any], path: str, line: Optional[int]) -> None:
    if not isinstance(record.get("candidate_id"), str):
        raise _bad(path, line, "candidate_id", "a decision needs its candidate_id (text)")
    if record.get("verdict") not in VERDICTS:
        raise _bad(path, line, "verdict", f"expected one of {', '.join(VERDICTS)}, got {shown(record.get('verdict'))}")
    t = record.get("transition")
    if not isinstance(t, dict) or not isinstance(t.get("from"), str) or not isinstance(t.get("to"), str):
        raise _bad(path, line, "transition", "a decision needs its transition (from, to, track)")
    criteria = record.get("criteria")
    if not isinstance(criteria, list):
        raise _bad(path, line, "criteria", "a decision needs its list of criteria")
    try:
        if all(type(c["id"]) is str and c["status"] in _STATUSES for c in criteria):
            return
    except (TypeError, KeyError):
        pass
    for i, c in enumerate(criteria):  # the slow way, only to say where
        if not isinstance(c, dict) or not isinstance(c.get("id"), str):
            raise _bad(path, line, f"criteria[{i}].id", "each criterion needs its id")
        if c.get("status") not in _STATUSES:
            raise _bad(path, line, f"criteria[{i}].status", f"expected pass, fail or unknown, got {shown(c.get('status'))}")


def _bad(path: str, line: Optional[int], where: str, message: str) -> InputError:
    return InputError(f"{message} (is this the JSONL that `promoready batch` writes?)",
                           code=errors.INPUT_DECISION, file=path, line=line, path=where or None)
