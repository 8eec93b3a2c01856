"""The decision store: cycles, decisions and error records in SQLite or PostgreSQL.

A narrow interface over SQLAlchemy Core (after MLflow's tracking store): ``open_store(db)`` gives a
``Store``; ``batch`` records a cycle through a ``Recorder`` (``store.recorder(...)``), the commands
``history``, ``cycles`` and ``decisions`` read it back with the methods below. Nothing else writes
SQL. The schema is versioned by Alembic (``promoready.store.migrations``): see ``_migrate`` for what
opening a store of another version does.
"""

from __future__ import annotations

import datetime
from typing import Any, Callable, Iterator, Optional, Sequence

from sqlalchemy.engine import Engine

from . import _connect, _migrate, _read, _write
from ._connect import DB_ENV, default_path
from ._model import (RUNNING_WITHIN, Change, Cycle, CycleDiff, CriterionMove, HistoryEntry, Pruned, StoredDecision,
                     StoredRecord, VerdictChange)
from ._rows import DecisionRows, decision_rows, error_row
from .masks import MaskFailed, Masks

__all__ = ["open_store", "Store", "Masks", "MaskFailed", "DB_ENV", "default_path", "Cycle", "CycleDiff", "Change",
           "CriterionMove", "HistoryEntry", "StoredDecision", "StoredRecord", "VerdictChange", "DecisionRows",
           "decision_rows", "error_row", "schema_head", "Recorder", "Recorded", "Pruned", "RUNNING_WITHIN"]


def schema_head() -> str:
    """The schema version this promoready reads and writes."""
    return _migrate.head()


def open_store(db: Optional[str] = None, *, create: bool = False, check: bool = True) -> "Store":
    """The store at ``db`` (a URL, a SQLite file, or None for ``$PROMOREADY_DB`` or the default file).

    ``create``: an empty database (or a SQLite file not there yet) gets the current schema. Without
    ``check`` the schema version is not checked (``promoready db`` migrates with that).
    """
    url = _connect.resolve(db)
    engine = _connect.create(url, create_file=create)
    if check:
        _migrate.check(engine, create=create)
    return Store(engine)


