"""Smoke test of bench/load.py: ``--quick`` starts serve with 1 and 2 workers, prints its whole table and
meets no error. No figure is compared with a target here (timings on a shared machine are noise)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LOAD = os.path.join(ROOT, "bench", "load.py")


def test_quick_load_benchmark_prints_every_row_without_errors(tmp_path):
    figures_path = tmp_path / "load.json"
    proc = subprocess.run([sys.executable, LOAD, "--quick", "--json", str(figures_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "exited" not in proc.stderr  # both servers stopped cleanly on SIGTERM
    for row in ("| inproc |", "| http-1c |", "| 1w |", "| 2w |", "| HTTP ÷ in-process p50 |",
                "| added p50 (HTTP − in-process) |", "| 2w ÷ 1w throughput |", "| errors, all runs | 0 |"):
        assert row in proc.stdout, proc.stdout
    figures = json.loads(figures_path.read_text(encoding="utf-8"))
    ratios = figures.pop("ratios")
    assert set(figures) == {"inproc", "http-1c", "1w", "2w"}
    assert all(f["errors"] == 0 and f["requests"] > 0 for f in figures.values()), figures
    assert len(ratios["scale_2w_1w"]) == len(ratios["ceiling"]) == 1  # --quick: one round
    assert figures["2w"]["workers"] == 2 and figures["1w"]["clients"] == 8
