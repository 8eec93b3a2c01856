"""Batches still running: ``cycles.alive_at`` is when the batch writing the cycle last marked it as running
(at its start, then every ``recorder.HEARTBEAT`` seconds; none once it stopped or completed), so that
``cycles prune`` keeps the cycle of a batch still writing it instead of deleting its rows under it.

A cycle stored before this revision has no mark: no batch is known to be writing it.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cycles") as batch:
        batch.add_column(sa.Column("alive_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cycles") as batch:
        batch.drop_column("alive_at")