class Store:
    """One open store. Every method runs in a transaction of its own; writes commit before returning."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.url = engine.url

    @property
    def where(self) -> str:
        """The store as messages name it (a file's path, or the URL without its password)."""
        return _connect.shown(self.url)

    def close(self) -> None:
        """Release the connections."""
        self.engine.dispose()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- the schema -------------------------------------------------------------------------------

    def schema_version(self) -> Optional[str]:
        """The store's schema version (its Alembic revision)."""
        with _connect.failures(self.url, "reading the schema version"), self.engine.connect() as conn:
            return _migrate.current(conn)

    def migrate(self, destination: str = "head") -> tuple[Optional[str], Optional[str]]:
        """Upgrade or downgrade the schema to ``destination``: (version before, version after)."""
        return _migrate.migrate(self.engine, destination)

    # -- writing ----------------------------------------------------------------------------------

    def start_cycle(self, name: str, *, ladder_id: Optional[str] = None, ladder_digest: Optional[str] = None,
                    as_of: Optional[datetime.date] = None, store_packets: bool = False,
                    masks: Sequence[str] = (), resume: bool = False) -> int:
        """Create cycle ``name`` (or reopen it with ``resume``), marked incomplete and running (``mark_running``):
        its id."""
        with _connect.failures(self.url, "starting the cycle"), self.engine.begin() as conn:
            return _write.start_cycle(conn, name, ladder_id=ladder_id, ladder_digest=ladder_digest, as_of=as_of,
                                      store_packets=store_packets, masks=list(masks), resume=resume)

    def open_log(self, name: str, *, store_packets: bool = False, masks: Sequence[str] = ()) -> int:
        """The id of cycle ``name``, created if it is not there, for a log of decisions (the HTTP service's):
        never marked complete, never refused for existing (its storage settings must match, though)."""
        import sqlalchemy as sa

        with _connect.failures(self.url, "opening the decision log"):
            try:
                with self.engine.begin() as conn:
                    return _write.open_log(conn, name, store_packets=store_packets, masks=list(masks))
            except sa.exc.IntegrityError:  # another process created it a moment ago: use that one
                with self.engine.begin() as conn:
                    return _write.open_log(conn, name, store_packets=store_packets, masks=list(masks))

    def reopen_log(self, cycle_id: int, name: str, *, store_packets: bool = False, masks: Sequence[str] = ()
                   ) -> Optional[int]:
        """For a log's writer whose write failed: None if cycle ``cycle_id`` is still the log ``name`` (the
        failure was something else); if it is gone (pruned or deleted), the id of log ``name`` created again
        (or found, created again by another writer already), as ``open_log`` does."""
        import sqlalchemy as sa

        from . import _schema as t

        with _connect.failures(self.url, "reopening the decision log"), self.engine.connect() as conn:
            c = t.cycles.c
            if conn.execute(sa.select(c.id).where(c.id == cycle_id, c.name == name)).first() is not None:
                return None
        return self.open_log(name, store_packets=store_packets, masks=masks)

    def stored(self, cycle_id: int) -> dict[str, tuple[Optional[str], Optional[str], Optional[str]]]:
        """Item → (packet digest, ladder digest, as-of) of the decisions the cycle already holds."""
        with _connect.failures(self.url, "reading the cycle"), self.engine.connect() as conn:
            return _write.stored(conn, cycle_id)

    def write(self, cycle_id: int, decisions: Sequence[DecisionRows], errors: Sequence[dict[str, Any]] = (), *,
              dropped: int = 0, replace: bool = False, before_commit: Optional[Callable[[], None]] = None,
              cycle_name: Optional[str] = None) -> None:
        """Store rows in one transaction: all of them, or (on a failure or a kill) none.

        ``before_commit`` runs after the inserts, inside the transaction (the crash tests kill the process there).
        ``cycle_name``: write only if cycle ``cycle_id`` still has that name (``CycleGone``, a ``UsageError``,
        when it was pruned or deleted meanwhile).
        """
        with _connect.failures(self.url, "writing decisions"), self.engine.begin() as conn:
            _write.write(conn, cycle_id, decisions, errors, dropped=dropped, replace=replace, cycle_name=cycle_name)
            if before_commit is not None:
                before_commit()

    def mark_running(self, cycle_id: int, alive: bool = True) -> None:
        """Mark the cycle as written by a batch running now, or (not ``alive``) take the mark away: ``prune``
        keeps a cycle marked within ``RUNNING_WITHIN``. A recorder with a ``heartbeat`` does both."""
        with _connect.failures(self.url, "marking the cycle as running"), self.engine.begin() as conn:
            _write.mark_running(conn, cycle_id, alive)

    def finish_cycle(self, cycle_id: int) -> None:
        """Mark the cycle complete."""
        with _connect.failures(self.url, "finishing the cycle"), self.engine.begin() as conn:
            _write.finish_cycle(conn, cycle_id)

    def prune(self, before: datetime.date, *, logs: bool = False) -> tuple[list[str], int]:
        """Delete the cycles started before ``before`` and all they hold: (their names, decisions deleted).

        A decision log (``serve --cycle``) is kept unless ``logs``, a cycle a batch is still writing always:
        ``pruning``, which this calls, says which were kept (this shorter answer stays for the callers
        written before it)."""
        found = self.pruning(before, logs=logs)
        return found.cycles, found.decisions

    def pruning(self, before: datetime.date, *, logs: bool = False, dry_run: bool = False) -> Pruned:
        """``prune``, saying also which decision logs, and which cycles of running batches, it kept; with
        ``dry_run`` deleting nothing."""
        with _connect.failures(self.url, "pruning"), self.engine.begin() as conn:
            return _write.prune(conn, before, logs=logs, dry_run=dry_run)

    def recorder(self, cycle_id: int, *, masks: Optional[Masks] = None, replace: bool = True,
                 **options: Any) -> "Recorder":
        """A background writer for the cycle (see ``Recorder``)."""
        from .recorder import Recorder

        return Recorder(self, cycle_id, masks=masks, replace=replace, **options)

    # -- reading ----------------------------------------------------------------------------------

    def cycles(self) -> list[Cycle]:
        """Every cycle, oldest first."""
        with _connect.failures(self.url, "reading cycles"), self.engine.connect() as conn:
            return _read.cycles(conn)

    def cycle(self, ref: str) -> Cycle:
        """One cycle by name (or id), with its decisions counted by verdict."""
        with _connect.failures(self.url, "reading the cycle"), self.engine.connect() as conn:
            return _read.cycle(conn, ref)

    def is_log(self, cycle_id: int) -> bool:
        """Whether the cycle is the HTTP service's decision log rather than a batch's (its ``log`` column)."""
        with _connect.failures(self.url, "reading the cycle"), self.engine.connect() as conn:
            return _read.is_log(conn, cycle_id)

    def decision(self, decision_id: "int | str") -> StoredDecision:
        """One decision by its public id (a UUID) or its row number."""
        with _connect.failures(self.url, "reading the decision"), self.engine.connect() as conn:
            return _read.decision(conn, decision_id)

    def records(self, cycle: str) -> Iterator[StoredRecord]:
        """Every decision and error record of a cycle (by name or id), in the order ``batch`` wrote them to its
        JSONL; read as they are iterated over."""
        with _connect.failures(self.url, "reading the cycle"), self.engine.connect() as conn:
            found = _read.cycle(conn, cycle)
            yield from _read.records(conn, found.id)

    def decisions_for(self, candidate_id: str, cycle: str) -> list[StoredDecision]:
        """A candidate's decisions in one cycle."""
        with _connect.failures(self.url, "reading decisions"), self.engine.connect() as conn:
            return _read.decisions_for(conn, candidate_id, cycle)

    def history(self, candidate_id: str) -> list[HistoryEntry]:
        """A candidate's decisions across cycles, with the criteria that changed between consecutive ones."""
        with _connect.failures(self.url, "reading the history"), self.engine.connect() as conn:
            return _read.history(conn, candidate_id)

    def diff(self, a: str, b: str) -> CycleDiff:
        """Cycle ``a`` against cycle ``b``: who became ready, who regressed, which criteria moved most."""
        with _connect.failures(self.url, "comparing cycles"), self.engine.connect() as conn:
            return _read.diff(conn, a, b)


from .recorder import Recorded, Recorder  # noqa: E402  (recorder names Store in its annotations)
