"""Load benchmark of ``promoready serve``: concurrent clients on loopback, 1 and 2 worker processes.

    .venv/bin/python bench/load.py                  # about 2 minutes with wrk (3 rounds, 10 s per row)
    .venv/bin/python bench/load.py --rounds 5       # the recorded run: 2w ÷ 1w the median of 5 rounds
    .venv/bin/python bench/load.py --quick          # seconds: a smoke test of the harness
    .venv/bin/python bench/load.py --requests 1000000 --duration 60 --rounds 1   # sustained: ~3 minutes of load

Rows (one table; docs/performance.md records a run):

  inproc     ``LadderRegistry.evaluate`` on the same packets, one thread: the latency the service adds to
  http-1c    one client, one keep-alive connection, 1 worker: latency with no queueing
  1w, 2w     ``--clients`` connections at once against 1 and 2 worker processes: throughput and latency

The ratios: HTTP ÷ in-process p50 (and the milliseconds added), 2 workers ÷ 1 worker throughput.
Both servers stay up for the whole run and every row is measured once per round, back to back (1w
and 2w in turn, which first alternating from round to round), so that the machine's other load falls
on all of them alike; each row's throughput, p50 and p99 are the medians of its rounds', and 2w ÷ 1w
the median of the per-round ratios, printed beside the machine's ceiling (2 busy processes ÷ 1)
measured in the same rounds and the busiest worker's share of the 2 workers' CPU (50%: connections
evenly spread; near 100%: one worker did the work). Targets are printed beside the figures and never
asserted. Only 127.0.0.1 is used.

The client is ``wrk`` when it is installed (``--client wrk``; bench/wrk_client.py): a C client that
leaves the cores to the server, each HTTP run lasting ``--duration`` seconds (default 10). Without
it (or with ``--client python``), the client is this script's own HTTP/1.1 over raw asyncio streams,
each run ending at ``--requests`` requests or ``--duration`` seconds (default 20), whichever comes
first; it needs about a core of its own, so on 2 cores 2w ÷ 1w cannot pass 1 with it. The table's
heading names the client used.
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
import wrk_client  # noqa: E402  (bench/wrk_client.py)

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
class Sample:
    """One run of one row in one round."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu: float = 0.0  # CPU seconds the server's processes spent (0: not measured)
    busiest: float = float("nan")  # the busiest worker's share of the workers' CPU (nan: one process)

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


@dataclass
class Run:
    """One row of the table, over every round: each figure the median of the rounds'."""

    name: str
    workers: int
    clients: int
    samples: list[Sample] = field(default_factory=list)

    def add(self, sample: Sample) -> Sample:
        self.samples.append(sample)
        return sample

    @property
    def requests(self) -> int:
        return sum(s.requests for s in self.samples)

    @property
    def errors(self) -> int:
        return sum(s.errors for s in self.samples)

    @property
    def rounds(self) -> list[float]:
        return [s.throughput for s in self.samples]

    @property
    def throughput(self) -> float:
        return statistics.median(self.rounds) if self.samples else 0.0

    @property
    def p50(self) -> float:
        return statistics.median(s.p50_ms for s in self.samples) if self.samples else float("nan")

    @property
    def p99(self) -> float:
        return statistics.median(s.p99_ms for s in self.samples) if self.samples else float("nan")

    @property
    def cpu_per_request(self) -> float:
        """Server CPU milliseconds per answered request (nan where not measured)."""
        cpu = sum(s.cpu for s in self.samples)
        return cpu * 1000 / self.requests if cpu and self.requests else float("nan")


def quantile(latencies: list[float], q: float) -> float:
    """The ``q`` quantile of latencies in seconds, in milliseconds."""
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")


def sample(latencies: list[float], seconds: float, errors: int, cpu: float = 0.0) -> Sample:
    return Sample(len(latencies), seconds, quantile(latencies, 0.5), quantile(latencies, 0.99), errors, cpu)


def in_process(bodies: list[bytes], requests: int, duration: float) -> Sample:
    """The library's own latency: parse the JSON body and evaluate, as the service does, minus HTTP."""
    from promoready.engine.registry import LadderRegistry

    registry = LadderRegistry()  # compiled once per process: ladders are shared by digest
    for body in bodies:  # every ladder compiled and every code path warm before measuring
        registry.evaluate(json.loads(body))
    latencies: list[float] = []
    start = time.perf_counter()
    for i in range(requests):
        t0 = time.perf_counter()
        registry.evaluate(json.loads(bodies[i % len(bodies)])).to_json_bytes()
        latencies.append(time.perf_counter() - t0)
        if t0 - start > duration:
            break
    return sample(latencies, time.perf_counter() - start, 0)


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

    def worker_cpu(self) -> dict[int, float]:
        """CPU seconds used so far by each worker process (none with one worker: it is the server)."""
        return {child: _cpu_tree(child) for child in _children(self.process.pid)}

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return -9


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(c) for c in fh.read().split()]
    except OSError:
        return []


