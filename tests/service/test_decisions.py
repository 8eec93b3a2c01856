"""The decision log and ``GET /v1/decisions/{decision_id}`` (``serve --db``), on SQLite and on the real
PostgreSQL the store tests use: one public id for every decision, however it was made; masks change the
log, never an answer; a store that fails never changes an answer, and a read of it is a 503."""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Iterator

import httpx
import pytest
import sqlalchemy as sa

from promoready.engine import errors
from promoready.service import Settings, create_app
from promoready.store import decision_rows, open_store

from service_support import Client, example_packet, library

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "store"))
from storekit import db_url, decide, packet  # noqa: E402,F401  (db_url: a fixture, SQLite and PostgreSQL)

NDJSON = {"content-type": "application/x-ndjson"}
UNKNOWN = "5f0c2b1e-8a4d-4c3e-9f61-2d7a0b9c4e15"


@pytest.fixture
def logged(db_url) -> Iterator[Client]:  # noqa: F811
    c = Client(create_app(Settings(db=db_url, masks=("/decision/criteria/*/actual", "/packet/candidate/name"),
                                   store_packets=True)))
    yield c
    c.close()


def test_an_evaluated_decision_is_found_by_its_id_masked_and_the_answer_is_unchanged(logged: Client):
    sent = example_packet()
    answer = logged.post("/v1/evaluate", json=sent)
    assert answer.status_code == 200
    assert answer.content.startswith(library(sent)[:-1] + b',"decision_id":"')  # the masks left the answer alone
    decision_id = answer.json()["decision_id"]
    got = logged.get(f"/v1/decisions/{decision_id}")
    assert got.status_code == 200 and got.headers["content-type"] == "application/json"
    body = got.json()
    assert (body["decision_id"], body["cycle"], body["verdict"]) == (decision_id, "service", answer.json()["verdict"])
    assert body["candidate_id"] == sent["candidate"]["id"]
    expected = json.loads(library(sent))
    for criterion in expected["criteria"]:
        del criterion["actual"]  # what the mask removes from the stored copy
    assert body["decision"] == expected
    assert body["packet"]["candidate"] == {k: v for k, v in sent["candidate"].items() if k != "name"}
    assert logged.get(f"/v1/decisions/{decision_id.upper()}").json() == body  # an id in capitals is the same id
    status = logged.get("/v1/status").json()
    assert status["decision_store"] is True and status["decision_log"] == {"cycle": "service", "recorded": 1, "lost": 0}


def test_each_batch_line_is_found_by_its_own_id_and_a_what_if_is_not_a_decision_of_record(logged: Client):
    good = example_packet()
    body = "\n".join([json.dumps({"id": "a", "packet": good}), "{not json",
                      json.dumps({"id": "b", "packet": {**good, "candidate": {"id": "emp-2"}}})]) + "\n"
    lines = [json.loads(row) for row in logged.post("/v1/evaluate/batch", content=body, headers=NDJSON).content.splitlines()]
    assert [line["status"] for line in lines] == [200, 400, 200]
    for line in (lines[0], lines[2]):
        found = logged.get(f"/v1/decisions/{line['decision_id']}").json()
        assert found["candidate_id"] == line["decision"]["candidate_id"] and found["verdict"] == line["decision"]["verdict"]
    what_if = logged.post("/v1/what-if", json={"packet": good, "changes": ["experience.product_years=10"]})
    missing = logged.get(f"/v1/decisions/{what_if.json()['decision_id']}")
    assert missing.status_code == 404 and missing.json()["code"] == errors.USAGE_DECISION
    assert logged.get("/v1/status").json()["decision_log"]["recorded"] == 2


