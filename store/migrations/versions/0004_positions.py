"""Positions handed out by the database: each cycle keeps the position its next record gets
(``cycles.next_seq``), so that writers that number their records as they arrive (the HTTP service's
decision log, one writer per worker) take consecutive positions under the cycle's row lock instead of
all writing 0.

A cycle stored before this revision starts one past the highest position it holds (0 when empty). The
decisions the service logged before it keep the position 0 they were given.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cycles") as batch:
        batch.add_column(sa.Column("next_seq", sa.Integer, nullable=False, server_default="0"))
    cycles = sa.table("cycles", sa.column("id", sa.Integer), sa.column("next_seq", sa.Integer))

    def after_last(name: str) -> sa.ScalarSelect:
        rows = sa.table(name, sa.column("cycle_id", sa.Integer), sa.column("seq", sa.Integer))
        return (sa.select(sa.func.coalesce(sa.func.max(rows.c.seq) + 1, 0))
                .where(rows.c.cycle_id == cycles.c.id).scalar_subquery())

    decided, failed = after_last("decisions"), after_last("errors")
    op.execute(sa.update(cycles).values(next_seq=sa.case((decided > failed, decided), else_=failed)))


def downgrade() -> None:
    with op.batch_alter_table("cycles") as batch:
        batch.drop_column("next_seq")
