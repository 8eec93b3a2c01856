"""Recording a running cycle off the hot path: a writer thread turns results into rows and commits them
in batches, so the process coordinating the workers only hands each result over.

A batch of rows is one transaction: after a crash (a kill, a power loss) a batch is in the store
whole or not at all, and everything committed before it stays. The queue between the two is
bounded: when the database is slower than the workers, handing over waits (the run slows to the
store's pace) instead of holding the whole cycle in memory.
"""

from __future__ import annotations

import os
import queue
import signal
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Optional

from promoready.engine import errors

from ._rows import DecisionRows, decision_rows, error_row
from .masks import MaskFailed, Masks

if TYPE_CHECKING:
    from . import Store

#: Rows per transaction, and the longest a decision waits before its transaction (seconds).
BATCH = 500
INTERVAL = 1.0
#: How often a batch's writer marks its cycle as running (seconds; ``Store.mark_running``), well within
#: ``RUNNING_WITHIN``, the age after which ``cycles prune`` no longer takes the mark for a batch still running.
HEARTBEAT = 30.0
_STOP = object()


class _Flush:
    """Asks the writer to commit what it holds now, and says when it has."""

    def __init__(self) -> None:
        self.done = threading.Event()
#: Test hook: once this many decisions are committed, the process kills itself (SIGKILL) in the middle of
#: its next transaction, after the inserts and before the commit: a crash or a power loss as the store sees
#: it. Read when a recorder starts; never set outside the tests.
KILL_ENV = "PROMOREADY_TEST_STORE_KILL_AFTER"


@dataclass
class Recorded:
    """What a recorder stored: decisions, error records, and records dropped because masking failed
    (a resumed cycle's decisions already stored, and not written again, are not counted)."""

    decisions: int = 0
    errors: int = 0
    dropped: int = 0


