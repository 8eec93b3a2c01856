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
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN = os.path.join(ROOT, "bench", "run.py")

ROW_KEYS = ("a", "b", "a/b", "same", "a2", "c", "c-off", "a2/c", "a2/c-off", "c=a", "engine", "engine-replay", "firings",
            "batch1", "batch2", "2w/1w", "cpu2/1", "pair2/1", "parent", "store-sqlite", "store-pg", "rss-small", "rss-large",
            "rss-ratio", "help", "evaluate", "cold", "old", "new/old", "cold-old")


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
    for key in ("a", "b", "a/b", "engine", "engine-replay", "firings"):  # never depend on anything optional
        assert isinstance(figures["figures"][key]["value"], (int, float)), rows[key]
    for key in ("a", "b"):  # CPU time and wall time, both printed
        assert "wall" in rows[key] and "CPU" in rows[key], rows[key]
    for key in ("evaluate", "cold"):  # both cold starts ran (the ladder cache off, then warm)
        assert isinstance(figures["figures"][key]["value"], float) and "CPU best" in rows[key], rows[key]
    for key in ("2w/1w", "pair2/1"):  # the pool's scaling, and the ceiling a pool with no cost would reach
        assert isinstance(figures["figures"][key]["value"], float) and figures["figures"][key]["value"] > 0, rows[key]
    assert "the batch summary keeps" in rows["rss-ratio"], rows["rss-ratio"]  # its replay ran
    assert rows["new/old"].startswith("n/a (run with --against REF)")  # only with --against
    if importlib.util.find_spec("zen") is not None:  # the zen peer agrees with promoready where it runs
        zen = figures["figures"]["c=a"]
        assert zen["value"] is not None and zen["value"] == int(zen["text"].split("/")[1].replace(",", "")), zen
        for key in ("c", "c-off", "a2/c", "a2/c-off"):  # the peer with its trace on and off
            assert isinstance(figures["figures"][key]["value"], (int, float)), rows[key]


def test_the_against_harness_compares_two_installs_in_turns(tmp_path):
    """``--against``'s comparison, with this checkout on both sides (installing another commit takes a
    minute and a package index: docs/performance.md records a real run): every packet is evaluated by
    both, in turns, and the figures are the per-round CPU times of each side."""
    sys.path.insert(0, os.path.join(ROOT, "bench"))
    try:
        import against
        import packets
    finally:
        sys.path.pop(0)
    texts = packets.texts(packets.pool(12, 7))
    env = {**os.environ, "PROMOREADY_CACHE_DIR": str(tmp_path / "cache")}
    ladder = against.bundled_ladder(sys.executable)  # as for another commit: its default ladder, by path
    assert os.path.isfile(os.path.join(ladder, "ladder.yaml"))
    result = against.compare("HEAD", sys.executable, texts, rounds=3, cold_runs=2,
                             cold_packet=os.path.join(ROOT, "examples", "packet.yaml"), tmp=str(tmp_path),
                             cold_env=env, ladder=ladder, apart=False)
    assert (result.packets, result.accepted, result.identical, result.same_ladder) == (12, 12, 12, True)
    assert len(result.new_cpu) == len(result.old_cpu) == 3 and all(c > 0 for c in result.new_cpu + result.old_cpu)
    assert result.ratio == sorted(result.ratios)[1] and len(result.cold_new) == len(result.cold_old) == 2
    with pytest.raises(against.AgainstError, match="imported this checkout"):  # the same code is caught
        against.compare("HEAD", sys.executable, texts[:2], rounds=1, cold_runs=0,
                        cold_packet=os.path.join(ROOT, "examples", "packet.yaml"), tmp=str(tmp_path))


def test_the_breakdown_times_a_ladder_using_at_least():
    # The monzo-product example ladder has at_least conditions: its rulesets run in stages, and the
    # timing stand-in must pass them on (it once forwarded only the fact and the tally).
    ladder = os.path.join(ROOT, "examples", "ladders", "monzo-product")
    assert "at_least" in "".join(open(os.path.join(ladder, f), encoding="utf-8").read()
                                 for f in os.listdir(ladder) if f.endswith(".yaml"))
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "breakdown.py"), "--packets", "12",
                           "--rounds", "1", "--top", "3", "--clock", "cpu", "--ladder", ladder],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    phases = dict(re.findall(r"^\| ([a-z ]+) \| ([0-9.,]+) \|", proc.stdout, re.M))
    assert set(phases) >= {"read in one pass", "measures", "engine", "decision construction", "serialisation"}, proc.stdout
    assert float(phases["engine"].replace(",", "")) > 0, proc.stdout  # the engine ran, and was timed


def test_a_measured_run_past_its_timeout_is_killed_with_what_it_started(tmp_path):
    """``bench/run.py``'s ``measured`` runs a command through a wrapper: on a timeout the command and its
    own children go too, not only the wrapper (they would run on under the rows measured after)."""
    sys.path.insert(0, os.path.join(ROOT, "bench"))
    try:
        import run
    finally:
        sys.path.pop(0)
    marker = tmp_path / "alive"
    script = f"import subprocess, time; subprocess.Popen(['sleep', '60']); open({str(marker)!r}, 'w').close(); time.sleep(60)"
    with pytest.raises(subprocess.TimeoutExpired):
        run.measured([sys.executable, "-c", script], timeout=3)
    assert marker.exists()  # it had started its child before the timeout
    # A SIGKILL is delivered, and the process gone, a moment after killpg returns (longer on a busy machine).
    deadline = time.monotonic() + 10
    while True:
        left = subprocess.run(["pgrep", "-f", "^sleep 60$"], capture_output=True, text=True).stdout.split()
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert left == []
