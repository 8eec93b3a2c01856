"""Reading the store back: cycles, one decision, a candidate's history, and two cycles compared."""

from __future__ import annotations

import datetime
import json
import re
from typing import Any, Iterator, Optional, Union

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from promoready.engine import errors

from . import _schema as t
from ._model import (RUNNING_WITHIN, Change, Cycle, CycleDiff, CriterionMove, HistoryEntry, StoredDecision,
                     StoredRecord, VerdictChange)

_RANK = {"pass": 2, "unknown": 1, "fail": 0}


def _cycle(row: Any, verdicts: Optional[dict[str, int]] = None) -> Cycle:
    return Cycle(id=row.id, name=row.name, ladder_id=row.ladder_id, ladder_digest=row.ladder_digest, as_of=row.as_of,
                 started_at=row.started_at, finished_at=row.finished_at, complete=bool(row.complete),
                 runs=row.runs, decisions=row.decisions, errors=row.errors, dropped=row.dropped,
                 store_packets=bool(row.store_packets), masks=tuple(json.loads(row.masks)), verdicts=verdicts or {},
                 log=bool(row.log), running=bool(row.running))


def clock(conn: Connection) -> Any:
    """Now, as the marks of running batches are written and compared (``running``): PostgreSQL's own clock,
    the same for every machine that marks a cycle or prunes; for SQLite (a file on this machine) this
    machine's."""
    if conn.dialect.name == "postgresql":
        return sa.func.now()
    return datetime.datetime.now(datetime.timezone.utc)


def running(conn: Connection) -> sa.ColumnElement[bool]:
    """Whether a batch is still writing the cycle: it is not complete, not a decision log, and its batch
    marked it as running (``cycles.alive_at``) within ``RUNNING_WITHIN``. A batch that stops takes its mark
    away; one killed outright leaves it, to grow old."""
    c = t.cycles.c
    return sa.and_(sa.not_(c.complete), sa.not_(c.log), c.alive_at.is_not(None),
                   c.alive_at >= clock(conn) - RUNNING_WITHIN)


def cycles(conn: Connection) -> list[Cycle]:
    """Every cycle, oldest first, with its decisions counted by verdict (as ``cycle`` counts them)."""
    rows = conn.execute(sa.select(t.cycles, running(conn).label("running"))
                        .order_by(t.cycles.c.started_at, t.cycles.c.id)).all()
    d = t.decisions.c
    counts: dict[int, dict[str, int]] = {}
    for cycle_id, verdict, n in conn.execute(sa.select(d.cycle_id, d.verdict, sa.func.count())
                                             .group_by(d.cycle_id, d.verdict)):
        counts.setdefault(cycle_id, {})[str(verdict)] = n
    return [_cycle(row, _sorted(counts.get(row.id, {}))) for row in rows]


def _sorted(verdicts: dict[str, int]) -> dict[str, int]:
    return dict(sorted(verdicts.items()))


def cycle(conn: Connection, ref: str) -> Cycle:
    """The cycle named ``ref`` (or whose id it is), with its decisions counted by verdict."""
    c = t.cycles.c
    query = sa.select(t.cycles, running(conn).label("running"))
    row = conn.execute(query.where(c.name == ref)).first()
    if row is None and ref.isdigit():
        row = conn.execute(query.where(c.id == int(ref))).first()
    if row is None:
        names = conn.execute(sa.select(c.name)).scalars().all()
        raise errors.UsageError(f"no cycle {ref!r} in the store", code=errors.USAGE_CYCLE, path="cycle",
                                suggestion=errors.closest(ref, names))
    d = t.decisions.c
    counts = conn.execute(sa.select(d.verdict, sa.func.count()).where(d.cycle_id == row.id).group_by(d.verdict)).all()
    return _cycle(row, _sorted({str(v): n for v, n in counts}))


def is_log(conn: Connection, cycle_id: int) -> bool:
    """Whether the cycle is a decision log (the HTTP service's ``serve --cycle``, never marked complete): its
    ``log`` column, set by ``_write.open_log`` (a missing cycle is none)."""
    c = t.cycles.c
    return bool(conn.execute(sa.select(c.log).where(c.id == cycle_id)).scalar())


