"""Polls, entries, ballots and running tallies

Revision ID: 2a3725a48cc0
Revises:
Create Date: 2026-11-25 15:00:55.976694

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "2a3725a48cc0"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "poll",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("intro", sa.Text(), nullable=False),
        sa.Column("borda_rule", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("results_visibility", sa.String(length=20), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("borda_rule IN ('averaged', 'truncated', 'modified')", name="poll_rule"),
        sa.CheckConstraint(
            "results_visibility IN ('always', 'after_vote', 'after_close')", name="poll_visibility"
        ),
        sa.CheckConstraint("status IN ('open', 'closed')", name="poll_status"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug"),
    )
    op.create_table(
        "ballot",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("reader", sa.String(length=64), nullable=True),
        sa.Column("ranking", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["poll_id"], ["poll.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("poll_id", "reader", name="one_ballot_per_reader"),
    )
    op.create_table(
        "entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("editor_rank", sa.Integer(), nullable=False),
        sa.Column("drama", sa.String(length=300), nullable=False),
        sa.Column("scene", sa.String(length=300), nullable=False),
        sa.Column("couple", sa.String(length=300), nullable=False),
        sa.Column("blurb", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["poll_id"], ["poll.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("poll_id", "editor_rank", name="entry_rank_unique"),
        sa.UniqueConstraint("poll_id", "key", name="entry_key_unique"),
    )
    op.create_table(
        "tally_cell",
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("length", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("ballots", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("ballots >= 0", name="tally_not_negative"),
        sa.ForeignKeyConstraint(["entry_id"], ["entry.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["poll_id"], ["poll.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("poll_id", "entry_id", "length", "position"),
    )


def downgrade() -> None:
    op.drop_table("tally_cell")
    op.drop_table("entry")
    op.drop_table("ballot")
    op.drop_table("poll")
