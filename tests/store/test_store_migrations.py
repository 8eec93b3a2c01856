"""The migration history (store/migrations): linear, reversible, and equal at its head to the tables
the code queries; an old store is never migrated behind anyone's back, and says what to run."""

from __future__ import annotations

import datetime
import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from storekit import db_url, decide, packet  # noqa: F401  (db_url: a fixture)

from promoready.engine import errors
from promoready.store import _migrate, _read, _schema, decision_rows, error_row, open_store


#: A cycle's start as an older promoready wrote it: through the column type of its revisions (never a bare
#: datetime handed to the driver, which sqlite3 would format with its deprecated default adapter).
OLD_TIME = sa.bindparam("t", datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
                        type_=sa.DateTime(timezone=True))


def tables(store) -> set[str]:
    with store.engine.connect() as conn:
        return set(sa.inspect(conn).get_table_names())


def columns_of(store, table: str) -> set[str]:
    with store.engine.connect() as conn:
        return {c["name"] for c in sa.inspect(conn).get_columns(table)}


def test_the_history_is_one_line_from_the_first_revision_to_the_head():
    history = _migrate.script()
    assert history.get_heads() == [_migrate.head()]  # one head: no branches
    assert history.get_bases() == ["0001"]
    assert _migrate.revisions() == ["0001", "0002", "0003", "0004", "0005", "0006"]
    for script in history.walk_revisions():
        assert script.module.downgrade.__code__.co_code != (lambda: None).__code__.co_code, script.revision


def test_up_and_down_the_whole_history(db_url):
    store = open_store(db_url, create=True, check=False)
    assert store.migrate("head") == (None, "0006")
    full = tables(store)
    assert full == {"alembic_version", "cycles", "decisions", "criterion_results", "errors"}
    assert store.migrate("0002") == ("0006", "0002")
    assert "uuid" not in columns_of(store, "decisions")
    assert store.migrate("0001") == ("0002", "0001")
    with store.engine.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("cycles")}
    assert "masks" not in columns and "runs" in columns
    assert store.migrate("base") == ("0001", None)
    assert tables(store) <= {"alembic_version"}
    assert store.migrate("head") == (None, "0006")
    assert tables(store) == full
    store.close()


def test_the_head_schema_is_the_one_the_code_queries(db_url):
    with open_store(db_url, create=True) as store, store.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), _schema.metadata)
    assert differences == []


def test_an_old_store_is_not_migrated_silently_and_data_survives_the_upgrade(db_url):
    store = open_store(db_url, create=True, check=False)
    store.migrate("0001")
    with store.engine.begin() as conn:  # a cycle written by the 0001 schema, with one decision
        conn.execute(sa.text(
            "INSERT INTO cycles (name, started_at, complete, runs, decisions, errors) "
            "VALUES ('old', :t, :c, 1, 1, 0)").bindparams(OLD_TIME), {"c": True})
        cycle_id = conn.execute(sa.text("SELECT id FROM cycles")).scalar_one()
        row = decision_rows("c-1.json", 0, decide(packet("c-1"))).decision
        del row["packet_json"], row["uuid"]
        conn.execute(sa.insert(sa.table("decisions", *(sa.column(k) for k in [*row, "cycle_id"]))),
                     {**row, "cycle_id": cycle_id})
    store.close()
    with pytest.raises(errors.UsageError) as err:
        open_store(db_url)
    assert err.value.code == errors.USAGE_DB_SCHEMA
    assert "schema version 0001; this promoready needs 0006" in str(err.value)
    assert "`promoready db upgrade --db " in str(err.value)
    with open_store(db_url, check=False) as store:
        assert store.migrate() == ("0001", "0006")
    with open_store(db_url) as store:
        [cycle] = store.cycles()
        assert (cycle.name, cycle.dropped, cycle.masks, cycle.store_packets) == ("old", 0, (), False)
        assert cycle.started_at == OLD_TIME.value and cycle.started_at.utcoffset() == datetime.timedelta(0)
        [old] = store.decisions_for("c-1", "old")
        assert old.verdict == "ready"
        # The upgrade gave the old decision a public id, by which it is found
        assert old.uuid and store.decision(old.uuid) == old


