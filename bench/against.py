"""``bench/run.py --against REF``: this checkout against another commit, side by side, in one run.

The other commit is installed apart: its tracked files (``git archive``: the same files a worktree
of it would hold, without adding a worktree to the shared repository) are unpacked in a temporary
folder and installed into a new venv with the dependency versions of this one (``pip freeze`` as
constraints, so that only promoready's code differs; durable-rules is built with
``CPPFLAGS=-DPyEval_CallObject=PyObject_CallObject``, which Python 3.13 needs). ``--against-dir DIR``
keeps that install in DIR and reuses it while it is of the same commit.

Both sides then run ``bench/against_worker.py`` (the same script, each under its own Python) on the
same packets, with the same ladder: the other commit's bundled default ladder, which this checkout
can read too, and packets made by the other commit's own generator (``bench/packets.py`` of that
commit, from its ladder's examples), so that neither side meets fields it does not know (an older
version reads a newer packet's new fields as unknown ones and spends time looking for misspellings).
``--against-own-ladders`` lets each side use its own default ladder on this checkout's packets: then
the comparison is of code and ladder together. Only packets both versions accept are timed. They take turns, round after round, the order
swapped every round, so that the machine's drift falls on both alike; each round reports the CPU
time of each side, and the figure is the median of the per-round ratios old CPU ÷ new CPU (how many
times more packets the new code evaluates per CPU-second). Cold starts of ``evaluate`` alternate too.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORKER = HERE / "against_worker.py"
#: durable-rules 2.0.28 calls PyEval_CallObject, which Python 3.13 removed (see pyproject.toml).
BUILD_ENV = {"CPPFLAGS": "-DPyEval_CallObject=PyObject_CallObject"}


class AgainstError(RuntimeError):
    """The other commit could not be installed or run (the message says which step and why)."""


def _run(cmd: list[str], what: str, timeout: float = 1800, **kwargs) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kwargs)
    if proc.returncode != 0:
        raise AgainstError(f"{what} failed (exit {proc.returncode}): {(proc.stderr or proc.stdout).strip()[-800:]}")
    return proc


def resolve(ref: str) -> str:
    """The full commit id ``ref`` names in this checkout's repository."""
    return _run(["git", "-C", str(ROOT), "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
                f"resolving {ref!r}").stdout.strip()


def install(commit: str, folder: Path, log=print) -> str:
    """Install ``commit`` into a venv under ``folder`` (reused if it already holds that commit); its Python."""
    venv = folder / "venv"
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    marker = folder / "commit"
    if python.exists() and marker.exists() and marker.read_text().strip() == commit:
        log(f"against: reusing the install of {commit[:12]} in {folder}")
        return str(python)
    shutil.rmtree(folder / "src", ignore_errors=True)
    shutil.rmtree(venv, ignore_errors=True)
    (folder / "src").mkdir(parents=True)
    started = time.perf_counter()
    archive = subprocess.Popen(["git", "-C", str(ROOT), "archive", "--format=tar", commit], stdout=subprocess.PIPE)
    try:
        _run(["tar", "-x", "-C", str(folder / "src")], f"unpacking {commit[:12]}", stdin=archive.stdout)
    finally:
        assert archive.stdout is not None
        archive.stdout.close()
        if archive.wait() != 0:
            raise AgainstError(f"git archive {commit[:12]} failed (exit {archive.returncode})")
    _run([sys.executable, "-m", "venv", str(venv)], "creating the venv")
    frozen = _run([sys.executable, "-m", "pip", "freeze", "--exclude-editable"], "pip freeze").stdout
    pins = [line for line in frozen.splitlines() if line and not line.lower().startswith(("promoready", "-e "))]
    constraints = folder / "constraints.txt"
    constraints.write_text("\n".join(pins) + "\n", encoding="utf-8")
    env = {**os.environ, **BUILD_ENV}
    _run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-c", str(constraints),
          str(folder / "src")], f"installing {commit[:12]}", env=env)
    marker.write_text(commit + "\n")
    log(f"against: installed {commit[:12]} in {time.perf_counter() - started:.0f} s")
    return str(python)


class _Worker:
    """A running ``against_worker.py`` under one Python."""

    def __init__(self, python: str, packets: str, cwd: str, ladder: Optional[str] = None) -> None:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
        self.proc = subprocess.Popen([python, str(WORKER), packets, *([ladder] if ladder else [])],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, cwd=cwd, env=env)
        self.ready = self._read()

    def _read(self) -> dict:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            err = self.proc.stderr.read() if self.proc.stderr else ""
            raise AgainstError(f"a benchmark worker stopped: {err.strip()[-800:]}")
        return json.loads(line)

    def round(self, indices: list[int]) -> dict:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"round": indices}) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        try:
            if self.proc.stdin is not None:
                self.proc.stdin.write(json.dumps({"quit": True}) + "\n")
                self.proc.stdin.close()
            self.proc.wait(timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()


@dataclass
class Comparison:
    """What ``compare`` measured: per round, each side's CPU and wall seconds over the same packets."""

    commit: str
    packets: int
    accepted: int  # packets both versions evaluate
    identical: int  # of those, decisions byte-identical between the two
    same_ladder: bool
    new_cpu: list[float] = field(default_factory=list)
    old_cpu: list[float] = field(default_factory=list)
    new_wall: list[float] = field(default_factory=list)
    old_wall: list[float] = field(default_factory=list)
    cold_new: list[float] = field(default_factory=list)
    cold_old: list[float] = field(default_factory=list)
    cold_new_cpu: list[float] = field(default_factory=list)
    cold_old_cpu: list[float] = field(default_factory=list)

    @property
    def ratios(self) -> list[float]:
        """Per round: old CPU ÷ new CPU (new ÷ old in packets per CPU-second)."""
        return [o / n for n, o in zip(self.new_cpu, self.old_cpu)]

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)


