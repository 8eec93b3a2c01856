"""How the store's answers print: ``history``, ``cycles list|show|diff|prune`` and ``decisions show``,
each as a table (terminal), markdown (for a committee), JSON or JSON Lines. Renderers only arrange
what the store returned; they compute nothing. Every table, heading and masked decision shown to
people has its control and bidirectional-control characters escaped (``printable``: stored text came
from packets); JSON and JSON Lines print the stored values exactly."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Optional, Sequence

from promoready.engine.words import counted, printable

from .render.text import escape_markdown, verdict_word

if TYPE_CHECKING:
    from promoready.store import Change, Cycle, CycleDiff, HistoryEntry, Pruned, StoredDecision, VerdictChange

#: The formats every store command prints.
FORMATS = ("table", "markdown", "json", "jsonl")


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def _jsonl(values: Sequence[Any]) -> str:
    return "\n".join(json.dumps(v, ensure_ascii=False, separators=(",", ":")) for v in values)


def _grid(headers: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str, title: Optional[str] = None) -> str:
    """A table: rich's on a terminal (plain text when piped), a pipe table in markdown."""
    cells = [["" if v is None else printable(str(v)) for v in row] for row in rows]
    headers = [printable(h) for h in headers]  # a cycle's name heads a column of `cycles diff`
    title = printable(title, one_line=True) if title is not None else None  # a candidate id or cycle name in it
    if fmt == "markdown":
        lines = [f"## {escape_markdown(title)}", ""] if title else []
        lines += ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
        lines += ["| " + " | ".join(escape_markdown(c) for c in row) + " |" for row in cells]
        return "\n".join(lines)
    from rich.table import Table

    from .render.terminal import console as make_console

    console, buffer = make_console()
    table = Table(title=title, title_justify="left")
    for header in headers:
        table.add_column(header)
    for row in cells:
        table.add_row(*row)
    console.print(table)
    return buffer.getvalue().rstrip("\n")


def _verdict(value: Optional[str]) -> str:
    return verdict_word(value) if value else "(masked)"


def _changes(changes: Sequence["Change"]) -> str:
    return "; ".join(f"{c.criterion_id}: {c.before or 'absent'} → {c.after or 'absent'}" for c in changes)


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else ""


def render_history(candidate_id: str, entries: Sequence["HistoryEntry"], fmt: str) -> str:
    """A candidate's decisions across cycles, with the criteria that changed since the previous one."""
    if fmt == "json":
        return _json({"candidate_id": candidate_id, "entries": [e.to_dict() for e in entries]})
    if fmt == "jsonl":
        return _jsonl([{"candidate_id": candidate_id, **e.to_dict()} for e in entries])
    rows = [(e.cycle, _when(e.started_at), e.decision_id, e.transition, _verdict(e.verdict),
             _changes(e.changes) if e.changes else ("" if i == 0 else "no change")) for i, e in enumerate(entries)]
    return _grid(("cycle", "recorded", "decision", "step", "verdict", "criteria changed since the cycle before"),
                 rows, fmt, title=f"History of {candidate_id}")


def _state(cycle: "Cycle") -> str:
    if cycle.log:  # never complete, and never to be completed
        return "decision log (open)"
    if cycle.running:  # incomplete, for now: its batch is still writing it
        return "running"
    return "complete" if cycle.complete else "INCOMPLETE"


def render_cycles(cycles: Sequence["Cycle"], fmt: str) -> str:
    """Every cycle, oldest first."""
    if fmt == "json":
        return _json([c.to_dict() for c in cycles])
    if fmt == "jsonl":
        return _jsonl([c.to_dict() for c in cycles])
    rows = [(c.name, c.id, _when(c.started_at), _when(c.finished_at), _state(c), f"{c.decisions:,}", f"{c.errors:,}",
             f"{c.dropped:,}", c.ladder_id or "") for c in cycles]
    return _grid(("cycle", "id", "started", "finished", "state", "decisions", "errors", "dropped", "ladder"), rows, fmt,
                 title="Cycles")


def render_cycle(cycle: "Cycle", fmt: str) -> str:
    """One cycle: its settings, its state and its decisions by verdict."""
    if fmt in ("json", "jsonl"):
        return _json(cycle.to_dict()) if fmt == "json" else _jsonl([cycle.to_dict()])
    facts = [("state", _state(cycle) + (f" (run {cycle.runs} times)" if cycle.runs > 1 else "")),
             ("ladder", f"{cycle.ladder_id or '(per packet)'} {cycle.ladder_digest or ''}".strip()),
             ("as of", cycle.as_of.isoformat() if cycle.as_of else "(each packet's own date)"),
             ("started", _when(cycle.started_at)), ("finished", _when(cycle.finished_at)),
             ("decisions", f"{cycle.decisions:,}"), ("errors", f"{cycle.errors:,}"),
             ("dropped (masking failed)", f"{cycle.dropped:,}"),
             ("packets stored", "yes" if cycle.store_packets else "no"),
             ("masks", ", ".join(cycle.masks) or "none")]
    facts += [(f"verdict: {_verdict(v if v != 'None' else None)}", f"{n:,}") for v, n in cycle.verdicts.items()]
    return _grid(("", ""), facts, fmt, title=f"Cycle {cycle.name} (id {cycle.id})")


