"""The schema's version and its migrations, run in-process with Alembic on the store's own connection.

What opening a store does (``check``): an empty database is given the whole schema (the head
revision) when the command writes, and is "no store" when it only reads; a store at the head is
used; a store at an older revision is never migrated behind anyone's back (a shared PostgreSQL
may be read by an older promoready too): the error names the command that migrates it,
``promoready db upgrade``; a store written by a newer promoready says to upgrade promoready.
"""

from __future__ import annotations

from typing import Any, Optional

import sqlalchemy as sa
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from promoready.engine import errors

from . import _connect

#: The table Alembic keeps the revision in.
VERSION_TABLE = "alembic_version"


def script() -> ScriptDirectory:
    """The migration history shipped in ``promoready.store.migrations``."""
    config = Config()
    config.set_main_option("script_location", "promoready.store:migrations")
    return ScriptDirectory.from_config(config)


def head() -> str:
    """The revision this promoready writes and reads."""
    return script().get_current_head() or ""


def revisions() -> list[str]:
    """Every revision, oldest first."""
    return [r.revision for r in reversed(list(script().walk_revisions()))]


def current(conn: Connection) -> Optional[str]:
    """The store's revision; None for a database without one."""
    return MigrationContext.configure(conn).get_current_revision()


def check(engine: Engine, *, create: bool) -> None:
    """Make sure the store is at the head revision, creating the schema in an empty database if ``create``."""
    url = engine.url
    with _connect.failures(url, "opening the store", opening=True), engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
        revision = current(conn) if VERSION_TABLE in tables else None
    if revision is None:
        if tables - {VERSION_TABLE}:
            raise errors.UsageError(f"{_connect.shown(url)} is a database but not a promoready store "
                                    f"(it has tables, and no schema version)", code=errors.USAGE_DB, path="--db")
        if not create:
            raise errors.UsageError(f"no store at {_connect.shown(url)}: the database is empty "
                                    f"(a `batch --cycle NAME --db …` creates the store)", code=errors.USAGE_DB,
                                    path="--db")
        migrate(engine, head())
        return
    _check_revision(url, revision)


def _check_revision(url: sa.engine.URL, revision: str) -> None:
    latest = head()
    if revision == latest:
        return
    where = _connect.shown(url)
    if revision in revisions():
        raise errors.UsageError(
            f"the store at {where} has schema version {revision}; this promoready needs {latest}: back the "
            f"store up, then run `promoready db upgrade --db {where}`", code=errors.USAGE_DB_SCHEMA, path="--db")
    raise errors.UsageError(
        f"the store at {where} has schema version {revision}, written by a newer promoready (this one knows up to "
        f"{latest}): use that promoready, or upgrade this one", code=errors.USAGE_DB_SCHEMA, path="--db")


def migrate(engine: Engine, destination: str) -> tuple[Optional[str], Optional[str]]:
    """Upgrade or downgrade the store to ``destination`` (a revision, ``head`` or ``base``): (from, to)."""
    history = script()
    known = set(revisions()) | {"head", "base"}
    if destination not in known:
        raise errors.UsageError(f"no schema version {destination!r}", code=errors.USAGE_DB_SCHEMA, path="--to",
                                suggestion=errors.closest(destination, known))
    with _connect.failures(engine.url, "migrating the store"), engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            # A table rebuilt by batch_alter_table is dropped and renamed: with foreign keys on, dropping
            # it would delete the rows that point at it (ON DELETE CASCADE).
            conn.exec_driver_sql("PRAGMA foreign_keys = OFF")
        before = current(conn)
        target = history.get_current_head() if destination == "head" else destination
        downgrade = _is_below(target, before)

        def steps(rev: Any, _context: Any) -> Any:
            if downgrade:
                return history._downgrade_revs(target or "base", rev)
            return history._upgrade_revs(target or "head", rev)

        with EnvironmentContext(Config(), history, fn=steps, destination_rev=target) as env:
            env.configure(connection=conn, target_metadata=None, transaction_per_migration=False)
            with env.begin_transaction():
                env.run_migrations()
        conn.commit()
        after = current(conn)
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA foreign_keys = ON")
    return before, after


def _is_below(target: Optional[str], revision: Optional[str]) -> bool:
    order = revisions()
    if target in (None, "base"):
        return revision is not None
    if revision is None:
        return False
    return order.index(target) < order.index(revision)
