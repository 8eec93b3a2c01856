"""Three renderings of one ``Decision``: JSON (for programs), a table (for a terminal), markdown (for a review doc).

Renderers only choose and arrange what the decision already says; they compute nothing.
"""

from __future__ import annotations

import io
import json
import sys
from typing import Optional, Sequence

from promoready.schemas.decision import Decision

VERDICT_WORDS = {
    "ready": "ready",
    "not_ready": "not ready",
    "insufficient_evidence": "insufficient evidence",
}
STATUS_STYLE = {"pass": "green", "fail": "red", "unknown": "yellow"}
VERDICT_STYLE = {"ready": "bold green", "not_ready": "bold red", "insufficient_evidence": "bold yellow"}


def render(decisions: Sequence[Decision], fmt: str, *, explain: Optional[str] = None) -> str:
    """All decisions in one format, as the text to print.

    ``explain`` filters what people see (JSON always carries everything): None shows every
    criterion's row, ``fails`` only those that fail or lack evidence, ``full`` adds each criterion's
    explanation, evidence and source.
    """
    if fmt == "json":
        return render_json(decisions)
    if fmt == "markdown":
        return "\n\n".join(render_markdown(d, explain=explain) for d in decisions)
    return render_table(decisions, explain=explain)


def render_what_if(results: Sequence, fmt: str, *, explain: Optional[str] = None) -> str:
    """What-if results: the changed decision, and which criteria moved (JSON: a ``what_if`` section)."""
    if fmt == "json":
        docs = [r.to_dict() for r in results]
        return json.dumps(docs[0] if len(docs) == 1 else docs, indent=2, ensure_ascii=False)
    parts = []
    for r in results:
        head = [f"What if: {'; '.join(c.text for c in r.changes)}",
                f"Verdict: {VERDICT_WORDS[r.before.verdict]} → {VERDICT_WORDS[r.after.verdict]}"]
        if r.changed:
            head.append("Changed: " + "; ".join(f"{s.title} {s.before} → {s.after}" for s in r.changed))
        else:
            head.append("No criterion changed status.")
        if fmt == "markdown":
            parts.append("\n".join(f"- {line}" for line in head) + "\n\n" + render_markdown(r.after, explain=explain))
        else:
            parts.append("\n".join(head) + "\n" + render_table([r.after], explain=explain))
    return "\n\n".join(parts)


def render_json(decisions: Sequence[Decision]) -> str:
    """One decision as an indented JSON object; several as a JSON array. Keys in contract order."""
    docs = [json.loads(d.to_json()) for d in decisions]
    return json.dumps(docs[0] if len(docs) == 1 else docs, indent=2, ensure_ascii=False)


def headline(d: Decision) -> str:
    """The verdict in one sentence."""
    t = d.transition
    s = d.summary
    base = f"{d.candidate_id}: {VERDICT_WORDS[d.verdict]} for {t.from_} → {t.to}"
    counts = f"{s.pass_} pass, {s.fail} fail, {s.unknown} unknown"
    if d.verdict == "ready":
        return f"{base} ({counts})."
    if d.verdict == "not_ready":
        blocking = [c.title for c in d.criteria if c.required and c.status == "fail"]
        reason = f"blocked by {', '.join(blocking)}" if blocking else "too few supporting criteria pass"
        return f"{base}: {reason} ({counts})."
    missing = [c.title for c in d.criteria if c.required and c.status == "unknown"]
    reason = f"evidence missing for {', '.join(missing)}" if missing else "supporting evidence missing"
    return f"{base}: {reason} ({counts})."


def _shown(d: Decision, explain: Optional[str]):
    return [c for c in d.criteria if c.status != "pass"] if explain == "fails" else d.criteria


def console(width: int = 120):
    """A rich console writing to a buffer: colours and the terminal's width on a terminal, plain
    text ``width`` columns wide otherwise (so piped output and golden files don't depend on a screen)."""
    from rich.console import Console

    tty = sys.stdout.isatty()
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=tty, no_color=not tty, width=None if tty else width,
                   highlight=False), buffer


def _footer(out, d: Decision, *, gap: bool = False) -> None:
    """The next steps and warnings under a decision."""
    from rich.text import Text

    if d.next_steps:
        if gap:
            out.print()
        out.print("Next steps, smallest first:")
        for i, step in enumerate(d.next_steps, 1):
            out.print(f"  {i}. {step}")
    for warning in d.warnings:
        out.print(Text(f"warning: {warning}", style="yellow"))


