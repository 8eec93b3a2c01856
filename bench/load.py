"""Load benchmark of ``promoready serve``: concurrent clients on loopback, 1 and 2 worker processes.

    .venv/bin/python bench/load.py                  # about a minute on 2 cores (3 rounds of 1500 per row)
    .venv/bin/python bench/load.py --quick          # seconds: a smoke test of the harness
    .venv/bin/python bench/load.py --requests 1000000 --duration 60   # sustained: ~4 minutes of load

Rows (one table; docs/performance.md records a run):

  inproc     ``LadderRegistry.evaluate`` on the same packets, one thread: the latency the service adds to
  http-1c    one client, one keep-alive connection, 1 worker: latency with no queueing
  1w, 2w     ``--clients`` connections at once against 1 and 2 worker processes: throughput and latency

The ratios: HTTP ÷ in-process p50 (and the milliseconds added), 2 workers ÷ 1 worker throughput.
Both servers stay up for the whole run and every row is measured once per round, back to back, so
that the machine's other load falls on all of them alike; latencies are pooled over the rounds, the
throughput is the median round's, and 2w ÷ 1w the median of the per-round ratios. Targets are
printed beside the figures and never asserted. Everything is bounded: each run stops at
``--requests`` requests or ``--duration`` seconds, whichever comes first, and only 127.0.0.1 is used.
The client speaks HTTP/1.1 over raw asyncio streams (a few µs per request) so that the figures are
the server's, not an HTTP library's.
"""

from __future__ import annotations

import argparse
import asyncio
import glob
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import machine  # noqa: E402  (bench/machine.py, shared with bench/run.py)

HOST = "127.0.0.1"  # never anything else


def packets() -> list[bytes]:
    """Every example case packet of the bundled ladders, as JSON request bodies."""
    from ruamel.yaml import YAML

    out = []
    for path in sorted(glob.glob(str(ROOT / "rules" / "*" / "examples" / "*.yaml"))):
        with open(path, encoding="utf-8") as fh:
            for case in YAML(typ="safe").load(fh)["cases"]:
                out.append(json.dumps(case["packet"], default=str).encode("utf-8"))
    return out


@dataclass
class Run:
    """One row of the table, over every round: latencies pooled, throughput the median of the rounds'."""

    name: str
    workers: int
    clients: int
    latencies: list[float] = field(default_factory=list)  # seconds
    errors: int = 0
    seconds: float = 0.0
    rounds: list[float] = field(default_factory=list)  # each round's requests per second
    cpu: float = 0.0  # CPU seconds the server's processes spent (0: not measured)

    @property
    def throughput(self) -> float:
        if self.rounds:
            return statistics.median(self.rounds)
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def add(self, other: "Run") -> None:
        """Pool one round's run into this row."""
        self.latencies += other.latencies
        self.errors += other.errors
        self.seconds += other.seconds
        self.cpu += other.cpu
        self.rounds.append(other.throughput)

    @property
    def cpu_per_request(self) -> float:
        """Server CPU milliseconds per answered request (nan where not measured)."""
        return self.cpu * 1000 / len(self.latencies) if self.cpu and self.latencies else float("nan")

    def quantile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")


