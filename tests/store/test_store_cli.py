"""The store's commands (history, cycles, decisions, db) through the command line, on both databases."""

from __future__ import annotations

import datetime
import json
import os

import pytest
from click.testing import CliRunner
from storekit import db_url, decide, packet  # noqa: F401  (db_url: a fixture)

from promoready.cli import main
from promoready.store import decision_rows, open_store

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def filled(db_url):  # noqa: F811
    """Two cycles: c-1 not ready then ready, c-2 ready then not ready, c-3 unknown then not ready."""
    with open_store(db_url, create=True) as store:
        for name, years in (("2026-H1", {"c-1": 0.5, "c-2": 3.5, "c-3": None}),
                            ("2026-H2", {"c-1": 3.5, "c-2": 0.5, "c-3": 0.5})):
            cycle = store.start_cycle(name, ladder_id="tiny")
            store.write(cycle, [decision_rows(f"{cid}.json", i, decide(packet(cid, years=y)))
                                for i, (cid, y) in enumerate(years.items())])
            store.finish_cycle(cycle)
    return db_url


def test_history_in_every_format(filled):
    done = run("history", "c-1", "--db", filled, "--format", "json")
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    assert [(e["cycle"], e["verdict"]) for e in data["entries"]] == [("2026-H1", "not_ready"), ("2026-H2", "ready")]
    assert data["entries"][1]["changes"] == [{"criterion": "experience", "before": "fail", "after": "pass"}]
    lines = run("history", "c-1", "--db", filled, "--format", "jsonl").stdout.splitlines()
    assert [json.loads(line)["candidate_id"] for line in lines] == ["c-1", "c-1"]
    markdown = run("history", "c-1", "--db", filled, "--format", "markdown").stdout
    assert "| 2026-H2 |" in markdown and "experience: fail → pass" in markdown and "| ready |" in markdown
    table = run("history", "c-1", "--db", filled, "--format", "table").stdout
    assert "not ready" in table and "experience: fail → pass" in table


def test_cycles_list_show_and_diff(filled):
    listed = json.loads(run("cycles", "list", "--db", filled, "--format", "json").stdout)
    assert [(c["name"], c["complete"], c["decisions"]) for c in listed] == [("2026-H1", True, 3), ("2026-H2", True, 3)]
    shown = json.loads(run("cycles", "show", "2026-H2", "--db", filled, "--format", "json").stdout)
    assert shown["verdicts"] == {"not_ready": 2, "ready": 1}
    assert listed[1]["verdicts"] == {"not_ready": 2, "ready": 1}  # the list counts verdicts too, not {}
    diff = json.loads(run("cycles", "diff", "2026-H1", "2026-H2", "--db", filled, "--format", "json").stdout)
    assert [c["candidate_id"] for c in diff["became_ready"]] == ["c-1"]
    assert [c["candidate_id"] for c in diff["regressed"]] == ["c-2"]
    assert diff["criteria"] == [{"criterion": "experience", "moved": 3, "improved": 1, "worsened": 2, "other": 0}]
    markdown = run("cycles", "diff", "2026-H1", "2026-H2", "--db", filled, "--format", "markdown").stdout
    assert "## Became ready (1)" in markdown and "| c-1 | junior → senior | not ready | ready |" in markdown


def test_cycles_list_and_show_agree_on_every_cycle(filled):
    with open_store(filled) as store:
        store.start_cycle("empty")  # a cycle with no decision yet: no verdict in either
    listed = json.loads(run("cycles", "list", "--db", filled, "--format", "json").stdout)
    assert [c["name"] for c in listed] == ["2026-H1", "2026-H2", "empty"]
    for found in listed:
        shown = json.loads(run("cycles", "show", found["name"], "--db", filled, "--format", "json").stdout)
        assert found == shown
    assert listed[2]["verdicts"] == {} and sum(listed[0]["verdicts"].values()) == 3


def test_decisions_show_by_id_and_by_candidate_and_cycle(filled):
    by_candidate = json.loads(run("decisions", "show", "--candidate", "c-2", "--cycle", "2026-H2", "--db", filled,
                                  "--format", "json").stdout)
    assert by_candidate["verdict"] == "not_ready" and by_candidate["decision"]["candidate_id"] == "c-2"
    by_id = json.loads(run("decisions", "show", str(by_candidate["id"]), "--db", filled, "--format", "json").stdout)
    assert by_id == by_candidate
    by_public_id = run("decisions", "show", by_candidate["uuid"], "--db", filled, "--format", "json")
    assert json.loads(by_public_id.stdout) == by_candidate and len(by_candidate["uuid"]) == 36
    table = run("decisions", "show", str(by_candidate["id"]), "--db", filled, "--format", "table").stdout
    # The table names the decision by its public id (the service's decision_id), then its row number.
    assert table.startswith(f"decision {by_candidate['uuid']} (row {by_candidate['id']}) · cycle 2026-H2 · c-2.json\n"
                            "c-2: not ready")


@pytest.mark.parametrize("args, code", [
    (("history", "c-9"), "usage.candidate"), (("cycles", "show", "2026-H3"), "usage.cycle"),
    (("cycles", "diff", "2026-H1", "nope"), "usage.cycle"), (("decisions", "show", "99999"), "usage.decision"),
    (("decisions", "show", "5f0c0000-0000-4000-8000-000000000000"), "usage.decision"),
    (("decisions", "show", "emp-1"), "usage.decision"),
    (("decisions", "show"), "usage.decision"), (("decisions", "show", "1", "--candidate", "c-1"), "usage.decision"),
    (("cycles", "prune", "--before", "31/12/2026"), "usage.date"),
])
def test_what_is_not_there_is_exit_2_with_its_code(filled, args, code):
    done = run(*args, "--db", filled)
    assert done.exit_code == 2 and done.stdout == ""
    assert done.stderr.startswith("promoready: ") and done.stderr.rstrip().endswith(f"[{code}]")