def _stored(row: Any) -> StoredDecision:
    return StoredDecision(id=row.id, cycle=row.name, item=row.item, candidate_id=row.candidate_id,
                          verdict=row.verdict, decision=json.loads(row.decision_json),
                          packet=json.loads(row.packet_json) if row.packet_json is not None else None,
                          uuid=row.uuid)


def _decision_query() -> sa.Select:
    d = t.decisions.c
    return (sa.select(d.id, d.uuid, t.cycles.c.name, d.item, d.candidate_id, d.verdict, d.decision_json,
                      d.packet_json)
            .join(t.cycles, t.cycles.c.id == d.cycle_id))


#: A decision's public id as the store writes it: a UUID in lowercase hex with hyphens.
UUID_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def decision(conn: Connection, decision_id: Union[int, str]) -> StoredDecision:
    """The decision stored under ``decision_id``: its public id (a UUID), or its row number."""
    d = t.decisions.c
    ref = decision_id.strip() if isinstance(decision_id, str) else decision_id
    if isinstance(ref, int) or ref.isdigit():
        row = conn.execute(_decision_query().where(d.id == int(ref))).first() if int(ref) < 2**31 else None
    elif UUID_PATTERN.match(ref.lower()):
        row = conn.execute(_decision_query().where(d.uuid == ref.lower())).first()
    else:
        raise errors.UsageError(f"{str(ref)[:100]!r} is not a decision id (a UUID, or a row number)",
                                code=errors.USAGE_DECISION, path="DECISION_ID")
    if row is None:
        raise errors.UsageError(f"no decision {ref} in the store", code=errors.USAGE_DECISION, path="DECISION_ID")
    return _stored(row)


def records(conn: Connection, cycle_id: int) -> Iterator[StoredRecord]:
    """Every decision and error record of a cycle in the order ``batch`` wrote them (its input order), the
    decisions streamed (a cycle may hold a hundred thousand)."""
    d, e = t.decisions.c, t.errors.c
    failed = [StoredRecord(row.seq, row.item, row.candidate_id, "error", row.error_json) for row in conn.execute(
        sa.select(e.seq, e.item, e.candidate_id, e.error_json).where(e.cycle_id == cycle_id).order_by(e.seq, e.id))]
    at = 0
    query = (sa.select(d.seq, d.item, d.candidate_id, d.decision_json).where(d.cycle_id == cycle_id)
             .order_by(d.seq, d.id))
    for row in conn.execution_options(yield_per=2000).execute(query):
        while at < len(failed) and failed[at].seq < row.seq:
            yield failed[at]
            at += 1
        yield StoredRecord(row.seq, row.item, row.candidate_id, "decision", row.decision_json)
    yield from failed[at:]


def decisions_for(conn: Connection, candidate_id: str, cycle_ref: str) -> list[StoredDecision]:
    """The candidate's decisions in one cycle (usually one; one per step when a cycle evaluated several)."""
    found = cycle(conn, cycle_ref)
    d = t.decisions.c
    rows = conn.execute(_decision_query().where(d.cycle_id == found.id, d.candidate_id == candidate_id)
                        .order_by(d.seq, d.id)).all()
    if not rows:
        raise errors.UsageError(f"no decision of candidate {candidate_id!r} in cycle {found.name!r}",
                                code=errors.USAGE_DECISION, path="--candidate",
                                suggestion=_closest_candidate(conn, candidate_id, found.id))
    return [_stored(row) for row in rows]


def _closest_candidate(conn: Connection, candidate_id: str, cycle_id: Optional[int] = None) -> Optional[str]:
    d = t.decisions.c
    query = sa.select(d.candidate_id).distinct().where(d.candidate_id.is_not(None))
    if cycle_id is not None:
        query = query.where(d.cycle_id == cycle_id)
    # Only ids sharing the first character are compared: a store may hold a hundred thousand ids.
    if candidate_id:
        query = query.where(d.candidate_id.startswith(candidate_id[:1], autoescape=True))
    return errors.closest(candidate_id, conn.execute(query.limit(5000)).scalars().all())


