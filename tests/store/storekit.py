"""What the store tests share: a fresh, empty database on SQLite and on PostgreSQL (the ``db_url``
fixture, imported by each test module), and decisions made by the real engine on the tiny ladder.

PostgreSQL is asked for by ``PROMOREADY_TEST_PG_URL`` (a server URL whose user may create
databases; ``.ci/run`` starts one and sets it) or by ``CI``. Asked for and unreachable, every
PostgreSQL test fails: it never skips. Not asked for (a developer without a server), the
PostgreSQL tests are skipped and say how to run them. (Not a conftest.py: test modules import
``tests/conftest.py`` as ``conftest``, and a second one here would shadow it.)
"""

from __future__ import annotations

import copy
import json
import os
import uuid
from typing import Any, Iterator, Optional

import pytest
from conftest import TINY, TINY_PACKET, evaluator  # tests/conftest.py

PG_ENV = "PROMOREADY_TEST_PG_URL"
BACKENDS = ("sqlite", "postgresql")


def pg_wanted() -> bool:
    """Whether the PostgreSQL tests must run (and so fail, not skip, without a server)."""
    return bool(os.environ.get(PG_ENV)) or bool(os.environ.get("CI"))


def _pg_database() -> Iterator[str]:
    import sqlalchemy as sa

    server = os.environ.get(PG_ENV)
    if not server:
        pytest.fail(f"CI is set but {PG_ENV} is not: .ci/run starts PostgreSQL and sets it")
    name = f"promoready_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as exc:
        admin.dispose()
        pytest.fail(f"PostgreSQL was asked for ({PG_ENV}={server}) but cannot be reached: {exc.orig}")
    url = sa.engine.make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path) -> Iterator[str]:
    """The URL of an empty database: a SQLite file, or a new database on the PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.sqlite'}"
        return
    if not pg_wanted():
        pytest.skip(f"PostgreSQL not asked for: set {PG_ENV}=postgresql+psycopg://USER@HOST:PORT/postgres")
    yield from _pg_database()


def packet(candidate: str, *, years: Optional[float] = 3.5) -> dict[str, Any]:
    """The tiny ladder's packet for ``candidate``: ready with 2+ years, not ready below, ``experience`` unknown with None."""
    data = copy.deepcopy(TINY_PACKET)
    data["candidate"] = {"id": candidate, "name": f"Name of {candidate}"}
    if years is None:
        del data["experience"]["product_years"]
    else:
        data["experience"]["product_years"] = years
    return data


def decide(data: dict[str, Any]) -> bytes:
    """The decision JSON line batch would write for ``data``."""
    from promoready.engine import load_packet

    return evaluator(TINY).evaluate(load_packet(data)).to_json_bytes() + b"\n"


def statuses(record: bytes) -> dict[str, str]:
    """criterion id → status of a decision line."""
    return {c["id"]: c["status"] for c in json.loads(record)["criteria"]}
