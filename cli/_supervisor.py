"""The supervisor of ``promoready serve --workers N`` (N > 1): starts, watches, restarts and stops workers.

Each worker (``promoready.service._worker``) listens on a socket of its own, bound with
``SO_REUSEPORT`` to the same address, and the kernel spreads connections over them. The supervisor
holds no listening socket: it never takes a connection that nobody would answer. It starts the
workers, hears from each over a pipe when it listens, and:

- restarts a worker that ends while the service runs (and logs it), and marks its metrics process
  dead (``prometheus_client.multiprocess.mark_process_dead``);
- stops, with a clear message and a non-zero status, when workers keep ending before they listen
  (``GIVE_UP`` of them within ``GIVE_UP_SECONDS``) while none listens, rather than restarting them
  forever: the status is the workers' own when it is 2 (a port taken, a ladder changed) or 4 (a store
  unreachable), else 3. While other workers serve, a worker that cannot start does not stop them:
  it is tried again after a pause that doubles each time (up to ``MAX_BACKOFF_SECONDS``);
- holds the address with a socket bound with ``SO_REUSEPORT`` that never listens (so it takes no
  connection): while every worker is down, another program still cannot take the port, and the
  workers it restarts can still join;
- on SIGTERM or SIGINT, forwards SIGTERM to every worker (each stops listening, lets its requests in
  flight finish up to the request timeout) and waits for them; a second signal forwards SIGINT, which
  cuts uvicorn's wait short. The status is then 0.
"""

from __future__ import annotations

import logging
import os
import selectors
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable, Optional

from ._status import BAD_INPUT, INTERNAL, OK, RESOURCE

#: Workers ending before they listen, within ``GIVE_UP_SECONDS``, that stop the service.
GIVE_UP = 3
GIVE_UP_SECONDS = 60.0
#: How long the supervisor waits past the request timeout for stopping workers before killing them.
STOP_GRACE_SECONDS = 15.0
#: The longest pause before trying again a worker that could not start while others serve.
MAX_BACKOFF_SECONDS = 60.0

logger = logging.getLogger("uvicorn.error")

#: The command of one worker, given the descriptors it writes "ready" to and reads the lifeline from.
WorkerCommand = Callable[[int, int], list[str]]


def worker_command(ready_fd: int, lifeline_fd: int) -> list[str]:
    """The real worker: ``python -m promoready.service._worker READY_FD LIFELINE_FD``."""
    return [sys.executable, "-m", "promoready.service._worker", str(ready_fd), str(lifeline_fd)]


@dataclass
class Worker:
    """One worker process and the supervisor's ends of its two pipes."""

    process: "subprocess.Popen[bytes]"
    ready_read: int  # the worker writes one byte here when it listens
    lifeline_write: int  # never written: closed (the supervisor gone), the worker stops
    ready: bool = False

    @property
    def pid(self) -> int:
        return self.process.pid


