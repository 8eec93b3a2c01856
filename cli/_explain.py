"""``promoready explain PACKET``: every criterion of one packet, for a candidate asking "what am I missing"."""

from __future__ import annotations

import sys
from typing import Optional

import click

from ._options import as_of_option, format_option, ladder_option

#: ``explain --format`` values.
FORMATS = ("text", "markdown", "json")


@click.command()
@click.argument("packet", type=click.Path(dir_okay=False))
@format_option(FORMATS, help="text on a terminal, markdown otherwise (pastes into a review document), or json.")
@ladder_option()
@as_of_option()
def explain(packet: str, fmt: Optional[str], ladder_path: Optional[str], as_of: Optional[str]) -> None:
    """Explain every criterion of one packet: the verdict in one sentence, then for each criterion what
    was expected, what was found, the evidence that counted, its source and the next step with its amount.

    \b
    Examples:
      promoready explain packet.yaml
      promoready explain packet.yaml --format markdown > review.md
    """
    from ._common import Ladders
    from ._options import parse_date
    from .render import render_explanation

    fmt = fmt or ("text" if sys.stdout.isatty() else "markdown")
    decision = Ladders(ladder_path).evaluate(packet, as_of=parse_date(as_of, "--as-of"))
    click.echo(render_explanation(decision, fmt))
