"""The store as a library (promoready.store), on SQLite and on PostgreSQL: recording cycles, reading them
back, privacy, pruning. Every decision is a real one made by the engine on the tiny ladder."""

from __future__ import annotations

import datetime
import json

import pytest
import sqlalchemy as sa
from storekit import db_url, decide, packet, statuses  # noqa: F401  (db_url: a fixture)

from promoready.engine import errors
from promoready.store import Masks, _schema, decision_rows, error_row, open_store


def rows(record: bytes, item: str, seq: int, **kw):
    return decision_rows(item, seq, record, **kw)


def count(store, table: str) -> int:
    with store.engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one()


def record_cycle(store, name: str, years: dict[str, float | None], **start) -> int:
    cycle = store.start_cycle(name, ladder_id="tiny", **start)
    batch = [rows(decide(packet(cid, years=y)), f"{cid}.json", i) for i, (cid, y) in enumerate(years.items())]
    store.write(cycle, batch)
    store.finish_cycle(cycle)
    return cycle


def test_an_empty_database_gets_the_schema_only_when_writing(db_url):
    with pytest.raises(errors.UsageError) as err:
        open_store(db_url)
    assert err.value.code == errors.USAGE_DB
    with open_store(db_url, create=True) as store:
        assert store.schema_version() == "0006"
    with open_store(db_url) as store:  # now a store: reading works
        assert store.cycles() == []


def test_a_cycle_and_its_decisions_come_back_as_written(db_url):
    with open_store(db_url, create=True) as store:
        cycle = store.start_cycle("2026-H1", ladder_id="tiny", ladder_digest="sha256:x",
                                  as_of=datetime.date(2026, 6, 30))
        ready, not_ready = decide(packet("c-1")), decide(packet("c-2", years=0.5))
        failed = {"code": "packet.unknown-level", "message": "no level 'x'", "file": "c-3.json"}
        store.write(cycle, [rows(ready, "c-1.json", 0), rows(not_ready, "c-2.json", 1)],
                    [error_row("c-3.json", 2, failed, "c-3")])
        open_cycle = store.cycle("2026-H1")
        assert not open_cycle.complete and open_cycle.finished_at is None  # incomplete until finished
        assert (open_cycle.decisions, open_cycle.errors) == (2, 1)
        store.finish_cycle(cycle)
        shown = store.cycle("2026-H1")
        assert shown.complete and shown.finished_at >= shown.started_at
        assert shown.verdicts == {"not_ready": 1, "ready": 1}
        assert shown.as_of == datetime.date(2026, 6, 30) and shown.ladder_digest == "sha256:x"
        assert store.cycle(str(cycle)).name == "2026-H1"  # by id too
        [found] = store.decisions_for("c-2", "2026-H1")
        assert json.dumps(found.decision, ensure_ascii=False, separators=(",", ":")).encode() + b"\n" == not_ready
        assert found.verdict == "not_ready" and found.item == "c-2.json" and found.packet is None
        assert store.decision(found.id) == found
        with store.engine.connect() as conn:
            got = dict(conn.execute(sa.text("SELECT criterion_id, status FROM criterion_results "
                                            "WHERE decision_id = :d"), {"d": found.id}).all())
        assert got == statuses(not_ready) and got["experience"] == "fail"


def test_unknown_names_are_usage_errors_with_suggestions(db_url):
    with open_store(db_url, create=True) as store:
        record_cycle(store, "2026-H1", {"c-100": 3.5})
        with pytest.raises(errors.UsageError) as err:
            store.cycle("2026-H2")
        assert err.value.code == errors.USAGE_CYCLE and err.value.suggestion == "'2026-H1'"
        with pytest.raises(errors.UsageError) as err:
            store.history("c-10O")
        assert err.value.code == errors.USAGE_CANDIDATE and err.value.suggestion == "'c-100'"
        with pytest.raises(errors.UsageError) as err:
            store.decision(999_999)
        assert err.value.code == errors.USAGE_DECISION
        with pytest.raises(errors.UsageError) as err:
            store.decisions_for("c-999", "2026-H1")
        assert err.value.code == errors.USAGE_DECISION