class Supervisor:
    """``count`` workers kept running until a stop signal; ``run`` gives the command's exit status."""

    def __init__(self, count: int, timeout: float, command: WorkerCommand = worker_command, *,
                 pending: Optional[list[int]] = None, reserve: Optional[Callable[[], Any]] = None) -> None:
        """``pending``: the stop signals the command received before ``run`` (the same list goes on
        filling while it runs); ``reserve``: opens the socket that holds the address (closed at the end)."""
        self.count = count
        self.stop_wait = timeout + STOP_GRACE_SECONDS
        self.command = command
        self.reserve = reserve
        self.workers: list[Worker] = []
        self.selector = selectors.DefaultSelector()
        self.signals: list[int] = pending if pending is not None else []
        self.failures: list[tuple[float, int]] = []  # (when, exit status) of workers that ended before listening
        self.retries: list[float] = []  # when to start again a worker that could not start while others served
        self.backoff = 1.0

    def run(self) -> int:
        previous = {signum: signal.signal(signum, self._signalled) for signum in (signal.SIGTERM, signal.SIGINT)}
        held = None
        try:
            if self.signals:  # a stop asked for before the workers started: start none
                return OK
            if self.reserve is not None:
                try:
                    held = self.reserve()
                except OSError as exc:
                    logger.error("Supervisor [%d] cannot hold the address: %s", os.getpid(), exc.strerror or exc)
                    return BAD_INPUT
            logger.info("Supervisor [%d] starting %d workers, each with its own listening socket (SO_REUSEPORT: "
                        "the kernel spreads connections over them)", os.getpid(), self.count)
            for _ in range(self.count):
                self._start()
            status = self._watch()
            self._stop_all()
            return status
        finally:
            if held is not None:
                held.close()
            for worker in self.workers:  # an exception above: no worker is left behind
                if worker.process.poll() is None:
                    worker.process.kill()
                    worker.process.wait()
                self._forget(worker)
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            self.selector.close()

    def _signalled(self, signum: int, frame: Any) -> None:
        self.signals.append(signum)
        if len(self.signals) > 1:  # already stopping: a second signal cuts the workers' wait short
            self._send(signal.SIGINT)

    def _start(self) -> None:
        ready_read, ready_write = os.pipe()
        lifeline_read, lifeline_write = os.pipe()
        try:
            process = subprocess.Popen(self.command(ready_write, lifeline_read), stdin=subprocess.DEVNULL,
                                       pass_fds=(ready_write, lifeline_read))
        except BaseException:
            for fd in (ready_read, lifeline_write):
                os.close(fd)
            raise
        finally:
            os.close(ready_write)
            os.close(lifeline_read)
        worker = Worker(process, ready_read, lifeline_write)
        self.workers.append(worker)
        self.selector.register(ready_read, selectors.EVENT_READ, worker)

    def _watch(self) -> int:
        """Until a stop signal (status 0) or workers ending before they listen too often (their status)."""
        while not self.signals:
            now = time.monotonic()
            for when in [w for w in self.retries if w <= now]:
                self.retries.remove(when)
                self._start()
            for key, _ in self.selector.select(timeout=0.2):
                worker: Worker = key.data
                if os.read(worker.ready_read, 16):
                    worker.ready = True
                    self.backoff = 1.0
                    if all(w.ready for w in self.workers) and len(self.workers) == self.count:
                        logger.info("Supervisor [%d]: %d workers listening", os.getpid(), self.count)
                self.selector.unregister(worker.ready_read)  # a byte or end of file: nothing more to hear
            for worker in list(self.workers):
                if self.signals:
                    break
                status = worker.process.poll()
                if status is None:
                    continue
                self.workers.remove(worker)
                if not worker.ready and worker.ready_read in self.selector.get_map():
                    worker.ready = bool(os.read(worker.ready_read, 16))  # it may have listened just before ending
                self._forget(worker)
                if not worker.ready and any(w.ready for w in self.workers):
                    # Others serve: this one's fault (a ladder changed on disk, a store gone) must not stop
                    # them. Try again later, less and less often, and say so each time.
                    pause = self.backoff
                    self.backoff = min(self.backoff * 2, MAX_BACKOFF_SECONDS)
                    self.retries.append(time.monotonic() + pause)
                    logger.error("Supervisor [%d]: worker [%d] %s before it listened (its message is above); %d "
                                 "of %d workers serve; trying again in %.0f s", os.getpid(), worker.pid,
                                 _ending(status), sum(w.ready for w in self.workers), self.count, pause)
                    continue
                if not worker.ready:
                    now = time.monotonic()
                    self.failures = [f for f in self.failures if now - f[0] < GIVE_UP_SECONDS] + [(now, status)]
                    if len(self.failures) >= GIVE_UP:
                        logger.error("Supervisor [%d]: %d workers ended before they could listen within %d s (the "
                                     "last %s; its messages are above): stopping", os.getpid(), len(self.failures),
                                     GIVE_UP_SECONDS, _ending(status))
                        return status if status in (BAD_INPUT, RESOURCE) else INTERNAL
                logger.warning("Supervisor [%d]: worker [%d] %s %s; starting another", os.getpid(), worker.pid,
                               _ending(status), "after it listened" if worker.ready else "before it listened")
                self._start()
        logger.info("Supervisor [%d]: stopping %d workers", os.getpid(), len(self.workers))
        return OK

    def _send(self, signum: int) -> None:
        for worker in self.workers:
            if worker.process.poll() is None:
                try:
                    worker.process.send_signal(signum)
                except OSError:  # ended just now
                    pass

    def _stop_all(self) -> None:
        """SIGTERM to every worker, then wait; past the request timeout and a margin, SIGKILL."""
        self._send(signal.SIGTERM)
        deadline = time.monotonic() + self.stop_wait
        for worker in self.workers:
            while worker.process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            if worker.process.poll() is None:
                logger.error("Supervisor [%d]: worker [%d] still running %.0f s after SIGTERM: killed", os.getpid(),
                             worker.pid, self.stop_wait)
                worker.process.kill()
                worker.process.wait()

    def _forget(self, worker: Worker) -> None:
        """Close the supervisor's ends of the worker's pipes, and mark its metrics process dead."""
        for fd in (worker.ready_read, worker.lifeline_write):
            if fd < 0:
                continue
            if fd in self.selector.get_map():
                self.selector.unregister(fd)
            try:
                os.close(fd)
            except OSError:
                pass
        worker.ready_read = worker.lifeline_write = -1
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess

            multiprocess.mark_process_dead(worker.pid)


def _ending(status: Optional[int]) -> str:
    if status is not None and status < 0:
        return f"was ended by signal {-status} ({signal.Signals(-status).name})"
    return f"exited with status {status}"
