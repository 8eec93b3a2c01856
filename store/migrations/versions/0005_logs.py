"""Decision logs marked as such: ``cycles.log`` is true for the cycle the HTTP service logs its decisions in
(``serve --cycle``, ``Store.open_log``), false for a batch's, so that "is it a log" is one column of the
cycle's row instead of a search through its decisions, and a log that holds no decision yet is known too.

A cycle stored before this revision is a log when one of its decisions is stored under its public id
(item == uuid: the service's way; ``batch`` stores a decision under its input), the rule used until now.
A log that held no decision yet cannot be told, and stays a batch's cycle (its service marks it again
the next time it opens it).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cycles") as batch:
        batch.add_column(sa.Column("log", sa.Boolean, nullable=False, server_default=sa.false()))
    cycles = sa.table("cycles", sa.column("id", sa.Integer), sa.column("log", sa.Boolean))
    decisions = sa.table("decisions", sa.column("cycle_id", sa.Integer), sa.column("item", sa.String),
                         sa.column("uuid", sa.String))
    d = decisions.c
    logged = sa.exists().where(d.cycle_id == cycles.c.id, d.item == d.uuid)
    op.execute(sa.update(cycles).where(logged).values(log=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("cycles") as batch:
        batch.drop_column("log")
