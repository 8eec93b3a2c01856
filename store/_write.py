"""Writing a cycle: start (or resume) it, write batches of rows in one transaction each, finish it, prune."""

from __future__ import annotations

import datetime
import json
import operator
from typing import Any, Optional, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from promoready.engine import errors

from . import _schema as t
from ._model import Pruned
from ._read import clock, running
from ._rows import DecisionRows


def now() -> datetime.datetime:
    """The time stamps of the store: UTC."""
    return datetime.datetime.now(datetime.timezone.utc)


def start_cycle(conn: Connection, name: str, *, ladder_id: Optional[str], ladder_digest: Optional[str],
                as_of: Optional[datetime.date], store_packets: bool, masks: Sequence[str], resume: bool) -> int:
    """The id of cycle ``name``, created, or (``resume``) reopened: marked incomplete until ``finish``, and
    marked as running (``mark_running``; its writer keeps the mark fresh).

    A resumed cycle's count of dropped records starts again at 0: the items dropped before are not
    stored, so the resumed run meets them again and counts them again. A cycle that is the HTTP
    service's decision log (``open_log`` marked it) is refused, resumed or not, empty or not.
    """
    row = conn.execute(sa.select(t.cycles).where(t.cycles.c.name == name)).mappings().first()
    if row is None:
        values = dict(name=name, ladder_id=ladder_id, ladder_digest=ladder_digest, as_of=as_of, started_at=now(),
                      finished_at=None, complete=False, runs=1, decisions=0, errors=0, dropped=0,
                      store_packets=store_packets, masks=json.dumps(list(masks)), next_seq=0, log=False,
                      alive_at=clock(conn))
        return int(conn.execute(sa.insert(t.cycles).values(**values).returning(t.cycles.c.id)).scalar_one())
    if row["log"]:  # a batch never writes into a log, nor closes it (--resume would do both)
        refused = ("cannot resume: it would add its decisions to the log and mark it complete" if resume
                   else "does not write to")
        raise errors.UsageError(
            f"cycle {name!r} is the HTTP service's decision log ({row['decisions']:,} decisions, `serve --cycle "
            f"{name}`), which a batch {refused}; give another `--cycle`", code=errors.USAGE_CYCLE_EXISTS,
            path="--cycle")
    state = "complete" if row["complete"] else "incomplete"
    if not resume:
        raise errors.UsageError(
            f"cycle {name!r} is already in the store ({state}, {row['decisions']:,} decisions): `--resume` "
            f"completes it, or give another `--cycle`", code=errors.USAGE_CYCLE_EXISTS, path="--cycle")
    started = (bool(row["store_packets"]), json.loads(row["masks"]))
    if started != (store_packets, list(masks)):
        raise errors.UsageError(
            f"cycle {name!r} was started with --store-packets {'on' if started[0] else 'off'} and masks "
            f"{started[1] or 'none'}: resume it with the same", code=errors.USAGE_CYCLE_SETTINGS, path="--cycle")
    conn.execute(sa.update(t.cycles).where(t.cycles.c.id == row["id"])
                 .values(complete=False, finished_at=None, runs=t.cycles.c.runs + 1, dropped=0, alive_at=clock(conn)))
    return int(row["id"])


def mark_running(conn: Connection, cycle_id: int, alive: bool = True) -> None:
    """Mark the cycle as written by a batch running now (``alive``), or take the mark away (its batch
    stopped): ``cycles prune`` keeps a cycle marked within ``RUNNING_WITHIN`` (``_read.running``)."""
    conn.execute(sa.update(t.cycles).where(t.cycles.c.id == cycle_id)
                 .values(alive_at=clock(conn) if alive else None))


def open_log(conn: Connection, name: str, *, store_packets: bool, masks: Sequence[str]) -> int:
    """The id of cycle ``name``, created (open, incomplete) if it is not there: the cycle a service logs its
    decisions in, marked as a log (``cycles.log``). It is used as it is, whatever wrote it before, provided its
    storage settings are these; a batch's cycle is a log from then on (a batch no longer writes to it)."""
    row = conn.execute(sa.select(t.cycles).where(t.cycles.c.name == name)).mappings().first()
    if row is None:
        values = dict(name=name, ladder_id=None, ladder_digest=None, as_of=None, started_at=now(), finished_at=None,
                      complete=False, runs=1, decisions=0, errors=0, dropped=0, store_packets=store_packets,
                      masks=json.dumps(list(masks)), next_seq=0, log=True)
        return int(conn.execute(sa.insert(t.cycles).values(**values).returning(t.cycles.c.id)).scalar_one())
    started = (bool(row["store_packets"]), json.loads(row["masks"]))
    if started != (store_packets, list(masks)):
        raise errors.UsageError(
            f"cycle {name!r} keeps its decisions with --store-packets {'on' if started[0] else 'off'} and masks "
            f"{started[1] or 'none'}: serve it with the same, or log to another --cycle",
            code=errors.USAGE_CYCLE_SETTINGS, path="--cycle")
    if not row["log"]:
        conn.execute(sa.update(t.cycles).where(t.cycles.c.id == row["id"]).values(log=True))
    return int(row["id"])


