"""JSONL lines by their place: a scanned file kept open (``OpenFile``), passed to worker processes
(``send_fd``, ``recv_fd``), and each line read back where it is evaluated (``SpanReader`` in a worker,
``read_lines`` in the coordinating process).

A pool's coordinating process scans a regular JSONL file for its newlines and hands out each line's
offset and length; the worker reads the line itself from the same open file, its descriptor passed
over the worker's socket, so that a file moved, deleted or replaced by name while the batch runs is
still the file that was scanned. A line that is no longer where it was (the file rewritten in place,
or cut short) gives an ``input.unreadable`` problem, never other text.
"""

from __future__ import annotations

import errno
import itertools
import os
import socket
import stat
from typing import TYPE_CHECKING, Any, BinaryIO, Callable, Iterable, Optional, TypeVar, Union

from ..errors import ENGINE_BATCH, INPUT_UNREADABLE, EngineError

if TYPE_CHECKING:
    from .inputs import Item

#: Whether an open file can be passed to another process here (SCM_RIGHTS over a Unix socket).
CAN_PASS = hasattr(socket, "AF_UNIX") and hasattr(socket, "send_fds") and hasattr(socket, "recv_fds")

#: Lines of one file are read at once when the gap between them is no more than this.
GAP = 1 << 16

#: Files kept open for their lines at once, at most (each holds a descriptor here while an item of it
#: is pending, and is passed to the workers): past that, a file's lines are read as text.
MAX_OPEN = 16
#: A file smaller than this is read as text: a few lines gain nothing from a descriptor of their own.
MIN_SIZE = 1 << 16

CUT_SHORT = "the file was cut short while the batch ran"
CHANGED = "the file changed while the batch ran: the line is no longer where it was"


class OpenFile:
    """A scanned JSONL file, open for as long as an item points at it: a descriptor of its own (closed
    when the last item is gone, or by ``close``) and a number that names it to worker processes."""

    __slots__ = ("fd", "key")
    _keys = itertools.count(1)
    #: The keys of the files open now (a set: adding and discarding are atomic, and the input may be
    #: read in a thread of its own).
    live: set[int] = set()

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.key = next(OpenFile._keys)
        OpenFile.live.add(self.key)

    @classmethod
    def of(cls, fh: BinaryIO) -> Optional[OpenFile]:
        """``fh`` kept open, if it is a regular file of ``MIN_SIZE`` or more, fewer than ``MAX_OPEN`` are
        open already and open files can be passed to workers here; else None (read its lines as text)."""
        if not CAN_PASS or len(cls.live) >= MAX_OPEN:
            return None
        try:
            info = os.fstat(fh.fileno())
            if not stat.S_ISREG(info.st_mode) or info.st_size < MIN_SIZE:
                return None
            return cls(os.dup(fh.fileno()))
        except (OSError, ValueError):
            return None

    def close(self) -> None:
        if self.fd >= 0:
            fd, self.fd = self.fd, -1
            OpenFile.live.discard(self.key)
            os.close(fd)

    def __del__(self) -> None:
        try:
            self.close()
        except OSError:
            pass

    def __reduce__(self) -> Any:
        raise TypeError("an open input file goes to a worker with send_fd, not pickled")


#: Where a JSONL line is: its offset and its length in bytes (its newline included), and its file.
Span = tuple[int, int, OpenFile]
#: A span as it travels to a worker: its file named by its key (the file itself was passed before).
SentSpan = tuple[int, int, int]

_File = TypeVar("_File")


