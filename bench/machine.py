"""What the benchmarks say about the machine they ran on: its load, and how much 2 processes get over 1.

Shared by ``bench/run.py`` and ``bench/load.py`` (bench/ is not a package: each script has its own
folder first on ``sys.path``, so ``import machine`` finds this file).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path


def _spin(iterations: int) -> str:
    return f"x = 0\nfor i in range({iterations}):\n    x += i\n"


def cpu_ceiling(iterations: int = 12_000_000) -> float:
    """How much throughput 2 CPU-bound processes get over 1 on this machine right now.

    The ceiling of any "2 workers ÷ 1 worker" ratio: about 2.0 on an idle 2-core machine; other
    processes, and a virtual machine's neighbours, pull it down. One process alone, then two at
    once, the same loop of ``iterations`` each, wall time.
    """
    code = _spin(iterations)

    def wall(n: int) -> float:
        start = time.perf_counter()
        procs = [subprocess.Popen([sys.executable, "-S", "-c", code]) for _ in range(n)]
        for proc in procs:
            proc.wait()
        return time.perf_counter() - start

    one = wall(1)
    two = wall(2)
    return 2 * one / two


def loadavg() -> str:
    """The 1, 5 and 15-minute load averages, as ``/proc/loadavg`` gives them (``?`` elsewhere)."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"