def test_a_cycle_is_started_once_and_resumed_only_with_its_settings(db_url):
    with open_store(db_url, create=True) as store:
        cycle = store.start_cycle("c", masks=["/packet/candidate/name"])
        with pytest.raises(errors.UsageError) as err:
            store.start_cycle("c")
        assert err.value.code == errors.USAGE_CYCLE_EXISTS and "--resume" in str(err.value)
        with pytest.raises(errors.UsageError) as err:
            store.start_cycle("c", resume=True)
        assert err.value.code == errors.USAGE_CYCLE_SETTINGS
        assert store.start_cycle("c", masks=["/packet/candidate/name"], resume=True) == cycle
        assert store.cycle("c").runs == 2


def test_an_item_is_never_stored_twice(db_url):
    with open_store(db_url, create=True) as store:
        cycle = store.start_cycle("c")
        first = rows(decide(packet("c-1", years=0.5)), "c-1.json", 0)
        store.write(cycle, [first])
        with pytest.raises(errors.UsageError) as err:  # the unique key refuses a second copy...
            store.write(cycle, [first])
        assert err.value.code == errors.USAGE_DB_FAILED
        assert count(store, "decisions") == 1 and count(store, "criterion_results") == 6  # ...and nothing half-written
        again = rows(decide(packet("c-1", years=3.5)), "c-1.json", 0)
        store.write(cycle, [again], [error_row("c-2.json", 1, {"code": "input.json", "message": "bad"}, None)],
                    replace=True)  # a resumed cycle: the new decision replaces the old one
        assert count(store, "decisions") == 1 and count(store, "criterion_results") == 6
        assert store.decisions_for("c-1", "c")[0].verdict == "ready"
        assert (store.cycle("c").decisions, store.cycle("c").errors) == (1, 1)
        assert set(store.stored(cycle)) == {"c-1.json"}


def test_history_shows_the_criteria_that_changed_between_cycles(db_url):
    with open_store(db_url, create=True) as store:
        record_cycle(store, "2025-H2", {"c-1": None, "c-2": 3.5})
        record_cycle(store, "2026-H1", {"c-1": 0.5, "c-2": 3.5})
        record_cycle(store, "2026-H2", {"c-1": 3.5})
        entries = store.history("c-1")
        assert [(e.cycle, e.verdict) for e in entries] == [
            ("2025-H2", "insufficient_evidence"), ("2026-H1", "not_ready"), ("2026-H2", "ready")]
        assert entries[0].changes == ()
        assert [c.to_dict() for c in entries[1].changes] == [
            {"criterion": "experience", "before": "unknown", "after": "fail"}]
        assert [(c.before, c.after) for c in entries[2].changes] == [("fail", "pass")]
        assert [e.changes for e in store.history("c-2")] == [(), ()]


def test_diff_says_who_became_ready_who_regressed_and_which_criteria_moved(db_url):
    with open_store(db_url, create=True) as store:
        record_cycle(store, "a", {"c-1": 0.5, "c-2": 3.5, "c-3": 0.5, "c-4": None, "c-5": 3.5})
        record_cycle(store, "b", {"c-1": 3.5, "c-2": 0.5, "c-3": 3.5, "c-4": 0.5, "c-6": 3.5})
        diff = store.diff("a", "b")
        assert [c.candidate_id for c in diff.became_ready] == ["c-1", "c-3"]
        assert [(c.candidate_id, c.before, c.after) for c in diff.regressed] == [("c-2", "ready", "not_ready")]
        assert [(c.candidate_id, c.before, c.after) for c in diff.other_changes] == [
            ("c-4", "insufficient_evidence", "not_ready")]
        assert (diff.paired, diff.only_a, diff.only_b) == (4, 1, 1)
        [moved] = diff.criteria
        assert (moved.criterion_id, moved.improved, moved.worsened, moved.moved) == ("experience", 2, 2, 4)


