"""``batch --cycle``: a cycle recorded by real batch processes, killed mid-transaction (SIGKILL) or stopped
by SIGTERM, then resumed, must hold exactly what an uninterrupted run holds: nothing lost, nothing twice.

Run on SQLite and on PostgreSQL. The packet count is modest here (``PROMOREADY_TEST_CRASH_PACKETS``,
default 1,200); docs/history.md records the 20,000-packet run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from storekit import TINY, db_url, packet  # noqa: F401  (db_url: a fixture)

from promoready.cli import main
from promoready.store import open_store
from promoready.store.recorder import KILL_ENV

COUNT = int(os.environ.get("PROMOREADY_TEST_CRASH_PACKETS") or 1200)


def packets(path: Path, count: int) -> Path:
    """``count`` JSONL packets for the tiny ladder: all three verdicts, and every 97th line an error."""
    with path.open("w") as fh:
        for i in range(count):
            if i % 97 == 50:
                fh.write('{"candidate": {"id": "broken"\n')
            else:
                fh.write(json.dumps(packet(f"c-{i:05d}", years=(0.5, 3.5, None)[i % 3])) + "\n")
    return path


def batch(*args: object, env: dict[str, str] | None = None, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "promoready", "batch", "--ladder", TINY, "--workers", "2", *map(str, args)]
    return subprocess.run(command, input=stdin, capture_output=True, timeout=600, env={**os.environ, **(env or {})})


def contents(db: str, cycle: str) -> dict[str, list]:
    """Everything the store holds of a cycle, in an order that does not depend on when it was written."""
    with open_store(db) as store, store.engine.connect() as conn:
        cycle_id = store.cycle(cycle).id
        q = {"decisions": "SELECT item, seq, candidate_id, packet_digest, ladder_digest, as_of, verdict, decision_json "
                          "FROM decisions WHERE cycle_id = :c ORDER BY item",
             "criteria": "SELECT d.item, r.criterion_id, r.required, r.status FROM criterion_results r "
                         "JOIN decisions d ON d.id = r.decision_id WHERE d.cycle_id = :c ORDER BY d.item, r.criterion_id",
             "errors": "SELECT item, seq, code, message FROM errors WHERE cycle_id = :c ORDER BY item"}
        return {name: [tuple(row) for row in conn.execute(sa.text(sql), {"c": cycle_id})] for name, sql in q.items()}


def public_ids(db: str, cycle: str) -> dict[str, str]:
    """Item → the public id of its decision, in one cycle."""
    with open_store(db) as store, store.engine.connect() as conn:
        query = "SELECT item, uuid FROM decisions WHERE cycle_id = :c"
        return dict(conn.execute(sa.text(query), {"c": store.cycle(cycle).id}).all())


def test_killed_mid_transaction_then_resumed_equals_an_uninterrupted_run(db_url, tmp_path):  # noqa: F811
    source = packets(tmp_path / "cycle.jsonl", COUNT)
    whole = batch(source, "--cycle", "whole", "--db", db_url, "--out", tmp_path / "whole.jsonl")
    assert whole.returncode == 2, whole.stderr  # the broken lines are error records
    killed = batch(source, "--cycle", "crashed", "--db", db_url, env={KILL_ENV: str(COUNT // 3)})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    with open_store(db_url) as store:
        crashed = store.cycle("crashed")
        assert not crashed.complete and crashed.finished_at is None
        assert COUNT // 3 <= crashed.decisions < store.cycle("whole").decisions  # committed batches survive
    kept = public_ids(db_url, "crashed")
    resumed = batch(source, "--cycle", "crashed", "--db", db_url, "--resume", "--out", tmp_path / "resumed.jsonl")
    assert resumed.returncode == 2, resumed.stderr
    assert "cycle 'crashed'" in resumed.stderr.decode() and "; complete" in resumed.stderr.decode()
    assert (tmp_path / "resumed.jsonl").read_bytes() == (tmp_path / "whole.jsonl").read_bytes()
    expected, got = contents(db_url, "whole"), contents(db_url, "crashed")
    assert len(expected["decisions"]) + len(expected["errors"]) == COUNT
    assert got == expected
    # The decisions stored before the kill keep their public ids: a review tool's ids stay good.
    resumed_ids = public_ids(db_url, "crashed")
    assert {item: resumed_ids[item] for item in kept} == kept
    assert len(set(resumed_ids.values()) | set(public_ids(db_url, "whole").values())) == 2 * len(resumed_ids)
    with open_store(db_url) as store:
        done = store.cycle("crashed")
        assert done.complete and done.runs == 2 and (done.decisions, done.errors) == (
            store.cycle("whole").decisions, store.cycle("whole").errors)


def test_sigterm_leaves_an_incomplete_cycle_of_what_was_output_and_resume_completes_it(tmp_path):
    db = str(tmp_path / "store.sqlite")
    lines = packets(tmp_path / "cycle.jsonl", 400).read_bytes().splitlines(keepends=True)
    command = [sys.executable, "-m", "promoready", "batch", "-", "--ladder", TINY, "--workers", "1", "--cycle", "c",
               "--db", db]
    out = (tmp_path / "out.jsonl").open("wb")  # a file, not a pipe: a full pipe would stop the batch
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=out, stderr=subprocess.PIPE)
    try:
        proc.stdin.write(b"".join(lines[:150]))
        proc.stdin.flush()
        deadline = time.monotonic() + 60
        while not Path(db).exists() or _stored(db) < 100:  # the first packets are in the store: stop it
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.poll() else "slow"
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        out.close()
    stdout = (tmp_path / "out.jsonl").read_bytes()
    assert proc.returncode == 128 + signal.SIGTERM, stderr
    assert b"--resume to complete the cycle" in stderr
    with open_store(db) as store:
        cycle = store.cycle("c")
        assert not cycle.complete
        assert cycle.decisions + cycle.errors == len(stdout.splitlines())  # every record output is stored
    resumed = batch("-", "--cycle", "c", "--db", db, "--resume", stdin=b"".join(lines))
    assert resumed.returncode == 2, resumed.stderr
    with open_store(db) as store:
        cycle = store.cycle("c")
        assert cycle.complete and cycle.decisions + cycle.errors == 400


def _stored(db: str) -> int:
    try:
        with open_store(db) as store:
            cycle = store.cycle("c")
            return cycle.decisions + cycle.errors
    except Exception:  # not created yet, or the cycle not started yet
        return 0


def test_store_options_need_a_cycle_and_masks_must_be_pointers(tmp_path):
    source = str(packets(tmp_path / "p.jsonl", 3))
    for args, code in [(("--db", tmp_path / "s.sqlite"), "usage.store-options"),
                       (("--mask", "/packet/candidate/name"), "usage.store-options"),
                       (("--cycle", "c", "--db", tmp_path / "s.sqlite", "--mask", "packet/name"), "usage.mask"),
                       (("--cycle", "c", "--store-packets", "--db", tmp_path / "s.sqlite"), None)]:
        done = CliRunner().invoke(main, ["batch", source, "--ladder", TINY, *map(str, args)], catch_exceptions=False)
        if code is None:
            assert done.exit_code == 0 and "cycle 'c'" in done.stderr, done.stderr
        else:
            assert done.exit_code == 2 and done.stderr.rstrip().endswith(f"[{code}]"), done.stderr
    with open_store(str(tmp_path / "s.sqlite")) as store:  # a JSONL line read again, a step behind, for its packet
        assert store.decisions_for("c-00002", "c")[0].packet == packet("c-00002", years=None)
    done = CliRunner().invoke(main, ["batch", "-", "--cycle", "c", "--store-packets"], input="{}\n")
    assert done.exit_code == 2 and "stdin cannot be read again" in done.stderr


def test_stored_packets_are_masked_and_the_output_is_not(tmp_path):
    source = tmp_path / "packets"
    source.mkdir()
    for i in range(3):
        (source / f"p{i}.json").write_text(json.dumps(packet(f"c-{i}")))
    db = str(tmp_path / "s.sqlite")
    done = CliRunner().invoke(main, ["batch", str(source), "--ladder", TINY, "--cycle", "c", "--db", db,
                                     "--store-packets", "--mask", "/packet/candidate/name", "--mask",
                                     "/decision/criteria/*/actual"], catch_exceptions=False)
    assert done.exit_code == 0, done.stderr
    assert all('"actual"' in line for line in done.stdout.splitlines())  # the output is whole
    with open_store(db) as store:
        for i in range(3):
            [stored] = store.decisions_for(f"c-{i}", "c")
            assert stored.item.endswith(f"p{i}.json")
            assert stored.packet["candidate"] == {"id": f"c-{i}"} and stored.packet["experience"]
            assert all("actual" not in c for c in stored.decision["criteria"])


def test_a_store_that_fails_mid_run_leaves_the_output_whole_and_the_cycle_incomplete(tmp_path, monkeypatch):
    from promoready.engine import errors
    from promoready.store import Store

    source = str(packets(tmp_path / "p.jsonl", 40))
    db = str(tmp_path / "s.sqlite")
    writes = []
    real_write = Store.write

    def failing_write(self, *args, **kwargs):  # the second transaction fails, as a full disk would
        writes.append(1)
        if len(writes) == 2:
            raise errors.UsageError("disk full", code=errors.USAGE_DB_FAILED, path="--db")
        return real_write(self, *args, **kwargs)

    monkeypatch.setattr(Store, "write", failing_write)
    real_recorder = Store.recorder
    monkeypatch.setattr(Store, "recorder", lambda self, cycle_id, **kw: real_recorder(self, cycle_id, batch=10, **kw))
    done = CliRunner().invoke(main, ["batch", source, "--ladder", TINY, "--workers", "1", "--cycle", "c", "--db", db],
                              catch_exceptions=False)
    assert done.exit_code == 2 and done.stderr.rstrip().endswith("disk full [usage.db-failed]"), done.stderr
    assert len(done.stdout.splitlines()) == 40  # every record was output
    monkeypatch.setattr(Store, "write", real_write)
    with open_store(db) as store:
        cycle = store.cycle("c")
        assert not cycle.complete and cycle.decisions + cycle.errors == 10  # the first transaction, whole


def test_no_input_leaves_the_cycle_it_started_empty_and_incomplete_for_resume_to_complete(tmp_path):
    """``input.empty`` with ``--cycle``: nothing is recorded and the cycle this run started stays, empty and
    incomplete (never deleted: a service may have opened it as its log meanwhile, and would lose what it logs
    next); the same command is refused with the way out, and ``--resume`` completes the cycle."""
    empty, good = tmp_path / "e.jsonl", packets(tmp_path / "p.jsonl", 3)
    empty.write_bytes(b"")
    db = str(tmp_path / "h.sqlite")

    def run(*args: object) -> Any:
        return CliRunner().invoke(main, ["batch", "--ladder", TINY, "--workers", "1", "--db", db, *map(str, args)],
                                  catch_exceptions=False)

    done = run(empty, "--cycle", "c1", "--out", tmp_path / "o.jsonl")
    assert done.exit_code == 2 and done.stderr.endswith("[input.empty]\n"), done.stderr
    with open_store(db) as store:
        cycle = store.cycle("c1")
    assert not cycle.complete and cycle.decisions == cycle.errors == 0 and cycle.runs == 1
    done = run(good, "--cycle", "c1", "--out", tmp_path / "o.jsonl")
    assert done.exit_code == 2 and "[usage.cycle-exists]" in done.stderr and "`--resume` completes it" in done.stderr
    done = run(good, "--cycle", "c1", "--out", tmp_path / "o.jsonl", "--resume")
    assert done.exit_code == 0, done.stderr
    with open_store(db) as store:
        cycle = store.cycle("c1")
    assert cycle.complete and cycle.decisions == 3 and cycle.runs == 2


def test_an_input_that_does_not_exist_is_an_error_record_of_a_complete_cycle(tmp_path):
    """Unlike no input at all, a missing input is a record (input.not-found), stored as any error record is."""
    db = str(tmp_path / "h.sqlite")
    done = CliRunner().invoke(main, ["batch", str(tmp_path / "missing.jsonl"), "--ladder", TINY, "--workers", "1",
                                     "--cycle", "inc", "--db", db], catch_exceptions=False)
    assert done.exit_code == 2 and "[input.not-found]" in done.stderr, done.stderr
    with open_store(db) as store:
        cycle = store.cycle("inc")
    assert cycle.complete and (cycle.decisions, cycle.errors) == (0, 1)
