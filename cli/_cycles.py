"""``promoready cycles list|show|diff|prune``: the cycles in the store, one cycle, two compared, old ones deleted."""

from __future__ import annotations

import datetime
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
              help="Delete every cycle started before this date (YYYY-MM-DD, UTC; at most tomorrow), with all its "
                   "decisions.")
@click.option("--include-logs", "include_logs", is_flag=True,
              help="Also delete the HTTP service's decision logs (serve --cycle) started before DATE; kept by "
                   "default, a service may still be writing them.")
@click.option("--dry-run", "dry_run", is_flag=True, help="Say what would be deleted, and delete nothing.")
@db_option()
@store_format_option()
def prune_cycles(before: str, include_logs: bool, dry_run: bool, db: Optional[str], fmt: Optional[str]) -> None:
    """Delete old cycles and everything they hold (retention).

    A decision log of the HTTP service (`serve --cycle`) is kept unless --include-logs is given. A cycle a
    batch is still writing is always kept (its rows would go from under the batch): a running batch marks
    its cycle every 30 seconds and takes the mark away when it stops, so its cycle can be pruned as soon as
    it stops, or, if it was killed outright (kill -9, a crash), 5 minutes after its last mark. What was kept,
    and why, is said (`logs_kept`, `running_kept` in JSON, with a warning on stderr).
    """
    from promoready.store import open_store

    from . import warning_line
    from ._history_render import pruned_kept, render_pruned
    from ._options import parse_date

    day = parse_date(before, "--before")
    assert day is not None  # --before is required
    _not_in_the_future(day, before)
    with open_store(db) as store:
        found = store.pruning(day, logs=include_logs, dry_run=dry_run)
    shown = chosen(fmt)
    click.echo(render_pruned(found, shown))
    if shown in ("json", "jsonl"):  # a retention job reading JSON hears what was kept too (text says it in its line)
        for kept in pruned_kept(found):
            warning_line(kept)


def _not_in_the_future(day: datetime.date, given: str) -> None:
    """A --before later than tomorrow (UTC) is refused: it is in the future in every time zone, and would
    prune every cycle there is (a mistyped year, most likely); tomorrow, everything started until now."""
    from promoready.engine import errors

    today = datetime.datetime.now(datetime.timezone.utc).date()
    if day > today + datetime.timedelta(days=1):
        raise errors.UsageError(
            f"{given} is in the future (today is {today.isoformat()}, UTC): every cycle was started before "
            f"it, so every one would be pruned; give a date up to {today + datetime.timedelta(days=1)} (tomorrow: "
            f"every cycle started until now)",
            code=errors.USAGE_DATE, path="--before")