def _cpu_tree(pid: int) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / ticks + sum(_cpu_tree(c) for c in _children(pid))


def busiest_share(before: dict[int, float], after: dict[int, float]) -> float:
    """The busiest worker's share of the CPU the workers spent between two readings: 0.5 with two
    workers evenly loaded, 1.0 when one did all the work (nan with fewer than two)."""
    spent = [after[pid] - before[pid] for pid in after if pid in before]
    return max(spent) / sum(spent) if len(spent) > 1 and sum(spent) > 0 else float("nan")


def cpu_ceiling() -> float:
    """Throughput of 2 CPU-bound processes over 1 on this machine right now: the ceiling of 2w ÷ 1w
    (about 2.0 on an idle 2-core machine; other load pulls it down)."""
    return machine.cpu_ceiling(6_000_000)


def request_bytes(body: bytes) -> bytes:
    return (b"POST /v1/evaluate HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


async def _client(port: int, wire: list[bytes], latencies: list[float], errors: list[int], budget: list[int],
                  stop_at: float, offset: int) -> None:
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
                latencies.append(time.perf_counter() - t0)
            else:
                errors[0] += 1
    except (OSError, asyncio.IncompleteReadError, ValueError):
        errors[0] += 1
    finally:
        writer.close()


class Client:
    """Sends the packets to a server: wrk when given, else the asyncio client above."""

    def __init__(self, bodies: list[bytes], wrk: Optional[str], duration: float, requests: int) -> None:
        self.wire = [request_bytes(b) for b in bodies]
        self.wrk = wrk_client.Wrk(wrk, bodies) if wrk else None
        self.duration = duration
        self.requests = requests
        self.name = f"wrk {wrk_client.version(wrk)}, 1 thread" if wrk else "Python asyncio, 1 process"

    def load(self, server: Server, clients: int) -> Sample:
        """``clients`` connections sending requests back to back for the run's time (and budget, without wrk)."""
        cpu_before, workers_before = server.cpu(), server.worker_cpu()
        if self.wrk is not None:
            figures = self.wrk.run(server.port, clients, max(1, round(self.duration)))
            result = Sample(figures.requests, figures.seconds, figures.p50_ms, figures.p99_ms, figures.errors,
                            server.cpu() - cpu_before)
        else:
            result = self.python(server, clients, self.requests, self.duration, cpu_before)
        result.busiest = busiest_share(workers_before, server.worker_cpu())
        return result

    def python(self, server: Server, clients: int, requests: int, duration: float,
               cpu_before: Optional[float] = None) -> Sample:
        latencies: list[float] = []
        errors = [0]
        budget = [requests]
        start = time.perf_counter()

        async def main() -> None:
            await asyncio.gather(*(_client(server.port, self.wire, latencies, errors, budget, start + duration, k * 7)
                                   for k in range(clients)))

        asyncio.run(main())
        cpu = server.cpu() - cpu_before if cpu_before is not None else 0.0
        return sample(latencies, time.perf_counter() - start, errors[0], cpu)

    def warm(self, server: Server, workers: int) -> None:
        """Every worker has answered every kind of packet before measuring (first requests compile caches)."""
        self.python(server, 4 * workers, 40 * workers, 30)

    def close(self) -> None:
        if self.wrk is not None:
            self.wrk.close()


def table(runs: dict[str, Run], scales: list[float], ceilings: list[float]) -> str:
    rows = ["| run | workers | clients | requests | errors | req/s | p50 ms | p99 ms | server CPU ms/req |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in runs.values():
        rows.append(f"| {r.name} | {r.workers or '-'} | {r.clients} | {r.requests} | {r.errors} | "
                    f"{r.throughput:,.0f} | {r.p50:.3f} | {r.p99:.3f} | {r.cpu_per_request:.3f} |")
    base, one = runs["inproc"], runs["http-1c"]
    added = one.p50 - base.p50
    scale = statistics.median(scales)  # the median of the per-round ratios: both ran back to back
    errors = sum(r.errors for r in runs.values())
    rows += ["", "| ratio | value | target |", "|---|---:|---|",
             f"| HTTP ÷ in-process p50 | {one.p50 / base.p50:.2f}× | |",
             f"| added p50 (HTTP − in-process) | {added:.3f} ms | ≤ 0.5 ms {'met' if added <= 0.5 else 'NOT met'} |",
             f"| 2w ÷ 1w throughput | {scale:.2f}× | ≥ 1.6× {'met' if scale >= 1.6 else 'NOT met'} |",
             f"| machine ceiling: 2 busy processes ÷ 1 | {statistics.median(ceilings):.2f}× | "
             "the most 2w ÷ 1w can be now |",
             f"| 2w ÷ 1w, each round | {' '.join(f'{x:.2f}' for x in scales)} | |",
             f"| 2w: busiest worker's share of CPU, each round | "
             f"{' '.join(f'{s.busiest:.0%}' for s in runs['2w'].samples)} | 50% is an even spread |",
             f"| errors, all runs | {errors} | 0 {'met' if errors == 0 else 'NOT met'} |"]
    return "\n".join(rows)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16, help="concurrent connections (default 16)")
    parser.add_argument("--requests", type=int, default=1500,
                        help="most requests per run and round, Python client only (default 1500)")
    parser.add_argument("--duration", type=float, default=None,
                        help="seconds per run and round: wrk's length (default 10), the Python client's most (default 20)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of every run, back to back; figures are the rounds' medians (default 3)")
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto",
                        help="the load client: wrk if installed (auto, the default), or this script's own")
    parser.add_argument("--quick", action="store_true", help="a few seconds per row, one round: a smoke test")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    wrk = wrk_client.find() if args.client != "python" else None
    if args.client == "wrk" and wrk is None:
        parser.error("--client wrk: wrk is not installed (apt-get install wrk)")
    duration = args.duration if args.duration is not None else (10.0 if wrk else 20.0)
    requests, rounds = args.requests, args.rounds
    if args.quick:
        requests, duration, rounds = 100, (2.0 if wrk else 5.0), 1
    if not (1 <= args.clients <= 256 and 1 <= requests <= 1_000_000 and 0 < duration <= 1800 and 1 <= rounds <= 20):
        parser.error("--clients 1..256, --requests 1..1000000, --duration up to 1800 s, --rounds 1..20")
    bodies = packets()
    client = Client(bodies, wrk, duration, requests)
    runs = {name: Run(name, workers, clients) for name, workers, clients in
            [("inproc", 0, 1), ("http-1c", 1, 1), ("1w", 1, args.clients), ("2w", 2, args.clients)]}
    scales: list[float] = []
    ceilings: list[float] = []
    servers = {workers: Server(workers) for workers in (1, 2)}  # both up; measured one at a time
    try:
        for workers, server in servers.items():
            client.warm(server, workers)
        for round_ in range(rounds):
            runs["inproc"].add(in_process(bodies, requests, duration))
            runs["http-1c"].add(client.load(servers[1], 1))
            order = (1, 2) if round_ % 2 == 0 else (2, 1)  # which goes first alternates: drift falls on both
            done = {w: runs[f"{w}w"].add(client.load(servers[w], args.clients)) for w in order}
            ceilings.append(cpu_ceiling())
            scales.append(done[2].throughput / done[1].throughput if done[1].throughput else float("nan"))
    finally:
        client.close()
        for workers, server in servers.items():
            status = server.stop()
            if status != 0:
                print(f"serve --workers {workers} exited {status}", file=sys.stderr)
    how = f"{duration:g} s per run" + ("" if wrk else f" or {requests} requests")
    print(f"promoready serve load, client: {client.name}; {len(bodies)} distinct packets, {rounds} round(s), "
          f"{how}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, load average {machine.loadavg()}")
    print(table(runs, scales, ceilings))
    if args.json:
        figures: dict = {name: {"workers": r.workers, "clients": r.clients, "requests": r.requests,
                                "errors": r.errors, "throughput": r.throughput, "rounds": r.rounds,
                                "p50_ms": r.p50, "p99_ms": r.p99, "server_cpu_ms_per_request": r.cpu_per_request}
                         for name, r in runs.items()}
        figures["ratios"] = {"scale_2w_1w": scales, "ceiling": ceilings,
                             "busiest_worker_share_2w": [x.busiest for x in runs["2w"].samples]}
        figures["client"] = "wrk" if wrk else "python"
        Path(args.json).write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
