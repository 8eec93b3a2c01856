"""Commands that create a new store at the same moment, as real processes, on SQLite and on PostgreSQL: the
schema is created once, under a lock, and every one of them goes on with it (was: all but one failed,
"table alembic_version already exists", or "a database but not a promoready store")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from storekit import TINY, db_url, packet  # noqa: F401  (db_url: a fixture)

from promoready.store import open_store, schema_head

RACER = """
import sys, time
from promoready.engine.errors import PromoreadyError
from promoready.store import open_store
start = float(sys.argv[2])
while time.time() < start:  # every process opens the store at the same moment
    pass
try:
    with open_store(sys.argv[1], create=True) as store:
        store.start_cycle(sys.argv[3])
except PromoreadyError as exc:
    print(exc)
    sys.exit(2)
"""


def test_processes_creating_one_new_store_at_once_all_succeed(db_url):  # noqa: F811
    start = time.time() + 3  # after every interpreter has started
    racers = [subprocess.Popen([sys.executable, "-c", RACER, db_url, str(start), f"C{i}"], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True) for i in range(4)]
    said = [r.communicate(timeout=120)[0] for r in racers]
    assert [r.returncode for r in racers] == [0] * 4, said
    with open_store(db_url) as store:
        assert store.schema_version() == schema_head()
        assert sorted(c.name for c in store.cycles()) == ["C0", "C1", "C2", "C3"]


def test_two_batches_on_a_new_sqlite_store_both_record_their_cycle(tmp_path):
    # The tester's case end to end: two `batch --cycle` runs started together on a store not there yet. (Their
    # start-up times vary, so this meets the race only sometimes; the test above meets it every time.)
    db = tmp_path / "race.sqlite"
    runs = []
    for name in ("ENG", "SALES"):
        source = tmp_path / f"{name}.jsonl"
        source.write_text("".join(json.dumps(packet(f"{name}-{i}")) + "\n" for i in range(5)))
        runs.append(subprocess.Popen(
            [sys.executable, "-m", "promoready", "batch", str(source), "--ladder", TINY, "--workers", "1",
             "--cycle", name, "--db", str(db), "--out", str(tmp_path / f"{name}.out.jsonl")],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy()))
    errs = [r.communicate(timeout=300)[1] for r in runs]
    assert [r.returncode for r in runs] == [0, 0], errs
    with open_store(str(db)) as store:
        assert [(c.name, c.decisions, c.complete) for c in store.cycles()] in (
            [("ENG", 5, True), ("SALES", 5, True)], [("SALES", 5, True), ("ENG", 5, True)])
