"""``promoready explain PACKET``: every criterion of one packet, for a candidate asking "what am I missing"."""

from __future__ import annotations

from typing import Optional

import click

from ._options import as_of_option, color_option, format_option, ladder_option, strict_option

#: ``explain --format`` values: ``table`` is the human format, as in every command (``text`` is accepted for it).
FORMATS = ("table", "markdown", "json", "jsonl")


@click.command()
@click.argument("packet")
@format_option(FORMATS, help="table: the human view (the default on a terminal); markdown (the default "
                             "otherwise: pastes into a review document); json; jsonl (the decision on one line).")
@ladder_option()
@as_of_option()
@strict_option()
@color_option()
def explain(packet: str, fmt: Optional[str], ladder_path: Optional[str], as_of: Optional[str], strict: bool) -> None:
    """Explain every criterion of one packet: the verdict in one sentence, then for each criterion what
    was expected, what was found, why (or what to do), the evidence that counted, its source and the
    next step with its amount. PACKET is a file, or - for a packet on stdin.

    \b
    Examples:
      promoready explain packet.yaml
      promoready explain packet.yaml --format markdown > review.md
    """
    from ._common import Ladders
    from ._inputs import load, typos
    from ._options import parse_as_of
    from ._status import BAD_INPUT, Finished
    from .render import render_explanation, terminal

    fmt = fmt or ("table" if terminal.is_terminal() else "markdown")
    day = parse_as_of(as_of)
    ladders = Ladders(ladder_path)
    loaded = load(packet, ladders=ladders)
    decision = ladders.evaluate(loaded, as_of=day)
    if typos(decision.warnings, loaded, strict):
        raise Finished(BAD_INPUT)
    terminal.echo(render_explanation(decision, fmt))
