"""A batch's inputs, streamed: files, folders (recursive, sorted), ``.jsonl`` files and stdin, one ``Item`` at a time.

Nothing here holds the whole batch: a folder is listed one level at a time and a stream is read one
line at a time, in bounded pieces. An input that cannot even be read becomes an item carrying its
problem, which the evaluation turns into an error record.
"""

from __future__ import annotations

import os
import stat
from typing import BinaryIO, Collection, Generator, Iterable, Iterator, NamedTuple, Optional, Union

from .. import _documents as docs
from ..errors import INPUT_NOT_FOUND, INPUT_STDIN, INPUT_TOO_LARGE, INPUT_UNREADABLE, InputError

#: Folder inputs: the packet files picked up (recursively, sorted by name).
PACKET_SUFFIXES = (".json", ".yaml", ".yml")

STDIN_NAME = "<stdin>"

#: Where a JSONL line is, for a process that reads it itself: its offset and length in bytes (its
#: newline included) and the file's (real path, device, inode), to open it and check that it is
#: still the file that was scanned.
Span = tuple[int, int, tuple[str, int, int]]

#: Bytes read at a time when a JSONL file is scanned for its lines' places.
SCAN_BLOCK = 1 << 20

#: What ``bytes.strip`` strips: a line of only these (its newline included) is blank.
_SPACE = frozenset(b" \t\n\r\x0b\x0c")


class Item(NamedTuple):
    """One packet to evaluate: a file to read, or one line of a JSONL stream.

    A named tuple rather than a dataclass: tens of thousands are made, pickled and sent per batch.
    """

    seq: int
    file: str  # the file named in messages (``<stdin>`` for stdin)
    line: Optional[int] = None  # the line in a JSONL stream
    data: Optional[bytes] = None  # the JSONL line; None means read ``file`` (or ``span`` of it)
    problem: Optional[tuple[str, str]] = None  # (code, message): the input could not even be read
    span: Optional[Span] = None  # the JSONL line's place, when the evaluating process reads it itself

    @property
    def source(self) -> str:
        """Where the packet came from, as messages and error records name it: ``file`` or ``file:line``."""
        return f"{self.file}:{self.line}" if self.line is not None else self.file


def iter_items(inputs: Iterable[str], *, stdin: Optional[BinaryIO] = None,
               exclude: Iterable[str] = (), spans: bool = False) -> Iterator[Item]:
    """Every packet of ``inputs``, in order, one at a time.

    A ``.jsonl`` file or ``-`` (``stdin``) gives one packet per non-blank line; a folder gives its
    ``*.json``, ``*.yaml`` and ``*.yml`` files, recursively, sorted by name (hidden files and
    folders, and the paths in ``exclude``, are skipped); anything else is one packet file.

    ``spans``: the lines of a regular ``.jsonl`` file come as their places (``Item.span``), not their
    text, for the processes that evaluate them to read (``SpanReader``): a pool's coordinating
    process then scans the file for newlines instead of copying every line on to a worker.
    """
    skip = {os.path.realpath(p) for p in exclude}
    seq = 0
    for name in inputs:
        if name == "-":
            if stdin is None:
                raise InputError("'-' reads stdin, but there is none", code=INPUT_STDIN)
            seq = yield from _jsonl(stdin, STDIN_NAME, seq)
        elif os.path.isdir(name):
            for path, error in folder_packets(name, skip):
                problem = None if error is None else (INPUT_UNREADABLE, f"cannot list the folder: {error.strerror}")
                yield Item(seq, path, None, None, problem)
                seq += 1
        elif name.lower().endswith(".jsonl"):
            seq = yield from _jsonl_file(name, seq, spans)
        else:
            yield Item(seq, name)
            seq += 1


def _jsonl_file(path: str, seq: int, spans: bool = False) -> Generator[Item, None, int]:
    """The items of a JSONL file, numbered from ``seq``; returns the next number."""
    try:
        fh = open(path, "rb")
    except OSError as exc:
        if isinstance(exc, FileNotFoundError):
            yield Item(seq, path, None, None, (INPUT_NOT_FOUND, "no such file"))
        else:
            yield Item(seq, path, None, None, (INPUT_UNREADABLE, f"cannot read: {exc.strerror}"))
        return seq + 1
    with fh:
        where = _place(fh, path) if spans else None
        if where is not None:
            return (yield from _jsonl_spans(fh, path, seq, where))
        return (yield from _jsonl(fh, path, seq))


