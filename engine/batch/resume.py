"""``--resume``: the decisions an interrupted run already wrote, copied verbatim instead of evaluated again."""

from __future__ import annotations

from collections import deque
from typing import Any, BinaryIO, Iterator, Optional

from .. import _documents as docs
from ..errors import INPUT_UNREADABLE, InputError, PromoreadyError
from ..summary import Outcome
from .records import Result, ResumeKey


def resume_key(record: Any) -> Optional[ResumeKey]:
    """A decision record's resume key: its ``packet_digest``, its ladder's ``digest`` and its ``as_of``.

    An evaluation function's ``resume_key(loaded, as_of)`` gives the same three for a packet about
    to be evaluated; when they match, the earlier decision is the one this run would make.
    """
    if not isinstance(record, dict):
        return None
    ladder = record.get("ladder")
    digest, as_of = record.get("packet_digest"), record.get("as_of")
    ladder_digest = ladder.get("digest") if isinstance(ladder, dict) else None
    if isinstance(digest, str) and isinstance(ladder_digest, str) and isinstance(as_of, str):
        return digest, ladder_digest, as_of
    return None


class Keeper:
    """The decisions in the output of an earlier run (``--resume``), by resume key.

    A decision is kept when the packet is the same (its ``packet_digest``: same candidate id, same
    content), it would be evaluated with the same ladder (the ladder's ``digest``: an edited ladder
    or another ``--ladder`` decides again) and to the same date (``as_of``: another ``--as-of``, or a
    packet without a date on another day, decides again). Strictness is matched too: with ``strict``
    (``--strict``) a decision with warnings is not kept, since this run refuses its packet (a run
    without ``--strict`` has made it); a strict run's error records are never kept, so a run without
    ``--strict`` evaluates those packets again. Lines are read back from the file when copied, so only
    the offsets stay in memory. Lines that are not decisions are ignored.
    """

    def __init__(self, path: str, *, strict: bool = False) -> None:
        self.path = path
        self.strict = strict
        self._first: dict[ResumeKey, int] = {}  # resume key → offset of its first unused line
        self._more: dict[ResumeKey, deque[int]] = {}  # resume key → further lines (the same packet twice)
        self._fh: Optional[BinaryIO] = None
        try:
            self._fh = open(path, "rb")
        except FileNotFoundError:
            return
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror}", code=INPUT_UNREADABLE, file=path) from None
        self._index(self._fh)

    def _index(self, fh: BinaryIO) -> None:
        """Note the offset of every decision line, by resume key."""
        shared: dict[str, str] = {}  # one string object per ladder digest and date: the keys pickle small
        offset = 0
        longer = False  # inside a line longer than any record: its pieces are not decisions
        # Lines are read at most MAX_BYTES + 1 at a time, so a huge line costs no more memory than that.
        for raw in iter(lambda: fh.readline(docs.MAX_BYTES + 1), b""):
            start, offset = offset, offset + len(raw)
            piece_of_long_line, longer = longer, not raw.endswith(b"\n")
            if piece_of_long_line or longer or b'"packet_digest"' not in raw:
                continue
            try:
                record = docs.parse_json(docs.decode(raw, self.path), self.path)
            except PromoreadyError:
                continue
            if not isinstance(record, dict) or "error" in record:
                continue
            if self.strict and record.get("warnings"):  # this run refuses the packet: not a decision it makes
                continue
            key = resume_key(record)
            if key is None or not isinstance(record.get("candidate_id"), str):
                continue
            key = (key[0], shared.setdefault(key[1], key[1]), shared.setdefault(key[2], key[2]))
            if key in self._first:
                self._more.setdefault(key, deque()).append(start)
            else:
                self._first[key] = start

    def __len__(self) -> int:
        return len(self._first) + sum(len(d) for d in self._more.values())

    @property
    def keys(self) -> frozenset[ResumeKey]:
        """The resume keys of the decisions held (``Config.keep``)."""
        return frozenset(self._first)

    def take(self, result: Result) -> Optional[Result]:
        """The kept record for a ``keep`` result, or None if every copy was used already."""
        key = result.keep
        offset = self._first.pop(key, None) if key is not None else None
        if key is None or offset is None or self._fh is None:
            return None
        more = self._more.get(key)
        if more:
            self._first[key] = more.popleft()
        self._fh.seek(offset)
        line = self._fh.readline()  # ends in a newline: lines without one were not taken
        outcome = Outcome.of(docs.parse_json(docs.decode(line, self.path), self.path))
        return Result(result.seq, result.source, result.candidate_id, record=line, outcome=outcome, kept=True)

    def unused(self) -> Iterator[bytes]:
        """The records not copied yet, in file order, each with its newline."""
        if self._fh is None:
            return
        offsets = sorted([*self._first.values(), *(o for more in self._more.values() for o in more)])
        for offset in offsets:
            self._fh.seek(offset)
            yield self._fh.readline()

    def close(self) -> None:
        """Close the earlier run's file (``take`` and ``unused`` read from it until then)."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None
