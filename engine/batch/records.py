"""What a batch hands back for each item (``Result``), what every worker is told (``Config``), and error records.

A record is one JSONL line: a decision as ``Decision.to_json`` writes it, or an error record
``{"error": {...}, "source": "file[:line]", "candidate_id": ...}``; a packet with more than one
problem has them all in ``problems`` (each shaped as ``error``, the first being ``error`` itself).
"""

from __future__ import annotations

import datetime
import json
import signal
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional, Protocol, Union

from ..errors import ENGINE_BATCH, ENGINE_TIMEOUT, ENGINE_WORKER_CRASHED, EngineError
from ..summary import Outcome, Part
from .inputs import Item, shown

if TYPE_CHECKING:  # a pool's coordinating process never imports pydantic: these are for the type checker only
    from promoready.schemas.decision import Decision

    from .._packet import LoadedPacket

#: A resume key: a decision's ``packet_digest``, its ladder's ``digest`` and its ``as_of`` (see ``resume``).
ResumeKey = tuple[str, str, str]

#: What the decision store keeps of a decision in columns, in this order: candidate id, packet digest, ladder
#: id, ladder digest, transition from and to, as-of, verdict, and (id, required, status) of each criterion.
Columns = tuple[str, str, str, str, str, str, str, str, tuple[tuple[str, bool, str], ...]]


def columns_of(decision: Decision) -> Columns:
    """The store's columns of ``decision``, read off the model: the same values the store would read back
    from its JSON line (``promoready.store``'s ``decision_rows``), without parsing that line again in the
    process that writes the store."""
    ladder, transition = decision.ladder, decision.transition
    return (decision.candidate_id, decision.packet_digest, ladder.id, ladder.digest, transition.from_,
            transition.to, decision.as_of, decision.verdict,
            tuple((c.id, bool(c.required), c.status) for c in decision.criteria))


class Evaluate(Protocol):
    """An evaluation function: a validated packet and the ``--as-of`` date → a ``Decision``.

    ``resume_key`` is needed only with ``--resume`` (a non-empty ``Config.keep``): it gives, for a
    packet about to be evaluated, what ``resume.resume_key`` reads off a decision record. A function
    may also have ``checked(exc)``: a ``PacketInvalid`` with the problems only its ladder can name
    (unknown levels), for the error record of a packet that failed validation.
    """

    def __call__(self, loaded: LoadedPacket, as_of: Optional[datetime.date], /) -> Decision: ...

    def resume_key(self, loaded: LoadedPacket, as_of: Optional[datetime.date], /) -> ResumeKey: ...


@dataclass(slots=True)
class Result:
    """The record for one item: a decision, an error, or (``--resume``) a decision to keep."""

    seq: int
    source: str
    candidate_id: Optional[str] = None
    record: Optional[bytes] = None  # the JSONL line, UTF-8, with its newline
    outcome: Optional[Outcome] = None  # for the summary (decisions only)
    error: Optional[dict[str, Any]] = None  # for error records
    keep: Optional[ResumeKey] = None  # resume key of a decision the previous run made (not yet copied)
    kept: bool = False  # the record was copied from the previous run
    problems: Optional[list[dict[str, Any]]] = None  # every problem, when the packet has more than one
    columns: Optional[Columns] = None  # the store's columns of a decision, when Config.columns asks (see columns_of)


