"""``cycles prune`` and the HTTP service's decision log, on SQLite and on PostgreSQL: a log (``serve --cycle``)
is kept unless asked for, a dry run deletes nothing, a date in the future is refused; and a log's writer
whose cycle is gone anyway (pruned, deleted) creates it again instead of losing every later decision."""

from __future__ import annotations

import datetime
import json
import uuid

import sqlalchemy as sa
from click.testing import CliRunner
from storekit import db_url, decide, packet  # noqa: F401  (db_url: a fixture)

from promoready.cli import main
from promoready.store import decision_rows, open_store


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def tomorrow() -> str:
    return (datetime.datetime.now(datetime.timezone.utc).date() + datetime.timedelta(days=1)).isoformat()


def logged(cid: str):
    """A decision as the service logs it: under its public id, at the cycle's next position."""
    public = str(uuid.uuid4())
    return decision_rows(public, None, decide(packet(cid)), public_id=public)


def a_batch_and_a_log(db_url: str) -> None:  # noqa: F811
    with open_store(db_url, create=True) as store:
        batch = store.start_cycle("2026-H1", ladder_id="tiny")
        store.write(batch, [decision_rows(f"c-{i}.json", i, decide(packet(f"c-{i}"))) for i in range(3)])
        store.finish_cycle(batch)
        log = store.open_log("svclog")
        store.write(log, [logged("c-1"), logged("c-2")])


def test_prune_keeps_a_decision_log_unless_asked_and_a_dry_run_deletes_nothing(db_url):  # noqa: F811
    a_batch_and_a_log(db_url)
    done = run("cycles", "prune", "--before", tomorrow(), "--db", db_url, "--dry-run", "--format", "json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout) == {"cycles": ["2026-H1"], "decisions": 3, "logs_kept": ["svclog"],
                                       "running_kept": [], "dry_run": True}
    # A retention job reading JSON hears of the log kept on stderr (text output says it in its line).
    assert done.stderr == ("promoready: warning: kept 1 decision log (svclog): a service may still be writing to it "
                           "(--include-logs prunes it too)\n")
    assert run("cycles", "prune", "--before", tomorrow(), "--db", db_url, "--dry-run", "--include-logs",
               "--format", "table").stdout.strip() == (
        "would prune 2 cycles (2026-H1, svclog) and 5 decisions (dry run: nothing deleted)")
    with open_store(db_url) as store:
        assert [c.name for c in store.cycles()] == ["2026-H1", "svclog"]  # the dry runs deleted nothing

    done = run("cycles", "prune", "--before", tomorrow(), "--db", db_url, "--format", "table")
    assert done.exit_code == 0 and done.stdout.strip() == (
        "pruned 1 cycle (2026-H1) and 3 decisions; kept 1 decision log (svclog): a service may still be writing to "
        "it (--include-logs prunes it too)") and done.stderr == ""
    # Only the log is old enough now: nothing pruned, and no claim that nothing started before the date.
    done = run("cycles", "prune", "--before", tomorrow(), "--db", db_url, "--format", "table")
    assert done.stdout.strip() == ("nothing pruned; kept 1 decision log (svclog): a service may still be writing to "
                                   "it (--include-logs prunes it too)")
    with open_store(db_url) as store:
        assert [(c.name, c.decisions) for c in store.cycles()] == [("svclog", 2)]

    done = run("cycles", "prune", "--before", tomorrow(), "--db", db_url, "--include-logs", "--format", "json")
    assert json.loads(done.stdout) == {"cycles": ["svclog"], "decisions": 2, "logs_kept": [],
                                       "running_kept": [], "dry_run": False}
    with open_store(db_url) as store:
        assert store.cycles() == []


def test_the_library_prune_keeps_logs_too(db_url):  # noqa: F811
    a_batch_and_a_log(db_url)
    with open_store(db_url) as store:
        assert store.prune(datetime.date(2999, 1, 1)) == (["2026-H1"], 3)
        assert store.prune(datetime.date(2999, 1, 1), logs=True) == (["svclog"], 2)


def test_a_before_date_in_the_future_is_refused_saying_what_it_would_do(db_url):  # noqa: F811
    a_batch_and_a_log(db_url)
    done = run("cycles", "prune", "--before", "2099-01-01", "--db", db_url)
    assert done.exit_code == 2 and done.stdout == ""
    today = datetime.datetime.now(datetime.timezone.utc).date()
    assert done.stderr == (
        f"promoready: --before: 2099-01-01 is in the future (today is {today}, UTC): every cycle was started before "
        f"it, so every one would be pruned; give a date up to {tomorrow()} (tomorrow: every cycle started until "
        f"now) [usage.date]\n")
    with open_store(db_url) as store:
        assert len(store.cycles()) == 2


