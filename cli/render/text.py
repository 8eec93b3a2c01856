"""The words every renderer shares, and the one markdown escape.

A verdict, a criterion's kind or a table cell reads the same in the table, the markdown, the
explanation, the what-if view and the batch summary because they all come from here.
"""

from __future__ import annotations

from typing import Mapping

#: A verdict as people read it.
VERDICT_WORDS: Mapping[str, str] = {
    "ready": "ready",
    "not_ready": "not ready",
    "insufficient_evidence": "insufficient evidence",
}


def verdict_word(verdict: str) -> str:
    """``not_ready`` → ``not ready``; a value that is not a verdict is shown as it is."""
    return VERDICT_WORDS.get(verdict, verdict)


def criterion_kind(required: bool) -> str:
    """What a criterion is called by its ``required`` flag: ``required`` or ``supporting``."""
    return "required" if required else "supporting"


def escape_markdown(value: object) -> str:
    """``value`` as text that stays inside one markdown table cell or list item.

    A ``|`` would end the cell and a line break the row or item: pipes are escaped and line
    breaks become spaces. Packet and ladder text reaches every markdown renderer through here.
    """
    return str(value).replace("|", "\\|").replace("\n", " ")
