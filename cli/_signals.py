"""SIGINT, SIGTERM and SIGHUP during ``batch``: remembered always, raised only where stopping is clean.

SIGHUP (the terminal went away, an ssh session dropped) stops the batch as SIGTERM does: the complete
records are kept, for ``--resume``. SIGXFSZ is ignored, so that a file reaching ``ulimit -f`` fails its
write with EFBIG (reported, the records so far kept) instead of killing the process with a core dump.
"""

from __future__ import annotations

import signal
from types import FrameType
from typing import Any, Optional


class Interrupted(BaseException):
    """Raised by the signal handler, only while the command waits for the next result."""


class Signals:
    """SIGINT, SIGTERM and SIGHUP stop the batch cleanly: remembered always, raised only when ``armed``."""

    #: The signals that stop a batch cleanly (those the system has).
    STOP = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))

    def __init__(self) -> None:
        self.signum: Optional[int] = None
        self.armed = False
        self.previous: dict[int, Any] = {}

    def install(self) -> None:
        """Take over the ``STOP`` signals and ignore SIGXFSZ (from the main thread only; elsewhere the default
        behaviour stays)."""
        for sig in self.STOP:
            try:
                self.previous[sig] = signal.signal(sig, self._handle)
            except ValueError:  # not the main thread: no clean stop, the default behaviour stays
                pass
        if hasattr(signal, "SIGXFSZ"):
            try:
                self.previous[signal.SIGXFSZ] = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            except ValueError:
                pass

    def restore(self) -> None:
        """Give the signals back to the handlers they had before ``install``."""
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)
        self.previous = {}

    def _handle(self, signum: int, _frame: Optional[FrameType]) -> None:
        if self.signum is None:
            self.signum = signum
        if self.armed:
            self.armed = False
            raise Interrupted()
