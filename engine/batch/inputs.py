"""A batch's inputs, streamed: files, folders (recursive, sorted), ``.jsonl`` files and stdin, one ``Item`` at a time.

Nothing here holds the whole batch: a folder is listed one level at a time and a stream is read one
line at a time, in bounded pieces. An input that cannot even be read becomes an item carrying its
problem, which the evaluation turns into an error record.
"""

from __future__ import annotations

import os
from typing import BinaryIO, Collection, Iterable, Iterator, NamedTuple, Optional

from .. import _documents as docs
from ..errors import INPUT_NOT_FOUND, INPUT_STDIN, INPUT_TOO_LARGE, INPUT_UNREADABLE, InputError

#: Folder inputs: the packet files picked up (recursively, sorted by name).
PACKET_SUFFIXES = (".json", ".yaml", ".yml")

STDIN_NAME = "<stdin>"

#: What an input yields before it becomes an ``Item``: file, line, data, problem (see ``Item``).
_Entry = tuple[str, Optional[int], Optional[bytes], Optional[tuple[str, str]]]


class Item(NamedTuple):
    """One packet to evaluate: a file to read, or one line of a JSONL stream.

    A named tuple rather than a dataclass: tens of thousands are made, pickled and sent per batch.
    """

    seq: int
    file: str  # the file named in messages (``<stdin>`` for stdin)
    line: Optional[int] = None  # the line in a JSONL stream
    data: Optional[bytes] = None  # the JSONL line; None means read ``file``
    problem: Optional[tuple[str, str]] = None  # (code, message): the input could not even be read

    @property
    def source(self) -> str:
        """Where the packet came from, as messages and error records name it: ``file`` or ``file:line``."""
        return f"{self.file}:{self.line}" if self.line is not None else self.file


def iter_items(inputs: Iterable[str], *, stdin: Optional[BinaryIO] = None,
               exclude: Iterable[str] = ()) -> Iterator[Item]:
    """Every packet of ``inputs``, in order, one at a time.

    A ``.jsonl`` file or ``-`` (``stdin``) gives one packet per non-blank line; a folder gives its
    ``*.json``, ``*.yaml`` and ``*.yml`` files, recursively, sorted by name (hidden files and
    folders, and the paths in ``exclude``, are skipped); anything else is one packet file.
    """
    skip = {os.path.realpath(p) for p in exclude}
    seq = 0
    for name in inputs:
        lines: Iterator[_Entry]
        if name == "-":
            if stdin is None:
                raise InputError("'-' reads stdin, but there is none", code=INPUT_STDIN)
            lines = _jsonl(stdin, STDIN_NAME)
        elif os.path.isdir(name):
            lines = _folder(name, skip)
        elif name.lower().endswith(".jsonl"):
            lines = _jsonl_file(name)
        else:
            lines = iter([(name, None, None, None)])
        for file, line, data, problem in lines:
            yield Item(seq, file, line, data, problem)
            seq += 1


def _jsonl_file(path: str) -> Iterator[_Entry]:
    try:
        fh = open(path, "rb")
    except OSError as exc:
        if isinstance(exc, FileNotFoundError):
            yield path, None, None, (INPUT_NOT_FOUND, "no such file")
        else:
            yield path, None, None, (INPUT_UNREADABLE, f"cannot read: {exc.strerror}")
        return
    with fh:
        yield from _jsonl(fh, path)


def _jsonl(fh: BinaryIO, name: str) -> Iterator[_Entry]:
    number = 0
    try:
        while True:
            raw = fh.readline(docs.MAX_BYTES + 1)
            if not raw:
                return
            number += 1
            if len(raw) > docs.MAX_BYTES and not raw.endswith(b"\n"):
                while raw and not raw.endswith(b"\n"):  # skip the rest of the line, in bounded pieces
                    raw = fh.readline(docs.MAX_BYTES + 1)
                yield name, number, None, (INPUT_TOO_LARGE, f"the line is over {docs.MAX_BYTES:,} bytes")
                continue
            if raw.strip():
                yield name, number, raw, None
    except OSError as exc:  # the stream itself failed (not open for reading, an I/O error): one error record
        yield name, number + 1, None, (INPUT_UNREADABLE, f"cannot read: {exc.strerror or exc}")


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


def _folder(folder: str, skip: set[str]) -> Iterator[_Entry]:
    for path, error in folder_packets(folder, skip):
        if error is not None:
            yield path, None, None, (INPUT_UNREADABLE, f"cannot list the folder: {error.strerror}")
        else:
            yield path, None, None, None


def count_items(inputs: Iterable[str], exclude: Iterable[str] = ()) -> Optional[int]:
    """How many items ``iter_items`` will give (for a progress bar), or None when stdin is read."""
    if "-" in inputs:
        return None
    skip = {os.path.realpath(p) for p in exclude}
    total = 0
    for name in inputs:
        if os.path.isdir(name):
            total += sum(1 for _ in _folder(name, skip))
        elif name.lower().endswith(".jsonl"):
            try:
                with open(name, "rb") as fh:
                    total += sum(1 for line in fh if line.strip())
            except OSError:
                total += 1
        else:
            total += 1
    return total