def _place(fh: BinaryIO, path: str) -> Optional[tuple[str, int, int]]:
    """``(real path, device, inode)`` of the open ``fh``, if it is a regular file found again at that path
    (a name such as ``/proc/self/fd/3``, which means another file in another process, is resolved
    here); else None."""
    try:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode):
            return None
        absolute = os.path.realpath(path)
        again = os.stat(absolute)
    except (OSError, ValueError):
        return None
    if (again.st_dev, again.st_ino) != (info.st_dev, info.st_ino):
        return None
    return absolute, info.st_dev, info.st_ino


def _jsonl(fh: BinaryIO, name: str, seq: int) -> Generator[Item, None, int]:
    """One item per non-blank line of ``fh``, numbered from ``seq``; returns the next number."""
    number = 0
    limit = docs.MAX_BYTES
    readline = fh.readline
    try:
        while True:
            raw = readline(limit + 1)
            if not raw:
                return seq
            number += 1
            if len(raw) > limit and not raw.endswith(b"\n"):
                while raw and not raw.endswith(b"\n"):  # skip the rest of the line, in bounded pieces
                    raw = readline(limit + 1)
                yield Item(seq, name, number, None, (INPUT_TOO_LARGE, f"the line is over {limit:,} bytes"))
                seq += 1
                continue
            if raw.strip():
                yield Item(seq, name, number, raw)
                seq += 1
    except OSError as exc:  # the stream itself failed (not open for reading, an I/O error): one error record
        yield Item(seq, name, number + 1, None, (INPUT_UNREADABLE, f"cannot read: {exc.strerror or exc}"))
        return seq + 1


def _jsonl_spans(fh: BinaryIO, name: str, seq: int, where: tuple[str, int, int]) -> Generator[Item, None, int]:
    """``_jsonl``'s items with each line's place instead of its text: the same numbers, lines, blank
    lines skipped and lines over ``MAX_BYTES`` reported, found by scanning blocks for newlines."""
    number = 0
    limit = docs.MAX_BYTES
    read = fh.read
    base = 0  # the file offset of buf[0]
    buf = b""
    pos = 0  # where the next line starts in buf
    try:
        while True:
            end = buf.find(b"\n", pos)
            if end >= 0:
                number += 1
                if end - pos > limit:
                    yield Item(seq, name, number, None, (INPUT_TOO_LARGE, f"the line is over {limit:,} bytes"))
                    seq += 1
                elif buf[pos] not in _SPACE or not buf[pos:end + 1].isspace():
                    yield Item(seq, name, number, None, None, (base + pos, end + 1 - pos, where))
                    seq += 1
                pos = end + 1
                continue
            if len(buf) - pos > limit:  # a line already too long: report it, then skip to its end
                number += 1
                yield Item(seq, name, number, None, (INPUT_TOO_LARGE, f"the line is over {limit:,} bytes"))
                seq += 1
                while end < 0:
                    base += len(buf)
                    buf = read(SCAN_BLOCK)
                    if not buf:
                        return seq
                    end = buf.find(b"\n")
                pos = end + 1
                continue
            block = read(SCAN_BLOCK)
            if not block:
                if pos < len(buf):  # the last line, with no newline
                    number += 1
                    if buf[pos] not in _SPACE or not buf[pos:].isspace():
                        yield Item(seq, name, number, None, None, (base + pos, len(buf) - pos, where))
                        seq += 1
                return seq
            base += pos
            buf = buf[pos:] + block
            pos = 0
    except OSError as exc:  # as in _jsonl: one error record for the rest
        yield Item(seq, name, number + 1, None, (INPUT_UNREADABLE, f"cannot read: {exc.strerror or exc}"))
        return seq + 1