def test_masked_fields_never_reach_the_store_and_the_caller_keeps_its_own(db_url):
    masks = Masks(["/packet/candidate/name", "/decision/criteria/*/actual", "/packet/reviews/*/rating"])
    original = packet("c-1")
    record = decide(original)
    with open_store(db_url, create=True) as store:
        cycle = store.start_cycle("c", store_packets=True, masks=masks.pointers)
        store.write(cycle, [rows(record, "c-1.json", 0, packet=original, masks=masks)])
        [stored] = store.decisions_for("c-1", "c")
        assert "name" not in stored.packet["candidate"] and stored.packet["candidate"]["id"] == "c-1"
        assert all("rating" not in r for r in stored.packet["reviews"]) and stored.packet["reviews"]
        assert all("actual" not in c for c in stored.decision["criteria"])
        with store.engine.connect() as conn:
            raw = " ".join(str(v) for row in conn.execute(sa.text("SELECT * FROM decisions")) for v in row)
        assert "Name of c-1" not in raw and "exceeds" not in raw and '"actual"' not in raw
    assert original["candidate"]["name"] == "Name of c-1"  # what the caller holds is not masked
    assert b'"actual"' in record


def test_masking_the_candidate_id_leaves_it_out_of_every_column(db_url):
    masks = Masks(["/decision/candidate_id"])
    with open_store(db_url, create=True) as store:
        cycle = store.start_cycle("c", masks=masks.pointers)
        store.write(cycle, [rows(decide(packet("c-1")), "c-1.json", 0, masks=masks)],
                    [error_row("c-2.json", 1, {"code": "input.json", "message": "bad"}, "c-2", masks=masks)])
        with store.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT candidate_id FROM decisions")).scalar_one() is None
            assert conn.execute(sa.text("SELECT candidate_id FROM errors")).scalar_one() is None
            assert "c-1" not in conn.execute(sa.text("SELECT decision_json FROM decisions")).scalar_one()


def test_prune_deletes_old_cycles_with_everything_they_hold(db_url):
    with open_store(db_url, create=True) as store:
        old = record_cycle(store, "old", {"c-1": 3.5, "c-2": 0.5})
        record_cycle(store, "new", {"c-1": 3.5})
        with store.engine.begin() as conn:
            conn.execute(sa.update(_schema.cycles).where(_schema.cycles.c.id == old)
                         .values(started_at=datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)))
        assert store.prune(datetime.date(2024, 12, 31)) == ([], 0)
        assert store.prune(datetime.date(2025, 1, 2)) == (["old"], 2)
        assert [c.name for c in store.cycles()] == ["new"]
        assert count(store, "decisions") == 1 and count(store, "criterion_results") == 6


def test_an_unreachable_server_is_unavailable_and_a_file_that_is_no_database_a_usage_error(tmp_path):
    with pytest.raises(errors.ResourceError) as unreachable:  # nobody's mistake: exit 4, HTTP 503, try again
        open_store("postgresql://someone:secret@127.0.0.1:1/promoready")
    assert unreachable.value.code == errors.SYSTEM_STORE_UNAVAILABLE and unreachable.value.exit_code == 4
    assert unreachable.value.entry.http_status == 503
    assert "secret" not in str(unreachable.value) and "127.0.0.1:1" in str(unreachable.value)
    assert "onnection refused" in str(unreachable.value)
    garbage = tmp_path / "not.sqlite"
    garbage.write_bytes(b"this is not a database" * 100)
    with pytest.raises(errors.UsageError) as err:
        open_store(str(garbage))
    assert err.value.code == errors.USAGE_DB and str(garbage) in str(err.value)
    with pytest.raises(errors.UsageError) as err:
        open_store(str(tmp_path / "missing.sqlite"))
    assert err.value.code == errors.USAGE_DB and "no store at" in str(err.value)
    assert not (tmp_path / "missing.sqlite").exists()  # reading never creates a file


