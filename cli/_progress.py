"""The progress bar of ``batch`` on a terminal, with the packet rate and the time left."""

from __future__ import annotations

from typing import Any, Optional


class Progress:
    """A rich progress bar on stderr (only used when stderr is a terminal)."""

    def __init__(self, total: Optional[int]) -> None:
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn,
                                   TimeElapsedColumn, TimeRemainingColumn)
        from rich.text import Text

        from .render.terminal import forced

        class Rate(ProgressColumn):
            def render(self, task: Any) -> Text:
                speed = task.finished_speed or task.speed
                return Text(f"{speed:,.0f} packets/s" if speed else "– packets/s", style="progress.data.speed")

        self.bar = Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                            MofNCompleteColumn(), Rate(), TimeElapsedColumn(), TextColumn("ETA"),
                            TimeRemainingColumn(), console=Console(stderr=True, no_color=forced()), transient=False)
        self.task = self.bar.add_task("evaluating", total=total)
        self.bar.start()

    def advance(self, packets: int = 1) -> None:
        """One more packet done (or ``packets`` more)."""
        self.bar.advance(self.task, packets)

    def print(self, text: str) -> None:
        """A line on stderr, above the bar."""
        self.bar.console.print(text, markup=False, highlight=False, soft_wrap=True)

    def stop(self) -> None:
        """Leave the bar as it is, finished or not."""
        self.bar.stop()
