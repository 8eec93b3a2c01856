"""``promoready schema packet|decision|ladder``: JSON Schema for editors and other languages."""

from __future__ import annotations

import json

import click

from ._options import Choice


@click.command()
@click.argument("name", type=Choice(["packet", "decision", "ladder"]), metavar="NAME")
def schema(name: str) -> None:
    """Print the JSON Schema (draft 2020-12) of the packet, the decision or the ladder: NAME is packet,
    decision or ladder.

    \b
    Example:
      promoready schema packet > packet.schema.json
    """
    from promoready.schemas import json_schema

    click.echo(json.dumps(json_schema(name), indent=2, ensure_ascii=False, sort_keys=False))