def test_0003_gives_every_stored_decision_its_own_public_id_and_takes_them_back(db_url):
    store = open_store(db_url, create=True, check=False)
    store.migrate("0002")
    with store.engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO cycles (name, started_at, complete, runs, decisions, errors, dropped, store_packets, masks) "
            "VALUES ('old', :t, :c, 1, 3, 0, 0, :f, '[]')").bindparams(OLD_TIME), {"c": True, "f": False})
        cycle_id = conn.execute(sa.text("SELECT id FROM cycles")).scalar_one()
        for i in range(3):
            row = decision_rows(f"c-{i}.json", i, decide(packet(f"c-{i}"))).decision
            del row["uuid"]
            conn.execute(sa.insert(sa.table("decisions", *(sa.column(k) for k in [*row, "cycle_id"]))),
                         {**row, "cycle_id": cycle_id})
    assert store.migrate("0003") == ("0002", "0003")
    with store.engine.connect() as conn:
        ids = conn.execute(sa.text("SELECT uuid FROM decisions ORDER BY id")).scalars().all()
    assert len(set(ids)) == 3 and all(_read.UUID_PATTERN.match(i) for i in ids)
    for refused in ("UPDATE decisions SET uuid = NULL", "UPDATE decisions SET uuid = 'same'"):  # never empty; unique
        with store.engine.begin() as conn, pytest.raises(sa.exc.IntegrityError):
            conn.execute(sa.text(refused))
    assert store.migrate("0002") == ("0003", "0002")
    assert "uuid" not in columns_of(store, "decisions")
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM decisions")).scalar_one() == 3
    store.close()


def test_0004_starts_each_cycle_past_the_positions_it_holds_and_takes_the_counter_back(db_url):
    store = open_store(db_url, create=True, check=False)
    store.migrate("0003")
    held = {"batch": ([0, 4], [7]), "log": ([0, 0, 0], []), "empty": ([], [])}  # the log: as the service logged
    with store.engine.begin() as conn:
        for name, (decided, failed) in held.items():
            conn.execute(sa.text(
                "INSERT INTO cycles (name, started_at, complete, runs, decisions, errors, dropped, store_packets, "
                "masks) VALUES (:n, :t, :c, 1, 0, 0, 0, :f, '[]')").bindparams(OLD_TIME), {"n": name, "c": False, "f": False})
            cycle_id = conn.execute(sa.text("SELECT id FROM cycles WHERE name = :n"), {"n": name}).scalar_one()
            for i, seq in enumerate(decided):
                row = decision_rows(f"{name}-{i}.json", seq, decide(packet(f"c-{i}"))).decision
                conn.execute(sa.insert(sa.table("decisions", *(sa.column(k) for k in [*row, "cycle_id"]))),
                             {**row, "cycle_id": cycle_id})
            for i, seq in enumerate(failed):
                row = error_row(f"{name}-bad-{i}.json", seq, {"code": "input.json", "message": "bad"}, None)
                conn.execute(sa.insert(sa.table("errors", *(sa.column(k) for k in [*row, "cycle_id"]))),
                             {**row, "cycle_id": cycle_id})
    assert store.migrate("0004") == ("0003", "0004")
    with store.engine.connect() as conn:
        after = dict(conn.execute(sa.text("SELECT name, next_seq FROM cycles")).all())
    assert after == {"batch": 8, "log": 1, "empty": 0}  # one past the highest position, an error's included
    store.migrate()  # the code writes the head's schema
    log = store.open_log("log")
    store.write(log, [decision_rows("next.json", None, decide(packet("c-9")))])
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT seq FROM decisions WHERE item = 'next.json'")).scalar_one() == 1
    assert store.migrate("0003") == (_migrate.head(), "0003")
    assert "next_seq" not in columns_of(store, "cycles")
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM decisions")).scalar_one() == 6
    store.close()


def test_0005_marks_the_decision_logs_stored_before_it_and_takes_the_mark_back(db_url):
    # Before 0005 a log was told by its decisions (the service stores each under its public id, item == uuid).
    store = open_store(db_url, create=True, check=False)
    store.migrate("0004")
    held = {"batch": [f"batch-{i}.json" for i in range(2)], "log": [None, None, None], "empty": [],
            "mixed": ["mixed-0.json", None]}  # mixed: a batch's cycle a service then logged into
    with store.engine.begin() as conn:
        for name, items in held.items():
            conn.execute(sa.text(
                "INSERT INTO cycles (name, started_at, complete, runs, decisions, errors, dropped, store_packets, "
                "masks, next_seq) VALUES (:n, :t, :c, 1, 0, 0, 0, :f, '[]', 0)").bindparams(OLD_TIME),
                {"n": name, "c": name == "batch", "f": False})
            cycle_id = conn.execute(sa.text("SELECT id FROM cycles WHERE name = :n"), {"n": name}).scalar_one()
            for seq, item in enumerate(items):
                public = str(uuid.uuid4())
                row = decision_rows(item or public, seq, decide(packet(f"c-{seq}")), public_id=public).decision
                conn.execute(sa.insert(sa.table("decisions", *(sa.column(k) for k in [*row, "cycle_id"]))),
                             {**row, "cycle_id": cycle_id})
    store.close()
    with pytest.raises(errors.UsageError) as err:
        open_store(db_url)
    assert f"schema version 0004; this promoready needs {_migrate.head()}" in str(err.value)
    with open_store(db_url, check=False) as store:
        assert store.migrate("0005") == ("0004", "0005")
        with store.engine.connect() as conn:
            marked = {name: bool(log) for name, log in conn.execute(sa.text("SELECT name, log FROM cycles"))}
        assert marked == {"batch": False, "log": True, "empty": False, "mixed": True}
        store.migrate()
    with open_store(db_url) as store:
        assert {c.name: c.log for c in store.cycles()} == marked
        assert store.is_log(store.cycle("log").id) and not store.is_log(store.cycle("batch").id)
        with pytest.raises(errors.UsageError, match="decision log"):
            store.start_cycle("log", resume=True)
        assert store.pruning(datetime.date(2999, 1, 1), dry_run=True).logs_kept == ["log", "mixed"]
        assert store.migrate("0004")[1] == "0004"
        assert "log" not in columns_of(store, "cycles")
        with store.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM decisions")).scalar_one() == 7


