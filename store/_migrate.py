"""The schema's version and its migrations, run in-process with Alembic on the store's own connection.

What opening a store does (``check``): an empty database is given the whole schema (the head
revision) when the command writes, and is "no store" when it only reads; a store at the head is
used; a store at an older revision is never migrated behind anyone's back (a shared PostgreSQL
may be read by an older promoready too): the error names the command that migrates it,
``promoready db upgrade``; a store written by a newer promoready says to upgrade promoready.
"""

from __future__ import annotations

import time
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
#: PostgreSQL's advisory lock key held while the schema is created or migrated (``_lock``).
SCHEMA_LOCK = 0x70726F6D6F7264  # "promord"


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
    """Make sure the store is at the head revision, creating the schema in an empty database if ``create``.

    Creating is serialised (``_lock``): two commands that find the same database empty at once (two
    ``batch --cycle`` runs starting on a new store) take turns, and the second finds the store the
    first made, instead of a half-made schema or a table that "already exists".
    """
    url = engine.url
    with _connect.failures(url, "opening the store", opening=True):
        revision, tables = _look(engine)
    if revision is None and not tables - {VERSION_TABLE}:
        if not create:
            raise errors.UsageError(f"no store at {_connect.shown(url)}: the database is empty "
                                    f"(a `batch --cycle NAME --db …` creates the store)", code=errors.USAGE_DB,
                                    path="--db")
        revision, tables = _create(engine)
        if revision is None and not tables - {VERSION_TABLE}:
            return  # created now
    if revision is None:
        raise errors.UsageError(f"{_connect.shown(url)} is a database but not a promoready store "
                                f"(it has tables, and no schema version)", code=errors.USAGE_DB, path="--db")
    _check_revision(url, revision)


def _look(engine: Engine) -> tuple[Optional[str], set[str]]:
    """The store's revision and tables. On SQLite, a new file that another process is setting up (its WAL
    mode, its schema) can answer "database is locked" at once, without waiting its busy timeout: looked at
    again, for as long as that timeout, before it is a failure."""
    give_up = time.monotonic() + 30
    while True:
        try:
            with engine.connect() as conn:
                tables = set(sa.inspect(conn).get_table_names())
                return (current(conn) if VERSION_TABLE in tables else None), tables
        except sa.exc.OperationalError as exc:
            locked = engine.dialect.name == "sqlite" and "database is locked" in str(exc.orig)
            if not locked or time.monotonic() > give_up:
                raise
            engine.dispose()  # a connection whose set-up failed is not used again
            time.sleep(0.05)


def _create(engine: Engine) -> tuple[Optional[str], set[str]]:
    """Give an empty database the head revision, holding the schema lock: (revision, tables) as found under
    the lock; the database was empty, and now has the schema, when they are (None, no table but Alembic's)."""
    history = script()
    sqlite = engine.dialect.name == "sqlite"
    with _connect.failures(engine.url, "creating the store"), engine.connect() as conn:
        if sqlite:
            conn.exec_driver_sql("PRAGMA foreign_keys = OFF")  # as migrate() runs the same migrations
        _lock(conn)
        tables = set(sa.inspect(conn).get_table_names())
        revision = current(conn) if VERSION_TABLE in tables else None
        if revision is not None or tables - {VERSION_TABLE}:  # made (or taken) meanwhile by another
            conn.rollback()
        else:
            _run(conn, history, history.get_current_head(), downgrade=False)
            conn.commit()
            revision, tables = None, set()
        if sqlite:
            conn.exec_driver_sql("PRAGMA foreign_keys = ON")
    return revision, tables


def _lock(conn: Connection) -> None:
    """Take the store's schema lock for the rest of the connection's transaction (its first statement).

    SQLite: ``BEGIN IMMEDIATE``, the database's write lock (another writer waits, up to the busy
    timeout), so the migration is also one transaction. PostgreSQL: a transaction-level advisory lock
    (its DDL is transactional already)."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    elif conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(SCHEMA_LOCK)))


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
            # it would delete the rows that point at it (ON DELETE CASCADE). (Outside a transaction: within
            # one the pragma does nothing.)
            conn.exec_driver_sql("PRAGMA foreign_keys = OFF")
        _lock(conn)
        before = current(conn)
        target = history.get_current_head() if destination == "head" else destination
        _run(conn, history, target, downgrade=_is_below(target, before))
        conn.commit()
        after = current(conn)
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA foreign_keys = ON")
    return before, after


def _run(conn: Connection, history: ScriptDirectory, target: Optional[str], *, downgrade: bool) -> None:
    """Run the migrations from the connection's revision to ``target``, in its transaction (not committed)."""

    def steps(rev: Any, _context: Any) -> Any:
        if downgrade:
            return history._downgrade_revs(target or "base", rev)
        return history._upgrade_revs(target or "head", rev)

    with EnvironmentContext(Config(), history, fn=steps, destination_rev=target) as env:
        env.configure(connection=conn, target_metadata=None, transaction_per_migration=False)
        with env.begin_transaction():
            env.run_migrations()


def _is_below(target: Optional[str], revision: Optional[str]) -> bool:
    order = revisions()
    if target in (None, "base"):
        return revision is not None
    if revision is None:
        return False
    return order.index(target) < order.index(revision)
