"""The cycle report: one self-contained HTML page (or its data as JSON) from the decisions of a batch.

``build_report`` reads a decisions JSONL (and optionally a groups CSV and another cycle's decisions
to compare with) and returns the report as data; ``render_html`` turns that data into the page.
Every count the batch summary also gives is computed by the batch summary's own code.
"""

from __future__ import annotations

from typing import Any, Optional

from ._fairness import DEFAULT_MIN_GROUP, SMALLEST_MIN_GROUP

__all__ = ["build_report", "render_html", "DEFAULT_MIN_GROUP", "SMALLEST_MIN_GROUP"]


def build_report(decisions: str, *, groups: Optional[str] = None, compare: Optional[str] = None,
                 min_group: int = DEFAULT_MIN_GROUP) -> dict[str, Any]:
    """The report's data for a decisions JSONL file (see docs/report.md for each part)."""
    from ._analysis import build
    from ._cycle import read_cycle
    from ._groups import read_groups

    if min_group < SMALLEST_MIN_GROUP:
        raise ValueError(f"min_group must be at least {SMALLEST_MIN_GROUP}")
    table = read_groups(groups) if groups is not None else None
    before = read_cycle(compare) if compare is not None else None
    return build(read_cycle(decisions), groups=table, before=before, min_group=min_group)


def render_html(data: dict[str, Any]) -> str:
    """The self-contained page for ``build_report``'s data."""
    from ._html import render

    return render(data)