def test_the_recorder_writes_in_batches_drops_what_cannot_be_masked_and_finishes(db_url):
    # A member of a string: fails on the packet whose candidate has a "nick" (an extra field, which the
    # schema gives no shape; a pointer the schema can tell is wrong is refused by Masks itself).
    masks = Masks(["/packet/candidate/nick/first"])
    with open_store(db_url, create=True) as store:
        cycle = store.start_cycle("c", store_packets=True, masks=masks.pointers)
        recorder = store.recorder(cycle, masks=masks, batch=7, interval=60)
        for i in range(25):
            data = packet(f"c-{i}", years=0.5 + i % 4)
            if i == 3:
                data["candidate"]["nick"] = "Jo"
            else:
                del data["candidate"]["name"]
            recorder.decision(f"c-{i}.json", i, decide(data), packet=lambda data=data: data)
        recorder.error("bad.json", 25, {"code": "input.json", "message": "bad"}, None)
        done = recorder.close(finish=True)
        assert (done.decisions, done.errors, done.dropped) == (24, 1, 1)
        shown = store.cycle("c")
        assert (shown.decisions, shown.errors, shown.dropped, shown.complete) == (24, 1, 1, True)
        assert "c-3.json" not in store.stored(cycle) and len(store.stored(cycle)) == 24
        assert store.decisions_for("c-4", "c")[0].packet["candidate"] == {"id": "c-4"}


def test_a_recorder_whose_writes_fail_stops_the_run_with_the_reason(db_url):
    with open_store(db_url, create=True) as store:
        cycle = store.start_cycle("c")
        record = decide(packet("c-1"))
        store.write(cycle, [rows(record, "c-1.json", 0)])
        recorder = store.recorder(cycle, batch=1, replace=False)  # without replace, a second copy is refused
        recorder.decision("c-1.json", 0, record)
        with pytest.raises(errors.UsageError) as err:
            recorder.close(finish=True)
        assert err.value.code == errors.USAGE_DB_FAILED
        assert not store.cycle("c").complete and store.cycle("c").decisions == 1


def test_the_public_surface_is_documented_and_light():
    import inspect
    import subprocess
    import sys

    import promoready.store

    for name in promoready.store.__all__:
        member = getattr(promoready.store, name)
        if inspect.isclass(member) or inspect.isfunction(member):
            assert inspect.getdoc(member), name
    # `promoready --help` and the batch command's module stay free of SQLAlchemy until a store is used.
    code = "import sys, promoready.cli, promoready.cli._batch; print('sqlalchemy' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "False", done.stderr


def test_an_item_given_twice_is_stored_once_the_latest(db_url):
    with open_store(db_url, create=True) as store:
        cycle = store.start_cycle("c")
        recorder = store.recorder(cycle, batch=2)
        first, later = decide(packet("c-1", years=0.5)), decide(packet("c-1", years=3.5))
        for seq, record in enumerate([first, later, first, later, later]):  # across batches and within one
            recorder.decision("c-1.json", seq, record)
        recorder.error("c-1.json", 5, {"code": "input.json", "message": "bad"}, None)
        recorder.decision("c-1.json", 6, later)
        recorder.close(finish=True)
        assert (store.cycle("c").decisions, store.cycle("c").errors) == (1, 0)
        assert [d.verdict for d in store.decisions_for("c-1", "c")] == ["ready"]


def test_each_decision_has_a_public_id_by_which_it_is_found(db_url):
    with open_store(db_url, create=True) as store:
        cycle = store.start_cycle("2026-H1")
        given = "0b3c6a0e-4a5f-4a4e-9a57-2f7d3c1e8b10"  # as the service hands one over: its decision_id
        store.write(cycle, [rows(decide(packet("c-1")), "c-1.json", 0),
                            rows(decide(packet("c-2")), "c-2.json", 1, public_id=given)])
        one, two = store.decisions_for("c-1", "2026-H1")[0], store.decisions_for("c-2", "2026-H1")[0]
        assert two.uuid == given and one.uuid != given and len(one.uuid) == 36
        assert store.decision(given) == two and store.decision(given.upper()) == two
        assert store.decision(one.uuid) == one and store.decision(str(one.id)) == one == store.decision(one.id)
        assert one.to_dict()["uuid"] == one.uuid
        assert [e.uuid for e in store.history("c-2")] == [given]
        for unknown, said in (("0b3c6a0e-4a5f-4a4e-9a57-2f7d3c1e8b11", "no decision"), ("99999999999", "no decision"),
                              ("nope", "not a decision id")):
            with pytest.raises(errors.UsageError) as err:
                store.decision(unknown)
            assert err.value.code == errors.USAGE_DECISION and said in str(err.value), unknown
        with pytest.raises(errors.UsageError) as err:  # one id, one decision: never two
            store.write(cycle, [rows(decide(packet("c-3")), "c-3.json", 2, public_id=given)])
        assert err.value.code == errors.USAGE_DB_FAILED and "uuid" in str(err.value)
        assert store.cycle("2026-H1").decisions == 2


