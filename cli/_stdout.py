"""When stdout cannot be written: a full disk (``> /dev/full``), a reader gone (``| head``), or no stdout at
all (``>&-``). Every command's results go there, so a failed write is reported as one line on stderr with
its exit status, never as a traceback or, with stdout closed, as a silent success that printed nothing.
"""

from __future__ import annotations

import errno
import io
import os
import sys

from ._status import BROKEN_PIPE


class _Closed(io.RawIOBase):
    """The stand-in for a stdout that was closed before the program started: writing to it fails, once
    (what is still buffered when Python exits is then dropped without a second report)."""

    failed = False

    def writable(self) -> bool:
        return True

    def write(self, data: "bytes | bytearray | memoryview") -> int:  # type: ignore[override]
        if self.failed:
            return len(data)
        self.failed = True
        raise OSError(errno.EBADF, "stdout is closed")


def guard() -> None:
    """With no stdout (file descriptor 1 closed), one whose writes fail, so that a command that has something
    to print says it could not (Python leaves ``sys.stdout`` None then, and click prints nothing)."""
    if sys.stdout is None:
        sys.stdout = io.TextIOWrapper(io.BufferedWriter(_Closed()), encoding="utf-8")


def failed(exc: OSError) -> int:
    """Report a failed write to stdout and give the exit status: 141 for a reader gone (quietly, as ``batch``
    does), else 4 with ``system.*`` (ENOSPC and the other resource errors, else ``system.io``)."""
    from promoready.engine import errors

    _silence()
    if isinstance(exc, BrokenPipeError):
        return BROKEN_PIPE
    error = errors.ResourceError.of(exc, "the output") or errors.ResourceError(
        f"cannot write the output: {(exc.strerror or str(exc)).lower()}", code=errors.SYSTEM_IO)
    from . import error_line

    error_line(error)
    return error.exit_code


def _silence() -> None:
    """Point file descriptor 1 at /dev/null: what is still buffered for stdout must not fail again (and print
    Python's own complaint) when the process exits."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
    except OSError:
        return
    try:
        os.dup2(null, 1)
    except OSError:
        pass
    finally:
        os.close(null)
