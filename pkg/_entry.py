"""The ``promoready`` command's entry point.

Before the command line is imported (click, then the command), a ``batch`` that will likely start a
worker pool starts the pool's fork server: its start-up, a fresh interpreter importing the engine, then
overlaps this process's own instead of following it. A guess that proves wrong (a usage error, a
batch small enough for this process) costs no more than that: the server is stopped when the command
ends.
"""

from __future__ import annotations

import sys
from typing import Optional


def main(prog_name: Optional[str] = None) -> None:
    """Run the command line (``promoready.cli.main``) on ``sys.argv``."""
    processes = None
    if "batch" in sys.argv[1:]:  # multiprocessing costs other commands some 15 ms to import: only here
        from promoready import _processes

        if _processes.pool_likely(sys.argv[1:]):
            processes = _processes
            processes.start_early()
    try:
        from promoready.cli import main as command

        command(prog_name=prog_name)
    finally:
        if processes is not None:  # the command is over (its pool, if any, stopped): so is the server, needed or not
            processes.stop_server()
