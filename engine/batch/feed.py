"""The items a pool reads: from files when it wants them, from a stream (stdin) through a thread of its own."""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections import deque
from typing import Iterator, Optional, Union

from .inputs import Item


class Nothing:
    """The type of ``NOTHING``."""

    __slots__ = ()


#: What ``Feed.next`` returns when a stream has nothing new yet.
NOTHING = Nothing()


class Feed:
    """The items a pool reads.

    From files, items are read when the pool wants them (reading a file never waits for long). From
    a stream (stdin), a thread of its own reads them into a bounded buffer, so that the pool goes on
    handing out work and handing back decisions while the stream is quiet: ``fd`` becomes readable
    when items arrive (or the stream ends), and the pool waits on it with its workers.
    """

    #: A stream that has not ended within this many seconds is not a small batch (see ``ends_within``).
    PATIENCE = 0.5

    def __init__(self, items: Iterator[Item], *, capacity: Optional[int] = None) -> None:
        self._items = items
        self._threaded = capacity is not None  # a stream (with a thread of its own), else files
        self._failed: Optional[Exception] = None  # raised by the items after some were taken (see take)
        self.fd: Optional[int] = None
        if capacity is None:
            return
        self._capacity = capacity
        self._buffer: deque[Item] = deque()
        self._changed = threading.Condition()
        self._ended = False
        self._closed = False
        self._error: Optional[BaseException] = None
        self.fd, self._wake_fd = os.pipe()
        os.set_blocking(self.fd, False)
        os.set_blocking(self._wake_fd, False)
        threading.Thread(target=self._read, name="promoready-batch-input", daemon=True).start()

    def _read(self) -> None:
        try:
            for item in self._items:
                with self._changed:
                    while len(self._buffer) >= self._capacity and not self._closed:
                        self._changed.wait()
                    if self._closed:
                        return
                    self._buffer.append(item)
                    self._changed.notify_all()
                self._wake()
        except BaseException as exc:  # re-raised where the items are taken
            with self._changed:
                self._error = exc
        finally:
            with self._changed:
                self._ended = True
                self._changed.notify_all()
            self._wake()
            os.close(self._wake_fd)  # only this thread writes to it, so only this thread closes it

    def _wake(self) -> None:
        try:
            os.write(self._wake_fd, b"\0")
        except OSError:  # full (the pool will wake up anyway) or its reading end closed (the pool is gone)
            pass

    def next(self) -> Union[Item, Nothing]:
        """The next item; ``NOTHING`` if a stream has sent nothing new yet. Raises StopIteration at the end."""
        items = self.take(1)
        return items[0] if items else NOTHING

    def take(self, count: int) -> list[Item]:
        """Up to ``count`` items at once (``count`` of them from files, unless they end first); none if a
        stream has sent nothing new yet. Raises StopIteration at the end, and an error of the items only
        once the items before it have been taken."""
        if not self._threaded:
            if self._failed is not None:
                failed, self._failed = self._failed, None
                raise failed
            items: list[Item] = []
            try:
                items.extend(itertools.islice(self._items, count))
            except Exception as exc:
                if not items:
                    raise
                self._failed = exc
            if not items:
                raise StopIteration
            return items
        with self._changed:
            if self._buffer:
                items = [self._buffer.popleft() for _ in range(min(count, len(self._buffer)))]
                self._changed.notify_all()
                return items
            if self._error is not None:
                raise self._error
            if self._ended:
                raise StopIteration
            return []

    def __iter__(self) -> Iterator[Item]:
        """Every item, waiting for a stream as long as it takes."""
        if not self._threaded:
            yield from self._items
            return
        while True:
            with self._changed:
                while not self._buffer and not self._ended:
                    self._changed.wait()
            try:
                item = self.next()
            except StopIteration:
                return
            if not isinstance(item, Nothing):
                yield item

    def ends_within(self, count: int, *, patience: float) -> bool:
        """Whether the stream ends before ``count`` items arrive, waiting ``patience`` seconds at most
        (a stream still going by then is taken to be a long one)."""
        deadline = time.monotonic() + patience
        with self._changed:
            while len(self._buffer) < count and not self._ended:
                left = deadline - time.monotonic()
                if left <= 0 or not self._changed.wait(left):
                    return False
            return self._ended and self._error is None and len(self._buffer) < count

    def drain(self) -> None:
        """Forget the wake-ups received (the pool reads what arrived with ``next``)."""
        if self.fd is not None:
            try:
                while os.read(self.fd, 4096):
                    pass
            except OSError:
                pass

    def close(self) -> None:
        """Stop reading (the thread ends at its next line). The writing end of the wake-up pipe is the
        thread's to close: closing it here could let its number be reused by a file that the thread,
        still waiting for a line, would then write to."""
        if self.fd is None:
            return
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        os.close(self.fd)
        self.fd = None
