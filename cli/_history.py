"""``promoready history`` and ``promoready decisions show``: reading decisions back from the store.

Each command opens the store (``--db``; ``$PROMOREADY_DB`` or the default file without it), calls
one store method and renders. Nothing here writes to the store.
"""

from __future__ import annotations

import sys
from typing import Callable, Optional, TypeVar

import click

from ._history_render import FORMATS
from ._options import format_option

F = TypeVar("F", bound=Callable[..., object])


def db_option() -> Callable[[F], F]:
    """``--db URL|PATH`` (parameter ``db``): the store to read."""
    return click.option("--db", "db", default=None, metavar="URL|PATH",
                        help="The store: a SQLite file or a database URL (postgresql+psycopg://…). "
                             "Default: $PROMOREADY_DB, else ~/.local/share/promoready/history.sqlite.")


def store_format_option() -> Callable[[F], F]:
    """``--format`` of the store commands."""
    return format_option(FORMATS, help="Output format (default: table on a terminal, json otherwise).")


def chosen(fmt: Optional[str]) -> str:
    """The format asked for, else table on a terminal and json otherwise."""
    return fmt or ("table" if sys.stdout.isatty() else "json")


@click.command()
@click.argument("candidate")
@db_option()
@store_format_option()
def history(candidate: str, db: Optional[str], fmt: Optional[str]) -> None:
    """A candidate's decisions across cycles, with the criteria that changed between consecutive cycles.

    \b
    Example:
      promoready history emp-2071 --db history.sqlite --format markdown
    """
    from promoready.store import open_store

    from ._history_render import render_history

    with open_store(db) as store:
        entries = store.history(candidate)
    click.echo(render_history(candidate, entries, chosen(fmt)))


@click.group()
def decisions() -> None:
    """Stored decisions: show one by its id, or a candidate's in a cycle."""


@decisions.command("show")
@click.argument("decision_id", required=False, metavar="[DECISION_ID]")
@click.option("--candidate", default=None, metavar="ID", help="With --cycle: the candidate's decision in that cycle.")
@click.option("--cycle", default=None, metavar="NAME", help="With --candidate: the cycle (its name or id).")
@db_option()
@store_format_option()
@click.option("--explain", "explain", type=click.Choice(["fails", "full"]), default=None,
              help="As for evaluate: fails shows only criteria that fail or lack evidence; full adds sources.")
def show_decision(decision_id: Optional[str], candidate: Optional[str], cycle: Optional[str], db: Optional[str],
                  fmt: Optional[str], explain: Optional[str]) -> None:
    """Show a stored decision: by DECISION_ID, or by --candidate and --cycle.

    \b
    Examples:
      promoready decisions show 1234
      promoready decisions show --candidate emp-2071 --cycle 2026-H2 --format markdown
    """
    from promoready.engine import errors
    from promoready.store import open_store

    from ._history_render import render_stored

    if (decision_id is None) == (candidate is None and cycle is None) or (candidate is None) != (cycle is None):
        raise errors.UsageError("give a DECISION_ID, or --candidate ID and --cycle NAME (not both)",
                                code=errors.USAGE_DECISION, path="DECISION_ID")
    with open_store(db) as store:
        if decision_id is not None:
            found = [store.decision(decision_id)]
        else:
            assert candidate is not None and cycle is not None  # checked above
            found = store.decisions_for(candidate, cycle)
    click.echo(render_stored(found, chosen(fmt), explain=explain))
