"""Where the store is and how to connect to it: ``--db`` as a URL or a file, the default location,
the connection settings of each database, and database failures turned into promoready errors."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any, Iterator, Optional

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url

from promoready.engine import errors

#: Environment variable read when ``--db`` is not given.
DB_ENV = "PROMOREADY_DB"
#: The file name of the default store, in ``$XDG_DATA_HOME/promoready`` (``~/.local/share/promoready``).
DEFAULT_NAME = "history.sqlite"


def default_path() -> Path:
    """The default store: ``$XDG_DATA_HOME/promoready/history.sqlite`` (``~/.local/share/…`` without it)."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "promoready" / DEFAULT_NAME


def resolve(db: Optional[str]) -> URL:
    """The database URL for ``--db``: a URL as given, a path as a SQLite file, nothing as ``$PROMOREADY_DB`` or the default.

    ``postgresql://`` and ``postgres://`` mean the psycopg (3) driver, the one promoready installs.
    """
    value = db if db else os.environ.get(DB_ENV) or str(default_path())
    if "://" not in value:
        return URL.create("sqlite", database=os.path.abspath(os.path.expanduser(value)))
    try:
        url = make_url(value)
    except (sa.exc.ArgumentError, ValueError) as exc:
        raise errors.UsageError(f"not a database URL or a file: {exc}", code=errors.USAGE_DB, path="--db") from None
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def shown(url: URL) -> str:
    """The URL as messages print it: the password hidden, a SQLite file as its path."""
    if url.get_backend_name() == "sqlite" and url.database:
        return url.database
    return url.render_as_string(hide_password=True)


def sqlite_file(url: URL) -> Optional[Path]:
    """The file of a SQLite URL (None for another database or an in-memory one)."""
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def create(url: URL, *, create_file: bool) -> Engine:
    """An engine for ``url``. A SQLite file is created (with its folder) only when ``create_file``."""
    path = sqlite_file(url)
    if path is not None:
        if path.is_dir():
            raise errors.UsageError(f"{path} is a folder, not a store: --db takes the store's file (a SQLite "
                                    f"database, such as {path / DEFAULT_NAME}) or a database URL",
                                    code=errors.USAGE_DB, path="--db")
        if not path.exists() and not create_file:
            raise errors.UsageError(f"no store at {path} (a `batch --cycle NAME --db {path}` creates one)",
                                    code=errors.USAGE_DB, path="--db")
        if create_file:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise errors.UsageError(f"cannot create the folder {path.parent}: {exc.strerror}",
                                        code=errors.USAGE_DB, path="--db") from None
    try:
        engine = sa.create_engine(url, pool_pre_ping=url.get_backend_name() != "sqlite")
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as exc:
        raise errors.UsageError(f"{shown(url)}: cannot use this database: {exc}", code=errors.USAGE_DB,
                                path="--db") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_settings)
    return engine


def _sqlite_settings(dbapi_connection: Any, _record: Any) -> None:
    # WAL: readers (history, cycles) never wait for a running batch. synchronous=FULL: a committed
    # transaction survives a power loss, not only a killed process. The busy timeout lets two writers
    # take turns instead of failing at once. Foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout = 30000")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = FULL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


@contextlib.contextmanager
def failures(url: URL, doing: str, *, opening: bool = False) -> Iterator[None]:
    """Turn a database failure while ``doing`` something into a promoready error naming the store.

    A server that cannot be reached, or a connection lost, is ``system.store-unavailable`` (exit 4, HTTP
    503): nobody's mistake, and the same command works once the server is back. Otherwise, while
    ``opening`` a store every failure is ``usage.db`` (the store cannot be used as given); later, a
    failure of the store's configuration (a password, a database gone) is ``usage.db`` and any other
    ``usage.db-failed``. A file that is not a SQLite database is ``usage.db`` whatever was being done
    (``db status`` and ``db upgrade`` open it without the check that would have said so first).
    """
    try:
        yield
    except sa.exc.DBAPIError as exc:
        first = (str(exc.orig).strip().splitlines() or [""])[0] if exc.orig is not None else str(exc)
        if sqlite_file(url) is not None and "not a database" in first.lower():
            raise errors.UsageError(f"{shown(url)} is not a promoready store: the file is not a SQLite database "
                                    f"({doing}: {first})", code=errors.USAGE_DB, path="--db") from None
        message = f"{shown(url)}: {doing}: {first}"
        if exc.connection_invalidated or (isinstance(exc, sa.exc.OperationalError) and _lost(first)):
            raise errors.ResourceError(message, code=errors.SYSTEM_STORE_UNAVAILABLE, path="--db") from None
        unusable = isinstance(exc, sa.exc.OperationalError) and _unusable(first)
        code = errors.USAGE_DB if opening or unusable else errors.USAGE_DB_FAILED
        raise errors.UsageError(message, code=code, path="--db") from None


def _lost(message: str) -> bool:
    """Whether a driver's message says the server could not be reached, or went away."""
    words = ("connection refused", "timeout expired", "timed out", "server closed the connection",
             "terminating connection", "the database system is", "no route to host", "network is unreachable",
             "connection reset", "could not receive data", "could not send data", "ssl syscall", "connection is lost",
             "connection is closed")
    lowered = message.lower()
    return any(w in lowered for w in words)


def _unusable(message: str) -> bool:
    words = ("connection", "connect", "could not translate host", "password authentication", "does not exist",
             "unable to open database")
    lowered = message.lower()
    return any(w in lowered for w in words)
