"""Three renderings of one ``Decision``: JSON (for programs), a table (for a terminal), markdown (for a review doc).

Renderers only choose and arrange what the decision already says; they compute nothing.
"""

from __future__ import annotations

import io
import json
import sys
from typing import Sequence

from promoready.schemas.decision import Decision

VERDICT_WORDS = {
    "ready": "ready",
    "not_ready": "not ready",
    "insufficient_evidence": "insufficient evidence",
}
STATUS_STYLE = {"pass": "green", "fail": "red", "unknown": "yellow"}
VERDICT_STYLE = {"ready": "bold green", "not_ready": "bold red", "insufficient_evidence": "bold yellow"}


def render(decisions: Sequence[Decision], fmt: str, *, explain: str = "fails") -> str:
    """All decisions in one format, as the text to print."""
    if fmt == "json":
        return render_json(decisions)
    if fmt == "markdown":
        return "\n\n".join(render_markdown(d, explain=explain) for d in decisions)
    return render_table(decisions, explain=explain)


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


def _shown(d: Decision, explain: str):
    return [c for c in d.criteria if explain == "full" or c.status != "pass"] if explain != "all-rows" else d.criteria


def render_table(decisions: Sequence[Decision], *, explain: str = "fails") -> str:
    """A rich table per decision; colours only when stdout is a terminal."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=sys.stdout.isatty(), width=120 if not sys.stdout.isatty() else None,
                      no_color=not sys.stdout.isatty(), highlight=False)
    for n, d in enumerate(decisions):
        if n:
            console.print()
        console.print(Text(headline(d), style=VERDICT_STYLE[d.verdict]))
        table = Table(show_lines=False, expand=False)
        table.add_column("status")
        table.add_column("criterion")
        table.add_column("req", justify="center")
        table.add_column("expected")
        table.add_column("actual")
        table.add_column("next step")
        for c in d.criteria:
            table.add_row(
                Text(c.status, style=STATUS_STYLE[c.status]),
                c.title,
                "yes" if c.required else "",
                c.expected,
                c.actual,
                c.next_step or "",
            )
        console.print(table)
        if d.next_steps:
            console.print("Next steps, smallest first:")
            for i, step in enumerate(d.next_steps, 1):
                console.print(f"  {i}. {step}")
        for warning in d.warnings:
            console.print(Text(f"warning: {warning}", style="yellow"))
    return buffer.getvalue().rstrip("\n")


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(d: Decision, *, explain: str = "fails") -> str:
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
    for c in d.criteria:
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