def _verdict_rows(changes: Sequence["VerdictChange"]) -> list[tuple[str, str, str, str]]:
    return [(c.candidate_id, c.transition, _verdict(c.before), _verdict(c.after)) for c in changes]


def render_diff(diff: "CycleDiff", fmt: str) -> str:
    """Two cycles compared: who became ready, who regressed, other verdict changes, criteria that moved most."""
    if fmt == "json":
        return _json(diff.to_dict())
    if fmt == "jsonl":
        lines = [{"kind": kind, **c.to_dict()} for kind, group in (
            ("became_ready", diff.became_ready), ("regressed", diff.regressed), ("other", diff.other_changes))
            for c in group]
        return _jsonl(lines + [{"kind": "criterion", **m.to_dict()} for m in diff.criteria])
    head = (f"{diff.a} → {diff.b}: {diff.paired:,} decisions paired by candidate and step; "
            f"{diff.only_a:,} only in {diff.a}, {diff.only_b:,} only in {diff.b}")
    head = printable(head, one_line=True)
    parts = [f"# {escape_markdown(head)}" if fmt == "markdown" else head]
    columns = ("candidate", "step", diff.a, diff.b)
    for title, group in ((f"Became ready ({len(diff.became_ready)})", diff.became_ready),
                         (f"Regressed ({len(diff.regressed)})", diff.regressed),
                         (f"Other verdict changes ({len(diff.other_changes)})", diff.other_changes)):
        parts.append(_grid(columns, _verdict_rows(group), fmt, title=title))
    moves = [(m.criterion_id, m.moved, m.improved, m.worsened, m.other) for m in diff.criteria]
    parts.append(_grid(("criterion", "moved", "improved", "worsened", "other"), moves, fmt,
                       title="Criteria that moved most"))
    return "\n\n".join(parts)


def pruned_kept(found: "Pruned") -> list[str]:
    """What ``cycles prune`` kept of the cycles started before its date, and why: one sentence per kind
    kept, the same words in its text line and in the warnings it writes on stderr with JSON."""
    kept = []
    if found.logs_kept:
        them = "it" if len(found.logs_kept) == 1 else "them"
        kept.append(f"kept {counted(len(found.logs_kept), 'decision log')} ({', '.join(found.logs_kept)}): a "
                    f"service may still be writing to {them} (--include-logs prunes {them} too)")
    if found.running_kept:
        from promoready.store import RUNNING_WITHIN

        one = len(found.running_kept) == 1
        kept.append(f"kept {counted(len(found.running_kept), 'cycle')} {'a batch is' if one else 'batches are'} "
                    f"still writing ({', '.join(found.running_kept)}): pruned once "
                    f"{'its batch has' if one else 'their batches have'} stopped (one killed outright: "
                    f"{counted(int(RUNNING_WITHIN.total_seconds() // 60), 'minute')} after it last marked the cycle "
                    "as running)")
    return kept


def render_pruned(found: "Pruned", fmt: str) -> str:
    """What ``cycles prune`` deleted (in a dry run: would delete), and what it kept (``pruned_kept``)."""
    if fmt in ("json", "jsonl"):
        data = {"cycles": list(found.cycles), "decisions": found.decisions, "logs_kept": list(found.logs_kept),
                "running_kept": list(found.running_kept), "dry_run": found.dry_run}
        return _json(data) if fmt == "json" else _jsonl([data])
    kept = pruned_kept(found)
    if not found.cycles:  # (a cycle kept may have started before it: said below)
        said = "nothing pruned" if kept else "no cycle started before that date: nothing pruned"
    else:
        said = (f"{'would prune' if found.dry_run else 'pruned'} {counted(len(found.cycles), 'cycle')} "
                f"({', '.join(found.cycles)}) and {counted(found.decisions, 'decision')}")
    said = "; ".join([said, *kept])
    if found.dry_run:
        said += " (dry run: nothing deleted)"
    return printable(said)


def render_stored(found: Sequence["StoredDecision"], fmt: str, *, explain: Optional[str] = None) -> str:
    """Stored decisions: the store's facts, then the decision as ``evaluate`` prints it.

    A decision whose masks removed fields the decision model needs prints as its stored JSON.
    """
    if fmt == "json":
        return _json([d.to_dict() for d in found] if len(found) > 1 else found[0].to_dict())
    if fmt == "jsonl":
        return _jsonl([d.to_dict() for d in found])
    from pydantic import ValidationError

    from promoready.schemas.decision import Decision

    from .render import render_decisions

    parts = []
    for d in found:
        # The public id first (the one the service answers with and links to), then the row number,
        # which `decisions show` and `history` take too.
        label = f"{d.uuid} (row {d.id})" if d.uuid else str(d.id)
        head = printable(f"decision {label} · cycle {d.cycle} · {d.item}", one_line=True)
        try:
            body = render_decisions([Decision.model_validate(d.decision)], fmt, explain=explain)
        except ValidationError:
            # Shown as stored, but escaped like any text people read: the JSON itself is the json format's.
            body = printable(_json(d.decision)) + "\n(masked when stored: shown as stored)"
        parts.append((f"# {escape_markdown(head)}\n\n" if fmt == "markdown" else head + "\n") + body)
    return "\n\n".join(parts)