def test_logged_decisions_take_the_next_positions_of_the_cycle_in_the_order_they_were_made(logged: Client,
                                                                                            db_url):  # noqa: F811
    made = [logged.post("/v1/evaluate", json=example_packet()).json()["decision_id"] for _ in range(2)]
    body = "".join(json.dumps({"id": i, "packet": example_packet()}) + "\n" for i in ("a", "b"))
    made += [json.loads(row)["decision_id"]
             for row in logged.post("/v1/evaluate/batch", content=body, headers=NDJSON).content.splitlines()]
    assert logged.app.state.decision_log.recorder.flush(5)
    made.append(logged.post("/v1/evaluate", json=example_packet()).json()["decision_id"])  # in a later transaction
    assert logged.app.state.decision_log.recorder.flush(5)
    with open_store(db_url) as store:
        assert [(r.seq, r.item) for r in store.records("service")] == list(enumerate(made))


def test_a_decision_recorded_by_batch_is_found_by_the_same_kind_of_id(db_url):  # noqa: F811
    with open_store(db_url, create=True) as store:
        cycle = store.start_cycle("2026-H2")
        store.write(cycle, [decision_rows("c-1.json", 0, decide(packet("c-1")))])
        store.finish_cycle(cycle)
        stored = store.decisions_for("c-1", "2026-H2")[0]
    c = Client(create_app(Settings(db=db_url)))
    try:
        got = c.get(f"/v1/decisions/{stored.uuid}").json()
        assert (got["decision_id"], got["cycle"], got["decision"]) == (stored.uuid, "2026-H2", stored.decision)
        assert got["packet"] is None
        with open_store(db_url) as store:  # the service logs in a cycle of its own, left open
            assert {c.name: c.complete for c in store.cycles()} == {"2026-H2": True, "service": False}
    finally:
        c.close()


def test_a_report_on_the_decision_log_neither_warns_nor_advises_resume(db_url, tmp_path):  # noqa: F811
    """The service's log is never marked complete: a report on it says it is a log still open, and never
    advises `batch … --resume` (that would add batch decisions to the log and close it)."""
    from click.testing import CliRunner

    from promoready.cli import main

    client = Client(create_app(Settings(db=db_url)))
    try:
        decision_id = client.post("/v1/evaluate", json=example_packet()).json()["decision_id"]
        assert client.get(f"/v1/decisions/{decision_id}").status_code == 200  # committed
    finally:
        client.close()
    page, data = tmp_path / "log.html", tmp_path / "log.json"
    done = CliRunner().invoke(main, ["report", "--db", db_url, "--cycle", "service", "--out", str(page)])
    assert done.exit_code == 0 and done.stderr == "", done.stderr
    html = page.read_text(encoding="utf-8")
    assert "Decision log, still open." in html and "1 decision logged" in html
    assert "--resume" not in html and "Incomplete cycle" not in html
    done = CliRunner().invoke(main, ["report", "--db", db_url, "--cycle", "service", "--format", "json",
                                     "--out", str(data)])
    assert done.exit_code == 0 and done.stderr == "", done.stderr
    cycle = json.loads(data.read_text(encoding="utf-8"))["cycle"]
    assert (cycle["complete"], cycle["log"]) == (False, True)