def history(conn: Connection, candidate_id: str) -> list[HistoryEntry]:
    """The candidate's decisions across cycles, oldest first, each with the criteria that changed since the one before."""
    d, c = t.decisions.c, t.cycles.c
    rows = conn.execute(sa.select(d.id, d.uuid, c.name, c.started_at, d.transition_from, d.transition_to, d.verdict)
                        .join(t.cycles, c.id == d.cycle_id).where(d.candidate_id == candidate_id)
                        .order_by(c.started_at, c.id, d.seq, d.id)).all()
    if not rows:
        raise errors.UsageError(f"no decision of candidate {candidate_id!r} in the store", code=errors.USAGE_CANDIDATE,
                                path="CANDIDATE", suggestion=_closest_candidate(conn, candidate_id))
    statuses = _statuses(conn, [row.id for row in rows])
    entries: list[HistoryEntry] = []
    previous: Optional[dict[str, str]] = None
    for row in rows:
        now = statuses.get(row.id, {})
        changes = _changes(previous, now) if previous is not None else ()
        entries.append(HistoryEntry(row.id, row.name, row.started_at, f"{row.transition_from} → {row.transition_to}",
                                    row.verdict, now, changes, uuid=row.uuid))
        previous = now
    return entries


def _statuses(conn: Connection, decision_ids: list[int]) -> dict[int, dict[str, str]]:
    r = t.criterion_results.c
    out: dict[int, dict[str, str]] = {}
    for start in range(0, len(decision_ids), 500):
        query = sa.select(r.decision_id, r.criterion_id, r.status).where(
            r.decision_id.in_(decision_ids[start:start + 500]))
        for decision_id, criterion, status in conn.execute(query):
            out.setdefault(decision_id, {})[criterion] = status
    return out


def _changes(before: dict[str, str], after: dict[str, str]) -> tuple[Change, ...]:
    names = sorted(set(before) | set(after))
    return tuple(Change(n, before.get(n), after.get(n)) for n in names if before.get(n) != after.get(n))


def diff(conn: Connection, ref_a: str, ref_b: str) -> CycleDiff:
    """Cycle ``a`` against ``b``: decisions paired by candidate and step (from, to)."""
    a, b = cycle(conn, ref_a), cycle(conn, ref_b)
    da, db = t.decisions.alias("da"), t.decisions.alias("db")
    pair = sa.and_(da.c.candidate_id == db.c.candidate_id, da.c.transition_from == db.c.transition_from,
                   da.c.transition_to == db.c.transition_to, da.c.cycle_id == a.id, db.c.cycle_id == b.id)
    paired = conn.execute(sa.select(sa.func.count()).select_from(da.join(db, pair))).scalar_one()
    changed = conn.execute(
        sa.select(da.c.candidate_id, da.c.transition_from, da.c.transition_to, da.c.verdict, db.c.verdict)
        .select_from(da.join(db, pair)).where(da.c.verdict != db.c.verdict).order_by(da.c.candidate_id)).all()
    verdicts = [VerdictChange(cid, f"{f} → {to}", va, vb) for cid, f, to, va, vb in changed]
    return CycleDiff(
        a=a.name, b=b.name, paired=int(paired), only_a=a.decisions - int(paired), only_b=b.decisions - int(paired),
        became_ready=tuple(v for v in verdicts if v.after == "ready"),
        regressed=tuple(v for v in verdicts if v.before == "ready"),
        other_changes=tuple(v for v in verdicts if "ready" not in (v.before, v.after)),
        criteria=_moves(conn, da, db, pair))


def _moves(conn: Connection, da: Any, db: Any, pair: Any) -> tuple[CriterionMove, ...]:
    ra, rb = t.criterion_results.alias("ra"), t.criterion_results.alias("rb")
    query = (sa.select(ra.c.criterion_id, ra.c.status, rb.c.status, sa.func.count())
             .select_from(da.join(db, pair).join(ra, ra.c.decision_id == da.c.id)
                          .join(rb, sa.and_(rb.c.decision_id == db.c.id, rb.c.criterion_id == ra.c.criterion_id)))
             .where(ra.c.status != rb.c.status).group_by(ra.c.criterion_id, ra.c.status, rb.c.status))
    tally: dict[str, list[int]] = {}
    for criterion, before, after, count in conn.execute(query):
        slot = tally.setdefault(criterion, [0, 0, 0])
        rank_before, rank_after = _RANK.get(before), _RANK.get(after)
        if rank_before is None or rank_after is None:
            slot[2] += count
        else:
            slot[0 if rank_after > rank_before else 1] += count
    moves = [CriterionMove(name, *counts) for name, counts in tally.items()]
    return tuple(sorted(moves, key=lambda m: (-m.moved, m.criterion_id)))
