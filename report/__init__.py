"""The cycle report: one self-contained HTML page (or its data as JSON) from the decisions of a batch.

``build_report`` reads a decisions JSONL or a cycle the store holds (and optionally a groups CSV and
another cycle's decisions to compare with, from a file or the store) and returns the report as data; ``render_html`` turns that data into the page.
Every count the batch summary also gives is computed by the batch summary's own code.
"""

from __future__ import annotations

from typing import Any, Optional

from ._fairness import DEFAULT_MIN_GROUP, SMALLEST_MIN_GROUP

__all__ = ["build_report", "render_html", "notices", "DEFAULT_MIN_GROUP", "SMALLEST_MIN_GROUP"]


def build_report(decisions: Optional[str] = None, *, groups: Optional[str] = None, compare: Optional[str] = None,
                 min_group: int = DEFAULT_MIN_GROUP, db: Optional[str] = None, cycle: Optional[str] = None,
                 compare_cycle: Optional[str] = None) -> dict[str, Any]:
    """The report's data (see docs/report.md for each part) for a decisions JSONL file, or for ``cycle`` in
    the store ``db`` (a URL or a SQLite file; None: ``$PROMOREADY_DB`` or the default store); compared
    with another JSONL file (``compare``) or another stored cycle (``compare_cycle``), if given."""
    from ._analysis import build
    from ._cycle import read_cycle, read_stored_cycle
    from ._groups import read_groups

    if min_group < SMALLEST_MIN_GROUP:
        raise ValueError(f"min_group must be at least {SMALLEST_MIN_GROUP}")
    if (decisions is None) == (cycle is None):
        raise ValueError("give decisions (a JSONL file) or cycle (a stored cycle), not both")
    if compare is not None and compare_cycle is not None:
        raise ValueError("give compare or compare_cycle, not both")
    table = read_groups(groups) if groups is not None else None
    before = read_cycle(compare) if compare is not None else \
        read_stored_cycle(db, compare_cycle) if compare_cycle is not None else None
    if decisions is not None:
        now = read_cycle(decisions)
    else:
        assert cycle is not None  # checked above
        now = read_stored_cycle(db, cycle)
    return build(now, groups=table, before=before, min_group=min_group)


def notices(data: dict[str, Any]) -> list[Any]:
    """What the report says of a stored cycle that is not a whole batch's (incomplete, or the service's log),
    for ``build_report``'s data: each a ``Notice`` whose ``text()`` is the page's sentence as stderr writes it
    and whose ``warn`` says whether ``promoready report`` warns about it."""
    from ._notices import notices as found

    return list(found(data))


def render_html(data: dict[str, Any]) -> str:
    """The self-contained page for ``build_report``'s data."""
    from ._html import render

    return render(data)