class SpanReader:
    """Reads the lines that items with a ``span`` point at, from their files, in the process that
    evaluates them; keeps the last few files open. A file that is gone, replaced or cut short since it
    was scanned gives its lines an ``input.unreadable`` problem instead of other text."""

    #: Files kept open at most.
    OPEN = 4
    #: Lines of one file are read at once when the gap between them is no more than this.
    GAP = 1 << 16

    def __init__(self) -> None:
        self._fds: dict[tuple[str, int, int], int] = {}

    def resolve(self, items: Iterable[Item]) -> list[Item]:
        """``items`` with each span's line as its ``data``, or an ``input.unreadable`` problem."""
        items = list(items)
        texts = self.texts([item.span if item.data is None and item.problem is None else None for item in items])
        return [item if text is None else
                item._replace(data=text) if isinstance(text, bytes) else item._replace(problem=(INPUT_UNREADABLE, text))
                for item, text in zip(items, texts)]

    def texts(self, spans: list[Optional[Span]]) -> list[Union[bytes, str, None]]:
        """Each span's line, or what went wrong reading it (None for no span); lines close together in
        one file are read in one call."""
        out: list[Union[bytes, str, None]] = [None] * len(spans)
        start = 0
        while start < len(spans):
            span = spans[start]
            if span is None:
                start += 1
                continue
            first, length, where = span
            stop, last = start + 1, first + length
            while stop < len(spans):
                following = spans[stop]
                if following is None or following[2] != where or not last <= following[0] <= last + self.GAP:
                    break
                last = following[0] + following[1]
                stop += 1
            data = self._read(where, first, last - first)
            for at in range(start, stop):
                offset, length, _ = spans[at]  # type: ignore[misc]  # not None in this run
                if isinstance(data, str):
                    out[at] = data
                elif offset - first + length > len(data):
                    out[at] = "the file was cut short while the batch ran"
                else:
                    out[at] = data[offset - first:offset - first + length]
            start = stop
        return out

    def _read(self, where: tuple[str, int, int], offset: int, length: int) -> Union[bytes, str]:
        """``length`` bytes at ``offset`` of the file ``where`` (fewer where it ends sooner), or what went wrong."""
        try:
            fd = self._open(where)
            data = os.pread(fd, length, offset)
            while 0 < len(data) < length:  # a short read, which a regular file gives only at its end
                more = os.pread(fd, length - len(data), offset + len(data))
                if not more:
                    break
                data += more
        except OSError as exc:
            self._forget(where)
            return f"cannot read it again: {exc.strerror or exc}"
        except _Replaced:
            return "the file was replaced while the batch ran"
        return data

    def _open(self, where: tuple[str, int, int]) -> int:
        fd = self._fds.pop(where, None)
        if fd is None:
            fd = os.open(where[0], os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
            info = os.fstat(fd)
            if (info.st_dev, info.st_ino) != where[1:]:
                os.close(fd)
                raise _Replaced
            while len(self._fds) >= self.OPEN:
                os.close(self._fds.pop(next(iter(self._fds))))
        self._fds[where] = fd  # the most recently used last
        return fd

    def _forget(self, where: tuple[str, int, int]) -> None:
        fd = self._fds.pop(where, None)
        if fd is not None:
            os.close(fd)

    def close(self) -> None:
        """Close the files kept open."""
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()


class _Replaced(Exception):
    """A span's file is not the one that was scanned."""


def folder_packets(folder: str, skip: Collection[str] = ()) -> Iterator[tuple[str, Optional[OSError]]]:
    """The packet files of a folder input, as a batch reads them: ``(path, None)`` for each
    ``*.json``, ``*.yaml`` or ``*.yml`` file, recursively, sorted by name, hidden entries and linked
    folders (which could loop) skipped, and the real paths in ``skip`` left out; ``(folder, error)``
    for a folder that cannot be listed (the walk goes on with the rest). Listed one level at a time."""
    try:
        names = sorted(os.listdir(folder))
    except OSError as exc:
        yield folder, exc
        return
    for entry in names:
        if entry.startswith("."):
            continue
        path = os.path.join(folder, entry)
        if os.path.isdir(path):
            if not os.path.islink(path):
                yield from folder_packets(path, skip)
        elif entry.lower().endswith(PACKET_SUFFIXES) and (not skip or os.path.realpath(path) not in skip):
            yield path, None


def count_items(inputs: Iterable[str], exclude: Iterable[str] = ()) -> Optional[int]:
    """How many items ``iter_items`` will give (for a progress bar), or None when stdin is read."""
    if "-" in inputs:
        return None
    skip = {os.path.realpath(p) for p in exclude}
    total = 0
    for name in inputs:
        if os.path.isdir(name):
            total += sum(1 for _ in folder_packets(name, skip))
        elif name.lower().endswith(".jsonl"):
            try:
                with open(name, "rb") as fh:
                    total += sum(1 for line in fh if line.strip())
            except OSError:
                total += 1
        else:
            total += 1
    return total
