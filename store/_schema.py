"""The store's tables, as SQLAlchemy Core ``Table`` objects: what queries are written against.

The migrations in ``migrations/versions`` create these tables; they never import this module (a
migration describes the schema as it was at its revision). ``tests/store`` checks that a database
migrated to the head revision matches this metadata exactly.
"""

from __future__ import annotations

import datetime
from typing import Any, Optional

from sqlalchemy import (Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, MetaData, String, Table, Text,
                        TypeDecorator, UniqueConstraint)
from sqlalchemy.engine import Dialect

metadata = MetaData()


class UtcDateTime(TypeDecorator[datetime.datetime]):
    """A point in time, written and read as UTC on every database.

    The column is the migrations' ``DateTime(timezone=True)``: ``timestamptz`` on PostgreSQL; on SQLite,
    SQLAlchemy's own text ``YYYY-MM-DD HH:MM:SS.ffffff``, which has no offset (so this type turns every
    time to UTC first, and reads SQLite's text back as UTC). SQLAlchemy formats that text itself: the
    sqlite3 module's default datetime adapter, deprecated since Python 3.12, is never used. A store
    written before this type existed holds the same text and reads the same.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Optional[datetime.datetime], dialect: Dialect) -> Optional[datetime.datetime]:
        if value is None:
            return None
        if value.tzinfo is None:  # a time without an offset could be anyone's: a bug in the caller, never guessed
            raise ValueError(f"the store keeps times with an offset only, not {value.isoformat()}")
        return value.astimezone(datetime.timezone.utc)

    def process_result_value(self, value: Any, dialect: Dialect) -> Optional[datetime.datetime]:
        if value is None:
            return None
        # SQLite gives back the naive UTC text it holds; PostgreSQL gives its session's time zone.
        utc = datetime.timezone.utc
        return value.replace(tzinfo=utc) if value.tzinfo is None else value.astimezone(utc)


#: One row per promotion cycle (``batch --cycle NAME``): open until ``finished_at`` is set. ``next_seq`` is the
#: position the cycle's next record gets when its writer leaves the numbering to the store (the service's
#: decision log): one past the highest position the cycle holds. ``log``: the cycle is the HTTP service's
#: decision log (``serve --cycle``, marked by ``open_log``), never a batch's to write, resume or prune unasked.
#: ``alive_at``: when the batch writing the cycle last marked it as running (None once it stopped): see
#: ``_read.running``.
cycles = Table(
    "cycles", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("ladder_id", String(200), nullable=True),
    Column("ladder_digest", String(80), nullable=True),
    Column("as_of", Date, nullable=True),
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime, nullable=True),
    Column("complete", Boolean, nullable=False),
    Column("runs", Integer, nullable=False),
    Column("decisions", Integer, nullable=False),
    Column("errors", Integer, nullable=False),
    Column("dropped", Integer, nullable=False),
    Column("store_packets", Boolean, nullable=False),
    Column("masks", Text, nullable=False),
    Column("next_seq", Integer, nullable=False),
    Column("log", Boolean, nullable=False),
    Column("alive_at", UtcDateTime, nullable=True),
    UniqueConstraint("name", name="uq_cycles_name"),
)

#: One row per decision: the facts worth querying as columns, the decision JSON (masked) beside them.
#: ``id`` is the row number the tables join on; ``uuid`` is the decision's public id (the HTTP
#: service's ``decision_id``), random, never derived from the packet. ``seq`` is the record's position in its
#: cycle (the order ``records`` reads a cycle back in): a batch's input position, from 0; for a decision the
#: service logged, the next position of the cycle when it was stored (``cycles.next_seq``).
decisions = Table(
    "decisions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("uuid", String(36), nullable=False),
    Column("cycle_id", Integer, ForeignKey("cycles.id", ondelete="CASCADE", name="fk_decisions_cycle"),
           nullable=False),
    Column("item", String(1000), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("candidate_id", String(200), nullable=True),
    Column("packet_digest", String(80), nullable=True),
    Column("ladder_id", String(200), nullable=True),
    Column("ladder_digest", String(80), nullable=True),
    Column("transition_from", String(200), nullable=True),
    Column("transition_to", String(200), nullable=True),
    Column("as_of", String(10), nullable=True),
    Column("verdict", String(40), nullable=True),
    Column("decision_json", Text, nullable=False),
    Column("packet_json", Text, nullable=True),
    UniqueConstraint("cycle_id", "item", name="uq_decisions_cycle_item"),
)
Index("ix_decisions_candidate", decisions.c.candidate_id, decisions.c.cycle_id)
Index("ix_decisions_uuid", decisions.c.uuid, unique=True)

#: Each decision's criteria, one row each, so that "who fails criterion X" is a plain query.
criterion_results = Table(
    "criterion_results", metadata,
    Column("decision_id", Integer, ForeignKey("decisions.id", ondelete="CASCADE", name="fk_criterion_results_decision"),
           primary_key=True),
    Column("criterion_id", String(200), primary_key=True),
    Column("required", Boolean, nullable=False),
    Column("status", String(10), nullable=False),
)
Index("ix_criterion_results_status", criterion_results.c.criterion_id, criterion_results.c.status)

#: Packets that got no decision: the error record ``batch`` writes, by item.
errors = Table(
    "errors", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("cycle_id", Integer, ForeignKey("cycles.id", ondelete="CASCADE", name="fk_errors_cycle"), nullable=False),
    Column("item", String(1000), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("candidate_id", String(200), nullable=True),
    Column("code", String(80), nullable=False),
    Column("message", Text, nullable=False),
    Column("error_json", Text, nullable=False),
    UniqueConstraint("cycle_id", "item", name="uq_errors_cycle_item"),
)