def in_process(bodies: list[bytes], requests: int, duration: float) -> Run:
    """The library's own latency: parse the JSON body and evaluate, as the service does, minus HTTP."""
    from promoready.engine.registry import LadderRegistry

    registry = LadderRegistry()  # compiled once per process: ladders are shared by digest
    for body in bodies:  # every ladder compiled and every code path warm before measuring
        registry.evaluate(json.loads(body))
    run = Run("inproc", 0, 1)
    start = time.perf_counter()
    for i in range(requests):
        t0 = time.perf_counter()
        registry.evaluate(json.loads(bodies[i % len(bodies)])).to_json_bytes()
        run.latencies.append(time.perf_counter() - t0)
        if t0 - start > duration:
            break
    run.seconds = time.perf_counter() - start
    return run


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    """``promoready serve`` with ``workers`` processes on a free loopback port, access log off."""

    def __init__(self, workers: int) -> None:
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PROMOREADY_", "PROMETHEUS_"))}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "promoready", "serve", "--host", HOST, "--port", str(self.port),
             "--workers", str(workers), "--no-access-log", "--log-level", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        deadline = time.monotonic() + 180
        while not self._ready():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"serve did not start: {self.process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            time.sleep(0.2)

    def _ready(self) -> bool:
        try:
            with socket.create_connection((HOST, self.port), timeout=1) as s:
                s.sendall(b"GET /health/ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                return s.recv(64).startswith(b"HTTP/1.1 200")
        except OSError:
            return False

    def cpu(self) -> float:
        """CPU seconds used so far by the server and its worker processes (Linux /proc)."""
        return _cpu_tree(self.process.pid)

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return -9


def _cpu_tree(pid: int) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            children = [int(c) for c in fh.read().split()]
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / ticks + sum(_cpu_tree(c) for c in children)


def cpu_ceiling() -> float:
    """Throughput of 2 CPU-bound processes over 1 on this machine right now: the ceiling of 2w ÷ 1w
    (about 2.0 on an idle 2-core machine; other load pulls it down)."""
    return machine.cpu_ceiling(6_000_000)


def request_bytes(body: bytes) -> bytes:
    return (b"POST /v1/evaluate HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


async def _client(port: int, wire: list[bytes], run: Run, budget: list[int], stop_at: float, offset: int) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    i = offset
    try:
        while budget[0] > 0 and time.perf_counter() < stop_at:
            budget[0] -= 1
            t0 = time.perf_counter()
            writer.write(wire[i % len(wire)])
            i += 1
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            if head[9:12] == b"200":
                run.latencies.append(time.perf_counter() - t0)
            else:
                run.errors += 1
    except (OSError, asyncio.IncompleteReadError, ValueError):
        run.errors += 1
    finally:
        writer.close()


def load(name: str, server: Server, workers: int, clients: int, wire: list[bytes], requests: int,
         duration: float) -> Run:
    """``clients`` connections sending requests back to back until the budget or the time is spent."""
    run = Run(name, workers, clients)
    port = server.port
    cpu_before = server.cpu()

    async def main() -> None:
        budget = [requests]
        start = time.perf_counter()
        await asyncio.gather(*(_client(port, wire, run, budget, start + duration, k * 7) for k in range(clients)))
        run.seconds = time.perf_counter() - start

    asyncio.run(main())
    run.cpu = server.cpu() - cpu_before
    return run


def warm(server: Server, wire: list[bytes], workers: int) -> None:
    """Every worker has answered every kind of packet before measuring (first requests compile caches)."""
    load("warm", server, workers, 4 * workers, wire, 40 * workers, 30)


def table(runs: dict[str, Run], scales: list[float], ceilings: list[float]) -> str:
    rows = ["| run | workers | clients | requests | errors | req/s | p50 ms | p99 ms | server CPU ms/req |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in runs.values():
        rows.append(f"| {r.name} | {r.workers or '-'} | {r.clients} | {len(r.latencies)} | {r.errors} | "
                    f"{r.throughput:,.0f} | {r.quantile(0.5):.3f} | {r.quantile(0.99):.3f} | {r.cpu_per_request:.3f} |")
    base, one, w1, w2 = runs["inproc"], runs["http-1c"], runs["1w"], runs["2w"]
    added = one.quantile(0.5) - base.quantile(0.5)
    scale = statistics.median(scales)  # the median of the per-round ratios: both ran back to back
    errors = sum(r.errors for r in runs.values())
    rows += ["", "| ratio | value | target |", "|---|---:|---|",
             f"| HTTP ÷ in-process p50 | {one.quantile(0.5) / base.quantile(0.5):.2f}× | |",
             f"| added p50 (HTTP − in-process) | {added:.3f} ms | ≤ 0.5 ms {'met' if added <= 0.5 else 'NOT met'} |",
             f"| 2w ÷ 1w throughput | {scale:.2f}× | ≥ 1.6× {'met' if scale >= 1.6 else 'NOT met'} |",
             f"| machine ceiling: 2 busy processes ÷ 1 | {statistics.median(ceilings):.2f}× | "
             "the most 2w ÷ 1w can be now |",
             f"| errors, all runs | {errors} | 0 {'met' if errors == 0 else 'NOT met'} |"]
    return "\n".join(rows)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8, help="concurrent connections (default 8)")
    parser.add_argument("--requests", type=int, default=1500, help="most requests per run and round (default 1500)")
    parser.add_argument("--duration", type=float, default=20.0, help="most seconds per run and round (default 20)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of every run, back to back; throughput is the median (default 3)")
    parser.add_argument("--quick", action="store_true", help="a few hundred requests: a smoke test")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    requests, duration, rounds = (100, 5.0, 1) if args.quick else (args.requests, args.duration, args.rounds)
    if not (1 <= args.clients <= 256 and 1 <= requests <= 1_000_000 and 0 < duration <= 1800 and 1 <= rounds <= 20):
        parser.error("--clients 1..256, --requests 1..1000000, --duration up to 1800 s, --rounds 1..20")
    bodies = packets()
    wire = [request_bytes(b) for b in bodies]
    runs = {name: Run(name, workers, clients) for name, workers, clients in
            [("inproc", 0, 1), ("http-1c", 1, 1), ("1w", 1, args.clients), ("2w", 2, args.clients)]}
    scales: list[float] = []
    ceilings: list[float] = []
    servers = {workers: Server(workers) for workers in (1, 2)}  # both up; measured one at a time
    try:
        for workers, server in servers.items():
            warm(server, wire, workers)
        for _ in range(rounds):
            runs["inproc"].add(in_process(bodies, requests, duration))
            runs["http-1c"].add(load("http-1c", servers[1], 1, 1, wire, requests, duration))
            one = load("1w", servers[1], 1, args.clients, wire, requests, duration)
            two = load("2w", servers[2], 2, args.clients, wire, requests, duration)
            ceilings.append(cpu_ceiling())
            runs["1w"].add(one)
            runs["2w"].add(two)
            scales.append(two.throughput / one.throughput if one.throughput else float("nan"))
    finally:
        for workers, server in servers.items():
            status = server.stop()
            if status != 0:
                print(f"serve --workers {workers} exited {status}", file=sys.stderr)
    print(f"promoready serve load, {len(bodies)} distinct packets, {rounds} round(s), {os.cpu_count()} CPUs, "
          f"Python {sys.version.split()[0]}")
    print(table(runs, scales, ceilings))
    if args.json:
        figures: dict = {name: {"workers": r.workers, "clients": r.clients, "requests": len(r.latencies),
                                "errors": r.errors, "throughput": r.throughput, "rounds": r.rounds,
                                "p50_ms": r.quantile(0.5), "p99_ms": r.quantile(0.99),
                                "server_cpu_ms_per_request": r.cpu_per_request}
                         for name, r in runs.items()}
        figures["ratios"] = {"scale_2w_1w": scales, "ceiling": ceilings}
        Path(args.json).write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