def test_a_report_compared_with_the_decision_log_calls_it_a_log_not_incomplete(db_url, tmp_path):  # noqa: F811
    """``--compare-cycle`` against the service's log said the log was an incomplete cycle (a stderr warning,
    an "Incomplete cycle." note): a log is never complete, and is worded as the report words it elsewhere."""
    from click.testing import CliRunner

    from promoready.cli import main

    client = Client(create_app(Settings(db=db_url)))
    try:
        assert client.post("/v1/evaluate", json=example_packet()).status_code == 200
    finally:
        client.close()
    with open_store(db_url) as store:
        whole = store.start_cycle("2026-H2")
        store.write(whole, [decision_rows("emp.json", 0, decide(packet("emp-1")))])
        store.finish_cycle(whole)
    page, data = tmp_path / "c.html", tmp_path / "c.json"
    done = CliRunner().invoke(main, ["report", "--db", db_url, "--cycle", "2026-H2", "--compare-cycle", "service",
                                     "--out", str(page)])
    assert done.exit_code == 0 and done.stderr == "", done.stderr
    html = page.read_text(encoding="utf-8")
    assert "Incomplete cycle" not in html and "is incomplete" not in html and "--resume" not in html
    assert ('<p class="note log"><strong>Decision log, still open.</strong> Cycle <code>service</code>, compared '
            "with, is the decision log of the HTTP service (<code>promoready serve --cycle service</code>), which is "
            "never closed: the comparison is with the decisions logged when the report was made.</p>") in html
    done = CliRunner().invoke(main, ["report", "--db", db_url, "--cycle", "2026-H2", "--compare-cycle", "service",
                                     "--format", "json", "--out", str(data)])
    assert done.exit_code == 0 and done.stderr == "", done.stderr
    compare = json.loads(data.read_text(encoding="utf-8"))["compare"]
    assert (compare["before"], compare["before_complete"], compare["before_log"]) == ("service", False, True)


def test_unknown_and_malformed_ids_are_problems(logged: Client):
    unknown = logged.get(f"/v1/decisions/{UNKNOWN}")
    assert unknown.status_code == 404 and unknown.headers["content-type"] == "application/problem+json"
    assert unknown.json()["code"] == errors.USAGE_DECISION and unknown.json()["path"] == "decision_id"
    for wrong in ("1", "emp-2071", UNKNOWN + "0"):
        bad = logged.get(f"/v1/decisions/{wrong}")
        assert bad.status_code == 400 and bad.json()["code"] == errors.SERVICE_PARAMETER, wrong


def test_without_a_store_decisions_are_not_kept_and_the_endpoint_says_so():
    c = Client(create_app(Settings()))
    try:
        answer = c.get(f"/v1/decisions/{UNKNOWN}")
        assert answer.status_code == 404 and answer.json()["code"] == errors.SERVICE_NO_STORE
        assert "--db" in answer.json()["detail"]
        status = c.get("/v1/status").json()
        assert status["decision_store"] is False and status["decision_log"] is None
    finally:
        c.close()


def _break(db_url: str, app) -> None:
    """The store goes away: the PostgreSQL database is dropped (its connections ended), the SQLite file
    is overwritten with what is not a database (the app's connections to it closed first, so that the
    next ones find that)."""
    url = sa.engine.make_url(db_url)
    if url.get_backend_name() == "sqlite":
        app.state.decision_log.store.engine.dispose()  # first: closing the last connection writes the WAL back
        with open(url.database, "r+b") as fh:
            fh.write(b"this is not a database any more" * 200)
        for suffix in ("-wal", "-shm"):
            if os.path.exists(url.database + suffix):
                os.remove(url.database + suffix)
        return
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE "{url.database}" WITH (FORCE)')
    admin.dispose()


def test_a_store_that_fails_never_changes_an_answer_and_a_read_is_a_503(db_url, caplog):  # noqa: F811
    c = Client(create_app(Settings(db=db_url)))
    try:
        sent = example_packet()
        assert c.post("/v1/evaluate", json=sent).status_code == 200
        c.app.state.decision_log.recorder.flush(5)
        _break(db_url, c.app)
        with caplog.at_level("ERROR", logger="promoready.service.error"):
            answer = c.post("/v1/evaluate", json=sent)
            assert answer.status_code == 200
            assert answer.content.startswith(library(sent)[:-1] + b',"decision_id":"')
            read = c.get(f"/v1/decisions/{answer.json()['decision_id']}")
        assert read.status_code == 503 and read.headers["content-type"] == "application/problem+json"
        assert read.json()["code"] == errors.SYSTEM_STORE_UNAVAILABLE
        assert "sqlite" not in read.text and "postgresql" not in read.text  # the store's address is not told
        assert c.get("/v1/status").json()["decision_log"]["lost"] == 1
        assert "promoready_decisions_unlogged_total 1.0" in c.get("/metrics").text
        logged = [json.loads(r.getMessage()) for r in caplog.records if r.name == "promoready.service.error"]
        assert {r["event"] for r in logged} == {"decision-log", "decision-store"}
    finally:
        c.close()