def stored(conn: Connection, cycle_id: int) -> dict[str, tuple[Optional[str], Optional[str], Optional[str]]]:
    """Item → (packet digest, ladder digest, as-of) of every decision already stored in the cycle."""
    d = t.decisions.c
    query = sa.select(d.item, d.packet_digest, d.ladder_digest, d.as_of).where(d.cycle_id == cycle_id)
    return {item: (packet, ladder, as_of) for item, packet, ladder, as_of in conn.execute(query)}


def write(conn: Connection, cycle_id: int, decisions: Sequence[DecisionRows], error_rows: Sequence[dict[str, Any]],
          *, dropped: int = 0, replace: bool = False, cycle_name: Optional[str] = None) -> None:
    """Insert one batch of rows (the caller's transaction). With ``replace``, rows of the same items go first.

    Without ``replace`` an item already stored makes the insert fail (the unique key is cycle + item),
    so nothing is ever stored twice; with it (as ``batch`` writes) an item stored already, by an
    earlier run of a resumed cycle or earlier in this run, has its new row and no other.

    A row whose ``seq`` is None takes the cycle's next position (decisions first, each list in its
    order), from the cycle's own counter: see ``_take_positions``.

    ``cycle_name``: the rows go to cycle ``cycle_id`` only if it still has that name; otherwise (the cycle
    pruned or deleted, its id perhaps taken by another since) nothing is written and ``CycleGone`` says so.
    """
    # The counter moves past the positions the caller gave (a batch's); the ones it hands out, it has passed.
    after = _after_last([s for s in [r.decision["seq"] for r in decisions] + [e["seq"] for e in error_rows]
                         if s is not None])
    decisions, error_rows = _last_per_item(*_take_positions(conn, cycle_id, decisions, error_rows, cycle_name))
    items = [r.decision["item"] for r in decisions] + [e["item"] for e in error_rows]
    if replace and items:
        _delete_items(conn, cycle_id, items)
    if decisions:
        _ladder_once(conn, cycle_id, decisions[0].decision)
        ids = _insert_decisions(conn, cycle_id, decisions)
        criteria = [(i, c["criterion_id"], c["required"], c["status"]) for i, r in zip(ids, decisions)
                    for c in r.criteria]
        if criteria:
            _insert_plain(conn, t.criterion_results, ("decision_id", "criterion_id", "required", "status"), criteria)
    if error_rows:
        conn.execute(sa.insert(t.errors), [{**e, "cycle_id": cycle_id} for e in error_rows])
    if replace:
        _update_counts(conn, cycle_id, dropped, after)
    else:
        # Nothing was replaced, so the counts grow by what was inserted: no count of a cycle that may hold
        # millions of rows (the service's decision log writes this way, every second).
        c = t.cycles.c
        conn.execute(sa.update(t.cycles).where(c.id == cycle_id).values(
            decisions=c.decisions + len(decisions), errors=c.errors + len(error_rows), dropped=c.dropped + dropped,
            **after))


class CycleGone(errors.UsageError):
    """The cycle a writer was writing is no longer in the store (pruned, or deleted by other means)."""

    def __init__(self, name: str, cycle_id: int) -> None:
        super().__init__(f"cycle {name!r} (id {cycle_id}) is no longer in the store: it was pruned or deleted",
                         code=errors.USAGE_CYCLE, path="--cycle")
        self.name, self.cycle_id = name, cycle_id


