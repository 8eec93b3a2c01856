"""Ladders as a committee and an author see them: the list of bundled ladders, a described ladder
(``ladder show``), the result of ``ladder validate`` and of ``ladder test``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from .terminal import console as make_console
from .text import criterion_kind

if TYPE_CHECKING:
    from promoready.engine.examples import CaseResult
    from promoready.schemas.ladder import Ladder


def render_ladder_list(rows: Sequence[Mapping[str, Any]], fmt: str) -> str:
    """The bundled ladders (``id``, ``version``, ``title``, ``folder``, ``transitions`` keys): ``json`` or ``table``."""
    if fmt == "json":
        return json.dumps(rows, indent=2, ensure_ascii=False)
    lines = []
    for row in rows:
        lines.append(f"{row['id']} {row['version']}: {row['title']} ({len(row['transitions'])} transitions)")
        lines += [f"  {key}" for key in row["transitions"]]
    return "\n".join(lines)


def render_ladder(view: Mapping[str, Any], fmt: str) -> str:
    """A described ladder (``engine.describe_ladder``) as markdown (for a committee), a table (terminal) or JSON."""
    if fmt == "json":
        return json.dumps(view, indent=2, ensure_ascii=False)
    if fmt == "table":
        return _table(view)
    lines = [f"# {view['title']} ({view['id']} {view['version']})"]
    for t in view["transitions"]:
        lines += ["", f"## {t['title']}", "",
                  f"`{t['key']}` · {t['track']} track · phase: {t['phase']} · "
                  f"supporting criteria needed: {t['supporting_needed']}", ""]
        if t["rationale"]:
            lines += [t["rationale"], ""]
        for c in t["criteria"]:
            lines += [f"### {c['title']} ({criterion_kind(c['required'])})", "", f"- **Expected:** {c['expected']}",
                      f"- **Why:** {c['rationale']}", f"- **Source:** {c['source']}", ""]
    return "\n".join(lines).rstrip("\n")


def _table(view: Mapping[str, Any]) -> str:
    from rich.table import Table

    console, buffer = make_console()
    for t in view["transitions"]:
        console.print(f"{t['title']} ({t['key']}, {t['track']} track, {t['phase']}); "
                      f"supporting criteria needed: {t['supporting_needed']}")
        table = Table()
        for column in ("criterion", "req", "expected", "source"):
            table.add_column(column)
        for c in t["criteria"]:
            table.add_row(c["title"], "yes" if c["required"] else "", c["expected"], c["source"])
        console.print(table)
    return buffer.getvalue().rstrip("\n")


def render_validated(ladder: Ladder) -> str:
    """The one line ``ladder validate`` prints for a ladder without problems."""
    criteria = sum(len(t.criteria) for t in ladder.transitions)
    return (f"ok: ladder {ladder.id} {ladder.version}: {len(ladder.levels)} levels, {len(ladder.transitions)} "
            f"transitions, {criteria} criteria, {len(ladder.measures)} measures")


def render_example_results(results: Sequence[CaseResult]) -> str:
    """A line per example case (``ok`` or ``FAIL``, with each mismatch under it), then the counts."""
    lines = []
    for r in results:
        lines.append(f"{'ok  ' if r.ok else 'FAIL'} {r.transition} / {r.name} ({r.candidate_id})")
        if r.error:
            lines.append(f"     error: {r.error}")
        lines += [f"     {r.file}: {m.what}: expected {m.expected}, got {m.actual}" for m in r.mismatches]
    failed = sum(not r.ok for r in results)
    lines.append(f"{len(results) - failed} passed, {failed} failed")
    return "\n".join(lines)