def _log_writer(store, name: str, lost: list):
    def reopen(gone: int):
        return store.reopen_log(gone, name)

    cycle = store.open_log(name)
    return store.recorder(cycle, replace=False, cycle_name=name, reopen=reopen,
                          on_failure=lambda exc, n: lost.append((n, str(exc))))


def _offer(recorder, cid: str) -> str:
    public = str(uuid.uuid4())
    assert recorder.offer(public, None, decide(packet(cid)), public_id=public)
    assert recorder.flush(10)
    return public


def test_a_log_whose_cycle_was_pruned_is_created_again_and_no_later_decision_is_lost(db_url):  # noqa: F811
    # Was: every decision after the prune was lost ("No row was found when one was required"), until a restart.
    with open_store(db_url, create=True) as store:
        lost: list = []
        recorder = _log_writer(store, "svclog", lost)
        _offer(recorder, "c-1")
        with open_store(db_url) as other:  # another process prunes, logs included
            assert other.prune(datetime.date(2999, 1, 1), logs=True) == (["svclog"], 1)
        later = [_offer(recorder, f"c-{i}") for i in range(2, 5)]
        recorder.close(finish=False)
        assert lost == []
        cycle = store.cycle("svclog")
        assert (cycle.decisions, cycle.complete) == (3, False)
        assert [store.decision(public).cycle for public in later] == ["svclog"] * 3
        assert [r.seq for r in store.records("svclog")] == [0, 1, 2]  # the new cycle numbers from 0
        assert store.is_log(cycle.id)


def test_a_pruned_log_whose_id_another_cycle_took_is_not_written_into_that_cycle(db_url):  # noqa: F811
    # On SQLite a deleted cycle's id is given to the next cycle created: the log must not write into it.
    with open_store(db_url, create=True) as store:
        lost: list = []
        recorder = _log_writer(store, "svclog", lost)
        _offer(recorder, "c-1")
        store.prune(datetime.date(2999, 1, 1), logs=True)
        batch = store.start_cycle("2026-H2")
        store.write(batch, [decision_rows("c-9.json", 0, decide(packet("c-9")))])
        _offer(recorder, "c-2")
        recorder.close(finish=False)
        assert lost == []
        assert [(c.name, c.decisions) for c in store.cycles()] == [("2026-H2", 1), ("svclog", 1)]


def test_a_log_writer_whose_write_fails_otherwise_counts_it_lost_and_does_not_create_anything(db_url):  # noqa: F811
    with open_store(db_url, create=True) as store:
        lost: list = []
        recorder = _log_writer(store, "svclog", lost)
        public = str(uuid.uuid4())
        cycle = store.cycle("svclog").id  # a decision of that id is there already: the writer's insert fails
        store.write(cycle, [decision_rows("x", None, decide(packet("c-0")), public_id=public)])
        assert recorder.offer(public, None, decide(packet("c-1")), public_id=public)
        assert recorder.flush(10)
        recorder.close(finish=False)
        assert [n for n, _ in lost] == [1]
        with store.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT COUNT(*) FROM cycles")).scalar_one() == 1


def test_a_batch_never_writes_into_nor_resumes_a_services_decision_log(db_url, tmp_path):  # noqa: F811
    # Was: the refusal advised --resume, and --resume added the batch's decisions to the log and marked it complete.
    from storekit import TINY

    with open_store(db_url, create=True) as store:
        store.write(store.open_log("LOG"), [logged(f"c-{i}") for i in range(3)])
    source = tmp_path / "p.json"
    source.write_text(json.dumps(packet("c-9")))

    def batch(*more: str):
        return CliRunner().invoke(main, ["batch", str(source), "--ladder", TINY, "--workers", "1", "--cycle", "LOG",
                                         "--db", db_url, "--out", str(tmp_path / "out.jsonl"), *more],
                                  catch_exceptions=False)

    done = batch()
    assert done.exit_code == 2, done.output
    assert done.stderr == ("promoready: --cycle: cycle 'LOG' is the HTTP service's decision log (3 decisions, "
                           "`serve --cycle LOG`), which a batch does not write to; give another `--cycle` "
                           "[usage.cycle-exists]\n")
    assert "--resume" not in done.stderr
    done = batch("--resume")
    assert done.exit_code == 2, done.output
    assert done.stderr == ("promoready: --cycle: cycle 'LOG' is the HTTP service's decision log (3 decisions, "
                           "`serve --cycle LOG`), which a batch cannot resume: it would add its decisions to the log "
                           "and mark it complete; give another `--cycle` [usage.cycle-exists]\n")
    with open_store(db_url) as store:
        cycle = store.cycle("LOG")
        assert (cycle.decisions, cycle.complete, cycle.runs) == (3, False, 1)
        assert store.is_log(cycle.id)