def _take_positions(conn: Connection, cycle_id: int, decisions: Sequence[DecisionRows],
                    error_rows: Sequence[dict[str, Any]], cycle_name: Optional[str] = None
                    ) -> tuple[list[DecisionRows], list[dict[str, Any]]]:
    """The rows, each without a position given the cycle's next one, in order (copies: the caller's stay as
    they were, so a transaction that fails leaves nothing numbered by positions it gave back).

    The positions come from the database, not from the writer: one ``UPDATE … RETURNING`` moves the
    cycle's ``next_seq`` past them, so several processes writing to one cycle (the service's workers)
    never take the same position. It is the transaction's first statement: PostgreSQL holds the cycle's
    row lock until the commit (another writer's update waits, then reads the moved counter); SQLite
    takes its one write lock there, before the transaction has read anything. With ``cycle_name`` the
    same update checks that the cycle is still the one of that name (``CycleGone`` if not).
    """
    missing = sum(r.decision["seq"] is None for r in decisions) + sum(e["seq"] is None for e in error_rows)
    if not missing and cycle_name is None:
        return list(decisions), list(error_rows)
    c = t.cycles.c
    which = [c.id == cycle_id] + ([c.name == cycle_name] if cycle_name is not None else [])
    end = conn.execute(sa.update(t.cycles).where(*which).values(next_seq=c.next_seq + missing)
                       .returning(c.next_seq)).scalar()
    if end is None:
        if cycle_name is not None:
            raise CycleGone(cycle_name, cycle_id)
        raise errors.UsageError(f"cycle id {cycle_id} is no longer in the store: it was pruned or deleted",
                                code=errors.USAGE_CYCLE, path="--cycle")
    positions = iter(range(end - missing, end))
    return ([r if r.decision["seq"] is not None else DecisionRows({**r.decision, "seq": next(positions)}, r.criteria)
             for r in decisions],
            [e if e["seq"] is not None else {**e, "seq": next(positions)} for e in error_rows])


def _after_last(seqs: Sequence[int]) -> dict[str, Any]:
    """The cycle's counter moved past the positions just written (values for the cycle's update), so that
    positions taken later, by a service logging to a cycle ``batch`` wrote, come after them."""
    if not seqs:
        return {}
    after = max(seqs) + 1
    c = t.cycles.c
    return {"next_seq": sa.case((c.next_seq < after, after), else_=c.next_seq)}


def _last_per_item(decisions: Sequence[DecisionRows], error_rows: Sequence[dict[str, Any]]
                   ) -> tuple[list[DecisionRows], list[dict[str, Any]]]:
    """One row per item, the latest (highest ``seq``): an input given twice in a run is stored once."""
    latest: dict[str, int] = {}
    for seq, item in [(r.decision["seq"], r.decision["item"]) for r in decisions] + \
            [(e["seq"], e["item"]) for e in error_rows]:
        latest[item] = max(seq, latest.get(item, seq))
    if len(latest) == len(decisions) + len(error_rows):
        return list(decisions), list(error_rows)
    return ([r for r in decisions if latest[r.decision["item"]] == r.decision["seq"]],
            [e for e in error_rows if latest[e["item"]] == e["seq"]])


def _mark(conn: Connection) -> str:
    """The driver's own placeholder: ``?`` for SQLite, ``%s`` for psycopg."""
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def _insert_plain(conn: Connection, table: sa.Table, columns: Sequence[str], rows: list[tuple]) -> None:
    # Straight to the driver's executemany: a decision has a dozen criteria, and SQLAlchemy's handling
    # of each row's parameters cost more than the database's insert (the store's hot path).
    mark = _mark(conn)
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"
    conn.exec_driver_sql(sql, rows)


#: The columns of a decision's row, ``cycle_id`` first (``id`` is the database's; the rest, as a row gives them).
_DECISION_COLUMNS = ("cycle_id",) + tuple(c.name for c in t.decisions.columns if c.name not in ("id", "cycle_id"))
_decision_values = operator.itemgetter(*_DECISION_COLUMNS[1:])
#: Items in one IN list (SQLite's limit on a statement's parameters is 999 in older builds).
_PART = 500


def _for_items(conn: Connection, sql: str, cycle_id: int, items: Sequence[str]) -> list[Any]:
    """Run ``sql`` for each part of ``items`` (its ``{cycle}`` the cycle's id, its ``{items}`` the part) with the
    driver's own placeholders, as ``_insert_plain`` does; the rows it returned, if any."""
    mark = _mark(conn)
    rows: list[Any] = []
    for start in range(0, len(items), _PART):
        part = tuple(items[start:start + _PART])
        result = conn.exec_driver_sql(sql.format(cycle=mark, items=", ".join([mark] * len(part))), (cycle_id, *part))
        if result.returns_rows:
            rows.extend(result)
    return rows


