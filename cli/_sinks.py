"""Where ``batch`` writes its records and its summary: a file replaced atomically at the end, or a stream.

A sink takes whole JSONL lines. ``commit`` makes them final; ``discard`` drops them (after a commit
it does nothing), so that ``--out FILE`` is always either the previous file or a complete one.

What an output path names (``cli._outputs.Target``) decides how it is written:

- a regular file, or nothing yet: a temporary file beside it, renamed over it at the end. A symlink
  is written *through*: the temporary file goes beside the file it points to, which is replaced
  (the link stays a link). The temporary file is named ``.NAME.PID.RANDOM.tmp``; a later run on the
  same output removes those whose process is gone (a run killed with ``kill -9``).
- a device, a FIFO or a socket (``/dev/null``, a named pipe), or one of this process's own file
  descriptors (``/dev/stdout``, ``/dev/fd/3``): written straight through, as it comes, like stdout;
  nothing is created, renamed or removed beside it.

``Outputs`` checks the outputs before anything starts and locks them for the run (``cli._outputs``
holds those checks), then gives the sink for ``--out``.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from typing import BinaryIO, Iterable, Optional, Protocol, cast

from promoready.engine.errors import SYSTEM_IO, USAGE_OUT, USAGE_RESUME, ResourceError, UsageError

from ._outputs import Lock, Target, check, remove_stale

# Re-exported: importers of the sinks have long found these here.
__all__ = ["AtomicFile", "Lock", "Outputs", "Sink", "Stdout", "Stream", "Target", "remove_stale",
           "write_atomically"]


class Sink(Protocol):
    """What the batch command writes its records to."""

    def write(self, record: bytes, records: int = 1) -> None:
        """One record: a whole JSONL line, with its newline (or ``records`` whole lines)."""

    def flush(self) -> None:
        """The batch is about to wait: let the records so far out, if anyone reads them now."""

    def commit(self) -> None:
        """The records are final."""

    def discard(self) -> None:
        """Drop what was not committed."""


class Outputs:
    """``--out`` and ``--summary``, checked against the inputs and each other, and locked for the run.

    Refused (``usage.out-is-input``): an output that is an input (the same file, by device and inode:
    through a symlink, a hard link, inside an input folder, or stdin) or the other output. An output
    path that a folder input would also list is not an input: folders skip the outputs (as before).
    Refused (``usage.out-locked``): an output another run holds (``command`` names the run in the message).
    ``close`` releases the locks.
    """

    def __init__(self, inputs: Iterable[str], out: Optional[str], summary: Optional[str], resume: bool,
                 command: str = "batch") -> None:
        self.out = Target.of(out, "--out") if out is not None else None
        self.summary = Target.of(summary, "--summary") if summary is not None else None
        if resume and self.out is not None and self.out.kind != "file":
            raise UsageError("--resume needs a regular file to resume, not a device, a pipe or a descriptor",
                             code=USAGE_RESUME, file=out, path="--resume")
        check(inputs, self.out, self.summary, skip=[p for p in (out, summary) if p])
        self.locks: list[Lock] = []
        try:
            for target, option in ((self.out, "--out"), (self.summary, "--summary")):
                if target is not None and target.kind == "file":
                    self.locks.append(Lock(target, option, command))
        except BaseException:
            self.close()
            raise

    def sink(self) -> Sink:
        """Where the records go: the ``--out`` file (atomically), or a stream (a device, a FIFO, stdout)."""
        if self.out is None:
            return Stdout()
        if self.out.kind == "file":
            return AtomicFile(self.out.given, target=self.out)
        return Stream.open(self.out, "--out")

    def close(self) -> None:
        """Release the locks (their lock files go)."""
        locks, self.locks = self.locks, []
        for lock in locks:
            lock.release()


def _write_error(exc: OSError, what: str, file: str) -> ResourceError:
    return ResourceError.of(exc, what, file=file) or \
        ResourceError(f"cannot write {what}: {exc.strerror or exc}", code=SYSTEM_IO, file=file)


class AtomicFile:
    """Whole lines into a temporary file beside the file ``path`` names; ``commit`` moves it over that file.

    Records are gathered and written in large pieces; a write that fails (a full disk, ``ulimit -f``)
    raises ``ResourceError`` and leaves the temporary file holding whole records only (``records`` of
    them), so they can still be committed.
    """

    #: Bytes of records gathered before they are written to the temporary file.
    BUFFER = 1 << 20

    def __init__(self, path: str, *, target: Optional[Target] = None) -> None:
        self.path = path
        self.real = target.real if target is not None else os.path.realpath(path)
        self.removed = remove_stale(self.real)
        directory, base = os.path.split(self.real)
        try:
            fd, self.tmp = tempfile.mkstemp(prefix=f".{base}.{os.getpid()}.", suffix=".tmp", dir=directory)
        except OSError as exc:
            raise ResourceError.of(exc, "beside it", file=path) or \
                UsageError(f"cannot write beside it: {exc.strerror}", code=USAGE_OUT, file=path, path="--out") \
                from None
        self.fd: Optional[int] = fd
        self.parts: list[bytes] = []
        self.size = 0  # bytes in ``parts``
        self.good = 0  # bytes of whole records in the file
        self.records = 0  # whole records in the file
        self.pending = 0  # records in ``parts``
        self.done = False

    def write(self, record: bytes, records: int = 1) -> None:
        """One record: a whole JSONL line, with its newline (or ``records`` whole lines)."""
        self.parts.append(record)
        self.size += len(record)
        self.pending += records
        if self.size >= self.BUFFER:
            self._drain()

    def _drain(self) -> None:
        """Write the gathered records; on failure cut the file back to its whole records and raise."""
        if not self.parts or self.fd is None:
            return
        data = memoryview(b"".join(self.parts))
        self.parts, self.size, pending, self.pending = [], 0, self.pending, 0
        offset = 0
        try:
            while offset < len(data):
                offset += os.pwrite(self.fd, data[offset:], self.good + offset)
        except OSError as exc:
            try:
                os.ftruncate(self.fd, self.good)
            except OSError:
                pass
            raise _write_error(exc, "the output", self.path) from None
        self.good += len(data)
        self.records += pending

    def flush(self) -> None:
        """Nothing to do: nobody reads the temporary file before ``commit``."""

    def commit(self) -> None:
        """Make the file durable and move it over the file ``path`` names (keeping that file's mode)."""
        if self.done:
            return
        self._drain()
        if self.fd is not None:  # else closed by a commit whose rename failed: this tries the rename again
            try:
                os.fsync(self.fd)
            except OSError as exc:  # the data may not be on disk: the previous file must stand
                raise _write_error(exc, "the output", self.path) from None
            os.close(self.fd)
            self.fd = None
        try:
            os.chmod(self.tmp, _mode_for(self.real))
            os.replace(self.tmp, self.real)
        except OSError as exc:  # the folder changed under the run (permissions, a read-only remount)
            raise ResourceError.of(exc, "the output", file=self.path) or \
                UsageError(f"cannot replace it: {exc.strerror or exc}", code=USAGE_OUT, file=self.path,
                           path="--out") from None
        self.done = True
        _fsync_dir(self.real)

    def discard(self) -> None:
        """Remove the temporary file; the file ``path`` names stays as it was."""
        if self.done:
            return
        self.done = True
        try:
            if self.fd is not None:
                os.close(self.fd)
                self.fd = None
        finally:
            try:
                os.unlink(self.tmp)
            except OSError:
                pass


class Stream:
    """Lines to a stream (stdout, a device, a FIFO), flushed whenever the batch would wait for the next one.

    Nothing can be taken back from a stream: ``commit`` writes what is left, ``discard`` drops it.
    """

    def __init__(self, stream: BinaryIO, name: str, *, owned: bool) -> None:
        self.stream = stream
        self.name = name
        self.owned = owned  # opened here (closed here)
        self.parts: list[bytes] = []  # records not yet written

    @staticmethod
    def open(target: Target, option: str) -> Stream:
        """A device, FIFO or socket opened for writing (a FIFO waits for its reader), or one of our descriptors."""
        try:
            if target.fd is not None:
                fd = os.dup(target.fd)
            else:
                fd = os.open(target.real, os.O_WRONLY | getattr(os, "O_CLOEXEC", 0))
                if stat.S_ISREG(os.fstat(fd).st_mode):  # replaced by a regular file meanwhile: never overwrite one
                    os.close(fd)
                    raise UsageError("it changed into a regular file while being opened", code=USAGE_OUT,
                                     file=target.given, path=option)
        except OSError as exc:
            raise UsageError(f"cannot write to it: {exc.strerror}", code=USAGE_OUT, file=target.given,
                             path=option) from None
        return Stream(os.fdopen(fd, "wb", buffering=0), target.given, owned=True)

    def write(self, record: bytes, records: int = 1) -> None:
        """One record: a whole JSONL line, with its newline (or ``records`` whole lines)."""
        self.parts.append(record)

    def flush(self) -> None:
        """Write the records gathered so far, in one call, and push them out."""
        try:
            if self.parts:
                data = b"".join(self.parts)
                self.parts = []
                self.stream.write(data)
            self.stream.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise _write_error(exc, "the output", self.name) from None

    def commit(self) -> None:
        """Write what is left."""
        self.flush()
        if self.owned:
            self.stream.close()

    def discard(self) -> None:
        """Drop what was not written."""
        self.parts = []
        if self.owned:
            try:
                self.stream.close()
            except OSError:
                pass


class Stdout(Stream):
    """Lines to stdout, flushed whenever the batch would wait for the next one."""

    def __init__(self) -> None:
        super().__init__(cast(BinaryIO, getattr(sys.stdout, "buffer", sys.stdout)), "stdout", owned=False)

    def discard(self) -> None:
        """stdout is gone: keep the interpreter's final flush from complaining about it."""
        self.parts = []
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), self.stream.fileno())
        except (OSError, ValueError, AttributeError):
            pass


def _mode_for(path: str) -> int:
    """The mode of the file being replaced, or what a new file would get under the umask."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync_dir(path: str) -> None:
    try:
        fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomically(path: str, text: str) -> None:
    """``text`` as the whole of the file ``path`` names, atomically (the summary file); straight to a device or FIFO."""
    target = Target.of(path, "--summary")
    sink: Sink = AtomicFile(path, target=target) if target.kind == "file" else Stream.open(target, "--summary")
    try:
        sink.write(text.encode("utf-8", "backslashreplace"))  # a file name that is not UTF-8: as stderr shows it
        sink.commit()
    finally:
        sink.discard()
