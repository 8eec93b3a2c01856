"""Ladders as a committee and an author see them: the list of bundled ladders, a described ladder
(``ladder show``), the result of ``ladder validate`` and of ``ladder test``. Every form but JSON shows
the control and bidirectional-control characters of ladder text escaped (``printable``); JSON is exact."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Mapping, Optional, Sequence

from promoready.engine.words import plural, printable

from .terminal import console as make_console
from .terminal import render_markdown, table, text_of
from .text import criterion_kind, shown_values
from .text import escape_markdown as _md

if TYPE_CHECKING:
    from promoready.engine.examples import CaseResult
    from promoready.schemas.ladder import Ladder


def render_ladder_list(rows: Sequence[Mapping[str, Any]], fmt: str) -> str:
    """The bundled ladders (``id``, ``version``, ``title``, ``folder``, ``transitions`` keys): ``json`` or ``table``.

    Transitions are shown in the order given (the command gives them by rank)."""
    if fmt == "json":
        return json.dumps(rows, indent=2, ensure_ascii=False)
    lines = []
    for row in shown_values(list(rows)):
        lines.append(f"{row['id']} {row['version']}: {row['title']} ({plural(len(row['transitions']), 'transition')})")
        lines += [f"  {key}" for key in row["transitions"]]
    return "\n".join(lines)


def render_ladder(view: Mapping[str, Any], fmt: str) -> str:
    """A described ladder (``engine.describe_ladder``) as markdown (for a committee), a table (terminal) or JSON;
    ``terminal`` is the markdown as a terminal shows it (headings and bold laid out, no markup)."""
    if fmt == "json":
        return json.dumps(view, indent=2, ensure_ascii=False)
    view = shown_values(dict(view))
    if fmt == "table":
        return _table(view)
    if fmt == "terminal":
        return render_markdown(_markdown(view))
    return _markdown(view)


def _markdown(view: Mapping[str, Any]) -> str:
    """Headings and list items, each on one line: the ladder's text is escaped for markdown (``_md``), so
    that a line break or a ``|`` in a title, a rationale or a source stays inside its heading or item."""
    lines = [f"# {_md(view['title'])} ({_md(view['id'])} {_md(view['version'])})"]
    for t in view["transitions"]:
        lines += ["", f"## {_md(t['title'])}", "",
                  f"`{t['key']}` · {t['track']} track · phase: {t['phase']} · "
                  f"{_md(_needed(t))}", ""]
        if t["rationale"]:
            lines += [_md(t["rationale"]), ""]
        for c in t["criteria"]:
            kind = criterion_kind(c["required"], c.get("group"))
            lines += [f"### {_md(c['title'])} ({_md(kind)})", "", f"- **Expected:** {_md(c['expected'])}",
                      f"- **Why:** {_md(c['rationale'])}", f"- **Source:** {_md(c['source_title'])}",
                      *_threshold(c), ""]
    lines += _titles(view.get("titles") or [])
    return "\n".join(lines).rstrip("\n")


def _needed(t: Mapping[str, Any]) -> str:
    """A transition's supporting quotas: the one number, or with named groups the quota of each group
    (by id, with its title) and of the criteria in none."""
    groups = t.get("supporting_groups") or []
    if not groups:
        return f"supporting criteria needed: {t['supporting_needed']}"
    named = "; ".join(f"{g['id']}{' (' + g['title'] + ')' if g.get('title') else ''}: {g['needed']}" for g in groups)
    return f"supporting criteria needed, by group: {named}; in no group: {t['supporting_needed']}"


def _titles(titles: Sequence[Mapping[str, Any]]) -> list[str]:
    """Titles outside the ladder by rank, highest first (a committee looks up an advocate's or reviewer's title)."""
    if not titles:
        return []
    ranks: dict[int, list[str]] = {}
    for t in titles:
        ranks.setdefault(t["rank"], []).append(t["title"])
    lines = ["## Titles outside the ladder", "",
             "An advocate or a reviewer may hold one of these titles; each counts as a level of its rank.", ""]
    lines += [f"- **Rank {rank}:** {_md(', '.join(names))}" for rank, names in sorted(ranks.items(), reverse=True)]
    return lines + [""]


def _threshold(c: Mapping[str, Any]) -> list[str]:
    """The line saying where a criterion's threshold comes from, when the ladder says."""
    t = c.get("threshold")
    if not t:
        return []
    if t["basis"] == "calibration":
        return [f"- **Threshold:** this ladder's calibration — {_md(_continued(t['why']))}"]
    return [f"- **Threshold:** from the source" + (f" ({_md(t['source_title'])})" if t.get("source_title") else "")]


def _continued(text: str) -> str:
    """A sentence going on after a dash: its first letter in lower case, unless its first word is an
    acronym or a name written in capitals (``PM``, ``OKR``)."""
    first = text.split(" ", 1)[0]
    if not first[:1].isupper() or sum(ch.isupper() for ch in first) > 1:
        return text
    return text[:1].lower() + text[1:]


def _table(view: Mapping[str, Any]) -> str:
    console, buffer = make_console()
    for t in view["transitions"]:
        console.print(f"{t['title']} ({t['key']}, {t['track']} track, {t['phase']}); "
                      f"{_needed(t)}")
        grid = table("criterion", "kind", "expected", "source")
        for c in t["criteria"]:
            grid.add_row(c["title"], criterion_kind(c["required"], c.get("group")), c["expected"], c["source_title"])
        console.print(grid)
    return text_of(buffer)


def render_validated(ladder: Ladder) -> str:
    """The one line ``ladder validate`` prints for a ladder without problems."""
    criteria = sum(len(t.criteria) for t in ladder.transitions)
    return printable(f"ok: ladder {ladder.id} {ladder.version}: {plural(len(ladder.levels), 'level')}, "
            f"{plural(len(ladder.transitions), 'transition')}, {plural(criteria, 'criterion')}, "
            f"{plural(len(ladder.measures), 'measure')}")


def render_example_results(results: Sequence[CaseResult], lines_of: Optional[Sequence[Optional[int]]] = None) -> str:
    """A line per example case (``ok`` or ``FAIL``, with each mismatch under it), then the counts.

    ``lines_of`` gives each case's line in its file: a failing case is then named ``file:line``."""
    lines = []
    for n, r in enumerate(results):
        lines.append(f"{'ok  ' if r.ok else 'FAIL'} {r.transition} / {r.name} ({r.candidate_id})")
        line = lines_of[n] if lines_of is not None else None
        where = f"{r.file}:{line}" if line is not None else r.file
        if r.error:
            lines.append(f"     {where}: error: {r.error}")
        lines += [f"     {where}: {m.what}: expected {m.expected}, got {m.actual}" for m in r.mismatches]
    failed = sum(not r.ok for r in results)
    lines.append(f"{len(results) - failed} passed, {failed} failed")
    return printable("\n".join(lines))
