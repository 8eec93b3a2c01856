"""Every rendering the command line prints, in one place: decisions, explanations, what-if results
and ladders (and the batch summary). Renderers only arrange what they are given; they compute nothing.

The verdict words and the markdown escape live in ``text`` and nowhere else. Importing this package
is light (no pydantic, no rich): rich loads when a terminal rendering is made.
"""

from __future__ import annotations

from .decision import headline, render_decisions
from .explanation import render_explanation
from .ladder import render_example_results, render_ladder, render_ladder_list, render_validated
from .text import VERDICT_WORDS, criterion_kind, escape_markdown, verdict_word
from .whatif import render_what_if

__all__ = [
    "render_decisions",
    "headline",
    "render_explanation",
    "render_what_if",
    "render_ladder_list",
    "render_ladder",
    "render_validated",
    "render_example_results",
    "VERDICT_WORDS",
    "verdict_word",
    "criterion_kind",
    "escape_markdown",
]
