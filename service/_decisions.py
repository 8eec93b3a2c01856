"""The decision log and ``GET /v1/decisions/{decision_id}``, when the service has a store (``--db``).

Every decision the service makes (``/v1/evaluate``, each line of ``/v1/evaluate/batch``) is handed to a
background writer that stores it in the cycle ``--cycle`` under its ``decision_id``: the same public
id (a UUID) that ``batch --cycle`` gives the decisions it stores, so a review tool keeps one kind of id
for every decision, whichever way it was made. Masks (``--mask``) change what is stored, never the
answer; handing a decision over never waits and never fails a request: when the store is away or
slower than the service, decisions are left out of the log, counted (``/v1/status``, ``/metrics``) and
logged as an error. What-if answers are not decisions of record and are not logged.

``GET /v1/decisions/{decision_id}`` reads any stored decision by its public id. A worker first commits
what it has itself handed over, so a decision is found as soon as its answer is sent when one worker
serves; with several, within a second (the writer commits at least once a second).
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any, Callable, Optional

from fastapi import APIRouter, Path, Request

from promoready.engine import errors
from promoready.engine.errors import PromoreadyError, ResourceError, ServiceError

from ._engine import Evaluated
from ._models import StoredDecisionAnswer
from ._problems import responses
from ._settings import Settings

ERROR_LOG = logging.getLogger("promoready.service.error")

router = APIRouter()

#: A decision id as the service and the store write it (any case accepted).
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
DECISION_ID = Path(description="A decision's id: the `decision_id` of an answer, or the `uuid` the store gives "
                               "a decision `batch --cycle` recorded", pattern=UUID_PATTERN, max_length=36,
                   examples=["5f0c2b1e-8a4d-4c3e-9f61-2d7a0b9c4e15"])
#: The longest a read waits for this worker's own decisions to be committed, in seconds.
FLUSH_WAIT = 2.0


class DecisionLog:
    """One worker's store: its writer for the decision log, and its reads."""

    def __init__(self, settings: Settings, on_lost: Optional[Callable[[int], None]] = None) -> None:
        from promoready.store import Masks, open_store

        self.cycle = settings.cycle
        self.store_packets = settings.store_packets
        self._on_lost = on_lost
        self._lock = threading.Lock()
        self.recorded = 0
        self.lost = 0
        self.store = open_store(settings.db, create=True)
        try:
            masks = Masks(settings.masks)
            self._pointers = masks.pointers
            cycle_id = self.store.open_log(settings.cycle, store_packets=settings.store_packets, masks=masks.pointers)
            self.recorder = self.store.recorder(cycle_id, masks=masks, replace=False, on_failure=self._failed,
                                                cycle_name=settings.cycle, reopen=self._reopen)
        except BaseException:
            self.store.close()
            raise

    @staticmethod
    def check(settings: Settings) -> None:
        """Open the store and its cycle once, as a worker will (``serve`` does this before listening):
        a store that cannot be used is the command's error, not a worker's."""
        from promoready.store import Masks, open_store

        with open_store(settings.db, create=True) as store:
            store.open_log(settings.cycle, store_packets=settings.store_packets, masks=Masks(settings.masks).pointers)

    # -- writing --------------------------------------------------------------------------------------

    def record(self, result: Evaluated, packet: Any = None) -> None:
        """Hand one decision to the writer; never waits, never raises (a decision not logged is counted)."""
        try:
            # No position of its own: the store gives each decision the cycle's next one as it is written, so
            # a log that several workers (or services) share numbers its decisions in the order they are stored.
            handed = self.recorder.offer(result.decision_id, None, result.decision.to_json_bytes(),
                                         (lambda: packet) if self.store_packets else None,
                                         public_id=result.decision_id)
        except Exception as exc:  # the response must not change because the log could not take it
            self._lose(1, f"{type(exc).__name__}: {exc}")
            return
        if handed:
            with self._lock:
                self.recorded += 1
        else:
            self._lose(1, "the decision log's queue is full or its writer stopped")

    def _reopen(self, gone: int) -> Optional[int]:
        """After a failed write: if the log's cycle is gone (``cycles prune --include-logs``, or deleted by any
        means), create it again, say so in the error log, and give its id (the writer then writes there);
        None if the cycle is there."""
        cycle_id = self.store.reopen_log(gone, self.cycle, store_packets=self.store_packets, masks=self._pointers)
        if cycle_id is not None:
            ERROR_LOG.warning("%s", json.dumps({
                "event": "decision-log-reopened", "cycle": self.cycle, "reason": (
                    f"the decision log's cycle {self.cycle!r} (id {gone}) is no longer in the store (pruned or "
                    f"deleted): created again (id {cycle_id}); the decisions logged before went with the old one, "
                    f"the next ones are kept")}, ensure_ascii=False))
        return cycle_id

    def _failed(self, exc: BaseException, lost: int) -> None:
        self._lose(lost, str(exc))

    def _lose(self, count: int, reason: str) -> None:
        with self._lock:
            self.lost += count
        if self._on_lost is not None:
            self._on_lost(count)
        ERROR_LOG.error("%s", json.dumps({"event": "decision-log", "lost": count, "reason": reason[:500]},
                                         ensure_ascii=False))

    # -- reading --------------------------------------------------------------------------------------

    def find(self, decision_id: str) -> dict[str, Any]:
        """The stored decision ``decision_id`` as the endpoint answers it; 404 or 503 problems otherwise."""
        self.recorder.flush(FLUSH_WAIT)
        try:
            found = self.store.decision(decision_id.lower())
        except PromoreadyError as exc:
            if exc.code == errors.USAGE_DECISION:
                raise errors.UsageError(f"no decision {decision_id} is kept", code=errors.USAGE_DECISION,
                                        path="decision_id") from None
            # The store is the service's own configuration: whatever went wrong, the client can only try
            # again later; the message (which names the database) goes to the error log only.
            ERROR_LOG.error("%s", json.dumps({"event": "decision-store", "error": str(exc)}, ensure_ascii=False))
            raise ResourceError("the decision store cannot be read just now; try again later",
                                code=errors.SYSTEM_STORE_UNAVAILABLE) from None
        return {"decision_id": found.uuid, "cycle": found.cycle, "candidate_id": found.candidate_id,
                "verdict": found.verdict, "decision": found.decision, "packet": found.packet}

    def close(self) -> None:
        """Commit what is queued (the cycle stays open: a log is never complete) and release the store."""
        try:
            self.recorder.close(finish=False)
        except Exception as exc:  # noqa: BLE001  (already counted and logged by _failed, or the writer's own end)
            ERROR_LOG.error("%s", json.dumps({"event": "decision-log", "error": str(exc)[:500]}, ensure_ascii=False))
        finally:
            self.store.close()

    def status(self) -> dict[str, Any]:
        """This worker's log: its cycle, decisions handed over, decisions lost."""
        with self._lock:
            return {"cycle": self.cycle, "recorded": self.recorded, "lost": self.lost}


@router.get("/v1/decisions/{decision_id}", response_model=StoredDecisionAnswer, tags=["decisions"],
            responses={**responses(400, 401), 404: {**responses(404)[404], "description": (
                "No decision of that id is kept (`usage.decision`), or the service keeps none (`service.no-store`)")},
                503: {**responses(503)[503], "description": (
                    "The decision store cannot be read just now (`system.store-unavailable`), or the request took "
                    "longer than the service's timeout")}})
def decision(request: Request, decision_id: str = DECISION_ID) -> dict[str, Any]:
    """A decision the store keeps, by its id: one the service made (its `decision_id`) or one `batch --cycle`
    recorded, as stored (the cycle's masks applied). Needs a decision store (`serve --db`)."""
    log: Optional[DecisionLog] = request.app.state.decision_log
    if log is None:
        raise ServiceError("this service keeps no decisions: it was started without a decision store (--db)",
                           code=errors.SERVICE_NO_STORE)
    return log.find(decision_id)