def _insert_decisions(conn: Connection, cycle_id: int, decisions: Sequence[DecisionRows]) -> list[int]:
    """Insert the decision rows (one item each, as ``_last_per_item`` leaves them); their ids, in their order.

    One plain ``executemany``, then the ids read back by item: one row each, as the cycle's unique key on
    (cycle, item) holds (``uq_decisions_cycle_item``; another writer's row of the same item waits for this
    transaction, then fails). An ``INSERT … RETURNING`` with the ids in the rows' order is one statement a
    row on SQLite (SQLAlchemy cannot batch it there)."""
    _insert_plain(conn, t.decisions, _DECISION_COLUMNS, [(cycle_id, *_decision_values(r.decision)) for r in decisions])
    items = [r.decision["item"] for r in decisions]
    ids = dict(_for_items(conn, "SELECT item, id FROM decisions WHERE cycle_id = {cycle} AND item IN ({items})",
                          cycle_id, items))
    return [ids[item] for item in items]


def _ladder_once(conn: Connection, cycle_id: int, first: dict[str, Any]) -> None:
    # A cycle started without --ladder names the ladder of its first decision (each decision names its own).
    c = t.cycles.c
    conn.execute(sa.update(t.cycles).where(c.id == cycle_id, c.ladder_id.is_(None))
                 .values(ladder_id=first["ladder_id"], ladder_digest=first["ladder_digest"]))


def _delete_items(conn: Connection, cycle_id: int, items: Sequence[str]) -> None:
    for sql in ("DELETE FROM criterion_results WHERE decision_id IN "
                "(SELECT id FROM decisions WHERE cycle_id = {cycle} AND item IN ({items}))",
                "DELETE FROM decisions WHERE cycle_id = {cycle} AND item IN ({items})",
                "DELETE FROM errors WHERE cycle_id = {cycle} AND item IN ({items})"):
        _for_items(conn, sql, cycle_id, items)


def _update_counts(conn: Connection, cycle_id: int, dropped: int, after: Optional[dict[str, Any]] = None) -> None:
    # Counted, not added up: a resumed cycle's rows replace earlier ones, and the counts must say what is there.
    decided = sa.select(sa.func.count()).select_from(t.decisions).where(t.decisions.c.cycle_id == cycle_id)
    failed = sa.select(sa.func.count()).select_from(t.errors).where(t.errors.c.cycle_id == cycle_id)
    conn.execute(sa.update(t.cycles).where(t.cycles.c.id == cycle_id).values(
        decisions=decided.scalar_subquery(), errors=failed.scalar_subquery(), dropped=t.cycles.c.dropped + dropped,
        **(after or {})))


def finish_cycle(conn: Connection, cycle_id: int) -> None:
    """Mark the cycle complete: every item of the run is stored (or counted as dropped); no longer running."""
    _update_counts(conn, cycle_id, 0)
    conn.execute(sa.update(t.cycles).where(t.cycles.c.id == cycle_id)
                 .values(complete=True, finished_at=now(), alive_at=None))


def prune(conn: Connection, before: datetime.date, *, logs: bool = False, dry_run: bool = False) -> Pruned:
    """Delete the cycles started before ``before`` (UTC), with all they hold.

    A decision log (the HTTP service's ``serve --cycle``: ``cycles.log``) is kept unless ``logs``, empty or
    not: a service may still be writing it (a service whose log is gone creates it again). A cycle a batch
    is still writing (``_read.running``) is kept, always: deleting it would delete the rows under the batch,
    and fail it. ``dry_run``: delete nothing, say what would go.
    """
    cutoff = datetime.datetime.combine(before, datetime.time(), tzinfo=datetime.timezone.utc)
    c = t.cycles.c
    old = conn.execute(sa.select(c.id, c.name, c.log, running(conn).label("running"))
                       .where(c.started_at < cutoff).order_by(c.id)).all()
    logs_kept = [] if logs else [row.name for row in old if row.log]
    running_kept = [row.name for row in old if row.running]
    old = [row for row in old if row.name not in logs_kept and row.name not in running_kept]
    ids = [row.id for row in old]
    d = t.decisions.c
    count = conn.execute(sa.select(sa.func.count()).select_from(t.decisions).where(d.cycle_id.in_(ids))
                         ).scalar_one() if ids else 0
    pruned = Pruned([row.name for row in old], int(count), logs_kept, dry_run, running_kept)
    if dry_run or not ids:
        return pruned
    decision_ids = sa.select(d.id).where(d.cycle_id.in_(ids)).scalar_subquery()
    conn.execute(sa.delete(t.criterion_results).where(t.criterion_results.c.decision_id.in_(decision_ids)))
    conn.execute(sa.delete(t.decisions).where(d.cycle_id.in_(ids)))
    conn.execute(sa.delete(t.errors).where(t.errors.c.cycle_id.in_(ids)))
    conn.execute(sa.delete(t.cycles).where(t.cycles.c.id.in_(ids)))
    return pruned
