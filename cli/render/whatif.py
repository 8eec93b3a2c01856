"""What-if results: the changed decision, and which criteria moved (JSON: a ``what_if`` section)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Optional, Sequence

from .decision import render_markdown, render_table
from .text import escape_markdown as _md
from .text import shown_values, verdict_word

if TYPE_CHECKING:
    from promoready.engine.whatif import WhatIf


def render_what_if(results: Sequence[WhatIf], fmt: str, *, explain: Optional[str] = None) -> str:
    """Each what-if result: the changes, the verdict before and after, the criteria that moved, then
    the changed decision as ``render_decisions`` shows it (``explain`` filters its criteria the same way)."""
    if fmt == "json":
        docs = [r.to_dict() for r in results]
        return json.dumps(docs[0] if len(docs) == 1 else docs, indent=2, ensure_ascii=False)
    if fmt == "jsonl":
        return "\n".join(json.dumps(r.to_dict(), ensure_ascii=False, separators=(",", ":")) for r in results)
    parts = []
    for r in results:
        head = [f"What if: {'; '.join(c.text for c in r.changes)}",
                f"Verdict: {verdict_word(r.before.verdict)} → {verdict_word(r.after.verdict)}"]
        if r.changed:
            head.append("Changed: " + "; ".join(f"{s.title} {s.before} → {s.after}" for s in r.changed))
        else:
            head.append("No criterion changed status.")
        head = shown_values(head)  # the changes as typed and the criteria's titles: control characters escaped
        if fmt == "markdown":
            parts.append("\n".join(f"- {_md(line)}" for line in head) + "\n\n" + render_markdown(r.after, explain=explain))
        else:
            parts.append("\n".join(head) + "\n" + render_table([r.after], explain=explain))
    return "\n\n".join(parts)