def test_the_warning_for_logs_kept_speaks_of_them_in_the_plural(db_url):  # noqa: F811
    a_batch_and_a_log(db_url)
    with open_store(db_url) as store:
        other = store.open_log("svclog-2")
        store.write(other, [logged("c-3")])
    done = run("cycles", "prune", "--before", tomorrow(), "--db", db_url, "--dry-run", "--format", "json")
    kept = ("kept 2 decision logs (svclog, svclog-2): a service may still be writing to them (--include-logs prunes "
            "them too)")
    assert done.stderr == f"promoready: warning: {kept}\n"
    # The same sentence in the text line as in the warning that goes with JSON (one wording, said once).
    done = run("cycles", "prune", "--before", tomorrow(), "--db", db_url, "--dry-run", "--format", "table")
    assert done.stdout.strip() == f"would prune 1 cycle (2026-H1) and 3 decisions; {kept} (dry run: nothing deleted)"


def test_an_empty_decision_log_is_known_as_one_refused_by_a_batch_and_kept_by_prune(db_url, tmp_path):  # noqa: F811
    # Was: a log that held no decision yet (a service started, nothing decided) passed for a batch's cycle:
    # `batch --cycle LOG --resume` took it over and marked it complete, and `cycles prune` deleted it.
    from storekit import TINY

    with open_store(db_url, create=True) as store:
        log = store.open_log("LOG")
        assert store.is_log(log) and store.cycle("LOG").log
    source = tmp_path / "p.json"
    source.write_text(json.dumps(packet("c-9")))

    def batch(*more: str):
        return CliRunner().invoke(main, ["batch", str(source), "--ladder", TINY, "--workers", "1", "--cycle", "LOG",
                                         "--db", db_url, "--out", str(tmp_path / "out.jsonl"), *more],
                                  catch_exceptions=False)

    for more, refused in (((), "does not write to"),
                          (("--resume",), "cannot resume: it would add its decisions to the log and mark it complete")):
        done = batch(*more)
        assert done.exit_code == 2, done.output
        assert done.stderr == (f"promoready: --cycle: cycle 'LOG' is the HTTP service's decision log (0 decisions, "
                               f"`serve --cycle LOG`), which a batch {refused}; give another `--cycle` "
                               "[usage.cycle-exists]\n")
    listed = json.loads(run("cycles", "list", "--db", db_url, "--format", "json").stdout)
    assert [(c["name"], c["log"], c["complete"], c["decisions"], c["runs"]) for c in listed] == [
        ("LOG", True, False, 0, 1)]
    assert json.loads(run("cycles", "show", "LOG", "--db", db_url, "--format", "json").stdout)["log"] is True
    assert "| LOG | 1 |" in (table := run("cycles", "list", "--db", db_url, "--format", "markdown").stdout)
    assert "| decision log (open) | 0 |" in table

    done = run("cycles", "prune", "--before", tomorrow(), "--db", db_url, "--format", "json")
    assert json.loads(done.stdout) == {"cycles": [], "decisions": 0, "logs_kept": ["LOG"],
                                       "running_kept": [], "dry_run": False}
    with open_store(db_url) as store:
        assert [c.name for c in store.cycles()] == ["LOG"]
    done = run("cycles", "prune", "--before", tomorrow(), "--db", db_url, "--include-logs", "--format", "json")
    assert json.loads(done.stdout) == {"cycles": ["LOG"], "decisions": 0, "logs_kept": [],
                                       "running_kept": [], "dry_run": False}


def test_a_service_opening_a_batchs_cycle_makes_it_a_log_at_once(db_url):  # noqa: F811
    # `serve --cycle 2026-H1` on a batch's cycle logs into it: from then on it is a log, before its first decision.
    a_batch_and_a_log(db_url)
    with open_store(db_url) as store:
        batch = store.cycle("2026-H1").id
        assert not store.is_log(batch)
        assert store.open_log("2026-H1") == batch
        assert store.is_log(batch)
        assert store.pruning(datetime.date(2999, 1, 1)).logs_kept == ["2026-H1", "svclog"]