def test_prune_by_command(filled):
    done = run("cycles", "prune", "--before", "2000-01-01", "--db", filled, "--format", "table")
    assert done.stdout.strip() == "no cycle started before that date: nothing pruned"
    tomorrow = datetime.datetime.now(datetime.timezone.utc).date() + datetime.timedelta(days=1)
    done = run("cycles", "prune", "--before", tomorrow.isoformat(), "--db", filled, "--format", "json")
    assert json.loads(done.stdout) == {"cycles": ["2026-H1", "2026-H2"], "decisions": 6, "logs_kept": [],
                                       "running_kept": [], "dry_run": False}
    assert json.loads(run("cycles", "list", "--db", filled, "--format", "json").stdout) == []


def test_a_store_server_that_cannot_be_reached_is_exit_4_not_a_usage_error():
    done = run("cycles", "list", "--db", "postgresql://someone:secret@127.0.0.1:1/promoready")
    assert done.exit_code == 4 and done.stdout == "" and "secret" not in done.stderr
    assert done.stderr.startswith("promoready: ") and done.stderr.rstrip().endswith("[system.store-unavailable]")


@pytest.mark.parametrize("args", [
    ("db", "status"), ("db", "upgrade"), ("db", "downgrade", "--to", "base"), ("cycles", "list"),
    ("cycles", "show", "c"), ("history", "c-1"), ("report", "--cycle", "c", "--out", "OUT"),
    ("batch", os.path.join(ROOT, "examples", "packet.yaml"), "--cycle", "c"),
])
def test_a_file_that_is_not_a_database_is_usage_db_for_every_store_command(tmp_path, args):
    notdb = tmp_path / "notdb.sqlite"
    notdb.write_text("hello\n")
    done = run(*[str(tmp_path / "r.html") if a == "OUT" else a for a in args], "--db", str(notdb))
    assert done.exit_code == 2 and done.stdout == "", done.output
    assert done.stderr.rstrip().endswith("[usage.db]"), done.stderr  # not usage.db-failed: nothing failed midway
    assert f"{notdb} is not a promoready store: the file is not a SQLite database" in done.stderr
    assert notdb.read_text() == "hello\n" and sorted(p.name for p in tmp_path.iterdir()) == ["notdb.sqlite"]


def test_db_status_upgrade_and_downgrade(db_url):  # noqa: F811
    done = run("db", "upgrade", "--db", db_url)
    assert done.exit_code == 0 and done.stdout.rstrip().endswith("schema version (none) → 0006")
    assert run("db", "downgrade", "--to", "0001", "--db", db_url).stdout.rstrip().endswith("0006 → 0001")
    refused = run("cycles", "list", "--db", db_url)
    assert refused.exit_code == 2 and "promoready db upgrade --db" in refused.stderr
    assert "schema version 0001; this promoready needs 0006" in run("db", "status", "--db", db_url).stdout
    assert run("db", "upgrade", "--db", db_url).exit_code == 0
    assert run("cycles", "list", "--db", db_url, "--format", "json").stdout.strip() == "[]"


def test_the_default_store_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("PROMOREADY_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    done = run("cycles", "list")
    assert done.exit_code == 2 and str(tmp_path / "data" / "promoready" / "history.sqlite") in done.stderr
    monkeypatch.setenv("PROMOREADY_DB", str(tmp_path / "env.sqlite"))
    assert run("db", "upgrade").exit_code == 0 and (tmp_path / "env.sqlite").exists()


def test_prune_says_its_counts_in_agreement_and_shows_cycle_names_escaped():
    from promoready.cli._history_render import render_pruned
    from promoready.store import Pruned

    # Was "pruned 1 cycles (…) and 1 decisions": the counts were made by hand, not with counted().
    assert render_pruned(Pruned(["2026-H1"], 1), "table") == "pruned 1 cycle (2026-H1) and 1 decision"
    assert render_pruned(Pruned(["a", "b"], 1200), "table") == "pruned 2 cycles (a, b) and 1,200 decisions"
    shown = render_pruned(Pruned(["B\u202e\x1b[31m"], 0, ["L\u202e"]), "table")
    assert shown == ("pruned 1 cycle (B\\u202e\\x1b[31m) and 0 decisions; kept 1 decision log (L\\u202e): a service "
                     "may still be writing to it (--include-logs prunes it too)") and "\u202e" not in shown


@pytest.mark.parametrize("args", [
    ("cycles", "list"), ("db", "status"), ("history", "c-1"),
    ("batch", os.path.join(ROOT, "examples", "packet.yaml"), "--cycle", "c"),
])
def test_a_folder_given_as_the_store_is_said_to_be_a_folder(tmp_path, args):
    # Was: "opening the store: unable to open database file".
    folder = tmp_path / "pk"
    folder.mkdir()
    done = run(*args, "--db", str(folder))
    assert done.exit_code == 2 and done.stdout == "", done.output
    assert done.stderr == (f"promoready: --db: {folder} is a folder, not a store: --db takes the store's file (a SQLite "
                           f"database, such as {folder / 'history.sqlite'}) or a database URL [usage.db]\n")
    assert list(folder.iterdir()) == []
