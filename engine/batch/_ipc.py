"""How a pool and its workers share bytes outside the pipe: spools, a progress note, anonymous files."""

from __future__ import annotations

import mmap
import os
import struct
from typing import Any, Callable, Optional

from ..errors import ENGINE_BATCH, EngineError

#: What a worker notes before each packet: its chunk number, the packet's place in it, and when it started.
PROGRESS = struct.Struct("<qqd")
#: Before the note, a count of the writes begun and finished: odd while one is under way (see ``Note``).
#: In this machine's own byte order: the worker stores it as one aligned 8-byte integer.
_COUNT = struct.Struct("=q")
_SIZE = _COUNT.size + PROGRESS.size


def progress_file() -> int:
    """A progress note (see ``Note``), saying "no packet started yet" (chunk -1)."""
    fd = anonymous_file("promoready-progress")
    try:
        os.pwrite(fd, _COUNT.pack(0) + PROGRESS.pack(-1, -1, 0.0), 0)
    except OSError:
        os.close(fd)
        raise
    return fd


class Note:
    """A worker's progress note, written before every packet: through memory shared with the file where
    the system lets it be mapped (a store, where a ``pwrite`` is a system call each time), else with ``pwrite``.

    The count before it goes odd before the note is written and even after (a sequence lock): the pool
    takes a note as read only when the count was the same even number before and after reading it. The
    count is stored whole, as one aligned 8-byte integer (``struct.pack_into`` would first clear it to
    zero, an even count, and then write it byte by byte).
    """

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.count = 0
        self.map: Optional[mmap.mmap] = None
        self.counter: Optional[memoryview] = None
        try:
            self.map = mmap.mmap(fd, _SIZE)
            self.counter = memoryview(self.map)[:_COUNT.size].cast("q")
        except (OSError, ValueError):  # cannot be mapped here: written the slower way
            self.close()

    def write(self, number: int, index: int, started: float) -> None:
        self.count += 2
        if self.map is not None and self.counter is not None:
            self.counter[0] = self.count - 1
            PROGRESS.pack_into(self.map, _COUNT.size, number, index, started)
            self.counter[0] = self.count
        else:  # the same three steps, each a write of its own
            os.pwrite(self.fd, _COUNT.pack(self.count - 1), 0)
            os.pwrite(self.fd, PROGRESS.pack(number, index, started), _COUNT.size)
            os.pwrite(self.fd, _COUNT.pack(self.count), 0)

    def close(self) -> None:
        """Let go of the memory map (the file descriptor is the caller's)."""
        if self.counter is not None:
            self.counter.release()
            self.counter = None
        if self.map is not None:
            self.map.close()
            self.map = None


def read_note(fd: int) -> tuple[Optional[tuple[int, int, float]], int]:
    """A worker's progress note (chunk, place, when started), or None if the worker was writing it each
    time it was read; and the note's count of writes. Raises ``OSError``, or ``struct.error`` for a note
    cut short."""
    for _ in range(3):
        before = os.pread(fd, _COUNT.size, 0)
        note = os.pread(fd, PROGRESS.size, _COUNT.size)
        if before == os.pread(fd, _COUNT.size, 0) and not _COUNT.unpack(before)[0] % 2:
            number, index, started = PROGRESS.unpack(note)
            return (number, index, started), _COUNT.unpack(before)[0]
    return None, _COUNT.unpack(before)[0]


class Fd:
    """A file descriptor that a worker process receives as its own duplicate when it starts."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def __reduce__(self) -> tuple[Callable[[Any], Fd], tuple[Any]]:
        from multiprocessing.reduction import DupFd  # works while a process is being started, with any context

        return Fd._rebuild, (DupFd(self.fd),)

    @staticmethod
    def _rebuild(dup: Any) -> Fd:
        return Fd(dup.detach())


class Spools:
    """Memory-backed files through which a chunk's packet texts and records travel, one set per direction.

    The texts and records do not go through the pipe: there they would be pickled, copied by the
    socket and unpickled, on this process's side as well as the worker's, and on two cores this
    process competes with the workers. Chunk n uses spool n % 2 in each direction: the sender writes
    it from the start and then sends the (small) message that says so, and the receiver reads it as
    soon as the message arrives. A worker holds at most two chunks (``Worker.PREFETCH``), so when
    chunk n is sent, chunk n - 2 has been read in both directions and its spools are free again.
    """

    COUNT = 2
    #: A spool that grew past this (a very large packet) is cut back once a smaller chunk uses it.
    KEEP = 4 << 20

    def __init__(self, name: str) -> None:
        self.fds: list[int] = []
        try:
            for number in range(self.COUNT):
                self.fds.append(anonymous_file(f"promoready-{name}-{number}"))
        except OSError as exc:
            self.close()
            raise EngineError(f"cannot create the batch's spool files: {exc.strerror}", code=ENGINE_BATCH) from None

    def for_worker(self) -> tuple[Fd, ...]:
        """The spools as a worker process receives them (its own duplicates)."""
        return tuple(Fd(fd) for fd in self.fds)

    @staticmethod
    def write_to(fd: int, data: bytes) -> None:
        """``data`` at the start of the spool ``fd``."""
        view, offset = memoryview(data), 0
        while offset < len(view):
            offset += os.pwrite(fd, view[offset:], offset)
        if len(data) < Spools.KEEP < os.fstat(fd).st_size:
            os.ftruncate(fd, len(data))

    @staticmethod
    def read_from(fd: int, lengths: list[int]) -> list[Optional[bytes]]:
        """The pieces written at the start of the spool ``fd``, one per length (None for 0: no piece)."""
        total = sum(lengths)
        if not total:
            return [None] * len(lengths)
        data = os.pread(fd, total, 0)
        if len(data) != total:
            raise EngineError("a batch spool file was cut short", code=ENGINE_BATCH)
        out: list[Optional[bytes]] = []
        start = 0
        for length in lengths:
            out.append(data[start:start + length] if length else None)
            start += length
        return out

    def close(self) -> None:
        """Close every spool (a worker's duplicates close with it)."""
        for fd in self.fds:
            os.close(fd)
        self.fds = []


def anonymous_file(name: str) -> int:
    """A file with no name: in memory where the system has ``memfd_create``, else an unlinked temporary file."""
    if hasattr(os, "memfd_create"):
        try:
            return os.memfd_create(name, os.MFD_CLOEXEC)
        except OSError:
            pass
    import tempfile

    fh = tempfile.TemporaryFile(prefix=name)
    fd = os.dup(fh.fileno())
    fh.close()
    return fd
