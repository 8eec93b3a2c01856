"""The first schema: cycles, decisions with their criteria, and error records.

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cycles",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("ladder_id", sa.String(200), nullable=True),
        sa.Column("ladder_digest", sa.String(80), nullable=True),
        sa.Column("as_of", sa.Date, nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("complete", sa.Boolean, nullable=False),
        sa.Column("runs", sa.Integer, nullable=False),
        sa.Column("decisions", sa.Integer, nullable=False),
        sa.Column("errors", sa.Integer, nullable=False),
        sa.UniqueConstraint("name", name="uq_cycles_name"),
    )
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("cycle_id", sa.Integer, sa.ForeignKey("cycles.id", ondelete="CASCADE", name="fk_decisions_cycle"),
                  nullable=False),
        sa.Column("item", sa.String(1000), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("candidate_id", sa.String(200), nullable=True),
        sa.Column("packet_digest", sa.String(80), nullable=True),
        sa.Column("ladder_id", sa.String(200), nullable=True),
        sa.Column("ladder_digest", sa.String(80), nullable=True),
        sa.Column("transition_from", sa.String(200), nullable=True),
        sa.Column("transition_to", sa.String(200), nullable=True),
        sa.Column("as_of", sa.String(10), nullable=True),
        sa.Column("verdict", sa.String(40), nullable=True),
        sa.Column("decision_json", sa.Text, nullable=False),
        sa.UniqueConstraint("cycle_id", "item", name="uq_decisions_cycle_item"),
    )
    op.create_index("ix_decisions_candidate", "decisions", ["candidate_id", "cycle_id"])
    op.create_table(
        "criterion_results",
        sa.Column("decision_id", sa.Integer,
                  sa.ForeignKey("decisions.id", ondelete="CASCADE", name="fk_criterion_results_decision"),
                  primary_key=True),
        sa.Column("criterion_id", sa.String(200), primary_key=True),
        sa.Column("required", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
    )
    op.create_index("ix_criterion_results_status", "criterion_results", ["criterion_id", "status"])
    op.create_table(
        "errors",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("cycle_id", sa.Integer, sa.ForeignKey("cycles.id", ondelete="CASCADE", name="fk_errors_cycle"),
                  nullable=False),
        sa.Column("item", sa.String(1000), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("candidate_id", sa.String(200), nullable=True),
        sa.Column("code", sa.String(80), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("error_json", sa.Text, nullable=False),
        sa.UniqueConstraint("cycle_id", "item", name="uq_errors_cycle_item"),
    )


def downgrade() -> None:
    op.drop_table("errors")
    op.drop_index("ix_criterion_results_status", table_name="criterion_results")
    op.drop_table("criterion_results")
    op.drop_index("ix_decisions_candidate", table_name="decisions")
    op.drop_table("decisions")
    op.drop_table("cycles")
