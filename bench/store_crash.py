"""The issue's acceptance run for the store, by hand: a 20,000-packet cycle recorded whole, the same cycle
killed with SIGKILL in the middle of a transaction and resumed, and the two compared row for row.

    .venv/bin/python bench/store_crash.py [--packets 20000] [--db sqlite|URL-of-a-server]

With a PostgreSQL server URL, a new database is made for the run and dropped after it. The kill is
the store's test hook (``PROMOREADY_TEST_STORE_KILL_AFTER``): the process kills itself after its
inserts and before its commit, once half the packets are committed. tests/store/test_store_batch.py
does the same with fewer packets; docs/history.md records this run's figures.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Optional

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import packets as packet_gen  # noqa: E402
import store as store_bench  # noqa: E402

import sqlalchemy as sa  # noqa: E402

from promoready.store import open_store  # noqa: E402
from promoready.store.recorder import KILL_ENV  # noqa: E402


def run(cmd: list[str], env: Optional[dict[str, str]] = None) -> tuple[int, float]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, **(env or {})})
    return proc.returncode, time.perf_counter() - start


def rows(db: str, cycle: str) -> list[tuple]:
    with open_store(db) as store, store.engine.connect() as conn:
        cycle_id = store.cycle(cycle).id
        decisions = conn.execute(sa.text("SELECT item, verdict, decision_json FROM decisions WHERE cycle_id = :c "
                                         "ORDER BY item"), {"c": cycle_id}).all()
        criteria = conn.execute(sa.text("SELECT d.item, r.criterion_id, r.status FROM criterion_results r JOIN "
                                        "decisions d ON d.id = r.decision_id WHERE d.cycle_id = :c ORDER BY 1, 2"),
                                {"c": cycle_id}).all()
        return [tuple(r) for r in decisions] + [tuple(r) for r in criteria]


def main() -> int:
    parser = argparse.ArgumentParser(description="kill a recorded cycle mid-transaction, resume it, compare")
    parser.add_argument("--packets", type=int, default=20_000)
    parser.add_argument("--db", default="sqlite", help="sqlite (a temporary file) or a PostgreSQL server URL")
    args = parser.parse_args()
    cmd = [str(Path(sys.executable).parent / "promoready"), "batch", "--workers", "2"]
    with tempfile.TemporaryDirectory(prefix="promoready-crash-") as tmp:
        drop = None
        db = os.path.join(tmp, "store.sqlite")
        if args.db != "sqlite":
            db, drop = store_bench._pg_database(args.db)
        try:
            path = packet_gen.write_jsonl(os.path.join(tmp, "cycle.jsonl"), packet_gen.pool(2_000), args.packets)
            rc, whole = run([*cmd, path, "--cycle", "whole", "--db", db])
            print(f"uninterrupted: exit {rc}, {whole:.1f} s ({args.packets / whole:,.0f} packets/s)")
            rc, killed = run([*cmd, path, "--cycle", "crashed", "--db", db], env={KILL_ENV: str(args.packets // 2)})
            with open_store(db) as store:
                kept = store.cycle("crashed")
            print(f"killed: exit {rc} after {killed:.1f} s; the store kept {kept.decisions:,} decisions, "
                  f"complete={kept.complete}")
            rc, resumed = run([*cmd, path, "--cycle", "crashed", "--db", db, "--resume"])
            with open_store(db) as store:
                a, b = store.cycle("whole"), store.cycle("crashed")
            same = rows(db, "whole") == rows(db, "crashed")
            print(f"resumed: exit {rc}, {resumed:.1f} s; whole {a.decisions:,} decisions, resumed {b.decisions:,} "
                  f"decisions, complete={b.complete}, runs={b.runs}; rows identical: {same}")
            return 0 if same and a.decisions == b.decisions == args.packets and b.complete else 1
        finally:
            if drop is not None:
                drop()


if __name__ == "__main__":
    sys.exit(main())
