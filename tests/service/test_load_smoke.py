"""Smoke test of bench/load.py: ``--quick`` starts serve with 1 and 2 workers, prints its whole table and
meets no error, with wrk as the client when it is installed and with the script's own Python client.
No figure is compared with a target here (timings on a shared machine are noise)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LOAD = os.path.join(ROOT, "bench", "load.py")
sys.path.insert(0, os.path.join(ROOT, "bench"))

import wrk_client  # noqa: E402  (bench/wrk_client.py)


@pytest.mark.parametrize("client", ["auto", "python"])
def test_quick_load_benchmark_prints_every_row_without_errors(tmp_path, client: str):
    if client == "auto" and not shutil.which("wrk"):
        pytest.skip("wrk is not installed: 'auto' is the Python client, run as 'python' already")
    figures_path = tmp_path / "load.json"
    proc = subprocess.run([sys.executable, LOAD, "--quick", "--client", client, "--json", str(figures_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "exited" not in proc.stderr  # both servers stopped cleanly on SIGTERM
    used = "wrk" if client == "auto" and shutil.which("wrk") else "python"
    assert ("client: wrk " if used == "wrk" else "client: Python asyncio") in proc.stdout
    for row in ("| inproc |", "| http-1c |", "| 1w |", "| 2w |", "| HTTP ÷ in-process p50 |",
                "| added p50 (HTTP − in-process) |", "| 2w ÷ 1w throughput |", "| 2w ÷ 1w, each round |",
                "| machine ceiling: 2 busy processes ÷ 1 |", "| 2w: busiest worker's share of CPU, each round |",
                "| errors, all runs | 0 |"):
        assert row in proc.stdout, proc.stdout
    figures = json.loads(figures_path.read_text(encoding="utf-8"))
    ratios = figures.pop("ratios")
    assert figures.pop("client") == used
    assert set(figures) == {"inproc", "http-1c", "1w", "2w"}
    assert all(f["errors"] == 0 and f["requests"] > 0 for f in figures.values()), figures
    assert len(ratios["scale_2w_1w"]) == len(ratios["ceiling"]) == 1  # --quick: one round
    (share,) = ratios["busiest_worker_share_2w"]
    assert 0.5 <= share <= 1.0  # both workers of the 2w server were found and measured
    assert figures["2w"]["workers"] == 2 and figures["1w"]["clients"] == 16


def test_wrk_figures_are_read_from_the_scripts_line_and_errors_add_up():
    out = ("Running 2s test @ http://127.0.0.1:1/v1/evaluate\n  Requests/sec:   1500.00\n"
           f'{wrk_client.MARK}{{"requests": 3000, "duration_us": 2000000, "p50_us": 1250, "p99_us": 9000, '
           '"status": 2, "connect": 0, "read": 1, "write": 0, "timeout": 3}\n')
    figures = wrk_client.parse(out)
    assert (figures.requests, figures.seconds, figures.p50_ms, figures.p99_ms, figures.errors) == (3000, 2.0, 1.25, 9.0, 6)
    assert figures.throughput == 1500.0
    with pytest.raises(SystemExit, match="wrk printed no figures"):
        wrk_client.parse("unable to connect to 127.0.0.1:1 Connection refused\n", returncode=1)
