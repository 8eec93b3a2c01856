"""The multiprocessing context of ``batch``'s worker pool, kept apart so it can start early.

Importing this module imports nothing of promoready's own (no engine, no pydantic): the command line
calls ``start_early()`` before it imports the engine, so that the fork server's own start-up (a
fresh interpreter importing the engine) runs on another core while this process does the same.
"""

from __future__ import annotations

import multiprocessing

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


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity, as set by taskset or a container's cpuset), at least 1."""
    import os

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
