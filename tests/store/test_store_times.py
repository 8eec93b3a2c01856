"""The store's times (a cycle's start and finish), on SQLite and on PostgreSQL: kept as the UTC instant
they are, read back in UTC whatever the database session's time zone, and written by SQLAlchemy's column
type, never by sqlite3's default adapter (deprecated since Python 3.12; pyproject's pytest settings make
its warning an error)."""

from __future__ import annotations

import datetime

import pytest
import sqlalchemy as sa
from storekit import db_url  # noqa: F401  (a fixture)

from promoready.store import _schema, open_store

UTC = datetime.timezone.utc
TOKYO = datetime.timezone(datetime.timedelta(hours=9))


def _sessions_in_tokyo(dbapi_connection, _record) -> None:
    dbapi_connection.execute("SET TIME ZONE 'Asia/Tokyo'")
    dbapi_connection.commit()  # a SET inside a transaction that SQLAlchemy rolls back would be undone


def test_a_time_with_any_offset_is_kept_as_its_utc_instant_and_read_back_in_utc(db_url):
    with open_store(db_url, create=True) as store:
        if store.engine.dialect.name == "postgresql":  # a server that shows its sessions another time zone
            sa.event.listen(store.engine, "connect", _sessions_in_tokyo)
            store.engine.dispose()
        cycle = store.start_cycle("h2")
        store.finish_cycle(cycle)
        with store.engine.begin() as conn:  # 08:30 in Tokyo on New Year's day is still 2024 in UTC
            conn.execute(sa.update(_schema.cycles).where(_schema.cycles.c.id == cycle)
                         .values(started_at=datetime.datetime(2025, 1, 1, 8, 30, tzinfo=TOKYO)))
        [shown] = store.cycles()
        assert shown.started_at.isoformat() == "2024-12-31T23:30:00+00:00"
        assert shown.finished_at is not None and shown.finished_at.utcoffset() == datetime.timedelta(0)
        assert shown.to_dict()["started_at"] == "2024-12-31T23:30:00+00:00"
        if store.engine.dialect.name == "sqlite":  # SQLAlchemy's own text, UTC, as stores written before hold
            with store.engine.connect() as conn:
                raw = conn.execute(sa.text("SELECT started_at FROM cycles")).scalar_one()
            assert raw == "2024-12-31 23:30:00.000000"
        assert store.prune(datetime.date(2024, 12, 31)) == ([], 0)
        assert store.prune(datetime.date(2025, 1, 1)) == (["h2"], 0)  # started before 2025 began, in UTC


def test_a_time_without_an_offset_is_refused_not_guessed(db_url):
    with open_store(db_url, create=True) as store:
        cycle = store.start_cycle("h2")
        with pytest.raises(sa.exc.StatementError, match="times with an offset only"), store.engine.begin() as conn:
            conn.execute(sa.update(_schema.cycles).where(_schema.cycles.c.id == cycle)
                         .values(started_at=datetime.datetime(2025, 1, 1, 8, 30)))
        [shown] = store.cycles()
        assert shown.started_at.tzinfo == UTC and shown.started_at.year >= 2026
