"""Smoke test of the benchmark harness: ``bench/run.py --quick`` runs and prints its whole table.

No figure is checked against a target here (timings on a shared machine are noise); only that the
harness works, that every row is printed, and that the reference pipeline (b) produced decisions
byte-identical to promoready's (a) on every packet of the sample.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN = os.path.join(ROOT, "bench", "run.py")

ROW_KEYS = ("a", "b", "a/b", "same", "a2", "c", "a2/c", "c=a", "engine", "firings", "batch1", "batch2", "2w/1w", "cpu2/1",
            "parent", "store-sqlite", "store-pg", "rss-small", "rss-large", "rss-ratio", "help", "evaluate")


def test_quick_benchmark_prints_every_row(tmp_path):
    figures_path = tmp_path / "figures.json"
    proc = subprocess.run([sys.executable, RUN, "--quick", "--json", str(figures_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stderr[-3000:]

    rows = {}
    for line in proc.stdout.splitlines():
        match = re.match(r"^\| ([^|]+?) \| ([^|]+?) \| ([^|]*?) \|", line)
        if match and match.group(1) not in ("key", "---"):
            rows[match.group(1)] = match.group(3)
    missing = [key for key in ROW_KEYS if key not in rows]
    assert not missing, f"rows missing from the table: {missing}\n{proc.stdout}"

    figures = json.loads(figures_path.read_text(encoding="utf-8"))
    count = figures["info"]["packets"]["count"]
    assert count > 0
    assert figures["figures"]["same"]["value"] == count, rows["same"]  # (a) and (b): identical decisions
    for key in ("a", "b", "engine", "firings"):  # the in-process figures never depend on anything optional
        assert isinstance(figures["figures"][key]["value"], (int, float)), rows[key]
    if importlib.util.find_spec("zen") is not None:  # the zen peer agrees with promoready where it runs
        zen = figures["figures"]["c=a"]
        assert zen["value"] is not None and zen["value"] == int(zen["text"].split("/")[1].replace(",", "")), zen
