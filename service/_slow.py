"""The threads that read slow bodies: a bounded pool in each worker process, and ``service.busy`` past it.

A YAML body, a JSON body over 64 KiB (``_routes.INLINE_BYTES``) and the lines of a batch are parsed and
evaluated in a thread, so that the event loop keeps answering (probes included). Those threads are the
service's own, not asyncio's default pool (shared with anything else that wants a thread, and with a queue
of any length): ``threads`` of them, and at most ``queue`` bodies waiting for one. A body that finds every
thread busy and the queue full is refused at once, 503 ``service.busy`` with ``Retry-After``, instead of
waiting until its ``--timeout`` for a 503 then, and holding up the bodies behind it meanwhile.

Sizes (``--slow-body-threads``, ``--slow-body-queue``). Threads: the worker's share of the CPUs (CPUs
÷ workers), at least 2, so that one slow YAML body never holds them all, and at most 4, since a worker
process runs Python on one core at a time (the GIL) and evaluates under one lock: more threads would only
share that core. Queue: 8 bodies; the largest YAML bodies take about 2 s each, so the last one let in
still starts well within the default 30 s timeout.

A place is held from admission until its work has ended, not until its request is answered: a parse that
outlives its request's timeout cannot be stopped, still occupies its thread, and so still counts. Work
still waiting for a thread when its request is answered (503 ``service.timeout``) is cancelled unread.
A batch's long lines, and the pieces of a batch whose lines prove slow (``_batch``), each take a place
as any slow body does.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable, Optional, TypeVar

from promoready._processes import usable_cpus
from promoready.engine import errors
from promoready.engine.errors import ServiceError

__all__ = ["SlowBodies", "slow_bodies", "default_threads", "DEFAULT_QUEUE", "RETRY_AFTER", "THREAD_NAME"]

T = TypeVar("T")

#: Bodies that may wait for a thread, by default.
DEFAULT_QUEUE = 8
#: Seconds a refused client is asked to wait (``Retry-After``): about one of the largest YAML bodies' parse.
RETRY_AFTER = 2
#: The prefix of the pool's thread names.
THREAD_NAME = "promoready-slow-body"


def default_threads(workers: int, cpus: Optional[int] = None) -> int:
    """The worker's share of the CPUs (this process may use), from 2 to 4."""
    if cpus is None:
        cpus = usable_cpus()
    return max(2, min(4, cpus // max(1, workers)))


def slow_bodies(settings: Any) -> "SlowBodies":
    """The pool ``settings`` ask for (``slow_body_threads``, ``slow_body_queue``; None: the defaults)."""
    threads = settings.slow_body_threads or default_threads(settings.workers)
    queue = DEFAULT_QUEUE if settings.slow_body_queue is None else settings.slow_body_queue
    return SlowBodies(threads, queue)


class SlowBodies:
    """``threads`` threads (started when first needed) and room for ``queue`` more bodies; see the module."""

    def __init__(self, threads: int, queue: int) -> None:
        self.threads = threads
        self.queue = queue
        self._lock = threading.Lock()
        self._held = 0
        self._executor: Optional[ThreadPoolExecutor] = None

    @property
    def held(self) -> int:
        """Places held: bodies being read, and bodies waiting for a thread."""
        return self._held

    async def run(self, work: Callable[[], T]) -> T:
        """``work()`` in one of the threads, or ``service.busy`` at once when every place is held. The wait is
        cancelled with the awaiting task, and so is the work if it has not started (started, it runs to its
        end, holding its place)."""
        with self._lock:
            self._refuse_if_full()
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self.threads, thread_name_prefix=THREAD_NAME)
            future = self._executor.submit(work)
            self._held += 1
        future.add_done_callback(self._free)  # ended, failed or cancelled
        return await asyncio.wrap_future(future)

    def refuse_if_full(self) -> None:
        """``service.busy`` now if every place is held: a slow body is refused before it is read (its sender
        need not send it all to hear so). ``run`` checks again: a place may be taken meanwhile."""
        with self._lock:
            self._refuse_if_full()

    def _refuse_if_full(self) -> None:
        if self._held >= self.threads + self.queue:
            raise ServiceError(f"the service is busy: its threads for slow bodies (YAML, JSON over 64 KiB, "
                               f"batches) are taken and its queue is full ({self.threads} + {self.queue}); "
                               f"try again in {RETRY_AFTER} s", code=errors.SERVICE_BUSY)

    def close(self) -> None:
        """Cancel the work still waiting and wait for the work running (the app's shutdown); the pool starts
        its threads again if it is used after."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def _free(self, _: "Future[Any]") -> None:
        with self._lock:
            self._held -= 1
