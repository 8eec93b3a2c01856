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


#: Set once a failed write to stdout is reported: what is still buffered is then dropped without a word.
_reported = False


class _Closed(io.RawIOBase):
    """The stand-in for a stdout that was closed before the program started: writing to it fails."""

    def writable(self) -> bool:
        return True

    def write(self, data: "bytes | bytearray | memoryview") -> int:  # type: ignore[override]
        if _reported:
            return len(data)
        raise OSError(errno.EBADF, "stdout is closed")


def guard() -> None:
    """With no stdout (file descriptor 1 closed), one whose writes fail, so that a command that has something
    to print says it could not (Python leaves ``sys.stdout`` None then, and click prints nothing); and file
    descriptor 1 taken by /dev/null, so that no file the command opens lands there (a database, ``--out``)."""
    if sys.stdout is None:
        _silence()
        sys.stdout = io.TextIOWrapper(io.BufferedWriter(_Closed()), encoding="utf-8")


#: What a write to stdout fails with: the disk or quota full, a file-size limit, an I/O error, the reader gone,
#: no stdout at all.
_WRITE_ERRORS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EPIPE, errno.EBADF})


def is_output(exc: OSError) -> bool:
    """Whether an OSError that reached the command line's top is a failed write to stdout: one of those, with no
    file named (a file a command opens or lists is named in its error, and the readers report their own)."""
    return exc.filename is None and exc.errno in _WRITE_ERRORS


def failed(exc: OSError) -> int:
    """Report a failed write to stdout and give the exit status: 141 for a reader gone (quietly, as ``batch``
    does), else 4 with ``system.*`` (ENOSPC and the other resource errors, else ``system.io``)."""
    from promoready.engine import errors

    global _reported
    _reported = True
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
    if null == 1:  # file descriptor 1 was closed: /dev/null has it now
        return
    try:
        os.dup2(null, 1)
    except OSError:
        pass
    finally:
        os.close(null)
