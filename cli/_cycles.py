"""``promoready cycles list|show|diff|prune``: the cycles in the store, one cycle, two compared, old ones deleted."""

from __future__ import annotations

from typing import Optional

import click

from ._history import chosen, db_option, store_format_option


@click.group()
def cycles() -> None:
    """Promotion cycles in the store: list, show, compare two, prune old ones."""


@cycles.command("list")
@db_option()
@store_format_option()
def list_cycles(db: Optional[str], fmt: Optional[str]) -> None:
    """Every cycle, oldest first, complete or not."""
    from promoready.store import open_store

    from ._history_render import render_cycles

    with open_store(db) as store:
        found = store.cycles()
    click.echo(render_cycles(found, chosen(fmt)))


@cycles.command("show")
@click.argument("cycle")
@db_option()
@store_format_option()
def show_cycle(cycle: str, db: Optional[str], fmt: Optional[str]) -> None:
    """One cycle (by name or id): its settings, state, counts and verdicts."""
    from promoready.store import open_store

    from ._history_render import render_cycle

    with open_store(db) as store:
        found = store.cycle(cycle)
    click.echo(render_cycle(found, chosen(fmt)))


@cycles.command("diff")
@click.argument("a")
@click.argument("b")
@db_option()
@store_format_option()
def diff_cycles(a: str, b: str, db: Optional[str], fmt: Optional[str]) -> None:
    """Cycle A against cycle B: who became ready, who regressed, which criteria moved most.

    \b
    Example:
      promoready cycles diff 2026-H1 2026-H2 --format markdown
    """
    from promoready.store import open_store

    from ._history_render import render_diff

    with open_store(db) as store:
        found = store.diff(a, b)
    click.echo(render_diff(found, chosen(fmt)))


@cycles.command("prune")
@click.option("--before", "before", required=True, metavar="DATE",
              help="Delete every cycle started before this date (YYYY-MM-DD, UTC), with all its decisions.")
@db_option()
@store_format_option()
def prune_cycles(before: str, db: Optional[str], fmt: Optional[str]) -> None:
    """Delete old cycles and everything they hold (retention)."""
    from promoready.store import open_store

    from ._history_render import render_pruned
    from ._options import parse_date

    day = parse_date(before, "--before")
    assert day is not None  # --before is required
    with open_store(db) as store:
        names, count = store.prune(day)
    click.echo(render_pruned(names, count, chosen(fmt)))