def compare(commit: str, old_python: str, texts: list[str], rounds: int, cold_runs: int, cold_packet: str,
            tmp: str, cold_env: Optional[dict] = None, *, ladder: Optional[str] = None,
            apart: bool = True) -> Comparison:
    """Both installs on ``texts``, interleaved ``rounds`` times, then ``cold_runs`` cold ``evaluate`` each.

    ``ladder``: the ladder folder both use (None: each its own default ladder). ``apart``: check that the other side really runs another install's code (off only to test the
    harness against itself).
    """
    path = os.path.join(tmp, "against-packets.jsonl")
    with open(path, "w", encoding="utf-8") as fh:
        for text in texts:
            fh.write(text.replace("\n", " ") + "\n")
    # Neither side starts in this checkout (whose folders are not importable as promoready anyway).
    new = _Worker(sys.executable, path, tmp, ladder)
    try:
        old = _Worker(old_python, path, tmp, ladder)
    except Exception:
        new.close()
        raise
    try:
        if apart and os.path.realpath(old.ready["module"]).startswith(os.path.realpath(str(ROOT))):
            raise AgainstError(f"the other commit's worker imported this checkout's code ({old.ready['module']})")
        both = [i for i, (a, b) in enumerate(zip(new.ready["digests"], old.ready["digests"])) if a and b]
        if not both:
            raise AgainstError("the two versions accept none of the same packets")
        identical = sum(new.ready["digests"][i] == old.ready["digests"][i] for i in both)
        result = Comparison(commit, len(texts), len(both), identical,
                            new.ready["ladder_digest"] == old.ready["ladder_digest"])
        for r in range(rounds):
            order = [("new", new), ("old", old)] if r % 2 == 0 else [("old", old), ("new", new)]
            for name, worker in order:
                out = worker.round(both)
                getattr(result, f"{name}_cpu").append(out["cpu"])
                getattr(result, f"{name}_wall").append(out["wall"])
    finally:
        new.close()
        old.close()
    env = {k: v for k, v in (cold_env or os.environ).items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    sides = [("new", sys.executable), ("old", old_python)]
    args = ["evaluate", cold_packet, *(["--ladder", ladder] if ladder else [])]
    for python in (sys.executable, old_python):  # warm-up: bytecode written, ladder cache filled
        subprocess.run([python, "-m", "promoready", *args], capture_output=True, env=env, cwd=tmp, timeout=300)
    for r in range(cold_runs):
        for name, python in (sides if r % 2 == 0 else sides[::-1]):
            wall, cpu = _cold(python, args, env, tmp)
            getattr(result, f"cold_{name}").append(wall)
            getattr(result, f"cold_{name}_cpu").append(cpu)
    return result


#: Runs a command; prints its wall time and its CPU time (user + system, from RUSAGE_CHILDREN).
_TIMER = r"""
import json, resource, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rc": proc.returncode, "wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
                  "stderr": proc.stderr.decode("utf-8", "replace")[-2000:]}))
"""


def _cold(python: str, args: list[str], env: dict, cwd: str) -> tuple[float, float]:
    proc = subprocess.run([sys.executable, "-c", _TIMER, python, "-m", "promoready", *args],
                          capture_output=True, text=True, env=env, cwd=cwd, timeout=300)
    out = json.loads(proc.stdout)
    if out["rc"] != 0:
        raise AgainstError(f"cold evaluate under {python} exited {out['rc']}: {out['stderr'].strip()[-300:]}")
    return out["wall"], out["cpu"]


def reference_packets(python: str, folder: Path, count: int, seed: int) -> list[str]:
    """``count`` packets (JSON texts) made by the other commit's own ``bench/packets.py`` under its install."""
    code = ("import json, sys\nsys.path.insert(0, sys.argv[1])\nimport packets\n"
            "for text in packets.texts(packets.pool(int(sys.argv[2]), int(sys.argv[3]))):\n"
            "    print(json.dumps(text))")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    out = _run([python, "-c", code, str(folder / "src" / "bench"), str(count), str(seed)],
               "generating the other commit's packets", env=env, cwd=tempfile.gettempdir()).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def bundled_ladder(python: str, name: str = "product-management") -> str:
    """The folder of bundled ladder ``name`` in the install that ``python`` runs."""
    code = ("import sys\nfrom promoready.engine import bundled_ladders\n"
            "print(bundled_ladders()[sys.argv[1]])")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    return _run([python, "-c", code, name], f"finding ladder {name}", env=env, cwd=tempfile.gettempdir()).stdout.strip()


def temporary_folder() -> str:
    return tempfile.mkdtemp(prefix="promoready-against-")