@dataclass(slots=True)
class Chunk:
    """Decisions of consecutive items handed back at once (``run``'s ``chunked``): their records as one
    piece of JSONL and what they add to the summary (``Summary.merge``), with no object per packet for
    the coordinating process to make. Only decisions without warnings travel this way; a chunk with an
    error record, a warning or a decision to keep comes back one ``Result`` at a time."""

    items: list[Item]  # where each came from, in input order (their ``seq`` follow each other)
    records: bytes  # their JSONL lines, UTF-8, each with its newline
    part: Part  # what they add to the summary
    columns: Optional[list[Columns]] = None  # the store's columns of each, when Config.columns asks

    #: Like a ``Result``: nothing to keep from an earlier run, nothing copied from one.
    keep = None
    kept = False

    @property
    def seq(self) -> int:
        """The first item's (a chunk waits for its turn under it)."""
        return self.items[0].seq

    @property
    def count(self) -> int:
        return len(self.items)

    def places(self) -> list[tuple[str, Optional[int]]]:
        """Where each decision came from: (file, line), the line None for a packet file."""
        names: dict[str, str] = {}  # a chunk's items mostly share one file: each name shown once
        return [(names.get(item.file) or names.setdefault(item.file, shown(item.file)), item.line)
                for item in self.items]

    def results(self) -> list[Result]:
        """One ``Result`` per decision, read off the chunk, for the decision store: its record, source,
        candidate id and columns; not its ``outcome`` (the chunk's ``part`` has what the summary needs)."""
        lines = self.records.split(b"\n")
        if len(lines) != len(self.items) + 1 or lines[-1]:  # a record is one line: JSON escapes newlines
            raise EngineError(f"a chunk of {len(self.items)} decisions holds {len(lines) - 1} lines",
                              code=ENGINE_BATCH)
        columns: list[Optional[Columns]] = list(self.columns) if self.columns else [None] * len(self.items)
        return [Result(item.seq, item.source, candidate, record=line + b"\n", columns=cols)
                for item, candidate, line, cols in zip(self.items, self.part.candidates, lines, columns)]


#: What ``run`` hands back: one item's record, or (``chunked``) the decisions of consecutive items.
Handed = Union[Result, Chunk]


@dataclass(frozen=True)
class Config:
    """What every worker needs to know (picklable)."""

    ladder: Optional[str] = None
    as_of: Optional[datetime.date] = None
    keep: frozenset[ResumeKey] = field(default_factory=frozenset)  # resume keys already decided (--resume; see Keeper)
    strict: bool = False  # a field that looks like a typo makes the packet an error record (--strict)
    columns: bool = False  # each decision's store columns are wanted with its record (--cycle, no --mask)
    crash_on: Optional[str] = None  # test hook, see CRASH_ENV
    hang_on: Optional[str] = None  # test hook, see HANG_ENV
    files_full: bool = False  # test hook, see FILES_FULL_ENV


def error_dict(code: str, message: str, *, file: Optional[str] = None, line: Optional[int] = None,
               path: Optional[str] = None, suggestion: Optional[str] = None) -> dict[str, Any]:
    """The ``error`` of an error record, its keys in the order every record has them."""
    return {"code": code, "message": message, "file": file, "line": line, "path": path, "suggestion": suggestion}


def error_result(item: Item, error: dict[str, Any], candidate_id: Optional[str], *,
                 problems: Optional[list[dict[str, Any]]] = None) -> Result:
    """The error record of ``item``; ``problems``: every problem of a packet that has more than one."""
    body: dict[str, Any] = {"error": error}
    if problems:
        body["problems"] = problems
    for one in (error, *(problems or ())):
        if one.get("file") == item.file:
            one["file"] = shown(item.file)
    body.update(source=item.source, candidate_id=candidate_id)
    text = dumps(body)
    # A file name in a message, say, may hold bytes that are not UTF-8: shown as stderr shows them, not a crash.
    record = text.encode("utf-8", "backslashreplace") + b"\n"
    return Result(item.seq, item.source, candidate_id, record=record, error=error, problems=problems)


def dumps(value: Any) -> str:
    """One compact JSON line (the same style as ``Decision.to_json``)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def crash_result(item: Item, exitcode: Optional[int], timeout: Optional[float] = None) -> Result:
    """The error record of a packet whose worker died on it (or, with ``timeout``, was stopped on it)."""
    if timeout is not None:
        error = error_dict(ENGINE_TIMEOUT,
                           f"evaluating this packet took more than {timeout:g} s; it was skipped and the worker "
                           f"stopped and replaced (please report this as a bug, with the packet)",
                           file=item.file, line=item.line)
        return error_result(item, error, None)
    how = f"exit status {exitcode}"
    if exitcode is not None and exitcode < 0:
        try:
            how = signal.Signals(-exitcode).name
        except ValueError:
            how = f"signal {-exitcode}"
    error = error_dict(ENGINE_WORKER_CRASHED,
                       f"the worker process died ({how}) while evaluating this packet; it was skipped and the worker "
                       f"replaced (please report this as a bug, with the packet)", file=item.file, line=item.line)
    return error_result(item, error, None)
