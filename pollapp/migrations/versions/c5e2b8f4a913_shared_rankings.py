"""Shared rankings: a reader's ballot published at an address of its own

Everything this revision makes is written out here, not read from the
models, so that later changes to them never change what it does. It adds a
table and touches no other: ballots and the tally stay as they are.

Revision ID: c5e2b8f4a913
Revises: a9d3e5f1c7b2
Create Date: 2026-12-03 12:50:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c5e2b8f4a913"
down_revision = "a9d3e5f1c7b2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shared_ranking",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=43), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("reader", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["poll_id"], ["poll.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token"),
    )
    op.create_index("shared_ranking_reader", "shared_ranking", ["poll_id", "reader"])


def downgrade() -> None:
    op.drop_index("shared_ranking_reader", table_name="shared_ranking")
    op.drop_table("shared_ranking")
