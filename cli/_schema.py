"""``promoready schema packet|decision|ladder``: JSON Schema for editors and other languages."""

from __future__ import annotations

import json
from typing import Optional

import click

from ._options import Choice, ladder_option


@click.command()
@click.argument("name", type=Choice(["packet", "decision", "ladder"]), metavar="NAME")
@ladder_option(default="none: the packet's `evidence` is an open object")
def schema(name: str, ladder_path: Optional[str]) -> None:
    """Print the JSON Schema (draft 2020-12) of the packet, the decision or the ladder: NAME is packet,
    decision or ladder. With --ladder, the packet's `evidence` section holds exactly the fields that
    ladder declares.

    \b
    Example:
      promoready schema packet > packet.schema.json
      promoready schema packet --ladder examples/ladders/gitlab > gitlab-packet.schema.json
    """
    if ladder_path is not None:
        from promoready.engine import errors, load_ladder, packet_schema

        if name != "packet":
            raise errors.UsageError(f"--ladder applies to the packet schema only, not {name}",
                                    code=errors.USAGE_INVALID, path="--ladder")
        document = packet_schema(load_ladder(ladder_path))
    else:
        from promoready.schemas import json_schema

        document = json_schema(name)
    click.echo(json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False))
