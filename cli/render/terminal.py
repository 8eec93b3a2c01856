"""Rich output for a terminal: the console every table renderer writes to, and the colours.

Rich is imported only when a terminal rendering is made, so importing a renderer stays light.
"""

from __future__ import annotations

import io
import sys
from typing import TYPE_CHECKING, Mapping

if TYPE_CHECKING:
    from rich.console import Console

#: Colour of a criterion status.
STATUS_STYLE: Mapping[str, str] = {"pass": "green", "fail": "red", "unknown": "yellow"}
#: Colour of a verdict headline.
VERDICT_STYLE: Mapping[str, str] = {"ready": "bold green", "not_ready": "bold red",
                                    "insufficient_evidence": "bold yellow"}


def console(width: int = 120) -> tuple[Console, io.StringIO]:
    """A rich console writing to a buffer: colours and the terminal's width on a terminal, plain
    text ``width`` columns wide otherwise (so piped output and golden files don't depend on a screen)."""
    from rich.console import Console

    tty = sys.stdout.isatty()
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=tty, no_color=not tty, width=None if tty else width,
                   highlight=False), buffer
