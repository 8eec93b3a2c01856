"""``wrk`` as the load client of ``bench/load.py``: a C client that costs the server's cores little.

bench/load.py's own Python client needs about a core for 1,600 requests/s, so on a 2-core machine it
leaves one core to the server and 2 workers cannot show more than 1. wrk (``apt-get install wrk``)
sends the same requests for a fraction of that. A Lua script, written to a temporary folder, cycles
through the distinct packet bodies (read from a file beside it, one JSON body a line) and, when the
run is done, prints one line of figures that this module reads: requests, duration, latency p50 and
p99 (from wrk's full latency record, as ``--latency`` prints them) and the errors (non-2xx answers,
and connect, read, write and timeout socket errors).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

MARK = "LOADJSON "

_SCRIPT = """-- Written by bench/wrk_client.py: POST each distinct packet in turn to /v1/evaluate.
local requests = {}
for body in io.lines(%(bodies)s) do
  requests[#requests + 1] = wrk.format("POST", "/v1/evaluate", {["Content-Type"] = "application/json"}, body)
end
local i = 0

request = function()
  i = i %% #requests + 1
  return requests[i]
end

done = function(summary, latency, _)
  local e = summary.errors
  io.write(string.format(
    '%(mark)s{"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, "status": %%d, ' ..
    '"connect": %%d, "read": %%d, "write": %%d, "timeout": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), e.status,
    e.connect, e.read, e.write, e.timeout))
end
"""


def find() -> Optional[str]:
    """The path of ``wrk`` on the PATH, or None."""
    return shutil.which("wrk")


def version(wrk: str) -> str:
    """wrk's version word (``4.1.0``, or what its banner says)."""
    proc = subprocess.run([wrk, "--version"], capture_output=True, text=True, timeout=30)
    words = (proc.stdout + proc.stderr).split()
    return words[1] if len(words) > 1 else "?"


@dataclass
class Figures:
    """One wrk run: what its ``done`` hook printed."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int  # non-2xx answers and socket errors

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


class Wrk:
    """wrk with a script for ``bodies`` (each a JSON request body), in a temporary folder until ``close``."""

    def __init__(self, wrk: str, bodies: list[bytes]) -> None:
        self.wrk = wrk
        self.folder = Path(tempfile.mkdtemp(prefix="promoready-load-"))
        lines = self.folder / "bodies.ndjson"
        lines.write_bytes(b"".join(json.dumps(json.loads(b)).encode("utf-8") + b"\n" for b in bodies))
        self.script = self.folder / "evaluate.lua"
        self.script.write_text(_SCRIPT % {"bodies": json.dumps(str(lines)), "mark": MARK}, encoding="utf-8")

    def run(self, port: int, connections: int, seconds: int) -> Figures:
        """``connections`` keep-alive connections from one thread for ``seconds`` against 127.0.0.1:``port``."""
        cmd = [self.wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "30s",
               "-s", str(self.script), f"http://127.0.0.1:{port}/v1/evaluate"]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120)
        return parse(proc.stdout, proc.stderr, proc.returncode)

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def parse(stdout: str, stderr: str = "", returncode: int = 0) -> Figures:
    """The figures of one run, from the line the script's ``done`` hook printed."""
    for line in stdout.splitlines():
        if line.startswith(MARK):
            raw = json.loads(line[len(MARK):])
            errors = sum(raw[k] for k in ("status", "connect", "read", "write", "timeout"))
            return Figures(raw["requests"], raw["duration_us"] / 1e6, raw["p50_us"] / 1000, raw["p99_us"] / 1000,
                           errors)
    raise SystemExit(f"wrk printed no figures (exit {returncode}): {stdout[-1500:]} {stderr[-1500:]}")
