"""``explain``'s view of one decision: every criterion, failing ones first, with what was expected,
what was found, the evidence, the source and the next step (text, markdown or JSON)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .decision import headline, print_footer, render_json, render_jsonl
from .terminal import STATUS_STYLE, VERDICT_STYLE, console, fields, text_of
from .text import criterion_kind, quota_lines, shown, when
from .text import escape_markdown as _md

if TYPE_CHECKING:
    from promoready.schemas.decision import Decision

#: Failing criteria first, then those without evidence, then passes.
_ORDER = {"fail": 0, "unknown": 1, "pass": 2}


def _blocks(d: Decision) -> list[tuple[str, list[tuple[str, str]]]]:
    """Per criterion, in reading order: its heading and its (field name, value) lines."""
    blocks = []
    for c in sorted(d.criteria, key=lambda c: (_ORDER[c.status], not c.required)):
        # A pass's text says why it passes; a fail's or an unknown's says what to do about it.
        rows = [("Expected", c.expected), ("Found", c.actual),
                ("Why" if c.status == "pass" else "What to do", c.explanation)]
        if c.next_step:
            rows.append(("Next step", c.next_step))
        rows.append(("Evidence", ", ".join(c.evidence) or "none"))
        if c.missing:
            rows.append(("Missing", ", ".join(c.missing)))
        rows.append(("Source", c.source_title))
        blocks.append((f"{c.status.upper()} · {c.title} ({criterion_kind(c.required, c.group)})", rows))
    return blocks


def render_explanation(d: Decision, fmt: str) -> str:
    """Every criterion, failing ones first, with expected, found, evidence, source and next step.

    ``fmt`` is ``json`` (the decision), ``jsonl`` (the decision on one line), ``markdown`` (for a review
    document) or ``table`` (a terminal; ``text`` is its other name). JSON carries the decision exactly;
    the others show control and bidirectional-control characters of its text escaped (``shown``).
    """
    if fmt == "json":
        return render_json([d])
    if fmt == "jsonl":
        return render_jsonl([d])
    d = shown(d)
    if fmt == "markdown":
        return _markdown(d)
    return _text(d)


def _markdown(d: Decision) -> str:
    quotas = quota_lines(d)
    # One quota is a sentence; a quota per named group is a list, a line each.
    shown = [_md(quotas[0])] if len(quotas) == 1 else [f"- {_md(q)}" for q in quotas]
    lines = [f"**{headline(d)}**", ""] + shown + [""] + ([_md(when(d)), ""] if when(d) else [])
    for title, rows in _blocks(d):
        lines.append(f"### {_md(title)}")
        lines.append("")
        lines += [f"- **{name}:** {_md(value)}" for name, value in rows]
        lines.append("")
    if d.next_steps:
        lines += ["### Next steps, smallest first", ""]
        lines += [f"{i}. {_md(step)}" for i, step in enumerate(d.next_steps, 1)]
    for warning in d.warnings:
        lines += ["", f"> warning: {_md(warning)}"]
    return "\n".join(lines).rstrip("\n")


def _text(d: Decision) -> str:
    from rich.text import Text

    out, buffer = console(width=100)
    out.print(Text(headline(d), style=VERDICT_STYLE[d.verdict]))
    for line in quota_lines(d):
        out.print(line)
    if when(d):
        out.print(when(d))
    for title, rows in _blocks(d):
        out.print()
        status = title.split(" ", 1)[0].lower()
        out.print(Text(title, style=STATUS_STYLE.get(status, "")))
        fields(out, rows)
    print_footer(out, d, gap=True, projection=False)
    return text_of(buffer)
