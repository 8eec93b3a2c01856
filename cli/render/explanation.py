"""``explain``'s view of one decision: every criterion, failing ones first, with what was expected,
what was found, the evidence, the source and the next step (text, markdown or JSON)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .decision import headline, print_footer, render_json
from .terminal import STATUS_STYLE, VERDICT_STYLE, console
from .text import criterion_kind
from .text import escape_markdown as _md

if TYPE_CHECKING:
    from promoready.schemas.decision import Decision

#: Failing criteria first, then those without evidence, then passes.
_ORDER = {"fail": 0, "unknown": 1, "pass": 2}


def _blocks(d: Decision) -> list[tuple[str, list[tuple[str, str]]]]:
    """Per criterion, in reading order: its heading and its (field name, value) lines."""
    blocks = []
    for c in sorted(d.criteria, key=lambda c: (_ORDER[c.status], not c.required)):
        fields = [("Expected", c.expected), ("Found", c.actual), ("Why", c.explanation)]
        if c.next_step:
            fields.append(("Next step", c.next_step))
        fields.append(("Evidence", ", ".join(c.evidence) or "none"))
        if c.missing:
            fields.append(("Missing", ", ".join(c.missing)))
        fields.append(("Source", c.source))
        blocks.append((f"{c.status.upper()} · {c.title} ({criterion_kind(c.required)})", fields))
    return blocks


def _quota(d: Decision) -> str:
    s = d.supporting
    return f"Supporting criteria: {s.passed} of the {s.needed} needed pass" + (f" ({s.unknown} unknown)." if s.unknown else ".")


def render_explanation(d: Decision, fmt: str) -> str:
    """Every criterion, failing ones first, with expected, found, evidence, source and next step.

    ``fmt`` is ``json`` (the decision), ``markdown`` (for a review document) or ``text`` (a terminal).
    """
    if fmt == "json":
        return render_json([d])
    if fmt == "markdown":
        return _markdown(d)
    return _text(d)


def _markdown(d: Decision) -> str:
    lines = [f"**{headline(d)}**", "", _quota(d), ""]
    for title, fields in _blocks(d):
        lines.append(f"### {_md(title)}")
        lines.append("")
        lines += [f"- **{name}:** {_md(value)}" for name, value in fields]
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
    out.print(_quota(d))
    for title, fields in _blocks(d):
        out.print()
        status = title.split(" ", 1)[0].lower()
        out.print(Text(title, style=STATUS_STYLE.get(status, "")))
        for name, value in fields:
            out.print(f"  {name + ':':11} {value}")
    print_footer(out, d, gap=True)
    return buffer.getvalue().rstrip("\n")
