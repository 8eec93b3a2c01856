"""promoready's benchmark: one command, one table, every figure from the same run.

    .venv/bin/python bench/run.py            # the full run (several minutes on 2 cores)
    .venv/bin/python bench/run.py --quick    # a small version (seconds): a smoke test of the harness
    .venv/bin/python bench/run.py --json figures.json
    .venv/bin/python bench/run.py --quick --against 051e75e   # also: this checkout ÷ that commit

What it measures (docs/performance.md explains the method):

  a      promoready ``Evaluator``, end to end, one process: JSON text → parse → validate → measures →
         durable-rules → explanation → ``Decision`` → ``decision.to_json()``
  b      the reference: the same pipeline with the durable-rules stage replaced by plain Python
         (``bench/reference_pipeline.py``); its decisions must be byte-identical to (a)'s
  a2, c  promoready and GoRules zen-engine (``bench/zen_peer.py``: decision tables pre-compiled with
         ``ZenDecisionContent``, as GoRules documents) on the packets of the two transitions the zen
         graphs model, zen with its trace on (c) and off (c-off)
  engine CPU µs per packet inside durable-rules, timed inside the pipeline; engine-replay: the same
         calls replayed back to back (warm caches); firings per packet
  batch  ``promoready batch`` with --workers 1 and 2 (subprocess), peak RSS after 10k and 100k packets
         (and how much of it the batch summary keeps, replayed under tracemalloc),
         cold start of ``promoready --help`` and ``promoready evaluate`` (ladder cache off, and warm)
  store  ``batch --cycle --db`` against ``batch`` on the same packets (``bench/store.py``): SQLite, and
         PostgreSQL when ``PROMOREADY_BENCH_PG_URL`` names a server
  old    with ``--against REF``: that commit installed apart (``bench/against.py``), run in turns with
         this checkout on the same packets: new ÷ old in CPU time, and both cold starts

In-process rows give packets per CPU-second (``time.process_time``: what this process itself
spent, whatever else the shared machine runs) with the wall-clock rate beside it; every ratio is
computed from CPU time. Throughput is measured in rounds; each round runs every pipeline once over
the same packets, back to back, and the table reports the median over rounds (ratios: the median of
the per-round ratios). No figure is asserted anywhere: targets are printed next to the figures.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime
import gc
import itertools
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import packets as packet_gen  # noqa: E402  (bench/ is not a package)
from machine import cpu_ceiling as _cpu_ceiling, loadavg  # noqa: E402  (bench/machine.py, shared with load.py)

SEED = 20261101


@dataclasses.dataclass(frozen=True)
class Sizes:
    pool: int  # distinct packets for the in-process figures
    rounds: int  # throughput rounds (median reported)
    batch: int  # packets per `promoready batch` throughput run
    batch_rounds: int  # rounds of (1 worker, 2 workers, CPU ceiling, the pair), back to back (median reported)
    rss_small: int
    rss_large: int
    cold_help: int  # cold-start runs (best reported)
    cold_evaluate: int
    against_rounds: int  # --against: rounds of each side, in turns


FULL = Sizes(pool=2_000, rounds=5, batch=20_000, batch_rounds=5, rss_small=10_000, rss_large=100_000, cold_help=7,
             cold_evaluate=7, against_rounds=9)
QUICK = Sizes(pool=300, rounds=3, batch=2_000, batch_rounds=1, rss_small=1_000, rss_large=5_000, cold_help=3,
              cold_evaluate=5, against_rounds=5)

#: The targets of issue 18 (printed beside the figures, never asserted).
TARGET_AB = 0.7
TARGET_PEER = 1.0
TARGET_AGAINST = 1.5
TARGET_SCALE = 1.85
TARGET_COLD = 0.25

#: Every row of the table, in order: key → label. ``tests/test_bench_smoke.py`` checks that each is printed.
ROWS = {
    "a": "promoready Evaluator, end to end (packets per CPU-second; wall-clock rate beside it)",
    "b": "reference: same pipeline, plain-Python decide (packets per CPU-second)",
    "a/b": "ratio (a)/(b), CPU time",
    "same": "decisions (a) = (b), byte-identical to_json()",
    "a2": "promoready Evaluator on the 2 zen transitions (packets per CPU-second)",
    "c": "zen-engine peer, pre-compiled, trace on (packets per CPU-second)",
    "c-off": "zen-engine peer, pre-compiled, trace off (packets per CPU-second)",
    "a2/c": "ratio (a2)/(c), CPU time: against zen with its audit trail",
    "a2/c-off": "ratio (a2)/(c-off), CPU time: against zen at its fastest",
    "c=a": "zen statuses and verdicts = promoready's (trace on and off)",
    "engine": "inside durable-rules, timed inside the pipeline (CPU µs/packet)",
    "engine-replay": "the same durable-rules calls replayed back to back, warm caches (CPU µs/packet)",
    "firings": "rule firings per packet (both stages, mean)",
    "batch1": "promoready batch --workers 1 (packets/s)",
    "batch2": "promoready batch --workers 2 (packets/s)",
    "2w/1w": "ratio 2 workers / 1 worker",
    "cpu2/1": "machine ceiling: 2 busy processes / 1 (throughput ratio)",
    "pair2/1": "workload ceiling: 1 worker / two 1-worker batches of half the packets at once (no pool)",
    "parent": "batch --workers 2: CPU of the coordinating process (µs/packet)",
    "store-sqlite": "batch --workers 2 --cycle --db SQLite / without a store (throughput ratio)",
    "store-pg": "batch --workers 2 --cycle --db PostgreSQL / without a store (throughput ratio)",
    "rss-small": "batch peak RSS after the first packets (MB)",
    "rss-large": "batch peak RSS after all packets (MB)",
    "rss-ratio": "ratio RSS all / first",
    "help": "cold start: promoready --help (s)",
    "evaluate": "cold start: promoready evaluate, 1 packet, ladder cache off (s)",
    "cold": "cold start: promoready evaluate, 1 packet, ladder cache warm (s)",
    "old": "--against: the other commit, same packets, in turns (packets per CPU-second)",
    "new/old": "--against: this checkout / the other commit, CPU time (throughput ratio)",
    "cold-old": "--against: the other commit's cold promoready evaluate, 1 packet (s)",
}


@dataclasses.dataclass
class Row:
    value: Any = None  # a number, or None when not available
    text: str = "n/a"  # how the value is printed
    target: str = ""
    met: Optional[bool] = None
    note: str = ""


class Table:
    def __init__(self) -> None:
        self.rows: dict[str, Row] = {key: Row() for key in ROWS}

    def set(self, key: str, value: Any, text: str, *, target: str = "", met: Optional[bool] = None, note: str = "") -> None:
        self.rows[key] = Row(value, text, target, met, note)

    def na(self, key: str, why: str, *, target: str = "") -> None:
        self.rows[key] = Row(None, f"n/a ({why})", target, None, "")

    def render(self) -> str:
        lines = ["| key | figure | value | target | met |", "|---|---|---|---|---|"]
        for key, label in ROWS.items():
            row = self.rows[key]
            met = "" if row.met is None else ("yes" if row.met else "NO")
            text = row.text + (f" ({row.note})" if row.note else "")
            lines.append(f"| {key} | {label} | {text} | {row.target} | {met} |")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {key: {"label": ROWS[key], **dataclasses.asdict(row)} for key, row in self.rows.items()}


# -- machine ----------------------------------------------------------------------------------------


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for dist in ("promoready", "durable-rules", "pydantic", "pydantic-core", "zen-engine"):
        try:
            from importlib.metadata import version

            versions[dist] = version(dist)
        except Exception:
            versions[dist] = "not installed"
    try:
        rev = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        rev = rev + ("+uncommitted" if dirty else "")
    except Exception:
        rev = "unknown"
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "commit": rev,
        "versions": versions,
    }


# -- in-process pipelines ---------------------------------------------------------------------------


def pipeline(evaluator) -> Callable[[str], str]:
    """JSON text → decision JSON, through promoready's own reading of JSON text (``evaluate_json``:
    JSON without duplicate keys or NaN, the data checks and validation, in one pass when it can)."""
    evaluate_json = evaluator.evaluate_json

    def run(text: str) -> str:
        return evaluate_json(text, source="<bench>.json").to_json()

    return run


@dataclasses.dataclass(frozen=True)
class Rate:
    """One pass of a pipeline over some packets: packets per CPU-second and per wall-clock second."""

    cpu: float
    wall: float


def rate(fn: Callable[[str], str], texts: list[str]) -> Rate:
    """``fn`` over ``texts``, once: this process's CPU time (``time.process_time``) and the wall time."""
    wall, cpu = time.perf_counter(), time.process_time()
    for text in texts:
        fn(text)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return Rate(len(texts) / cpu if cpu > 0 else float("inf"), len(texts) / wall)


