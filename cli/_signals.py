"""SIGINT and SIGTERM during ``batch``: remembered always, raised only where stopping is clean."""

from __future__ import annotations

import signal
from types import FrameType
from typing import Any, Optional


class Interrupted(BaseException):
    """Raised by the signal handler, only while the command waits for the next result."""


class Signals:
    """SIGINT and SIGTERM stop the batch cleanly: remembered always, raised only when ``armed``."""

    def __init__(self) -> None:
        self.signum: Optional[int] = None
        self.armed = False
        self.previous: dict[int, Any] = {}

    def install(self) -> None:
        """Take over SIGINT and SIGTERM (from the main thread only; elsewhere the default behaviour stays)."""
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                self.previous[sig] = signal.signal(sig, self._handle)
            except ValueError:  # not the main thread: no clean stop, the default behaviour stays
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
