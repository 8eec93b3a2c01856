"""``promoready report``: a cycle's decisions in, one self-contained HTML page (or its data as JSON) out.

Only click is imported at module level; the report package (jinja2, matplotlib) loads when the
command runs.
"""

from __future__ import annotations

from typing import Any, Optional

import click

from ._options import format_option


@click.command(context_settings={"max_content_width": 100})
@click.argument("decisions", metavar="[DECISIONS.jsonl]", required=False,
                type=click.Path(dir_okay=True, allow_dash=True))
@click.option("--cycle", "cycle", default=None, metavar="NAME",
              help="Report on this cycle of the store (`batch --cycle NAME`) instead of a DECISIONS.jsonl.")
@click.option("--db", "db", default=None, metavar="URL|PATH",
              help="The store of --cycle and --compare-cycle: a SQLite file or a database URL "
                   "(postgresql+psycopg://…). Default: $PROMOREADY_DB, else ~/.local/share/promoready/history.sqlite.")
@click.option("--groups", "groups", default=None, metavar="CSV",
              help="Adverse-impact analysis: a CSV of candidate_id and one column per attribute (gender, age "
                   "band, …), joined only in this report.")
@click.option("--compare", "compare", default=None, metavar="OTHER.jsonl",
              help="Another cycle's decisions: who became ready, who regressed, how each criterion moved.")
@click.option("--compare-cycle", "compare_cycle", default=None, metavar="NAME",
              help="As --compare, with a cycle of the store (--db).")
@click.option("--min-group", "min_group", type=int, default=5, show_default=True, metavar="N",
              help="Hide groups smaller than this (at least 3), and any group that would reveal one by subtraction.")
@click.option("--out", "out", required=True, metavar="FILE", type=click.Path(dir_okay=False, allow_dash=True),
              help="Write the report here (a file is replaced only when complete; a device or pipe is written "
                   "through); - for stdout.")
@format_option(("html", "json"), default="html", help="html: the page (default); json: the same figures as data.")
def report(decisions: Optional[str], cycle: Optional[str], db: Optional[str], groups: Optional[str],
           compare: Optional[str], compare_cycle: Optional[str], min_group: int, out: str, fmt: str) -> None:
    """Draw a cycle report from the decisions JSONL that `promoready batch` writes (- for stdin), or from
    a cycle it recorded in the store (--cycle NAME, --db).

    One HTML file that fetches nothing and prints to PDF: verdicts per transition and track, what
    blocks most, the evidence most often missing, who time alone makes ready, the committee's
    outcome against the verdict and, with --compare, the moves since another cycle. With --groups,
    an adverse-impact analysis (four-fifths rule, Fisher's exact test) per attribute, transition
    and criterion.

    \b
    Examples:
      promoready batch cycle/ --out decisions.jsonl
      promoready report decisions.jsonl --out report.html
      promoready report decisions.jsonl --groups groups.csv --compare last-cycle.jsonl --out report.html
      promoready batch cycle/ | promoready report - --format json --out -
      promoready report --db history.sqlite --cycle 2026-H2 --compare-cycle 2026-H1 --out report.html
    """
    import json
    import os

    from promoready.engine import errors
    from promoready.engine.errors import UsageError
    from promoready.report import SMALLEST_MIN_GROUP, build_report, render_html

    from ._sinks import Outputs

    if min_group < SMALLEST_MIN_GROUP:
        raise UsageError(f"expected {SMALLEST_MIN_GROUP} or more, got {min_group}: smaller groups could "
                              "identify people", code=errors.USAGE_MIN_GROUP, path="--min-group")
    _check_sources(decisions, cycle, db, compare, compare_cycle)
    stdout = out == "-"
    if not stdout and not os.path.isdir(os.path.dirname(os.path.abspath(out))):
        raise UsageError("its folder does not exist", code=errors.USAGE_OUT, file=out, path="--out")
    # batch's outputs: refused when an input, locked against a second run, written through a link, a
    # device or a pipe; a file replaced only when the report is complete.
    outputs = Outputs([p for p in (decisions, groups, compare) if p is not None], None if stdout else out, None,
                      False, command="report")
    try:
        data = build_report(decisions, groups=groups, compare=compare, min_group=min_group, db=db, cycle=cycle,
                            compare_cycle=compare_cycle)
        text = render_html(data) if fmt == "html" else json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        sink = outputs.sink()
        try:
            sink.write(text.encode("utf-8"))
            sink.commit()
        except BaseException:  # a file stays as it was; stdout (closed early: | head) is silenced
            sink.discard()
            raise
    finally:
        outputs.close()
    from . import warning_line

    for line in incomplete(data) + unmatched_groups(data, groups):
        warning_line(line)


def incomplete(data: dict[str, Any]) -> list[str]:
    """A line for each stored cycle of the report that the store does not mark complete (its figures are partial):
    the page's notice about it, in the same words (``report.notices``). A decision log is never complete: the
    page notes it, and nothing is said here."""
    from promoready.engine.words import printable
    from promoready.report import notices

    return [printable(n.text()) for n in notices(data) if n.warn]


def unmatched_groups(data: dict[str, Any], path: Optional[str]) -> list[str]:
    """A line when the ``--groups`` file joins no decision (no row, or no row's candidate_id is a decision's):
    every candidate is then "(not recorded)" and the adverse-impact check compares nothing, which the page
    says only in passing. A file that also holds people outside the cycle is usual, and not warned about."""
    from promoready.engine.words import counted, printable

    fairness = data.get("fairness")
    if fairness is None or fairness["matched"]:
        return []
    outcome = 'so every candidate is in "(not recorded)" and the adverse-impact check compares nothing'
    if not fairness["groups_rows"]:
        return [printable(f"{path}: the groups file has a header and no rows, {outcome}")]
    example = fairness["unmatched_example"]
    closest = example["closest_decision"]
    hint = f"; the closest a decision has is {closest!r}" if closest is not None else ""
    return [printable(f"{path}: none of its {counted(fairness['groups_rows'], 'row')} has a decision's candidate_id "
                      f"(the first is {example['candidate_id']!r}{hint}), {outcome}")]


def _check_sources(decisions: Optional[str], cycle: Optional[str], db: Optional[str], compare: Optional[str],
                   compare_cycle: Optional[str]) -> None:
    """One cycle to report on (a file or a stored cycle), at most one to compare with, and --db only for the store."""
    from promoready.engine import errors
    from promoready.engine.errors import UsageError

    if decisions is None and cycle is None:
        raise UsageError("give the decisions to report on: a DECISIONS.jsonl (- for stdin), or --cycle NAME from the "
                         "store", code=errors.USAGE_STORE_OPTIONS, path="DECISIONS.jsonl")
    if decisions is not None and cycle is not None:
        raise UsageError("give a DECISIONS.jsonl or --cycle NAME, not both", code=errors.USAGE_STORE_OPTIONS,
                         path="--cycle")
    if compare is not None and compare_cycle is not None:
        raise UsageError("give --compare FILE or --compare-cycle NAME, not both", code=errors.USAGE_STORE_OPTIONS,
                         path="--compare-cycle")
    if db is not None and cycle is None and compare_cycle is None:
        raise UsageError("--db needs --cycle NAME or --compare-cycle NAME (the store's cycles to read)",
                         code=errors.USAGE_STORE_OPTIONS, path="--db")
    for name, value in (("--cycle", cycle), ("--compare-cycle", compare_cycle)):
        if value is not None and not value.strip():
            raise UsageError("a cycle name is 1 to 200 characters", code=errors.USAGE_STORE_OPTIONS, path=name)
