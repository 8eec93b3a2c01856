"""Privacy: a cycle's storage settings (packets stored or not, the masks) and its count of dropped
records; a decision's masked packet, when packets are stored.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Cycles recorded before this revision stored no packets and masked nothing: the defaults say so.
    with op.batch_alter_table("cycles") as batch:
        batch.add_column(sa.Column("dropped", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("store_packets", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("masks", sa.Text, nullable=False, server_default="[]"))
    with op.batch_alter_table("decisions") as batch:
        batch.add_column(sa.Column("packet_json", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("decisions") as batch:
        batch.drop_column("packet_json")
    with op.batch_alter_table("cycles") as batch:
        batch.drop_column("masks")
        batch.drop_column("store_packets")
        batch.drop_column("dropped")