def transition_key(decision_json: str) -> str:
    t = json.loads(decision_json)["transition"]
    return f"{t['from']}-to-{t['to']}"


class _Recorder:
    """Stands in for a plan's ruleset: runs it and remembers the call (to replay it alone later)."""

    def __init__(self, ruleset, calls: list) -> None:
        self.ruleset = ruleset
        self.calls = calls

    def run(self, fact, then):
        first, second = self.ruleset.run(fact, then)
        self.calls.append((self.ruleset, fact, then, len(first) + len(second)))
        return first, second


def record_engine_calls(ladder, texts: list[str]) -> list:
    """The durable-rules calls promoready makes for ``texts``: (ruleset, fact, tally, firings)."""
    from promoready.engine import Evaluator

    calls: list = []

    class Recording(Evaluator):
        def _decide(self, plan, fact):
            return super()._decide(dataclasses.replace(plan, ruleset=_Recorder(plan.ruleset, calls)), fact)

    run = pipeline(Recording(ladder))
    for text in texts:
        run(text)
    return calls


class _Stopwatch:
    """Stands in for a plan's ruleset: runs it and adds the CPU time of each call to ``spent[0]``
    (and counts the calls in ``spent[1]``)."""

    __slots__ = ("ruleset", "spent")

    def __init__(self, ruleset, spent: list) -> None:
        self.ruleset = ruleset
        self.spent = spent

    def run(self, fact, then):
        clock = time.process_time
        start = clock()
        try:
            return self.ruleset.run(fact, then)
        finally:
            self.spent[0] += clock() - start
            self.spent[1] += 1


def clock_read_cost() -> float:
    """Seconds one ``time.process_time()`` read adds to an interval it closes (a system call: ≈2.6 µs
    on this VM): the median gap between two reads in a row."""
    clock = time.process_time
    gaps = []
    for _ in range(2001):
        a = clock()
        gaps.append(clock() - a)
    return statistics.median(gaps)


def timed_evaluator(ladder, spent: list):
    """An ``Evaluator`` of ``ladder`` whose every durable-rules call adds its CPU time to ``spent[0]``.

    The stopwatches are put in the compiled plans once, so the pipeline around them is (a)'s own:
    the figure is the engine's time *inside* the pipeline, with the caches as the rest of the
    pipeline leaves them (the replay row shows the same calls with nothing in between).
    """
    from promoready.engine import Evaluator

    evaluator = Evaluator(ladder)
    evaluator._plans = {key: dataclasses.replace(plan, ruleset=_Stopwatch(plan.ruleset, spent))
                        for key, plan in evaluator._plans.items()}
    return evaluator