def read_spans(spans: list[Optional[tuple[int, int, _File]]],
               fd_of: Callable[[_File], int]) -> list[Union[bytes, str, None]]:
    """Each span's line (None where there is no span), or why it cannot be had; lines close together in
    one file are read in one call. A line must still be one whole line: after a newline (or at the
    file's start), ending in a newline (or at the file's end), with no newline inside."""
    out: list[Union[bytes, str, None]] = [None] * len(spans)
    start = 0
    while start < len(spans):
        span = spans[start]
        if span is None:
            start += 1
            continue
        first, length, file = span
        stop, last = start + 1, first + length
        while stop < len(spans):
            following = spans[stop]
            if following is None or following[2] != file or not last <= following[0] <= last + GAP:
                break
            last = following[0] + following[1]
            stop += 1
        before = 1 if first > 0 else 0  # the byte before the first line, and the one after the last
        try:
            data = _pread(fd_of(file), last - first + before + 1, first - before)
        except OSError as exc:
            out[start:stop] = [f"cannot read it again: {exc.strerror or exc}"] * (stop - start)
            start = stop
            continue
        for at in range(start, stop):
            offset, length, _ = spans[at]  # type: ignore[misc]  # not None in this run
            place = offset - first + before
            text = data[place:place + length]
            if len(text) < length:
                out[at] = CUT_SHORT
            elif (place and data[place - 1:place] != b"\n") or text.find(b"\n", 0, length - 1) >= 0 \
                    or (text[-1:] != b"\n" and len(data) > place + length):
                out[at] = CHANGED  # after something else than a newline now, two lines, or a line that goes on
            else:
                out[at] = text
        start = stop
    return out


def _pread(fd: int, size: int, offset: int) -> bytes:
    """``size`` bytes at ``offset``, fewer only where the file ends."""
    data = os.pread(fd, size, offset)
    while 0 < len(data) < size:
        more = os.pread(fd, size - len(data), offset + len(data))
        if not more:
            break
        data += more
    return data


def read_lines(items: Iterable[Item]) -> list[Item]:
    """``items`` with each span's line as its ``data``, or an ``input.unreadable`` problem, read here."""
    items = list(items)
    texts = read_spans([item.span if item.data is None and item.problem is None else None for item in items],
                       _own_fd)
    return [item if text is None else
            item._replace(data=text) if isinstance(text, bytes) else item._replace(problem=(INPUT_UNREADABLE, text))
            for item, text in zip(items, texts)]


def _own_fd(file: OpenFile) -> int:
    if file.fd < 0:
        raise OSError(errno.EBADF, "the file was closed")
    return file.fd


class SpanReader:
    """A worker's side: the files it was passed, by key, and the lines read from them."""

    def __init__(self) -> None:
        self._fds: dict[int, int] = {}

    def receive(self, key: int, fd: int) -> None:
        """Keep ``fd`` as the file ``key``."""
        self.forget(key)
        self._fds[key] = fd

    def forget(self, key: int) -> None:
        """Close the file ``key``, if it is kept."""
        fd = self._fds.pop(key, None)
        if fd is not None:
            os.close(fd)

    def texts(self, spans: list[Optional[SentSpan]]) -> list[Union[bytes, str, None]]:
        """``read_spans`` on the files kept here."""
        return read_spans(spans, self._fd)

    def _fd(self, key: int) -> int:
        fd = self._fds.get(key)
        if fd is None:  # the pool sends a file before its first line: not the input's fault
            raise EngineError(f"a batch worker was sent a line of input file {key}, which it was not passed",
                              code=ENGINE_BATCH)
        return fd

    def close(self) -> None:
        for key in list(self._fds):
            self.forget(key)


def socket_of(conn: Any) -> socket.socket:
    """A socket object on ``conn``'s descriptor (a duplicate), made once per connection so that passing a
    file needs no new descriptor."""
    return socket.fromfd(conn.fileno(), socket.AF_UNIX, socket.SOCK_STREAM)


def send_fd(sock: socket.socket, fd: int) -> None:
    """Pass ``fd`` over ``sock`` (``socket_of`` a connection) to its other end, which takes it with
    ``recv_fd`` right after the message sent before it."""
    socket.send_fds(sock, [b"F"], [fd])


def recv_fd(sock: socket.socket) -> int:
    """The descriptor ``send_fd`` passed over ``sock``; EOFError if the other end is gone, OSError (EMFILE) if
    this process has no room for it, EngineError if something else came (a bug of the pool's)."""
    message, fds, flags, _ = socket.recv_fds(sock, 1, 1, getattr(socket, "MSG_CMSG_CLOEXEC", 0))
    if message == b"F" and len(fds) == 1 and not flags & getattr(socket, "MSG_CTRUNC", 0):
        return fds[0]
    for fd in fds:
        os.close(fd)
    if not message:
        raise EOFError
    if message == b"F":  # the descriptor did not fit: this process has as many open as it may
        raise OSError(errno.EMFILE, "too many files open (ulimit -n): the input file passed did not fit")
    raise EngineError("a batch worker was sent something else than the input file it was told of",
                      code=ENGINE_BATCH)
