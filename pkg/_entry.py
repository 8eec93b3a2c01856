"""The ``promoready`` command's entry point.

Before the command line is imported (click, then the command), a ``batch`` that will likely start a
worker pool starts the pool's fork server: its start-up, a fresh interpreter importing the engine, then
overlaps this process's own instead of following it.
"""

from __future__ import annotations

import sys
from typing import Optional


def main(prog_name: Optional[str] = None) -> None:
    """Run the command line (``promoready.cli.main``) on ``sys.argv``."""
    from promoready import _processes

    if _processes.pool_likely(sys.argv[1:]):
        _processes.start_early()
    from promoready.cli import main as command

    command(prog_name=prog_name)
