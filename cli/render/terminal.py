"""Rich output for a terminal: the console every table renderer writes to, the colours, and when to use them.

Colours follow ``--color``: ``auto`` (the default) colours a terminal unless ``NO_COLOR`` is set to
anything (https://no-color.org), ``always`` colours even a pipe, ``never`` never colours. Tables wrap
long cells onto more lines and never cut them.

Rich is imported only when a terminal rendering is made, so importing a renderer stays light.
"""

from __future__ import annotations

import io
import os
import sys
from typing import TYPE_CHECKING, Mapping, Optional, Sequence

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

#: Colour of a criterion status.
STATUS_STYLE: Mapping[str, str] = {"pass": "green", "fail": "red", "unknown": "yellow"}
#: Colour of a verdict headline.
VERDICT_STYLE: Mapping[str, str] = {"ready": "bold green", "not_ready": "bold red",
                                    "insufficient_evidence": "bold yellow"}

_color = "auto"


def set_color(mode: str) -> None:
    """``--color``: ``auto``, ``always`` or ``never`` for every rendering that follows."""
    global _color
    if mode not in ("auto", "always", "never"):
        raise ValueError(f"--color is auto, always or never, not {mode!r}")
    _color = mode


def is_terminal() -> bool:
    """Whether stdout is a terminal (the human format and rendered markdown are chosen by this)."""
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):  # a closed or replaced stdout is not a terminal
        return False


def colors() -> bool:
    """Whether this run's output carries colours (``--color`` and ``NO_COLOR`` as the module says)."""
    if _color != "auto":
        return _color == "always"
    return is_terminal() and not os.environ.get("NO_COLOR")


def forced() -> Optional[bool]:
    """``--color`` as rich's ``no_color`` for a console of its own (batch's progress bar on stderr):
    True for never, False for always, None for auto (rich then honours NO_COLOR itself)."""
    return {"never": True, "always": False}.get(_color)


def echo(text: str) -> None:
    """Print a rendering on stdout, keeping its colours when ``--color always`` asks for them in a pipe."""
    import click

    click.echo(text, color=True if colors() else None)


def console(width: int = 120) -> tuple[Console, io.StringIO]:
    """A rich console writing to a buffer: the terminal's width on a terminal, else ``width`` columns
    (so piped output and golden files don't depend on a screen); colours as ``colors()`` says."""
    from rich.console import Console

    tty = is_terminal()
    colour = colors()
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=colour, no_color=not colour, width=None if tty else width,
                   color_system=("auto" if tty else "standard") if colour else None, highlight=False,
                   markup=False, emoji=False), buffer


def text_of(buffer: io.StringIO) -> str:
    """What a console wrote, without the spaces rich pads lines with (before or among the colour codes
    that end a line), nor trailing blank lines."""
    import re

    padding = re.compile(r" +((?:\x1b\[[0-9;]*m)*)$")
    return "\n".join(padding.sub(r"\1", line) for line in buffer.getvalue().split("\n")).rstrip("\n")


def table(*columns: str, **options: object) -> Table:
    """A rich table whose cells wrap (long words folded) instead of being cut with an ellipsis."""
    from rich.table import Table

    grid = Table(**options)  # type: ignore[arg-type]
    for column in columns:
        grid.add_column(column, overflow="fold")
    return grid


def numbered(out: Console, items: Sequence[str], indent: int = 2) -> None:
    """A numbered list whose long items wrap under their own text, not under the number."""
    from rich.table import Table

    grid = Table.grid(padding=(0, 1))
    grid.add_column(justify="right", min_width=indent + 2)
    grid.add_column(overflow="fold")
    for i, item in enumerate(items, 1):
        grid.add_row(f"{i}.", item)
    out.print(grid)


def fields(out: Console, rows: Sequence[tuple[str, str]], indent: int = 2) -> None:
    """``name: value`` lines, values aligned and wrapping under themselves."""
    from rich.padding import Padding
    from rich.table import Table

    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for name, value in rows:
        grid.add_row(f"{name}:", value)
    out.print(Padding(grid, (0, 0, 0, indent)))


def indented(out: Console, text: str, indent: int = 2) -> None:
    """A paragraph indented by ``indent`` columns, wrapped lines included."""
    from rich.padding import Padding
    from rich.text import Text

    out.print(Padding(Text(text, overflow="fold"), (0, 0, 0, indent)))


def render_markdown(text: str, width: Optional[int] = None) -> str:
    """Markdown as a terminal shows it (headings, bold, lists laid out by rich)."""
    from rich.markdown import Markdown

    out, buffer = console(width or 100)
    out.print(Markdown(text, hyperlinks=False))
    return text_of(buffer)
