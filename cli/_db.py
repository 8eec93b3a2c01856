"""``promoready db status|upgrade|downgrade``: the store's schema version, and migrating it on purpose.

The store is named as messages name it (a file's path, a URL without its password), with its control and
bidirectional-control characters escaped (``printable``), as every human-facing output shows text."""

from __future__ import annotations

from typing import Optional

import click

from ._history import db_option


@click.group()
def db() -> None:
    """The store's schema: its version, and migrations (back the store up first)."""


@db.command("status")
@db_option()
def status(db: Optional[str]) -> None:
    """Print the store's schema version and the one this promoready needs."""
    from promoready.engine.words import printable
    from promoready.store import open_store, schema_head

    with open_store(db, check=False) as store:
        current = store.schema_version()
        click.echo(printable(f"{store.where}: schema version {current or '(none)'}; "
                             f"this promoready needs {schema_head()}"))


@db.command("upgrade")
@db_option()
@click.option("--to", "to", default="head", metavar="VERSION", help="The version to reach (default: the latest).")
def upgrade(db: Optional[str], to: str) -> None:
    """Migrate the store up to this promoready's schema (creating it in an empty database)."""
    _migrate(db, to, create=True)


@db.command("downgrade")
@db_option()
@click.option("--to", "to", required=True, metavar="VERSION",
              help="The version to go back to (`base` removes every table of the store).")
def downgrade(db: Optional[str], to: str) -> None:
    """Migrate the store down to an earlier schema version (for an older promoready)."""
    _migrate(db, to, create=False)


def _migrate(db: Optional[str], to: str, *, create: bool) -> None:
    from promoready.engine.words import printable
    from promoready.store import open_store

    with open_store(db, create=create, check=False) as store:
        before, after = store.migrate(to)
        click.echo(printable(f"{store.where}: schema version {before or '(none)'} → {after or '(none)'}"))
