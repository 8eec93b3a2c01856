"""The multiprocessing context of ``batch``'s worker pool, kept apart so it can start early.

Importing this module imports nothing of promoready's own (no engine, no pydantic): the command line
calls ``start_early()`` before it imports the engine, so that the fork server's own start-up (a
fresh interpreter importing the engine) runs on another core while this process does the same.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from typing import Optional, Sequence

#: What the fork server imports once; every worker is forked from it with these already loaded (the
#: registry brings the packet model, the compiler and durable-rules: what a worker needs to start).
PRELOAD = ["promoready.engine.batch", "promoready.engine.registry"]


def context() -> multiprocessing.context.BaseContext:
    """forkserver where the system has it, else spawn.

    Workers fork from a clean single-threaded server that has the engine imported, so a replacement
    starts fast and never inherits this process's threads (a progress bar) or locks.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(PRELOAD)
        return ctx
    return multiprocessing.get_context("spawn")


#: Worker processes per usable CPU at most: the evaluation is CPU-bound, so more only costs memory
#: (each worker holds some 45 MB) and switching.
WORKERS_PER_CPU = 2


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity, as set by taskset or a container's cpuset), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # no affinity on this system
        return os.cpu_count() or 1


def start_early() -> None:
    """Start the fork server now, if there is one, without waiting for its imports to finish."""
    if context().get_start_method() != "forkserver":
        return
    from multiprocessing import forkserver

    try:
        forkserver.ensure_running()
    except OSError:  # the pool will try again, and report it, when it starts its first worker
        pass


def pool_likely(args: Sequence[str]) -> bool:
    """Whether the command line ``args`` (the program's name left out) runs ``batch`` with a worker pool,
    as far as can be told before it is parsed: ``batch`` without ``-h``/``--help``, with ``--workers``
    above 1, or left out on a machine with more than one CPU, or with ``--timeout``. (The command
    decides again once its options are parsed: a guess either way costs only time.)"""
    at = 0
    while at < len(args) and args[at].startswith(("--color", "--colour")):  # the group's option, before the command
        at += 1 if "=" in args[at] else 2
    if at >= len(args) or args[at] != "batch":
        return False
    workers: Optional[int] = None
    timeout = False
    rest = args[at + 1:]
    for place, arg in enumerate(rest):
        if arg == "--":
            break
        if arg in ("-h", "--help"):
            return False
        if arg == "--timeout" or arg.startswith("--timeout="):
            timeout = True
        elif arg == "--workers" or arg.startswith("--workers="):
            value = arg.partition("=")[2] if "=" in arg else (rest[place + 1] if place + 1 < len(rest) else "")
            try:
                workers = int(value)
            except ValueError:  # the command will say what is wrong with it
                return False
    return (workers if workers is not None else usable_cpus()) > 1 or timeout


def stop_server() -> None:
    """Stop the fork server this process started, if any: at the end of a command, once no pool can need
    it. One started on a guess the command then did not need (a usage error, a small batch evaluated
    in this process) stops at once instead of finishing its imports first.

    For the end of a process only: the server is left for the system to reap (reaping it would add its
    workers' CPU time to this process's children's, which the benchmark reads as the coordinating
    process's alone), and multiprocessing still names it, so a pool started later in this process would
    find it dead (and count it as a lost server)."""
    pid = server_pid()
    if pid is None:
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except OSError:  # gone already
        pass


def max_workers() -> int:
    """The most worker processes worth starting here: ``WORKERS_PER_CPU`` per usable CPU."""
    return WORKERS_PER_CPU * usable_cpus()


def server_pid() -> Optional[int]:
    """The pid of the fork server this process started, if it started one (multiprocessing keeps it)."""
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    pid = getattr(server, "_forkserver_pid", None)
    return pid if isinstance(pid, int) else None


def server_gone() -> Optional[int]:
    """The pid of this process's fork server if it has exited, else None.

    The exited server is not reaped here: multiprocessing reaps it, and starts a new one, when the next
    worker is started. Where the system cannot tell without reaping (no ``waitid``), None.
    """
    pid = server_pid()
    if pid is None or not hasattr(os, "waitid"):
        return None
    try:
        info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:  # reaped already
        return pid
    except OSError:
        return None
    return pid if info is not None else None


def wait_server_gone(patience: float = 5.0) -> Optional[int]:
    """After a worker could not be started from the fork server: wait (``patience`` seconds at most) until
    the server has exited, so that the next start replaces it; its pid, or None if it has not exited."""
    deadline = time.monotonic() + patience
    while True:
        pid = server_gone()
        if pid is not None or time.monotonic() >= deadline:
            return pid
        time.sleep(0.01)
