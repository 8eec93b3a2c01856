"""Public decision ids: every decision gets a UUID, the id the HTTP service answers with and review
tools keep (``decisions.id`` stays the row number the tables join on).

Decisions stored before this revision are given a random UUID each on the way up.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_ROWS_PER_UPDATE = 1000


def upgrade() -> None:
    with op.batch_alter_table("decisions") as batch:
        batch.add_column(sa.Column("uuid", sa.String(36), nullable=True))
    conn = op.get_bind()
    decisions = sa.table("decisions", sa.column("id", sa.Integer), sa.column("uuid", sa.String(36)))
    ids = conn.execute(sa.select(decisions.c.id).order_by(decisions.c.id)).scalars().all()
    update = (sa.update(decisions).where(decisions.c.id == sa.bindparam("row_id"))
              .values(uuid=sa.bindparam("new_uuid")))
    for start in range(0, len(ids), _ROWS_PER_UPDATE):
        conn.execute(update, [{"row_id": i, "new_uuid": str(uuid.uuid4())} for i in ids[start:start + _ROWS_PER_UPDATE]])
    with op.batch_alter_table("decisions") as batch:
        batch.alter_column("uuid", existing_type=sa.String(36), nullable=False)
    op.create_index("ix_decisions_uuid", "decisions", ["uuid"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_decisions_uuid", table_name="decisions")
    with op.batch_alter_table("decisions") as batch:
        batch.drop_column("uuid")
