"""``promoready explain PACKET``: every criterion of one packet, for a candidate asking "what am I missing"."""

from __future__ import annotations

import sys
from typing import Optional

import click


@click.command()
@click.argument("packet", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default=None,
              help="text on a terminal, markdown otherwise (pastes into a review document), or json.")
@click.option("--ladder", "ladder_path", default=None, metavar="PATH",
              help="A ladder folder, its ladder.yaml, or a bundled ladder id.")
@click.option("--as-of", "as_of", default=None, metavar="DATE", help="Measure durations to this date (YYYY-MM-DD).")
def explain(packet: str, fmt: Optional[str], ladder_path: Optional[str], as_of: Optional[str]) -> None:
    """Explain every criterion of one packet: the verdict in one sentence, then for each criterion what
    was expected, what was found, the evidence that counted, its source and the next step with its amount.

    \b
    Examples:
      promoready explain packet.yaml
      promoready explain packet.yaml --format markdown > review.md
    """
    from . import parse_date
    from ._common import Ladders
    from .render import render_explanation

    fmt = fmt or ("text" if sys.stdout.isatty() else "markdown")
    decision = Ladders(ladder_path).evaluate(packet, as_of=parse_date(as_of, "--as-of"))
    click.echo(render_explanation(decision, fmt))
