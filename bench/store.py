"""What recording a cycle in the store costs: ``promoready batch`` with ``--cycle/--db`` against the same
batch without it, on the same packets, as a ratio of throughputs (target ≥ 0.8 on SQLite).

    .venv/bin/python bench/store.py                       # 20,000 packets, 3 rounds, SQLite
    .venv/bin/python bench/store.py --pg postgresql+psycopg://USER@HOST:PORT/postgres   # and PostgreSQL
    .venv/bin/python bench/store.py --packets 2000 --rounds 1

Each round runs the three batches back to back (no store, SQLite, PostgreSQL when a server URL is
given), each into a fresh store (a new file, a new database), and the ratio is taken within the round
(a shared machine's speed drifts between minutes); the median over rounds is printed.
``bench/run.py`` prints the same rows (``store-sqlite``, ``store-pg``) from ``compare`` below, with
the server from ``PROMOREADY_BENCH_PG_URL``. docs/history.md records a run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Optional

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import packets as packet_gen  # noqa: E402  (bench/ is not a package)

TARGET = 0.8


def _timed(cmd: list[str], timeout: float) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the command's own process) of ``cmd``, its output discarded.

    The CPU is the coordinating process's (its workers are the fork server's children, not its own):
    where the store's writer thread runs, and a figure that a busy machine disturbs far less than the
    wall time. A failure names the last line of stderr.
    """
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            last = err.read().decode("utf-8", "replace").strip().splitlines()[-1:] or ["(no message)"]
            raise RuntimeError(f"exit {proc.returncode}: {last[0][:300]}")
    return wall, usage.ru_utime + usage.ru_stime


def _pg_database(server: str) -> tuple[str, Any]:
    """A new database on the server: (its URL, a function that drops it)."""
    import sqlalchemy as sa

    name = f"promoready_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return sa.engine.make_url(server).set(database=name).render_as_string(hide_password=False), drop


def compare(cmd: list[str], path: str, count: int, *, workers: int = 2, rounds: int = 1, tmp: str,
            pg_url: Optional[str] = None) -> dict[str, Any]:
    """Rates (packets/s) of batch without a store, with SQLite and (given a server) PostgreSQL, and the ratios."""
    base = [*cmd, "batch", path, "--workers", str(workers), "--summary", os.path.join(tmp, "summary.json")]
    rates: dict[str, list[float]] = {"none": [], "sqlite": [], "pg": []}
    cpu: dict[str, list[float]] = {"none": [], "sqlite": [], "pg": []}  # coordinating process, µs per packet
    ratios: dict[str, list[float]] = {"sqlite": [], "pg": []}

    def one(key: str, extra: list[str]) -> None:
        wall, used = _timed([*base, *extra], max(600.0, count / 10))
        rates[key].append(count / wall)
        cpu[key].append(used / count * 1e6)

    for n in range(rounds):
        one("none", [])
        one("sqlite", ["--cycle", "bench", "--db", os.path.join(tmp, f"bench-{n}.sqlite")])
        ratios["sqlite"].append(rates["sqlite"][-1] / rates["none"][-1])
        if pg_url:
            url, drop = _pg_database(pg_url)
            try:
                one("pg", ["--cycle", "bench", "--db", url])
            finally:
                drop()
            ratios["pg"].append(rates["pg"][-1] / rates["none"][-1])
    return {"rates": rates, "ratios": ratios, "cpu_us": cpu,
            "median": {k: statistics.median(v) for k, v in ratios.items() if v},
            "median_rate": {k: statistics.median(v) for k, v in rates.items() if v},
            "median_cpu": {k: statistics.median(v) for k, v in cpu.items() if v}}


def describe(result: dict[str, Any], key: str) -> str:
    """One row's text: the median ratio, the rates behind it, the rounds."""
    ratio, rates, cpu = result["median"][key], result["median_rate"], result["median_cpu"]
    per_round = ", ".join(f"{r:.2f}" for r in result["ratios"][key])
    return (f"{ratio:.2f} ({rates[key]:,.0f} vs {rates['none']:,.0f} packets/s without a store; coordinating "
            f"process {cpu[key]:,.0f} vs {cpu['none']:,.0f} µs CPU/packet; rounds: {per_round})")


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packets", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pg", default=os.environ.get("PROMOREADY_BENCH_PG_URL"), metavar="URL",
                        help="a PostgreSQL server URL whose user may create databases (default: "
                             "$PROMOREADY_BENCH_PG_URL; none: SQLite only)")
    args = parser.parse_args(argv)
    script = Path(sys.executable).parent / "promoready"
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "promoready"]
    with tempfile.TemporaryDirectory(prefix="promoready-bench-store-") as tmp:
        path = packet_gen.write_jsonl(os.path.join(tmp, "batch.jsonl"), packet_gen.pool(2_000), args.packets)
        result = compare(cmd, path, args.packets, workers=args.workers, rounds=args.rounds, tmp=tmp, pg_url=args.pg)
    print(f"batch --workers {args.workers}, {args.packets:,} packets, {args.rounds} round(s); "
          f"ratio = throughput with the store / without (target ≥ {TARGET} on SQLite)")
    print(f"| store | ratio |\n|---|---|\n| SQLite | {describe(result, 'sqlite')} |")
    print(f"| PostgreSQL | {describe(result, 'pg')} |" if result["ratios"]["pg"] else "| PostgreSQL | n/a (no --pg) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