class Recorder:
    """A background writer for one cycle. ``decision``/``error`` hand a result over; ``close`` waits for the rest."""

    def __init__(self, store: "Store", cycle_id: int, *, masks: Optional[Masks] = None, replace: bool = True,
                 skip: Optional[dict[str, tuple]] = None, batch: int = BATCH, interval: float = INTERVAL,
                 on_failure: Optional[Callable[[BaseException, int], None]] = None, cycle_name: Optional[str] = None,
                 reopen: Optional[Callable[[int], Optional[int]]] = None, heartbeat: Optional[float] = None) -> None:
        self.store = store
        self.cycle_id = cycle_id
        self.masks = masks or Masks()
        self.replace = replace
        #: A resumed cycle's stored decisions (item → packet digest, ladder digest, as-of): the same decision
        #: again is not written again.
        self.skip = skip or {}
        self.batch = batch
        self.interval = interval
        #: Without it, the first failed write stops the writer and is raised to the caller (a batch run
        #: ends with it). With it, a failed write is handed to it with the number of records lost, and
        #: the writer goes on (the service's decision log outlives a store that was away for a while).
        self.on_failure = on_failure
        #: The cycle's name: each write checks that cycle ``cycle_id`` still has it (a cycle pruned while written,
        #: its id perhaps reused, takes no rows: the write fails, and ``reopen`` is asked).
        self.cycle_name = cycle_name
        #: With ``on_failure``: after a failed write, given the cycle's id; the id of the cycle created again if
        #: it was gone (the write is then made once more, into it), None if it is there (the failure stands).
        self.reopen = reopen
        #: A batch's writer: every ``heartbeat`` seconds it marks the cycle as running, and takes the mark away
        #: when it is closed without the cycle complete (``cycles prune`` keeps the cycle of a batch running).
        self.heartbeat = heartbeat
        self.recorded = Recorded()
        self.failure: Optional[BaseException] = None
        self._kill_after = int(os.environ.get(KILL_ENV) or 0) or None
        self._queue: "queue.Queue[Any]" = queue.Queue(maxsize=batch * 8)
        self._thread = threading.Thread(target=self._run, name="promoready-store", daemon=True)
        self._thread.start()

    def decision(self, item: str, seq: Optional[int], record: bytes, packet: Optional[Callable[[], Any]] = None,
                 public_id: Optional[str] = None, columns: Optional[tuple] = None) -> None:
        """Hand over one decision (its JSON line) and, with ``--store-packets``, a function that reads its packet.

        ``seq`` is its position in the cycle, or None for the cycle's next position when it is stored.
        ``columns``: the decision's columns as the process that made it read them off the model
        (``engine.batch``'s ``columns_of``), so that its JSON line is not parsed again here (see ``decision_rows``)."""
        self._put(("d", item, seq, record, (packet, public_id, columns)))

    def offer(self, item: str, seq: Optional[int], record: bytes, packet: Optional[Callable[[], Any]] = None,
              public_id: Optional[str] = None) -> bool:
        """Hand over one decision without waiting: False (nothing handed over) when the queue is full or
        the writer has stopped."""
        if self.failure is not None or not self._thread.is_alive():
            return False
        try:
            self._queue.put_nowait(("d", item, seq, record, (packet, public_id, None)))
        except queue.Full:
            return False
        return True

    def flush(self, timeout: float) -> bool:
        """Wait (at most ``timeout`` seconds) until everything handed over before is committed, or given up
        as failed; whether that happened in time."""
        if not self._thread.is_alive():
            return True
        request = _Flush()
        try:
            self._queue.put(request, timeout=timeout)
        except queue.Full:
            return False
        return request.done.wait(timeout)

    def error(self, item: str, seq: int, error: dict[str, Any], candidate_id: Optional[str]) -> None:
        """Hand over one error record."""
        self._put(("e", item, seq, error, candidate_id))

    def _put(self, entry: tuple) -> None:
        if self.failure is not None:
            raise self.failure
        while True:
            try:
                self._queue.put(entry, timeout=0.5)
                return
            except queue.Full:
                if self.failure is not None or not self._thread.is_alive():
                    raise self.failure or errors.UsageError("the store's writer stopped", code=errors.USAGE_DB_FAILED)

    def close(self, *, finish: bool) -> Recorded:
        """Write what is still queued, then (``finish``) mark the cycle complete. Raises the writer's failure, if any."""
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join()
        if self.heartbeat is not None and (self.failure is not None or not finish):
            self._stopped()
        if self.failure is not None:
            raise self.failure
        if finish:
            self.store.finish_cycle(self.cycle_id)
        return self.recorded

    def _stopped(self) -> None:
        """Take the cycle's running mark away: its batch stopped, and the cycle can be pruned at once."""
        try:
            self.store.mark_running(self.cycle_id, False)
        except Exception:  # noqa: BLE001  (the store is away: the mark grows old instead, RUNNING_WITHIN)
            pass

    # -- the writer thread ------------------------------------------------------------------------

    def _run(self) -> None:
        decisions: list[DecisionRows] = []
        error_rows: list[dict[str, Any]] = []
        dropped = 0
        deadline = time.monotonic() + self.interval
        beat = time.monotonic() + self.heartbeat if self.heartbeat is not None else None
        try:
            while True:
                wake = deadline if beat is None else min(deadline, beat)
                try:
                    entry = self._queue.get(timeout=max(0.0, wake - time.monotonic()))
                except queue.Empty:
                    entry = None
                flush = entry if isinstance(entry, _Flush) else None
                if entry is not None and entry is not _STOP and flush is None:
                    dropped += self._add(entry, decisions, error_rows)
                size = len(decisions) + len(error_rows)
                if entry is _STOP or flush is not None or size >= self.batch or time.monotonic() >= deadline:
                    if size or dropped:
                        self._write(decisions, error_rows, dropped)
                        decisions, error_rows, dropped = [], [], 0
                    deadline = time.monotonic() + self.interval
                if flush is not None:
                    flush.done.set()
                if entry is _STOP:
                    return
                if beat is not None and self.heartbeat is not None and time.monotonic() >= beat:
                    self.store.mark_running(self.cycle_id)
                    beat = time.monotonic() + self.heartbeat
        except BaseException as exc:  # handed to the coordinating thread, which stops the run with it
            self.failure = exc if isinstance(exc, errors.PromoreadyError) else errors.UsageError(
                f"{self.store.where}: writing decisions failed: {type(exc).__name__}: {exc}",
                code=errors.USAGE_DB_FAILED, path="--db")

    def _write(self, decisions: list[DecisionRows], error_rows: list[dict[str, Any]], dropped: int) -> None:
        try:
            self._write_once(decisions, error_rows, dropped)
        except Exception as exc:
            if self.on_failure is None:
                raise
            try:
                if not self._reopened():
                    raise exc
                self._write_once(decisions, error_rows, dropped)  # the same rows, into the cycle created again
            except Exception as failure:  # noqa: BLE001
                self.on_failure(failure, len(decisions) + len(error_rows))  # lost: the writer goes on
                return
        self._count(decisions, error_rows, dropped)

    def _write_once(self, decisions: list[DecisionRows], error_rows: list[dict[str, Any]], dropped: int) -> None:
        self.store.write(self.cycle_id, decisions, error_rows, dropped=dropped, replace=self.replace,
                         before_commit=self._kill_hook(), cycle_name=self.cycle_name)

    def _reopened(self) -> bool:
        """Whether the cycle was gone and ``reopen`` created it again (its new id is then the writer's)."""
        if self.reopen is None:
            return False
        try:
            cycle_id = self.reopen(self.cycle_id)
        except Exception:  # noqa: BLE001  (the store is away, say: the write's own failure is the one to report)
            return False
        if cycle_id is None:
            return False
        self.cycle_id = cycle_id
        return True

    def _kill_hook(self) -> Optional[Callable[[], None]]:
        if self._kill_after is None or self.recorded.decisions < self._kill_after:
            return None
        return lambda: os.kill(os.getpid(), signal.SIGKILL)

    def _add(self, entry: tuple, decisions: list[DecisionRows], error_rows: list[dict[str, Any]]) -> int:
        """Turn one entry into rows; 1 when its record is dropped (masking failed), else 0."""
        kind, item, seq, payload, extra = entry
        if kind == "e":
            error_rows.append(error_row(item, seq, payload, extra, masks=self.masks))
            return 0
        read_packet, public_id, columns = extra
        try:
            packet = read_packet() if read_packet is not None else None
            rows = decision_rows(item, seq, payload, packet=packet, masks=self.masks, public_id=public_id,
                                 columns=columns)
            row = rows.decision
            if self.skip.get(item) != (row["packet_digest"], row["ladder_digest"], row["as_of"]):
                decisions.append(rows)
        except MaskFailed:
            return 1
        except errors.PromoreadyError:  # the packet could not be read again for storing: never stored half
            return 1
        return 0

    def _count(self, decisions: list[DecisionRows], error_rows: list[dict[str, Any]], dropped: int) -> None:
        self.recorded.decisions += len(decisions)
        self.recorded.errors += len(error_rows)
        self.recorded.dropped += dropped
