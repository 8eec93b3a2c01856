"""``cycles prune`` and the batches still writing their cycles, on SQLite and on PostgreSQL: a batch marks its
cycle as running while it runs, prune keeps such a cycle (and says so), a batch that stopped leaves its cycle
prunable at once, one killed outright once its mark is older than ``RUNNING_WITHIN``; and a batch whose cycle
is deleted anyway says that, not a foreign-key error."""

from __future__ import annotations

import datetime
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner
from storekit import TINY, db_url, decide, packet  # noqa: F401  (db_url: a fixture)

from promoready.cli import main
from promoready.store import RUNNING_WITHIN, decision_rows, open_store
from promoready.store.recorder import KILL_ENV


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def tomorrow() -> str:
    return (datetime.datetime.now(datetime.timezone.utc).date() + datetime.timedelta(days=1)).isoformat()


def prune(db: str, *more: str):
    done = run("cycles", "prune", "--before", tomorrow(), "--db", db, "--format", "json", *more)
    assert done.exit_code == 0, done.output
    return json.loads(done.stdout), done.stderr


def stored(db: str, name: str) -> int:
    try:
        with open_store(db) as store:
            return store.cycle(name).decisions
    except Exception:  # the store or the cycle not there yet
        return -1


class Running:
    """A real ``batch -`` process recording cycle ``name``, fed its packets on stdin as the test goes."""

    def __init__(self, db: str, name: str, tmp_path: Path) -> None:
        command = [sys.executable, "-m", "promoready", "batch", "-", "--ladder", TINY, "--workers", "1",
                   "--cycle", name, "--db", db, "--out", str(tmp_path / f"{name}.jsonl")]
        self.db, self.name, self.fed = db, name, 0
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def feed(self, count: int) -> None:
        """``count`` more packets, waiting until the store holds them all."""
        for _ in range(count):
            self.proc.stdin.write(json.dumps(packet(f"c-{self.fed}")).encode() + b"\n")
            self.fed += 1
        self.proc.stdin.flush()
        deadline = time.monotonic() + 60
        while stored(self.db, self.name) < self.fed:
            assert self.proc.poll() is None and time.monotonic() < deadline, self.proc.stderr.read()
            time.sleep(0.05)

    def end(self) -> tuple[int, str]:
        """Close its stdin and wait: (exit status, stderr)."""
        _, err = self.proc.communicate(timeout=120)
        return self.proc.returncode, err.decode()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


def test_prune_keeps_the_cycle_of_a_batch_still_running_and_the_batch_completes(db_url, tmp_path):  # noqa: F811
    # Was: prune deleted the running batch's cycle with its stored decisions, and the batch then failed
    # with usage.db-failed (a foreign key constraint), its JSONL complete and its store rows gone.
    batch = Running(db_url, "2026-H2", tmp_path)
    try:
        batch.feed(3)
        with open_store(db_url) as store:
            assert store.cycle("2026-H2").running
        listed = json.loads(run("cycles", "list", "--db", db_url, "--format", "json").stdout)
        assert [(c["name"], c["running"], c["complete"]) for c in listed] == [("2026-H2", True, False)]
        assert "| running |" in run("cycles", "show", "2026-H2", "--db", db_url, "--format", "markdown").stdout

        found, warned = prune(db_url, "--include-logs")
        assert found == {"cycles": [], "decisions": 0, "logs_kept": [], "running_kept": ["2026-H2"], "dry_run": False}
        kept = ("kept 1 cycle a batch is still writing (2026-H2): pruned once its batch has stopped (one killed "
                "outright: 5 minutes after it last marked the cycle as running)")
        assert warned == f"promoready: warning: {kept}\n"
        done = run("cycles", "prune", "--before", tomorrow(), "--db", db_url, "--format", "table")
        assert done.stdout.strip() == f"nothing pruned; {kept}"
        batch.feed(2)
        status, err = batch.end()
    finally:
        batch.kill()
    assert status == 0, err
    assert "2026-H2' in " in err and ": 5 decisions, 0 errors; complete\n" in err
    with open_store(db_url) as store:
        cycle = store.cycle("2026-H2")
        assert (cycle.decisions, cycle.complete, cycle.running) == (5, True, False)
    assert prune(db_url)[0] == {"cycles": ["2026-H2"], "decisions": 5, "logs_kept": [], "running_kept": [],
                                "dry_run": False}


