"""A record's position in its cycle (``seq``) when its writer leaves the numbering to the store, as the HTTP
service's decision log does: the cycle's next position, handed out by the database (``cycles.next_seq``),
so that writers on connections of their own, as the service's workers are, never take the same one. On
SQLite and on PostgreSQL."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from storekit import db_url, decide, packet  # noqa: F401  (db_url: a fixture)

from promoready.engine import errors
from promoready.store import decision_rows, open_store


def positions(store, cycle: str) -> dict[str, int]:
    """Item → position of every decision of the cycle."""
    with store.engine.connect() as conn:
        return dict(conn.execute(sa.text(
            "SELECT d.item, d.seq FROM decisions d JOIN cycles c ON c.id = d.cycle_id WHERE c.name = :n"),
            {"n": cycle}).all())


def test_writers_on_their_own_connections_take_consecutive_positions_none_twice(db_url):
    with open_store(db_url, create=True) as store:
        log = store.open_log("service")
    record = decide(packet("c-1"))
    writers, writes, per_write = 4, 10, 3
    start = threading.Barrier(writers)
    failures: list[BaseException] = []

    def writer(w: int) -> None:
        try:
            with open_store(db_url) as own:  # an engine and a connection of its own, as each worker has
                start.wait(timeout=60)
                for n in range(writes):
                    own.write(log, [decision_rows(f"w{w}-{n}-{k}", None, record) for k in range(per_write)])
        except BaseException as exc:  # noqa: BLE001  (raised in the test's thread below)
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    total = writers * writes * per_write
    with open_store(db_url) as store:
        held = positions(store, "service")
        assert sorted(held.values()) == list(range(total))  # every position once, none skipped
        for w in range(writers):
            for n in range(writes):  # a write's records take consecutive positions, in the order given
                first = held[f"w{w}-{n}-0"]
                assert [held[f"w{w}-{n}-{k}"] for k in range(per_write)] == list(range(first, first + per_write))
        shown = store.cycle("service")
        assert shown.decisions == total
        with store.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT next_seq FROM cycles")).scalar_one() == total


def test_a_log_in_a_cycle_batch_wrote_comes_after_its_positions_and_a_failed_write_gives_its_back(db_url):
    record = decide(packet("c-1"))
    with open_store(db_url, create=True) as store:
        cycle = store.start_cycle("2026-H2")
        store.write(cycle, [decision_rows(f"c-{i}.json", i, record) for i in (0, 1, 4)], replace=True)
        store.finish_cycle(cycle)
        assert store.open_log("2026-H2") == cycle
        given = [decision_rows("first", None, record)]
        store.write(cycle, given)
        assert given[0].decision["seq"] is None  # the caller's rows are left as they were
        with pytest.raises(errors.UsageError) as err:  # "first" again: the unique key refuses the whole write
            store.write(cycle, [decision_rows("second", None, record), decision_rows("first", None, record)])
        assert err.value.code == errors.USAGE_DB_FAILED
        store.write(cycle, [decision_rows("third", None, record)])
        assert positions(store, "2026-H2") == {"c-0.json": 0, "c-1.json": 1, "c-4.json": 4, "first": 5, "third": 6}
        assert [r.item for r in store.records("2026-H2")] == ["c-0.json", "c-1.json", "c-4.json", "first", "third"]