@pytest.mark.parametrize("said, code", [
    ("server closed the connection unexpectedly", errors.SYSTEM_STORE_UNAVAILABLE),
    ("terminating connection due to administrator command", errors.SYSTEM_STORE_UNAVAILABLE),
    ("connection timeout expired", errors.SYSTEM_STORE_UNAVAILABLE),
    ('password authentication failed for user "x"', errors.USAGE_DB),
    ('database "gone" does not exist', errors.USAGE_DB),
    ("disk I/O error", errors.USAGE_DB_FAILED),
])
def test_a_failure_midway_is_unavailable_only_when_the_server_went_away(said, code):
    from promoready.store import _connect

    url = _connect.resolve("postgresql://someone:secret@db.example:5432/promoready")
    with pytest.raises(errors.PromoreadyError) as err, _connect.failures(url, "reading cycles"):
        raise sa.exc.OperationalError("SELECT 1", {}, Exception(said))
    assert err.value.code == code and said in str(err.value) and "secret" not in str(err.value)
    assert err.value.exit_code == (4 if code == errors.SYSTEM_STORE_UNAVAILABLE else 2)


def test_a_sqlite_file_that_is_not_a_database_is_usage_db_at_any_step(tmp_path):
    from promoready.store import _connect

    url = _connect.resolve(str(tmp_path / "notdb.sqlite"))
    with pytest.raises(errors.UsageError) as err, _connect.failures(url, "reading the schema version"):
        raise sa.exc.DatabaseError("SELECT 1", {}, Exception("file is not a database"))
    assert err.value.code == errors.USAGE_DB and "is not a promoready store" in str(err.value)


def test_one_write_of_more_items_than_an_in_list_holds_keeps_each_decision_with_its_own_criteria(db_url):
    # store/_write.py reads a write's decision ids back by item, and deletes a replaced item's rows, in IN
    # lists of 500 items: a write of 1,203 items takes three lists. Each decision must keep its own criteria
    # (the ready ones pass `experience`, the others fail it), written anew and written again over itself.
    ready, not_ready = decide(packet("c")), decide(packet("c", years=0.5))
    items = [f"c-{n}.json" for n in range(1203)]

    def stored(store) -> dict[str, tuple[str, str]]:
        with store.engine.connect() as conn:
            return {item: (verdict, status) for item, verdict, status in conn.execute(sa.text(
                "SELECT d.item, d.verdict, r.status FROM decisions d JOIN criterion_results r ON r.decision_id = d.id "
                "WHERE r.criterion_id = 'experience'"))}

    with open_store(db_url, create=True) as store:
        cycle = store.start_cycle("big")
        store.write(cycle, [rows(ready if n % 3 else not_ready, item, n) for n, item in enumerate(items)])
        assert stored(store) == {item: ("ready", "pass") if n % 3 else ("not_ready", "fail")
                                 for n, item in enumerate(items)}
        # Again over itself, every verdict turned, and the last item an error now: replaced, not added.
        store.write(cycle, [rows(not_ready if n % 3 else ready, item, n) for n, item in enumerate(items[:-1])],
                    [error_row(items[-1], 1202, {"code": "input.json", "message": "bad"}, None)], replace=True)
        assert stored(store) == {item: ("not_ready", "fail") if n % 3 else ("ready", "pass")
                                 for n, item in enumerate(items[:-1])}
        assert (count(store, "decisions"), count(store, "criterion_results"), count(store, "errors")) == \
            (1202, 1202 * len(statuses(ready)), 1)
