"""A batch's inputs, streamed: files, folders (recursive, sorted), ``.jsonl`` files and stdin, one ``Item`` at a time.

Nothing here holds the whole batch: a folder is listed one level at a time and a stream is read one
line at a time, in bounded pieces. An input that cannot even be read becomes an item carrying its
problem, which the evaluation turns into an error record.
"""

from __future__ import annotations

import os
from typing import BinaryIO, Collection, Generator, Iterable, Iterator, NamedTuple, Optional

from .. import _documents as docs
from ..errors import INPUT_NOT_FOUND, INPUT_STDIN, INPUT_TOO_LARGE, INPUT_UNREADABLE, InputError
from .._wording import escaped_surrogates
from .spans import OpenFile, Span

#: Folder inputs: the packet files picked up (recursively, sorted by name).
PACKET_SUFFIXES = (".json", ".yaml", ".yml")

STDIN_NAME = docs.STDIN_NAME

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
        """Where the packet came from, as messages and error records name it: ``file`` or ``file:line``
        (the file as ``shown``)."""
        file = shown(self.file)
        return f"{file}:{self.line}" if self.line is not None else file


def shown(name: str) -> str:
    """A file name as it can be written out (in a record, the summary, the store): bytes that are not
    UTF-8, which Python keeps as lone surrogates, as ``\\udcNN``, the way Python's stderr shows them.
    (A name that holds those six characters as such shows alike: the store keeps one of the two.)"""
    return escaped_surrogates(name)


def iter_items(inputs: Iterable[str], *, stdin: Optional[BinaryIO] = None,
               exclude: Iterable[str] = (), spans: bool = False, empty: Optional[list[str]] = None) -> Iterator[Item]:
    """Every packet of ``inputs``, in order, one at a time.

    A ``.jsonl`` file or ``-`` (``stdin``) gives one packet per non-blank line; a folder gives its
    ``*.json``, ``*.yaml`` and ``*.yml`` files, recursively, sorted by name (hidden files and
    folders, and the paths in ``exclude``, are skipped); anything else is one packet file.

    ``spans``: the lines of a regular ``.jsonl`` file come as their places (``Item.span``: offset,
    length and the file, kept open), not their text, for the processes that evaluate them to read
    (``spans``): a pool's coordinating process then scans the file for newlines instead of copying
    every line on to a worker.

    ``empty``: each ``.jsonl`` file or stdin (as ``STDIN_NAME``) that held no packet at all (nothing, or
    blank lines only), and so gave no item, is appended to it once read, for the caller to say so.
    (An empty packet file is an item, which fails as ``input.empty``.)
    """
    skip = {os.path.realpath(p) for p in exclude}
    seq = 0
    for name in inputs:
        start = seq
        if name == "-":
            if stdin is None:
                raise InputError("'-' reads stdin, but there is none", code=INPUT_STDIN)
            seq = yield from _jsonl(stdin, STDIN_NAME, seq)
            if seq == start and empty is not None:
                empty.append(STDIN_NAME)
        elif os.path.isdir(name):
            for path, error in folder_packets(name, skip):
                problem = None if error is None else (INPUT_UNREADABLE, f"cannot list the folder: {error.strerror}")
                yield Item(seq, path, None, None, problem)
                seq += 1
        elif name.lower().endswith(".jsonl"):
            seq = yield from _jsonl_file(name, seq, spans)
            if seq == start and empty is not None:
                empty.append(name)
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
        opened = OpenFile.of(fh) if spans else None
        if opened is not None:
            return (yield from _jsonl_spans(fh, path, seq, opened))
        return (yield from _jsonl(fh, path, seq))


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
                yield _too_large(seq, name, number)
                seq += 1
                continue
            if raw.strip():
                yield Item(seq, name, number, raw)
                seq += 1
    except OSError as exc:  # the stream itself failed (not open for reading, an I/O error): one error record
        yield Item(seq, name, number + 1, None, (INPUT_UNREADABLE, f"cannot read: {exc.strerror or exc}"))
        return seq + 1


def _jsonl_spans(fh: BinaryIO, name: str, seq: int, opened: OpenFile) -> Generator[Item, None, int]:
    """``_jsonl``'s items with each line's place instead of its text: the same numbers, lines, blank
    lines skipped and lines over ``MAX_BYTES`` reported, found by scanning blocks for newlines."""
    number = 0
    limit = docs.MAX_BYTES
    read = fh.read
    base = 0  # the file offset of buf[0]
    buf = bytearray()
    pos = 0  # where the next line starts in buf
    try:
        while True:
            end = buf.find(b"\n", pos)
            if end >= 0:
                number += 1
                if end - pos > limit:
                    yield _too_large(seq, name, number)
                    seq += 1
                elif not _blank(buf, pos, end + 1):
                    yield Item(seq, name, number, None, None, (base + pos, end + 1 - pos, opened))
                    seq += 1
                pos = end + 1
                continue
            if len(buf) - pos > limit:  # a line already too long: report it, then skip to its end
                number += 1
                yield _too_large(seq, name, number)
                seq += 1
                while end < 0:
                    base += len(buf)
                    buf = bytearray(read(SCAN_BLOCK))
                    if not buf:
                        return seq
                    end = buf.find(b"\n")
                pos = end + 1
                continue
            block = read(SCAN_BLOCK)
            if not block:
                if pos < len(buf):  # the last line, with no newline
                    number += 1
                    if not _blank(buf, pos, len(buf)):
                        yield Item(seq, name, number, None, None, (base + pos, len(buf) - pos, opened))
                        seq += 1
                return seq
            base += pos
            del buf[:pos]  # what is left of a line, then the block: a long line grows without copying
            buf += block
            pos = 0
    except OSError as exc:  # as in _jsonl: one error record for the rest
        yield Item(seq, name, number + 1, None, (INPUT_UNREADABLE, f"cannot read: {exc.strerror or exc}"))
        return seq + 1


def _too_large(seq: int, name: str, number: int) -> Item:
    """The item of line ``number``, over ``MAX_BYTES``: an ``input.too-large`` problem."""
    return Item(seq, name, number, None, (INPUT_TOO_LARGE, f"the line is over {docs.MAX_BYTES:,} bytes"))


def _blank(buf: bytearray, start: int, end: int) -> bool:
    """Whether ``buf[start:end]`` is only what ``bytes.strip`` strips (most lines are told by their first byte)."""
    return buf[start] in _SPACE and buf[start:end].isspace()


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