def _rates(key: str, values: list[Rate]) -> str:
    """``1,234 (wall 1,100; CPU range 1,200–1,300)``: the median round of a pipeline."""
    cpu = statistics.median(r.cpu for r in values)
    wall = statistics.median(r.wall for r in values)
    low, high = min(r.cpu for r in values), max(r.cpu for r in values)
    return f"{cpu:,.0f} (wall {wall:,.0f}; CPU range {low:,.0f}–{high:,.0f})"


def _ratio(over: list[Rate], under: list[Rate]) -> float:
    """The median of the per-round ratios of two pipelines' CPU rates."""
    return statistics.median(x.cpu / y.cpu for x, y in zip(over, under))


def in_process(table: Table, sizes: Sizes, seed: int, info: dict) -> tuple[list[dict], list[str]]:
    from promoready.engine import Evaluator, load_ladder

    from reference_pipeline import ReferenceEvaluator

    t0 = time.perf_counter()
    pool = packet_gen.pool(sizes.pool, seed)
    texts = packet_gen.texts(pool)
    info["generate_s"] = round(time.perf_counter() - t0, 2)
    ladder = load_ladder()
    run_a = pipeline(Evaluator(ladder))
    run_b = pipeline(ReferenceEvaluator(ladder))
    spent = [0.0, 0]
    run_t = pipeline(timed_evaluator(ladder, spent))

    # Correctness first: (a) and (b) on every packet of the pool.
    out_a = [run_a(t) for t in texts]
    out_b = [run_b(t) for t in texts]
    same = sum(x == y for x, y in zip(out_a, out_b))
    table.set("same", same, f"{same:,} / {len(texts):,}", target="all", met=same == len(texts))
    verdicts = Counter(json.loads(d)["verdict"] for d in out_a)
    keys = [transition_key(d) for d in out_a]
    info["packets"] = {"count": len(texts), "transitions": len(set(keys)),
                       "verdicts": {v: verdicts[v] for v in ("ready", "not_ready", "insufficient_evidence")},
                       "mean_bytes": round(sum(map(len, texts)) / len(texts))}
    if same != len(texts):
        first = next(i for i, (x, y) in enumerate(zip(out_a, out_b)) if x != y)
        print(f"warning: (a) and (b) differ, first on packet {first} ({pool[first]['candidate']['id']})", file=sys.stderr)

    # The zen peer, on the packets of the transitions it models: pre-compiled, trace on and off.
    peers: dict[str, Callable[[str], str]] = {}
    two: list[str] = []
    try:
        import zen_peer

        peers = {"c": pipeline(zen_peer.ZenEvaluator(ladder, trace=True)),
                 "c-off": pipeline(zen_peer.ZenEvaluator(ladder, trace=False))}
        two = [t for t, k in zip(texts, keys) if k in zen_peer.TRANSITIONS]
        two_a = [d for d, k in zip(out_a, keys) if k in zen_peer.TRANSITIONS]
        agree = 0
        for text, decision in zip(two, two_a):
            d = json.loads(decision)
            mine = ([c["status"] for c in d["criteria"]], d["verdict"])
            for run_c in peers.values():
                z = json.loads(run_c(text))
                statuses = [z["result"]["criteria"][f"c{i}"] for i in range(len(d["criteria"]))]
                agree += (statuses, z["result"]["verdict"]) == mine
        checked = len(two) * len(peers)
        table.set("c=a", agree, f"{agree:,} / {checked:,}", target="all", met=agree == checked,
                  note=f"{len(two):,} packets × trace on and off")
    except ImportError as exc:
        peers, two = {}, []
        for key in ("c", "c-off", "a2/c", "a2/c-off", "c=a"):
            table.na(key, f"zen-engine not installed: {exc.name}")
    except Exception as exc:  # the peer is a comparison, never a reason to stop
        peers, two = {}, []
        for key in ("c", "c-off", "a2/c", "a2/c-off", "c=a"):
            table.na(key, f"zen peer failed: {type(exc).__name__}: {exc}")

    # Throughput rounds: every pipeline back to back in each round, after a warm-up pass.
    for fn in (run_a, run_b, run_t):
        for text in texts[:50]:
            fn(text)
    for fn in peers.values():
        for text in two[:20]:
            fn(text)
    read_cost = clock_read_cost()  # taken out of the engine's figure: the stopwatch's own clock reads
    rates: dict[str, list[Rate]] = {"a": [], "b": [], "a2": [], **{k: [] for k in peers}}
    engine_us: list[float] = []
    timed: list[Rate] = []
    for _ in range(sizes.rounds):
        gc.collect()
        rates["a"].append(rate(run_a, texts))
        rates["b"].append(rate(run_b, texts))
        spent[0], spent[1] = 0.0, 0
        timed.append(rate(run_t, texts))
        engine_us.append((spent[0] - spent[1] * read_cost) / len(texts) * 1e6)
        if two:
            rates["a2"].append(rate(run_a, two))
            for key, fn in peers.items():
                rates[key].append(rate(fn, two))
    a_us = 1e6 / statistics.median(r.cpu for r in rates["a"])
    table.set("a", statistics.median(r.cpu for r in rates["a"]), _rates("a", rates["a"]),
              note=f"{a_us:,.0f} CPU µs/packet")
    table.set("b", statistics.median(r.cpu for r in rates["b"]), _rates("b", rates["b"]))
    ab = _ratio(rates["a"], rates["b"])
    table.set("a/b", ab, f"{ab:.2f}", target=f"≥ {TARGET_AB}", met=ab >= TARGET_AB,
              note="per round: " + ", ".join(f"{x.cpu / y.cpu:.2f}" for x, y in zip(rates["a"], rates["b"])))
    if rates["a2"]:
        table.set("a2", statistics.median(r.cpu for r in rates["a2"]), _rates("a2", rates["a2"]),
                  note=f"{len(two):,} packets")
    else:
        table.na("a2", "no packets of the zen transitions")
    for key, target in (("c", TARGET_PEER), ("c-off", None)):
        if rates.get(key):
            table.set(key, statistics.median(r.cpu for r in rates[key]), _rates(key, rates[key]),
                      note=f"{len(two):,} packets")
            ratio = _ratio(rates["a2"], rates[key])
            table.set(f"a2/{key}", ratio, f"{ratio:.2f}", target=f"≥ {target}" if target else "",
                      met=(ratio >= target) if target else None,
                      note="per round: " + ", ".join(f"{x.cpu / y.cpu:.2f}" for x, y in zip(rates["a2"], rates[key])))
    info["rates"] = {k: [dataclasses.asdict(r) for r in v] for k, v in rates.items()}

    # The engine inside the pipeline: the stopwatch pass of each round.
    engine = statistics.median(engine_us)
    timed_us = 1e6 / statistics.median(r.cpu for r in timed)
    table.set("engine", engine, f"{engine:,.0f}",
              note=f"{engine / timed_us:.0%} of the timed pass's {timed_us:,.0f} CPU µs/packet; rounds "
                   + ", ".join(f"{x:,.0f}" for x in engine_us)
                   + f"; less {read_cost * 1e6:.1f} µs a call for the stopwatch's clock read")
    info["engine_us"] = engine_us

    # The engine alone: replay promoready's own durable-rules calls back to back.
    calls = record_engine_calls(ladder, texts)
    firings = [c[3] for c in calls]
    per_packet = []
    for _ in range(sizes.rounds):
        gc.collect()
        start = time.process_time()
        for ruleset, fact, then, _n in calls:
            ruleset.run(fact, then)
        per_packet.append((time.process_time() - start) / len(calls) * 1e6)
    replay = statistics.median(per_packet)
    table.set("engine-replay", replay, f"{replay:,.0f}",
              note="warm caches: less than the engine costs inside the pipeline")
    mean_firings = sum(firings) / len(firings)
    table.set("firings", mean_firings, f"{mean_firings:.1f}", note=f"min {min(firings)}, max {max(firings)}")
    return pool, texts