def test_a_batch_stopped_by_sigterm_leaves_its_cycle_prunable_at_once(db_url, tmp_path):  # noqa: F811
    batch = Running(db_url, "stopped", tmp_path)
    try:
        batch.feed(2)
        batch.proc.send_signal(signal.SIGTERM)
        status, err = batch.end()
    finally:
        batch.kill()
    assert status == 128 + signal.SIGTERM, err
    with open_store(db_url) as store:
        cycle = store.cycle("stopped")
        assert (cycle.complete, cycle.running) == (False, False)
    assert prune(db_url) == ({"cycles": ["stopped"], "decisions": 2, "logs_kept": [], "running_kept": [],
                              "dry_run": False}, "")


def test_a_killed_batchs_cycle_is_kept_until_its_mark_is_old_then_pruned(db_url, tmp_path):  # noqa: F811
    source = tmp_path / "p.jsonl"
    source.write_text("".join(json.dumps(packet(f"c-{i}")) + "\n" for i in range(1200)))
    killed = subprocess.run([sys.executable, "-m", "promoready", "batch", str(source), "--ladder", TINY, "--workers",
                             "1", "--cycle", "crashed", "--db", db_url], capture_output=True, timeout=300,
                            env={**os.environ, KILL_ENV: "100"})  # in its second transaction or later
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    with open_store(db_url) as store:
        assert store.cycle("crashed").running  # its mark is fresh: it cannot be told from a batch still running
    assert prune(db_url)[0]["running_kept"] == ["crashed"]
    with open_store(db_url) as store, store.engine.begin() as conn:  # time passes: the mark gets old
        old = datetime.datetime.now(datetime.timezone.utc) - RUNNING_WITHIN - datetime.timedelta(seconds=5)
        conn.execute(sa.text("UPDATE cycles SET alive_at = :t").bindparams(
            sa.bindparam("t", old, type_=sa.DateTime(timezone=True))))
    with open_store(db_url) as store:
        assert not store.cycle("crashed").running
    found, _ = prune(db_url)
    assert (found["cycles"], found["running_kept"]) == (["crashed"], [])


def test_a_writer_keeps_its_mark_fresh_and_takes_it_away_when_it_stops(db_url):  # noqa: F811
    with open_store(db_url, create=True) as store:
        cycle = store.start_cycle("c")

        def mark():
            with store.engine.connect() as conn:
                return conn.execute(sa.text("SELECT alive_at FROM cycles")).scalar()

        started = mark()
        assert started is not None and store.cycle("c").running
        recorder = store.recorder(cycle, heartbeat=0.1, interval=0.05)
        deadline = time.monotonic() + 30
        while mark() == started:
            assert time.monotonic() < deadline, "the writer never marked its cycle again"
            time.sleep(0.05)
        recorder.close(finish=False)
        assert mark() is None and not store.cycle("c").running and not store.cycle("c").complete
        store.finish_cycle(store.start_cycle("c", resume=True))
        assert mark() is None and store.cycle("c").complete


def test_a_batch_whose_cycle_is_deleted_anyway_says_so(db_url, tmp_path):  # noqa: F811
    # Was: "writing decisions: FOREIGN KEY constraint failed [usage.db-failed]".
    batch = Running(db_url, "deleted", tmp_path)
    try:
        batch.feed(2)
        with open_store(db_url) as store, store.engine.begin() as conn:  # by hand, as prune no longer does
            conn.execute(sa.text("DELETE FROM cycles WHERE name = 'deleted'"))
        batch.proc.stdin.write(json.dumps(packet("c-9")).encode() + b"\n")
        status, err = batch.end()
    finally:
        batch.kill()
    assert status == 2, err
    assert "promoready: --cycle: cycle 'deleted' (id " in err
    assert ") is no longer in the store: it was pruned or deleted [usage.cycle]\n" in err
    assert "FOREIGN KEY" not in err and "foreign key" not in err


def test_the_library_prune_keeps_running_cycles_too(db_url):  # noqa: F811
    with open_store(db_url, create=True) as store:
        cycle = store.start_cycle("c")
        store.write(cycle, [decision_rows("c-1.json", 0, decide(packet("c-1")))])
        assert store.prune(datetime.date(2999, 1, 1)) == ([], 0)
        assert store.pruning(datetime.date(2999, 1, 1)).running_kept == ["c"]
        store.mark_running(cycle, False)
        assert store.prune(datetime.date(2999, 1, 1)) == (["c"], 1)


def test_the_help_says_the_times_the_store_keeps_to():
    from promoready.store.recorder import HEARTBEAT

    shown = " ".join(run("cycles", "prune", "--help").stdout.split())
    assert (HEARTBEAT, RUNNING_WITHIN) == (30.0, datetime.timedelta(minutes=5))
    assert "marks its cycle every 30 seconds" in shown and "5 minutes after its last mark" in shown
