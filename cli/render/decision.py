"""One or more ``Decision``s as JSON (for programs), a table (for a terminal) or markdown (for a review doc).

Renderers only choose and arrange what the decision already says; they compute nothing.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Optional, Sequence

from promoready.engine.words import printable

from .terminal import STATUS_STYLE, VERDICT_STYLE, console, indented, numbered, table, text_of
from .text import counts, criterion_kind, shown, verdict_reason, verdict_word, when
from .text import escape_markdown as _md

if TYPE_CHECKING:
    from rich.console import Console

    from promoready.schemas.decision import CriterionResult, Decision


def render_decisions(decisions: Sequence[Decision], fmt: str, *, explain: Optional[str] = None) -> str:
    """All decisions in one format (``json``, ``jsonl``, ``markdown`` or ``table``), as the text to print.

    ``explain`` filters what people see (JSON always carries everything): None shows every
    criterion's row, ``fails`` only those that fail or lack evidence, ``full`` adds each criterion's
    explanation, evidence and source.
    """
    if fmt == "json":
        return render_json(decisions)
    if fmt == "jsonl":
        return render_jsonl(decisions)
    if fmt == "markdown":
        return "\n\n".join(render_markdown(d, explain=explain) for d in decisions)
    return render_table(decisions, explain=explain)


def render_json(decisions: Sequence[Decision]) -> str:
    """One decision as an indented JSON object; several as a JSON array. Keys in contract order.

    (``--format jsonl`` is ``render_jsonl``: one decision a line, however many there are.)"""
    docs = [json.loads(d.to_json()) for d in decisions]
    return json.dumps(docs[0] if len(docs) == 1 else docs, indent=2, ensure_ascii=False)


def render_jsonl(decisions: Sequence[Decision]) -> str:
    """One compact JSON decision a line (JSON Lines), the same shape for one packet as for many."""
    return "\n".join(d.to_json() for d in decisions)


def headline(d: Decision) -> str:
    """The verdict in one sentence: the verdict, why (when it needs saying), and the counts by status.

    One line whatever the decision holds: the candidate id is kept to one line by ``shown``, which every
    view applies first, and a line break in a criterion's title the reason names is escaped here with
    the control characters (``printable``), never a second line under the headline's style."""
    t = d.transition
    base = f"{d.candidate_id}: {verdict_word(d.verdict)} for {t.from_} → {t.to}"
    reason = verdict_reason(d)
    return printable(f"{base}{': ' + reason if reason else ''} ({counts(d)}).", one_line=True)


def _shown(d: Decision, explain: Optional[str]) -> Sequence[CriterionResult]:
    return [c for c in d.criteria if c.status != "pass"] if explain == "fails" else d.criteria


def print_footer(out: Console, d: Decision, *, gap: bool = False, projection: bool = True) -> None:
    """The next steps and the projection (unless ``projection`` is false: shown already) under a
    decision on a terminal (``gap``: a blank line before the steps). Warnings go to stderr, from the command."""
    if d.next_steps:
        if gap:
            out.print()
        out.print("Next steps, smallest first:")
        numbered(out, d.next_steps)
    if projection and when(d):
        out.print(when(d))


def render_table(decisions: Sequence[Decision], *, explain: Optional[str] = None) -> str:
    """A rich table per decision; colours only when stdout is a terminal. Control and bidirectional-control
    characters of the decision's text are shown escaped (``shown``)."""
    from rich.text import Text

    decisions = [shown(d) for d in decisions]

    out, buffer = console()
    for n, d in enumerate(decisions):
        if n:
            out.print()
        out.print(Text(headline(d), style=VERDICT_STYLE[d.verdict]))
        grid = table("status", "criterion", "kind", "expected", "actual", "next step", show_lines=False, expand=False)
        for c in _shown(d, explain):
            grid.add_row(
                Text(c.status, style=STATUS_STYLE[c.status]),
                c.title,
                criterion_kind(c.required, c.group),
                c.expected,
                c.actual,
                c.next_step or "",
            )
        out.print(grid)
        if explain == "full":
            for c in d.criteria:
                out.print(Text(f"{c.title} [{c.status}]", style=STATUS_STYLE[c.status]))
                indented(out, c.explanation)
                indented(out, f"evidence: {', '.join(c.evidence) or 'none'}"
                         + (f"; missing: {', '.join(c.missing)}" if c.missing else ""))
                indented(out, f"source: {c.source_title}")
        print_footer(out, d)
    return text_of(buffer)


def render_markdown(d: Decision, *, explain: Optional[str] = None) -> str:
    """A markdown section that pastes cleanly into a review document (control and bidirectional-control
    characters of the decision's text shown escaped: ``shown``)."""
    d = shown(d)
    t = d.transition
    lines = [
        f"## {d.candidate_id}: {t.from_} → {t.to}",  # the id on one line, as shown() gives it
        "",
        f"**Verdict: {verdict_word(d.verdict)}.** {headline(d)}",
        "",
        f"Ladder `{d.ladder.id}` {d.ladder.version}, track {t.track}, phase {t.phase}, as of {d.as_of}.",
        "",
        "| status | criterion | required | expected | actual | next step |",
        "|---|---|---|---|---|---|",
    ]
    for c in _shown(d, explain):
        required = "yes" if c.required else "no" + (f" ({_md(c.group)})" if c.group else "")
        lines.append(
            f"| {c.status} | {_md(c.title)} | {required} | {_md(c.expected)} | {_md(c.actual)} "
            f"| {_md(c.next_step or '')} |"
        )
    if d.next_steps:
        lines += ["", "**Next steps, smallest first:**", ""]
        lines += [f"{i}. {_md(step)}" for i, step in enumerate(d.next_steps, 1)]
    if when(d):
        lines += ["", _md(when(d))]
    if explain == "full":
        lines += ["", "### Every criterion", ""]
        for c in d.criteria:
            lines += [
                f"- **{_md(c.title)}** ({c.status}{', required' if c.required else ''}): {_md(c.explanation)}",
                f"  Expected {_md(c.expected)}; found {_md(c.actual)}.",
                f"  Evidence: {', '.join(f'`{e}`' for e in c.evidence) or 'none'}."
                + (f" Missing: {', '.join(f'`{m}`' for m in c.missing)}." if c.missing else ""),
                f"  Source: {_md(c.source_title)}.",
            ]
    for warning in d.warnings:
        lines += ["", f"> warning: {_md(warning)}"]
    return "\n".join(lines)
