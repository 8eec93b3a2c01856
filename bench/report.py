"""How long ``promoready report`` takes over a large cycle (docs/report.md quotes it).

Decisions are made once by ``promoready batch`` over ``--base`` generated packets (bench/packets.py),
then repeated, each copy under its own candidate id, up to ``--count`` decisions; a groups CSV gives
every candidate two attributes. The report is then timed as a user runs it, HTML and JSON, with
and without the groups. Prints one table row per run; no figure is checked against a target.

    python bench/report.py --count 100000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import packets  # noqa: E402


def make_cycle(folder: str, base: int, count: int) -> tuple[str, str]:
    """A decisions JSONL of ``count`` decisions and a groups CSV for them."""
    source = packets.write_jsonl(os.path.join(folder, "packets.jsonl"), packets.pool(base), base)
    made = os.path.join(folder, "base.jsonl")
    subprocess.run([sys.executable, "-m", "promoready", "batch", source, "--out", made, "--summary",
                    os.path.join(folder, "base-summary.json")], check=True)
    records = [json.loads(line) for line in open(made, encoding="utf-8")]
    decisions, groups = os.path.join(folder, "decisions.jsonl"), os.path.join(folder, "groups.csv")
    rng = random.Random(1)
    with open(decisions, "w", encoding="utf-8") as out, open(groups, "w", encoding="utf-8") as g:
        g.write("candidate_id,gender,band\n")
        for i in range(count):
            record = dict(records[i % len(records)], candidate_id=f"c-{i:07d}")
            out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
            g.write(f"c-{i:07d},{rng.choice('fm')},{rng.choice(['<30', '30-45', '45+'])}\n")
    return decisions, groups


def timed(args: list[str]) -> tuple[float, float]:
    """Wall-clock seconds, and CPU seconds of the command (what an idle machine's wall clock would show)."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "promoready", "report", *args], check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000, help="decisions in the cycle (default 100,000)")
    parser.add_argument("--base", type=int, default=500, help="distinct packets evaluated (default 500)")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="promoready-report-bench-") as folder:
        decisions, groups = make_cycle(folder, opts.base, opts.count)
        size = os.path.getsize(decisions) / 1e6
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs\n")
        print("| run | decisions | file MB | wall s | CPU s |\n|---|---:|---:|---:|---:|")
        for name, extra in (("html", []), ("json", ["--format", "json"]), ("html + groups", ["--groups", groups]),
                            ("html + groups + compare", ["--groups", groups, "--compare", decisions])):
            wall, cpu = timed([decisions, "--out", os.path.join(folder, "out"), *extra])
            print(f"| {name} | {opts.count:,} | {size:,.0f} | {wall:.1f} | {cpu:.1f} |", flush=True)


if __name__ == "__main__":
    main()
