"""A generated cycle for the report's tests: 2,000 packets from bench/packets.py, evaluated by
``promoready batch`` (with its JSON summary), and a groups file with a planted disparity and a
planted small group. Built once per test session, whichever test module asks first.

Not a conftest.py: test modules elsewhere import ``conftest`` by name, and a second one here would
shadow theirs.
"""

from __future__ import annotations

import atexit
import csv
import datetime
import json
import random
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import packets as bench_packets  # noqa: E402  (bench/packets.py: the benchmarks' packet generator)

#: The group planted to be ready less often, and the attribute it belongs to.
DISADVANTAGED = ("gender", "f")
#: A group of this many people in one transition only (below the default minimum of 5).
SMALL_GROUP = ("region", "islands", 3)


@dataclass(frozen=True)
class Generated:
    """Files of one generated cycle."""

    packets: Path
    decisions: Path
    summary: dict
    groups: Path
    small_transition: tuple[str, str]


def run_batch(packets: Path, decisions: Path, summary: Path) -> dict:
    """``promoready batch`` as a user runs it; returns its JSON summary."""
    proc = subprocess.run([sys.executable, "-m", "promoready", "batch", str(packets), "--out", str(decisions),
                           "--summary", str(summary), "--workers", "2"], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(summary.read_text(encoding="utf-8"))


def generate(folder: Path, count: int = 2000, seed: int = 7) -> Generated:
    """Packets (a third with a committee outcome), their decisions, and a groups CSV."""
    rng = random.Random(seed)
    base = bench_packets.pool(200)
    packets_path = folder / "packets.jsonl"
    with packets_path.open("w", encoding="utf-8") as fh:
        for line in bench_packets.stream(base, count):
            packet = json.loads(line)
            if rng.random() < 0.33:
                packet["committee_outcome"] = rng.choice(["promoted", "not_promoted"])
            if rng.random() < 0.3:
                _period_under_way(packet)
            fh.write(json.dumps(packet) + "\n")
    decisions = folder / "decisions.jsonl"
    summary = run_batch(packets_path, decisions, folder / "summary.json")
    records = [json.loads(line) for line in decisions.read_text(encoding="utf-8").splitlines()]
    first = (records[0]["transition"]["from"], records[0]["transition"]["to"])
    small = [r["candidate_id"] for r in records if (r["transition"]["from"], r["transition"]["to"]) == first]
    small = set(small[:SMALL_GROUP[2]])
    groups = folder / "groups.csv"
    with groups.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["candidate_id", "gender", "region"])
        for r in records:
            # The planted disparity: among the ready, 1 in 5 is "f"; among the others, 1 in 2.
            share = 0.2 if r["verdict"] == "ready" else 0.5
            gender = "f" if rng.random() < share else "m"
            region = SMALL_GROUP[1] if r["candidate_id"] in small else rng.choice(["north", "south", "east"])
            out.writerow([r["candidate_id"], gender, region])
    return Generated(packets_path, decisions, summary, groups, first)


def _period_under_way(packet: dict) -> None:
    """The candidate stepped up three months ago: earlier periods judged at the current level, and a
    period at the latest level that is still running on as_of. Time alone then adds months of reviews,
    so such packets can have a ready-by date (a period that has ended cannot grow, and is never
    projected)."""
    reviews, as_of, current = packet.get("reviews"), packet.get("as_of"), packet.get("current_level")
    if not isinstance(reviews, list) or not reviews or not isinstance(as_of, str) or not isinstance(current, str):
        return
    latest = max(reviews, key=lambda r: str(r.get("end")))
    day = datetime.date.fromisoformat(as_of)
    start = day - datetime.timedelta(days=90)
    earlier = []
    for review in reviews:
        if str(review.get("start")) >= start.isoformat():
            continue
        earlier.append({**review, "operating_level": current,
                        "end": min(str(review.get("end")), (start - datetime.timedelta(days=1)).isoformat())})
    running = {**latest, "start": start.isoformat(), "end": (day + datetime.timedelta(days=120)).isoformat()}
    packet["reviews"] = earlier + [running]


@lru_cache(maxsize=None)
def shared_cycle() -> Generated:
    """The generated 2,000-packet cycle, made once per process and removed at exit."""
    folder = Path(tempfile.mkdtemp(prefix="promoready-report-cycle-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return generate(folder)