# -- subprocesses -----------------------------------------------------------------------------------

#: Runs a command with stdout discarded; prints its exit code, wall time and peak RSS as JSON.
_WRAPPER = r"""
import json, resource, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rc": proc.returncode, "wall": wall, "maxrss_kb": usage.ru_maxrss,
                  "cpu": usage.ru_utime + usage.ru_stime,
                  "stderr": proc.stderr.decode("utf-8", "replace")[-4000:]}))
"""


def promoready_command() -> list[str]:
    script = Path(sys.executable).parent / "promoready"
    if script.exists():
        return [str(script)]
    found = shutil.which("promoready")
    return [found] if found else [sys.executable, "-m", "promoready"]


def measured(cmd: list[str], timeout: float, env: Optional[dict] = None) -> dict:
    """``cmd`` run through the wrapper (wall time, the child's CPU and peak RSS). In a session of its own, so
    that a run past ``timeout`` is killed with everything it started (the command, a batch's fork server
    and workers), not only the wrapper: nothing left running under the rows measured after it."""
    proc = subprocess.Popen([sys.executable, "-c", _WRAPPER, *cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except BaseException:
        _kill_session(proc)
        raise
    if proc.returncode != 0:
        raise RuntimeError(f"wrapper failed: {err.strip()[-500:]}")
    return json.loads(out)


def _kill_session(proc: subprocess.Popen) -> None:
    """Kill ``proc``'s whole session (it was started with ``start_new_session``) and reap ``proc``."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.kill()
    proc.communicate()


def batch_available(cmd: list[str]) -> bool:
    try:
        proc = subprocess.run([*cmd, "batch", "--help"], capture_output=True, text=True, timeout=60)
    except Exception:
        return False
    return proc.returncode == 0 and "workers" in proc.stdout


def run_batch(cmd: list[str], path: str, count: int, workers: int, tmp: str) -> dict:
    summary = os.path.join(tmp, f"summary-{workers}-{count}.json")
    result = measured([*cmd, "batch", path, "--workers", str(workers), "--summary", summary],
                      timeout=max(600.0, count / 20))
    if result["rc"] != 0:
        last = result["stderr"].strip().splitlines()[-1:] or ["(no message)"]
        raise RuntimeError(f"exit {result['rc']}: {last[0][:200]}")
    with open(summary, encoding="utf-8") as fh:
        s = json.load(fh)
    if s.get("decisions") != count or s.get("errors"):
        raise RuntimeError(f"{s.get('decisions')} decisions and {s.get('errors')} errors for {count} packets")
    result["rate"] = count / result["wall"]
    return result


#: Runs a command, counting the lines of its stdout as they come and reading its VmHWM (peak RSS so
#: far) from /proc after every chunk: the value when the ``at``-th line has arrived, and the last one
#: before its output ends (``wait4``'s ru_maxrss is kept too). A small wrapper process, because a
#: child's ru_maxrss includes the memory of the process it was forked from, up to its exec.
_RSS_WRAPPER = r"""
import json, os, subprocess, sys, time

def hwm(pid):
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None

at, err_path, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
with open(err_path, "w+b") as err:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err)
    lines, at_kb, last_kb = 0, None, None
    while True:
        chunk = proc.stdout.read(1 << 16)
        if not chunk:
            break
        lines += chunk.count(b"\n")
        last_kb = hwm(proc.pid) or last_kb
        if at_kb is None and lines >= at:
            at_kb = last_kb
    proc.stdout.close()
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err.seek(0)
    stderr = err.read().decode("utf-8", "replace")[-4000:]
print(json.dumps({"rc": os.waitstatus_to_exitcode(status), "wall": wall, "lines": lines, "at_kb": at_kb, "last_kb": last_kb,
                  "maxrss_kb": usage.ru_maxrss, "stderr": stderr}))
"""


def rss_run(cmd: list[str], pool: list[dict], small: int, large: int,
            tmp: str) -> tuple[float, float, float, dict]:
    """One ``batch --workers 1`` run of ``large`` packets: peak RSS (MB) after ``small`` and after all, the
    rate, and the run's summary (JSON)."""
    path = packet_gen.write_jsonl(os.path.join(tmp, f"rss-{large}.jsonl"), pool, large)
    summary = os.path.join(tmp, "summary-rss.json")
    try:
        proc = subprocess.run([sys.executable, "-c", _RSS_WRAPPER, str(small), os.path.join(tmp, "rss.stderr"),
                               *cmd, "batch", path, "--workers", "1", "--summary", summary],
                              capture_output=True, text=True, timeout=max(900.0, large / 20))
    finally:
        os.unlink(path)
    if proc.returncode != 0:
        raise RuntimeError(f"wrapper failed: {proc.stderr.strip()[-300:]}")
    r = json.loads(proc.stdout)
    if r["rc"] != 0:
        last = r["stderr"].strip().splitlines()[-1:] or ["(no message)"]
        raise RuntimeError(f"exit {r['rc']}: {last[0][:200]}")
    if r["lines"] != large:
        raise RuntimeError(f"{r['lines']} records for {large} packets")
    with open(summary, encoding="utf-8") as fh:
        summed = json.load(fh)
    if summed.get("errors"):
        raise RuntimeError(f"{summed['errors']} error records")
    if r["at_kb"] is None or r["last_kb"] is None:
        raise RuntimeError("could not read the peak RSS from /proc")
    return r["at_kb"] / 1024, r["last_kb"] / 1024, large / r["wall"], summed


def summary_kept(summed: dict, file: str, count: int) -> float:
    """The bytes per packet that the batch's ``Summary`` keeps at the end of the rss run, replayed here
    under tracemalloc: the run's candidate ids (``packets.with_id``) and sources, with its ready
    candidates and calibration disagreements as its summary names them (the rest of a decision only
    adds to counts that do not grow with the packets)."""
    import tracemalloc

    from promoready.engine.summary import Outcome, Summary

    ready = {r["candidate_id"]: (t["from"], t["to"]) for t in summed["transitions"] for r in t["ready_candidates"]}
    disagree = {d["candidate_id"]: d for d in summed["calibration"]["disagreements"]}
    other = next(((t["from"], t["to"]) for t in summed["transitions"]), ("", ""))
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        s = Summary()
        for i in range(count):
            cid = f"bench-{i:07d}"
            d = disagree.get(cid)
            step = ready.get(cid, other)
            if d is not None:
                s.add(Outcome(cid, d["verdict"], step, (), tuple(d["failed"]), tuple(d["unknown"]), (),
                              d["committee_outcome"]), f"{file}:{i + 1}")
            else:
                s.add(Outcome(cid, "ready" if cid in ready else "not_ready", step, (), (), (), ()), f"{file}:{i + 1}")
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    replayed = s.to_dict()
    if (replayed["verdicts"]["ready"], replayed["calibration"]["disagree"]) != (len(ready), len(disagree)):
        raise RuntimeError("the run's candidate ids are not the ones replayed")
    return kept / count


def split_halves(path: str, tmp: str) -> tuple[str, str]:
    """The first and the second half of the packets of the JSONL file ``path``, as two files."""
    with open(path, "rb") as fh:
        lines = fh.readlines()
    names = (os.path.join(tmp, "half-1.jsonl"), os.path.join(tmp, "half-2.jsonl"))
    for name, part in zip(names, (lines[:len(lines) // 2], lines[len(lines) // 2:])):
        with open(name, "wb") as out:
            out.writelines(part)
    return names


def run_pair(cmd: list[str], halves: tuple[str, str], tmp: str) -> float:
    """Wall seconds for two ``batch --workers 1`` runs at once, one per half of the packets.

    The ceiling of ``2w/1w`` for this workload on this machine right now: each process evaluates in
    itself (no pool: no fork server, no coordinating process, no pipes), as ``--workers 1`` does, and
    the two share the cores, caches and memory bandwidth as two workers do. ``1 worker ÷ this`` is what
    ``--workers 2`` would reach if the pool cost nothing, start-up included.
    """
    procs: list[subprocess.Popen] = []
    summaries, logs = [], []
    try:
        start = time.perf_counter()
        deadline = start + 900
        for number, half in enumerate(halves):
            summaries.append(os.path.join(tmp, f"summary-half-{number}.json"))
            logs.append(open(os.path.join(tmp, f"stderr-half-{number}.txt"), "w+b"))  # a file never fills as a pipe does
            procs.append(subprocess.Popen([*cmd, "batch", half, "--workers", "1", "--summary", summaries[-1]],
                                          stdout=subprocess.DEVNULL, stderr=logs[-1], start_new_session=True))
        for proc in procs:
            proc.wait(timeout=max(0.0, deadline - time.perf_counter()))
        wall = time.perf_counter() - start
        errors = []
        for log in logs:
            log.seek(0)
            errors.append(log.read())
    finally:  # a pair that failed or timed out must not run on under the rows measured after it
        for proc in procs:
            if proc.poll() is None:
                _kill_session(proc)
        for log in logs:
            log.close()
    for proc, err, half, summary in zip(procs, errors, halves, summaries):
        if proc.returncode != 0:
            last = err.decode("utf-8", "replace").strip().splitlines()[-1:] or ["(no message)"]
            raise RuntimeError(f"exit {proc.returncode}: {last[0][:200]}")
        with open(half, "rb") as fh:
            count = sum(1 for line in fh if line.strip())
        with open(summary, encoding="utf-8") as fh:
            s = json.load(fh)
        if s.get("decisions") != count or s.get("errors"):
            raise RuntimeError(f"{s.get('decisions')} decisions and {s.get('errors')} errors for {count} packets")
    return wall


def cpu_ceiling() -> float:
    """The machine ceiling of ``2w/1w`` right now (``bench/machine.py``)."""
    return _cpu_ceiling(12_000_000)


def _rounds(values: list[float], fmt: str) -> str:
    """``median of 3 rounds: a, b, c`` (or ``1 round``)."""
    if len(values) == 1:
        return "1 round"
    return f"median of {len(values)} rounds: " + ", ".join(fmt.format(v) for v in values)


@contextlib.contextmanager
def bytecode_written() -> Iterator[None]:
    """Commands started meanwhile run from bytecode, as an installed promoready does (see ``cold_env``):
    ``PYTHONDONTWRITEBYTECODE`` is dropped from this process's environment, and put back after."""
    dropped = os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    try:
        yield
    finally:
        if dropped is not None:
            os.environ["PYTHONDONTWRITEBYTECODE"] = dropped


def warm_batch(cmd: list[str], path: str, count: int, tmp: str) -> None:
    """A small batch with one worker and with two, not measured: every module either imports (this
    process, the fork server, a worker) has its bytecode written before the first measured run.
    ``path``: a JSONL file of ``count`` packets, one a line."""
    small, size = os.path.join(tmp, "warm.jsonl"), min(200, count)
    with open(path, "rb") as fh, open(small, "wb") as out:
        out.writelines(itertools.islice(fh, size))
    try:
        for workers in (1, 2):
            run_batch(cmd, small, size, workers, tmp)
    except Exception:  # the measured runs that follow fail the same way, and say so in their rows
        pass
    finally:
        os.unlink(small)


def subprocess_figures(table: Table, sizes: Sizes, pool: list[dict], info: dict) -> None:
    with bytecode_written():
        _subprocess_figures(table, sizes, pool, info)


def _subprocess_figures(table: Table, sizes: Sizes, pool: list[dict], info: dict) -> None:
    cmd = promoready_command()
    with tempfile.TemporaryDirectory(prefix="promoready-bench-") as tmp:
        if not batch_available(cmd):
            for key in ("batch1", "batch2", "2w/1w", "cpu2/1", "pair2/1", "parent", "store-sqlite", "store-pg",
                        "rss-small", "rss-large", "rss-ratio"):
                table.na(key, "batch unavailable")
        else:
            path = packet_gen.write_jsonl(os.path.join(tmp, "batch.jsonl"), pool, sizes.batch)
            halves = split_halves(path, tmp)
            warm_batch(cmd, path, sizes.batch, tmp)
            # Rounds of (1 worker, 2 workers, CPU ceiling, the pair) back to back: on a shared machine the
            # speed of a core drifts from minute to minute, so each ratio compares runs of the same round.
            rates: dict[int, list[float]] = {1: [], 2: []}
            ratios, ceilings, pairs, parent, failed = [], [], [], [], None
            pair_failed: Optional[Exception] = None
            for _ in range(sizes.batch_rounds):
                try:
                    one, two = (run_batch(cmd, path, sizes.batch, w, tmp) for w in (1, 2))
                except Exception as exc:
                    failed = exc
                    break
                rates[1].append(one["rate"])
                rates[2].append(two["rate"])
                ratios.append(two["rate"] / one["rate"])
                ceilings.append(cpu_ceiling())
                if pair_failed is None:  # a failed pair is reported on its own row; the batch rows stand
                    try:
                        pairs.append(one["wall"] / run_pair(cmd, halves, tmp))
                    except Exception as exc:
                        pair_failed = exc
                # The command's own process: its workers are the fork server's children, not its own,
                # so the wrapper's RUSAGE_CHILDREN counts only the coordinating process (start-up included).
                parent.append(two["cpu"] / sizes.batch * 1e6)
            info["batch_rounds"] = {"rate1": rates[1], "rate2": rates[2], "ratio": ratios, "ceiling": ceilings,
                                    "pair": pairs, "parent_us": parent}
            if failed is not None:
                for key in ("batch1", "batch2"):
                    table.na(key, f"batch failed: {failed}")
                table.na("2w/1w", "a batch run failed", target=f"≥ {TARGET_SCALE}")
                for key in ("cpu2/1", "pair2/1", "parent"):
                    table.na(key, f"batch failed: {failed}")
            else:
                for workers in (1, 2):
                    rate_ = statistics.median(rates[workers])
                    table.set(f"batch{workers}", rate_, f"{rate_:,.0f}",
                              note=f"{sizes.batch:,} packets, {_rounds(rates[workers], '{:,.0f}')}")
                ratio = statistics.median(ratios)
                ideal = statistics.median(pairs) if pair_failed is None else None
                share = f"; {ratio / ideal:.0%} of pair2/1" if ideal else ""
                table.set("2w/1w", ratio, f"{ratio:.2f}", target=f"≥ {TARGET_SCALE}", met=ratio >= TARGET_SCALE,
                          note=_rounds(ratios, "{:.2f}") + share)
                ceiling = statistics.median(ceilings)
                table.set("cpu2/1", ceiling, f"{ceiling:.2f}", note=_rounds(ceilings, "{:.2f}"))
                if ideal is None:
                    table.na("pair2/1", f"the pair failed: {pair_failed}")
                else:
                    table.set("pair2/1", ideal, f"{ideal:.2f}",
                              note="what a pool with no cost of its own would reach here; " + _rounds(pairs, "{:.2f}"))
                cost = statistics.median(parent)
                table.set("parent", cost, f"{cost:,.0f}",
                          note=f"{cost / (1e6 / statistics.median(rates[1])):.0%} of a packet's time with 1 worker; "
                               + _rounds(parent, "{:,.0f}"))
            store_figures(table, cmd, path, sizes, tmp)
            for name in (path, *halves):
                os.unlink(name)

            try:
                small, large, rate_, summed = rss_run(cmd, pool, sizes.rss_small, sizes.rss_large, tmp)
                table.set("rss-small", small, f"{small:,.1f}", note=f"after {sizes.rss_small:,} packets")
                table.set("rss-large", large, f"{large:,.1f}",
                          note=f"after {sizes.rss_large:,} packets; same run, --workers 1, {rate_:,.0f} packets/s")
                ratio = large / small
                try:
                    kept = summary_kept(summed, os.path.join(tmp, f"rss-{sizes.rss_large}.jsonl"), sizes.rss_large)
                    share = (f"the batch summary keeps {kept:,.0f} bytes a packet, "
                             f"{kept * sizes.rss_large / 2**20:,.1f} MB at the end (tracemalloc replay)")
                except Exception as exc:
                    share = f"the summary's share unknown: {exc}"
                table.set("rss-ratio", ratio, f"{ratio:.3f}", target="≤ 1.10", met=ratio <= 1.10, note=share)
            except Exception as exc:
                for key in ("rss-small", "rss-large"):
                    table.na(key, f"batch failed: {exc}")
                table.na("rss-ratio", "the batch run failed", target="≤ 1.10")

        cold_starts(table, cmd, sizes, tmp)


def cold_env(tmp: str, cache: bool) -> dict:
    """The environment of a cold-start run: a ladder cache of its own (or none), and bytecode written.

    ``PYTHONDONTWRITEBYTECODE`` is dropped: an installed package ships its ``.pyc`` files (pip
    compiles them at install time), so a start-up that recompiles every module from source is this
    sandbox's setting, not what a user sees. The first run of each kind (not measured) writes them.
    """
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONDONTWRITEBYTECODE", "PROMOREADY_NO_CACHE", "PROMOREADY_CACHE_DIR")}
    env["PROMOREADY_CACHE_DIR"] = os.path.join(tmp, "cold-cache")
    if not cache:
        env["PROMOREADY_NO_CACHE"] = "1"
    return env


def cold_starts(table: Table, cmd: list[str], sizes: Sizes, tmp: str) -> None:
    """Rows help, evaluate and cold: best (and median) wall time of N fresh processes, and their CPU time."""
    example = ROOT / "examples" / "packet.yaml"
    for key, args, n, target, cache in (("help", ["--help"], sizes.cold_help, 0.3, True),
                                        ("evaluate", ["evaluate", str(example)], sizes.cold_evaluate, 0.8, False),
                                        ("cold", ["evaluate", str(example)], sizes.cold_evaluate, TARGET_COLD, True)):
        env = cold_env(tmp, cache)
        try:
            walls, cpus = [], []
            for i in range(n + 1):
                r = measured([*cmd, *args], timeout=120, env=env)
                if r["rc"] != 0:
                    raise RuntimeError(f"exit {r['rc']}: {r['stderr'].strip()[-200:]}")
                if i:  # the first run writes the bytecode (and fills the ladder cache)
                    walls.append(r["wall"])
                    cpus.append(r["cpu"])
            best = min(walls)
            table.set(key, best, f"{best:.3f}", target=f"≤ {target}", met=best <= target,
                      note=f"best of {n}, median {statistics.median(walls):.3f}; CPU best {min(cpus):.3f}, "
                           f"median {statistics.median(cpus):.3f}")
        except Exception as exc:
            table.na(key, f"failed: {exc}", target=f"≤ {target}")


def against_figures(table: Table, sizes: Sizes, texts: list[str], ref: Optional[str], keep: Optional[str],
                    own_ladders: bool, info: dict) -> None:
    """Rows old, new/old and cold-old: ``--against REF`` (``bench/against.py``)."""
    keys = ("old", "new/old", "cold-old")
    if ref is None:
        for key in keys:
            table.na(key, "run with --against REF")
        return
    import against

    folder = keep or against.temporary_folder()
    try:
        commit = against.resolve(ref)
        where = Path(folder) / commit[:12] if keep else Path(folder)
        old_python = against.install(commit, where, log=lambda m: print(m, file=sys.stderr))
        # By default both sides run the other commit's ladder on its own generator's packets (this code
        # reads older ladders and packets): code against code, on inputs both versions know.
        ladder = None if own_ladders else against.bundled_ladder(old_python)
        if not own_ladders:
            texts = against.reference_packets(old_python, where, len(texts), info["seed"])
        with tempfile.TemporaryDirectory(prefix="promoready-against-run-") as tmp:
            result = against.compare(commit, old_python, texts, sizes.against_rounds, sizes.cold_evaluate,
                                     str(ROOT / "examples" / "packet.yaml"), tmp, cold_env(tmp, True), ladder=ladder)
    except Exception as exc:
        for key in keys:
            table.na(key, f"--against {ref} failed: {exc}")
        return
    finally:
        if keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    n = result.accepted
    old_rate = statistics.median(n / c for c in result.old_cpu)
    old_wall = statistics.median(n / w for w in result.old_wall)
    new_rate = statistics.median(n / c for c in result.new_cpu)
    table.set("old", old_rate, f"{old_rate:,.0f} (wall {old_wall:,.0f}; this checkout {new_rate:,.0f} in the same turns)",
              note=f"commit {commit[:12]}, {n:,} of {result.packets:,} packets accepted by both, "
                   f"{result.identical:,} decided byte-identically; "
                   + ("each its own default ladder, this checkout's packets" if own_ladders
                      else f"both on {commit[:12]}'s default ladder and its generator's packets")
                   + (", the same" if result.same_ladder else ", different ladders"))
    ratio = result.ratio
    table.set("new/old", ratio, f"{ratio:.2f}", target=f"≥ {TARGET_AGAINST}", met=ratio >= TARGET_AGAINST,
              note=f"median of {len(result.ratios)} turns: " + ", ".join(f"{r:.2f}" for r in result.ratios))
    best_old, best_new = min(result.cold_old), min(result.cold_new)
    table.set("cold-old", best_old, f"{best_old:.3f}",
              note=f"this checkout {best_new:.3f} in the same turns; best of {len(result.cold_old)}; CPU best "
                   f"{min(result.cold_old_cpu):.3f} against {min(result.cold_new_cpu):.3f}")
    info["against"] = dataclasses.asdict(result)


def store_figures(table: Table, cmd: list[str], path: str, sizes: Sizes, tmp: str) -> None:
    """Rows store-sqlite and store-pg: batch recording a cycle against batch alone (``bench/store.py``)."""
    import store as store_bench  # bench/store.py

    pg_url = os.environ.get("PROMOREADY_BENCH_PG_URL")
    try:
        result = store_bench.compare(cmd, path, sizes.batch, rounds=sizes.batch_rounds, tmp=tmp, pg_url=pg_url)
    except Exception as exc:
        for key in ("store-sqlite", "store-pg"):
            table.na(key, f"batch failed: {exc}")
        return
    ratio = result["median"]["sqlite"]
    table.set("store-sqlite", ratio, store_bench.describe(result, "sqlite"), target=f"≥ {store_bench.TARGET}",
              met=ratio >= store_bench.TARGET)
    if pg_url:
        table.set("store-pg", result["median"]["pg"], store_bench.describe(result, "pg"))
    else:
        table.na("store-pg", "PROMOREADY_BENCH_PG_URL not set")


# -- main -------------------------------------------------------------------------------------------


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="promoready's benchmark: one table, all figures from one run.")
    parser.add_argument("--quick", action="store_true", help="a small version that runs in seconds")
    parser.add_argument("--json", dest="json_path", metavar="FILE", help="also write the figures to FILE as JSON")
    parser.add_argument("--seed", type=int, default=SEED, help=f"packet generator seed (default {SEED})")
    parser.add_argument("--against", metavar="REF",
                        help="also install commit REF apart and compare this checkout with it (new / old)")
    parser.add_argument("--against-dir", metavar="DIR",
                        help="keep REF's install in DIR and reuse it (default: a temporary folder)")
    parser.add_argument("--against-own-ladders", action="store_true",
                        help="each side uses its own default ladder (default: both use REF's)")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL

    started = time.perf_counter()
    info: dict[str, Any] = {"mode": "quick" if args.quick else "full", "seed": args.seed,
                            "sizes": dataclasses.asdict(sizes), "machine": machine(),
                            "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
                            "loadavg_start": loadavg()}
    table = Table()
    pool, texts = in_process(table, sizes, args.seed, info)
    subprocess_figures(table, sizes, pool, info)
    against_figures(table, sizes, texts, args.against, args.against_dir, args.against_own_ladders, info)
    info["loadavg_end"] = loadavg()
    info["elapsed_s"] = round(time.perf_counter() - started, 1)

    m = info["machine"]
    p = info["packets"]
    v = p["verdicts"]
    share = {k: f"{n / p['count']:.0%}" for k, n in v.items()}
    print(f"promoready benchmark ({info['mode']}), {info['date']}, commit {m['commit']}")
    print(f"machine: {m['nproc']} CPUs, {m['cpu']}, Python {m['python']}, {m['platform']}")
    print("versions: " + ", ".join(f"{k} {x}" for k, x in m["versions"].items()))
    print(f"packets: {p['count']:,} generated (seed {args.seed}, {p['transitions']} transitions, "
          f"{p['mean_bytes']:,} bytes of JSON on average; verdicts: ready {share['ready']}, "
          f"not ready {share['not_ready']}, insufficient evidence {share['insufficient_evidence']}); "
          f"{sizes.rounds} rounds; batch {sizes.batch:,} x {sizes.batch_rounds} rounds; "
          f"RSS {sizes.rss_small:,} / {sizes.rss_large:,}")
    print(f"load average: {info['loadavg_start']} at start, {info['loadavg_end']} at end; took {info['elapsed_s']} s")
    print()
    print(table.render())

    if args.json_path:
        with open(args.json_path, "w", encoding="utf-8") as fh:
            json.dump({"info": info, "figures": table.to_dict()}, fh, indent=2, ensure_ascii=False)
            fh.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