def render_table(decisions: Sequence[Decision], *, explain: Optional[str] = None) -> str:
    """A rich table per decision; colours only when stdout is a terminal."""
    from rich.table import Table
    from rich.text import Text

    out, buffer = console()
    for n, d in enumerate(decisions):
        if n:
            out.print()
        out.print(Text(headline(d), style=VERDICT_STYLE[d.verdict]))
        table = Table(show_lines=False, expand=False)
        table.add_column("status")
        table.add_column("criterion")
        table.add_column("req", justify="center")
        table.add_column("expected")
        table.add_column("actual")
        table.add_column("next step")
        for c in _shown(d, explain):
            table.add_row(
                Text(c.status, style=STATUS_STYLE[c.status]),
                c.title,
                "yes" if c.required else "",
                c.expected,
                c.actual,
                c.next_step or "",
            )
        out.print(table)
        if explain == "full":
            for c in d.criteria:
                out.print(Text(f"{c.title} [{c.status}]", style=STATUS_STYLE[c.status]))
                out.print(f"  {c.explanation}")
                out.print(f"  evidence: {', '.join(c.evidence) or 'none'}"
                              + (f"; missing: {', '.join(c.missing)}" if c.missing else ""))
                out.print(f"  source: {c.source}")
        _footer(out, d)
    return buffer.getvalue().rstrip("\n")


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(d: Decision, *, explain: Optional[str] = None) -> str:
    """A markdown section that pastes cleanly into a review document."""
    t = d.transition
    lines = [
        f"## {d.candidate_id}: {t.from_} → {t.to}",
        "",
        f"**Verdict: {VERDICT_WORDS[d.verdict]}.** {headline(d)}",
        "",
        f"Ladder `{d.ladder.id}` {d.ladder.version}, track {t.track}, phase {t.phase}, as of {d.as_of}.",
        "",
        "| status | criterion | required | expected | actual | next step |",
        "|---|---|---|---|---|---|",
    ]
    for c in _shown(d, explain):
        lines.append(
            f"| {c.status} | {_md(c.title)} | {'yes' if c.required else 'no'} | {_md(c.expected)} | {_md(c.actual)} "
            f"| {_md(c.next_step or '')} |"
        )
    if d.next_steps:
        lines += ["", "**Next steps, smallest first:**", ""]
        lines += [f"{i}. {_md(step)}" for i, step in enumerate(d.next_steps, 1)]
    if explain == "full":
        lines += ["", "### Every criterion", ""]
        for c in d.criteria:
            lines += [
                f"- **{_md(c.title)}** ({c.status}{', required' if c.required else ''}): {_md(c.explanation)}",
                f"  Expected {_md(c.expected)}; found {_md(c.actual)}.",
                f"  Evidence: {', '.join(f'`{e}`' for e in c.evidence) or 'none'}."
                + (f" Missing: {', '.join(f'`{m}`' for m in c.missing)}." if c.missing else ""),
                f"  Source: {_md(c.source)}.",
            ]
    for warning in d.warnings:
        lines += ["", f"> warning: {_md(warning)}"]
    return "\n".join(lines)


def _explanation_blocks(d: Decision) -> list[tuple[str, list[tuple[str, str]]]]:
    order = {"fail": 0, "unknown": 1, "pass": 2}
    blocks = []
    for c in sorted(d.criteria, key=lambda c: (order[c.status], not c.required)):
        kind = "required" if c.required else "supporting"
        fields = [("Expected", c.expected), ("Found", c.actual), ("Why", c.explanation)]
        if c.next_step:
            fields.append(("Next step", c.next_step))
        fields.append(("Evidence", ", ".join(c.evidence) or "none"))
        if c.missing:
            fields.append(("Missing", ", ".join(c.missing)))
        fields.append(("Source", c.source))
        blocks.append((f"{c.status.upper()} · {c.title} ({kind})", fields))
    return blocks


def render_explanation(d: Decision, fmt: str) -> str:
    """Every criterion, failing ones first, with expected, found, evidence, source and next step."""
    if fmt == "json":
        return render_json([d])
    s = d.supporting
    quota = f"Supporting criteria: {s.passed} of the {s.needed} needed pass" + (f" ({s.unknown} unknown)." if s.unknown else ".")
    if fmt == "markdown":
        lines = [f"**{headline(d)}**", "", quota, ""]
        for title, fields in _explanation_blocks(d):
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
    from rich.text import Text

    out, buffer = console(width=100)
    out.print(Text(headline(d), style=VERDICT_STYLE[d.verdict]))
    out.print(quota)
    for title, fields in _explanation_blocks(d):
        out.print()
        status = title.split(" ", 1)[0].lower()
        out.print(Text(title, style=STATUS_STYLE.get(status, "")))
        for name, value in fields:
            out.print(f"  {name + ':':11} {value}")
    _footer(out, d, gap=True)
    return buffer.getvalue().rstrip("\n")