def test_0006_leaves_every_cycle_stored_before_it_unmarked_and_takes_the_mark_back(db_url):
    store = open_store(db_url, create=True, check=False)
    store.migrate("0005")
    with store.engine.begin() as conn:  # a batch's cycle left incomplete: no batch is known to be writing it
        conn.execute(sa.text(
            "INSERT INTO cycles (name, started_at, complete, runs, decisions, errors, dropped, store_packets, "
            "masks, next_seq, log) VALUES ('left', :t, :c, 1, 0, 0, 0, :c, '[]', 0, :c)").bindparams(OLD_TIME),
            {"c": False})
    assert store.migrate("0006") == ("0005", "0006")
    [cycle] = store.cycles()
    assert (cycle.complete, cycle.running) == (False, False)
    assert store.pruning(datetime.date(2999, 1, 1)).cycles == ["left"]
    assert store.migrate("0005") == ("0006", "0005")
    assert "alive_at" not in columns_of(store, "cycles")
    store.close()


def test_a_migration_that_fails_midway_leaves_the_store_as_it_was(db_url, monkeypatch):
    # docs/history.md (Backup) says so: the whole upgrade is one transaction, on SQLite too, so a failure after
    # 0003 has rebuilt the decisions table (SQLite's batch_alter_table) and 0004 and 0005 have added their
    # columns leaves version 0002, its tables and its rows, and no table half made.
    store = open_store(db_url, create=True, check=False)
    store.migrate("0002")
    with store.engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO cycles (name, started_at, complete, runs, decisions, errors, dropped, store_packets, masks) "
            "VALUES ('old', :t, :c, 1, 1, 0, 0, :c, '[]')").bindparams(OLD_TIME), {"c": False})
        row = decision_rows("c-1.json", 0, decide(packet("c-1"))).decision
        del row["uuid"]
        conn.execute(sa.insert(sa.table("decisions", *(sa.column(k) for k in [*row, "cycle_id"]))),
                     {**row, "cycle_id": conn.execute(sa.text("SELECT id FROM cycles")).scalar_one()})
    before = {name: columns_of(store, name) for name in tables(store)}
    history = _migrate.script()
    module = history.get_revision("0005").module
    upgrade = module.upgrade

    def failing() -> None:
        upgrade()
        raise RuntimeError("a migration failing midway")

    monkeypatch.setattr(module, "upgrade", failing)
    monkeypatch.setattr(_migrate, "script", lambda: history)
    with pytest.raises(RuntimeError, match="midway"):
        store.migrate()
    assert store.schema_version() == "0002"
    assert {name: columns_of(store, name) for name in tables(store)} == before
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT item FROM decisions")).scalars().all() == ["c-1.json"]
    monkeypatch.setattr(module, "upgrade", upgrade)
    assert store.migrate() == ("0002", _migrate.head())  # and it can be upgraded once the cause is gone
    store.close()


def test_a_store_from_a_newer_promoready_says_so(db_url):
    with open_store(db_url, create=True) as store, store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0099'"))
    with pytest.raises(errors.UsageError) as err:
        open_store(db_url)
    assert err.value.code == errors.USAGE_DB_SCHEMA and "newer promoready" in str(err.value)


def test_a_database_that_is_not_a_store_is_refused_untouched(db_url):
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE payroll (id INTEGER)"))
    engine.dispose()
    with pytest.raises(errors.UsageError) as err:
        open_store(db_url, create=True)
    assert err.value.code == errors.USAGE_DB and "not a promoready store" in str(err.value)


def test_an_unknown_revision_gets_a_suggestion(db_url):
    with open_store(db_url, create=True) as store, pytest.raises(errors.UsageError) as err:
        store.migrate("0030")
    assert err.value.code == errors.USAGE_DB_SCHEMA and err.value.suggestion