def test_store_settings_come_from_the_environment_and_are_checked():
    env = {"PROMOREADY_DB": "/tmp/x.sqlite", "PROMOREADY_CYCLE": "2027", "PROMOREADY_MASKS": "/decision/candidate_id,"
           "/packet/candidate/name", "PROMOREADY_STORE_PACKETS": "1"}
    settings = Settings.from_env(env)
    assert (settings.db, settings.cycle, settings.store_packets) == ("/tmp/x.sqlite", "2027", True)
    assert settings.masks == ("/decision/candidate_id", "/packet/candidate/name")
    assert Settings.from_env(settings.to_env()) == settings
    for wrong, code in (({"masks": ("/decision/x",)}, errors.USAGE_STORE_OPTIONS),
                        ({"db": "x.sqlite", "masks": ("decision/x",)}, errors.USAGE_MASK),
                        ({"db": "x.sqlite", "cycle": " "}, errors.USAGE_SERVE)):
        with pytest.raises(errors.UsageError) as err:
            Settings(**wrong)  # type: ignore[arg-type]
        assert err.value.code == code, wrong


def test_a_cycle_kept_with_other_settings_is_refused(db_url):  # noqa: F811
    from promoready.service._decisions import DecisionLog

    DecisionLog.check(Settings(db=db_url, masks=("/decision/candidate_id",)))
    with pytest.raises(errors.UsageError) as err:
        DecisionLog.check(Settings(db=db_url))
    assert err.value.code == errors.USAGE_CYCLE_SETTINGS and "--cycle" in str(err.value)
    DecisionLog.check(Settings(db=db_url, cycle="other"))  # another cycle is free to choose


def test_several_workers_log_in_one_store_each_decision_at_a_position_of_its_own(tmp_path, db_url):  # noqa: F811
    from test_serve import Served

    s = Served(tmp_path, "--workers", "2", "--db", db_url, "--cycle", "2027-live")
    try:
        with httpx.Client(base_url=s.url, limits=httpx.Limits(max_keepalive_connections=0), timeout=30) as fresh:
            ids = [fresh.post("/v1/evaluate", json=example_packet()).json()["decision_id"] for _ in range(8)]
            deadline = time.monotonic() + 30  # another worker's decision is committed within a second
            missing = set(ids)
            while missing and time.monotonic() < deadline:
                missing = {i for i in missing if fresh.get(f"/v1/decisions/{i}").status_code != 200}
                time.sleep(0.2)
            assert not missing
    finally:
        assert s.stop() == 0
    with open_store(db_url) as store:
        assert store.cycle("2027-live").decisions == 8 and not store.cycle("2027-live").complete
        records = list(store.records("2027-live"))
    assert sorted(r.item for r in records) == sorted(ids)
    assert [r.seq for r in records] == list(range(8))  # the two workers' writers never took the same position


def test_a_store_that_cannot_be_used_ends_serve_before_it_listens(tmp_path):
    from test_serve import Served

    unreachable = Served(tmp_path, "--db", "postgresql://someone:secret@127.0.0.1:1/promoready", wait=False)
    assert unreachable.process.wait(timeout=120) == 4
    assert f"[{errors.SYSTEM_STORE_UNAVAILABLE}]" in unreachable.stderr() and "secret" not in unreachable.stderr()
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"not a database" * 100)
    refused = Served(tmp_path, "--db", str(garbage), wait=False)
    assert refused.process.wait(timeout=120) == 2
    assert f"[{errors.USAGE_DB}]" in refused.stderr() and "Traceback" not in refused.stderr()
    with pytest.raises(httpx.ConnectError):
        httpx.get(refused.url + "/health/live", timeout=2)
