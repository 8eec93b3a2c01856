"""``promoready report``: a cycle's decisions in, one self-contained HTML page (or its data as JSON) out.

Only click is imported at module level; the report package (jinja2, matplotlib) loads when the
command runs.
"""

from __future__ import annotations

from typing import Optional

import click

from ._options import format_option


@click.command(context_settings={"max_content_width": 100})
@click.argument("decisions", metavar="DECISIONS.jsonl", type=click.Path(dir_okay=True, allow_dash=True))
@click.option("--groups", "groups", default=None, metavar="CSV",
              help="Adverse-impact analysis: a CSV of candidate_id and one column per attribute (gender, age "
                   "band, …), joined only in this report.")
@click.option("--compare", "compare", default=None, metavar="OTHER.jsonl",
              help="Another cycle's decisions: who became ready, who regressed, how each criterion moved.")
@click.option("--min-group", "min_group", type=int, default=5, show_default=True, metavar="N",
              help="Hide groups smaller than this (at least 3), and any group that would reveal one by subtraction.")
@click.option("--out", "out", required=True, metavar="FILE", type=click.Path(dir_okay=False, allow_dash=True),
              help="Write the report here (a file is replaced only when complete; a device or pipe is written "
                   "through); - for stdout.")
@format_option(("html", "json"), default="html", help="html: the page (default); json: the same figures as data.")
def report(decisions: str, groups: Optional[str], compare: Optional[str], min_group: int, out: str,
           fmt: str) -> None:
    """Draw a cycle report from the decisions JSONL that `promoready batch` writes (- for stdin).

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
    stdout = out == "-"
    if not stdout and not os.path.isdir(os.path.dirname(os.path.abspath(out))):
        raise UsageError("its folder does not exist", code=errors.USAGE_OUT, file=out, path="--out")
    # batch's outputs: refused when an input, locked against a second run, written through a link, a
    # device or a pipe; a file replaced only when the report is complete.
    outputs = Outputs([p for p in (decisions, groups, compare) if p is not None], None if stdout else out, None,
                      False, command="report")
    try:
        data = build_report(decisions, groups=groups, compare=compare, min_group=min_group)
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
