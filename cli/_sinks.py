"""Where ``batch`` writes its records: a file replaced atomically at the end, or stdout.

A sink takes whole JSONL lines. ``commit`` makes them final; ``discard`` drops them (after a commit
it does nothing), so that ``--out FILE`` is always either the previous file or a complete one.
"""

from __future__ import annotations

import os
import sys
import tempfile
from typing import BinaryIO, Protocol, cast

from promoready.engine.errors import USAGE_OUT, UsageError


class Sink(Protocol):
    """What the batch command writes its records to."""

    def write(self, record: bytes) -> None:
        """One record: a whole JSONL line, with its newline."""

    def flush(self) -> None:
        """The batch is about to wait: let the records so far out, if anyone reads them now."""

    def commit(self) -> None:
        """The records are final."""

    def discard(self) -> None:
        """Drop what was not committed."""


class AtomicFile:
    """Whole lines into a temporary file beside ``path``; ``commit`` moves it over ``path``."""

    #: Bytes of records gathered before they are written to the temporary file.
    BUFFER = 1 << 20

    def __init__(self, path: str) -> None:
        self.path = path
        directory = os.path.dirname(os.path.abspath(path))
        try:
            fd, self.tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
        except OSError as exc:
            raise UsageError(f"cannot write beside it: {exc.strerror}", code=USAGE_OUT, file=path,
                             path="--out") from None
        self.fh: BinaryIO = os.fdopen(fd, "wb", buffering=self.BUFFER)
        self.done = False

    def write(self, record: bytes) -> None:
        """One record: a whole JSONL line, with its newline."""
        self.fh.write(record)

    def flush(self) -> None:
        """Nothing to do: nobody reads the temporary file before ``commit``."""

    def commit(self) -> None:
        """Make the file durable and move it over ``path`` (keeping the mode of the file it replaces)."""
        if self.done:
            return
        self.fh.flush()
        os.fsync(self.fh.fileno())
        self.fh.close()
        os.chmod(self.tmp, _mode_for(self.path))
        os.replace(self.tmp, self.path)
        self.done = True
        _fsync_dir(self.path)

    def discard(self) -> None:
        """Remove the temporary file; ``path`` stays as it was."""
        if self.done:
            return
        self.done = True
        try:
            self.fh.close()
        finally:
            try:
                os.unlink(self.tmp)
            except OSError:
                pass


class Stdout:
    """Lines to stdout, flushed whenever the batch would wait for the next one."""

    def __init__(self) -> None:
        self.stream = cast(BinaryIO, getattr(sys.stdout, "buffer", sys.stdout))
        self.parts: list[bytes] = []  # records not yet written

    def write(self, record: bytes) -> None:
        """One record: a whole JSONL line, with its newline."""
        self.parts.append(record)

    def flush(self) -> None:
        """Write the records gathered so far, in one call, and push them out."""
        if self.parts:
            data = b"".join(self.parts)
            self.parts = []
            self.stream.write(data)
        self.stream.flush()

    def commit(self) -> None:
        """Write what is left."""
        self.flush()

    def discard(self) -> None:
        """stdout is gone: keep the interpreter's final flush from complaining about it."""
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
    """``text`` as the whole of ``path``, atomically (the summary file)."""
    sink = AtomicFile(path)
    try:
        sink.fh.write(text.encode("utf-8"))
        sink.commit()
    finally:
        sink.discard()
