"""``batch --cycle NAME [--db URL|PATH] [--store-packets] [--mask POINTER]…``: recording the cycle in the store.

``CycleRecording`` is all ``batch`` sees of the store: ``record(result)`` for every record written
(a queue hand-over; the store's writer thread does the rest, see ``promoready.store.recorder``),
then ``close(complete=...)``. A cycle is marked complete only when every packet of the run has been
recorded; stopped by a signal, a failure or a kill, it stays incomplete with every committed
decision in it, and ``--resume`` completes it: every packet is evaluated again (the JSONL output is
whole), and the store writes only what it does not already hold identically.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterator, Optional, Sequence, TypeVar

import click

if TYPE_CHECKING:
    from promoready.store import Recorded, Recorder, Store

F = TypeVar("F", bound=Callable[..., object])


def store_options(f: F) -> F:
    """The store options of ``batch``: ``--cycle``, ``--db``, ``--store-packets``, ``--mask``."""
    options = [
        click.option("--cycle", "cycle", default=None, metavar="NAME",
                     help="Record the run in the store as this promotion cycle (with --resume: complete it)."),
        click.option("--db", "db", default=None, metavar="URL|PATH",
                     help="The store for --cycle: a SQLite file or a database URL (postgresql+psycopg://…). "
                          "Default: $PROMOREADY_DB, else ~/.local/share/promoready/history.sqlite."),
        click.option("--store-packets", "store_packets", is_flag=True,
                     help="Also store each packet (masked by --mask). Off by default: only decisions are stored."),
        click.option("--mask", "masks", multiple=True, metavar="POINTER",
                     help="A JSON Pointer (/packet/… or /decision/…; * for every item) removed from what is stored, "
                          "never from the output. A record the mask cannot apply to is dropped, and counted."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def check_store_options(cycle: Optional[str], db: Optional[str], store_packets: bool, masks: Sequence[str],
                        inputs: Sequence[str]) -> None:
    """Usage errors of the store options, before anything starts."""
    from promoready.engine import errors

    if cycle is None:  # the store (SQLAlchemy, Alembic: ~0.3 s of CPU) is imported only when it is used
        given = [name for name, on in (("--db", db), ("--store-packets", store_packets), ("--mask", masks)) if on]
        if given:
            raise errors.UsageError(f"{given[0]} needs --cycle NAME (the cycle to record)",
                                    code=errors.USAGE_STORE_OPTIONS, path=given[0])
        return
    if not cycle.strip() or len(cycle) > 200:
        raise errors.UsageError("a cycle name is 1 to 200 characters", code=errors.USAGE_STORE_OPTIONS, path="--cycle")
    if store_packets and "-" in inputs:
        raise errors.UsageError("--store-packets reads each packet again to store it, and stdin cannot be read "
                                "again: give the packets as files", code=errors.USAGE_STORE_OPTIONS,
                                path="--store-packets")
    from promoready.store import Masks

    from . import warning_line

    for warning in Masks(masks).warnings():  # a bad pointer is a usage error now, not after the first packet
        warning_line(warning)


class CycleRecording:
    """A cycle being recorded by one ``batch`` run."""

    def __init__(self, store: "Store", cycle_id: int, recorder: "Recorder", packets: Optional["_Packets"]) -> None:
        self.store, self.cycle_id, self.recorder, self.packets = store, cycle_id, recorder, packets
        self.failure: Optional[Exception] = None

    @classmethod
    def start(cls, *, cycle: str, db: Optional[str], store_packets: bool, masks: Sequence[str], resume: bool,
              as_of: Any, inputs: Sequence[str], exclude: Sequence[str]) -> "CycleRecording":
        """Open the store (creating it if new), start or reopen the cycle, start the writer."""
        from promoready.store import Masks, open_store
        from promoready.store.recorder import HEARTBEAT

        parsed = Masks(masks)
        store = open_store(db, create=True)
        try:
            # The cycle's ladder is named by its first decision (a cycle without --ladder may use several).
            cycle_id = store.start_cycle(cycle, as_of=as_of, store_packets=store_packets, masks=parsed.pointers,
                                         resume=resume)
            skip = store.stored(cycle_id) if resume else {}
            # The writer marks the cycle as running while the batch runs (cycles prune keeps it), and checks
            # that the cycle is still there at each write (one deleted anyway fails the run saying so).
            recorder = store.recorder(cycle_id, masks=parsed, skip=skip, cycle_name=cycle, heartbeat=HEARTBEAT)
        except BaseException:
            store.close()
            raise
        return cls(store, cycle_id, recorder, _Packets(inputs, exclude) if store_packets else None)

    def record(self, result: Any) -> None:
        """Hand one record (an ``engine.batch.Result``) to the writer, in input order.

        A store that fails stops being written to, and the run goes on: its JSONL output stays whole,
        and ``finish`` reports the failure (the cycle stays incomplete, for ``--resume``).
        """
        if self.failure is not None:
            return
        try:
            if result.error is not None:
                self.recorder.error(result.source, result.seq, result.error, result.candidate_id)
                return
            packets, seq = self.packets, result.seq
            self.recorder.decision(result.source, seq, result.record,
                                   (lambda: packets.packet(seq)) if packets is not None else None,
                                   columns=result.columns)
        except Exception as exc:  # the recorder's failure (a PromoreadyError naming the store)
            self.failure = exc

    def finish(self, *, complete: bool) -> str:
        """Wait for the writer and (``complete``) mark the cycle complete; one line saying what the store holds.

        Raises the store's failure, if there was one, after closing.
        """
        try:
            recorded = self.recorder.close(finish=complete and self.failure is None)
            if self.failure is not None:
                raise self.failure
            return self._summary(recorded)
        finally:
            self._release()

    def abandon(self) -> None:
        """The run failed: write what is queued, leave the cycle incomplete, raise nothing (the run's error stands)."""
        try:
            self.recorder.close(finish=False)
        except BaseException:  # noqa: BLE001  (the run's own error is the one to report)
            pass
        finally:
            self._release()

    def _release(self) -> None:
        if self.packets is not None:
            self.packets.close()
        self.store.close()

    def _summary(self, recorded: "Recorded") -> str:
        """The closing line: what the store holds of the cycle (the caller escapes it: a name, a path)."""
        from promoready.engine.words import counted

        cycle = self.store.cycle(str(self.cycle_id))
        state = "complete" if cycle.complete else "incomplete (run the same command with --resume to complete it)"
        dropped = f", {recorded.dropped:,} dropped (a mask could not apply)" if recorded.dropped else ""
        return (f"promoready: cycle '{cycle.name}' in {self.store.where}: {counted(cycle.decisions, 'decision')}, "
                f"{counted(cycle.errors, 'error')}{dropped}; {state}")


class _Packets:
    """The packets of the run read again, in input order, for ``--store-packets`` (in the writer thread).

    Results come back in input order, so a second pass over the same inputs, a step behind, finds
    each one's packet without keeping any in memory.
    """

    def __init__(self, inputs: Sequence[str], exclude: Sequence[str]) -> None:
        from promoready.engine import batch as engine

        self._items: Iterator[Any] = engine.iter_items(list(inputs), exclude=list(exclude))
        self._next: Any = None

    def packet(self, seq: int) -> Any:
        """The parsed packet of item ``seq`` (an InputError if it cannot be read again: the record is dropped)."""
        from promoready.engine import decode, parse, read_text
        from promoready.engine.errors import InputError

        item = self._next
        while item is None or item.seq < seq:
            item = next(self._items, None)
            if item is None:
                raise InputError(f"packet {seq} could not be read again to store it")
        self._next = item  # an item further on waits for its own turn
        if item.seq != seq or item.problem is not None:
            raise InputError(f"packet {seq} could not be read again to store it")
        if item.data is None:
            return parse(read_text(item.file), item.file)
        return parse(decode(item.data, item.file), item.file, kind="json")

    def close(self) -> None:
        """Stop reading."""
        close = getattr(self._items, "close", None)
        if close is not None:
            close()
