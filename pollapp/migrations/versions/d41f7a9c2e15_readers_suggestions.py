"""Readers' suggestions and their nominations; the trail records moderation and what an action was about

Everything this revision makes is written out here, not read from the
models, so that later changes to them never change what it does.

Revision ID: d41f7a9c2e15
Revises: d4f1a7c39e20
Create Date: 2026-12-02 12:20:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d41f7a9c2e15"
down_revision = "d4f1a7c39e20"
branch_labels = None
depends_on = None

ACTIONS_BEFORE = "'logged_in', 'logged_out', 'opened', 'closed', 'released'"
ACTIONS_AFTER = ACTIONS_BEFORE + ", 'approved', 'rejected', 'merged'"


def _actions(allowed: str) -> None:
    # Altered in place where the database can (PostgreSQL); SQLite rebuilds the table.
    with op.batch_alter_table("audit_entry") as batch:
        batch.drop_constraint("audit_entry_action", type_="check")
        batch.create_check_constraint("audit_entry_action", f"action IN ({allowed})")


def upgrade() -> None:
    op.create_table(
        "nomination",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("normal", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected', 'merged')", name="nomination_status"
        ),
        sa.ForeignKeyConstraint(["merged_into_id"], ["nomination.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["poll_id"], ["poll.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("poll_id", "normal", name="nomination_normal_unique"),
    )
    op.create_table(
        "suggestion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("reader", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("nomination_id", sa.Integer(), nullable=True),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=280), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('missing', 'take_away')", name="suggestion_kind"),
        sa.CheckConstraint(
            "(kind = 'missing' AND nomination_id IS NOT NULL AND entry_id IS NULL)"
            " OR (kind = 'take_away' AND entry_id IS NOT NULL AND nomination_id IS NULL)",
            name="suggestion_names_one_thing",
        ),
        sa.ForeignKeyConstraint(["entry_id"], ["entry.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["nomination_id"], ["nomination.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["poll_id"], ["poll.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("poll_id", "reader", "kind", name="one_suggestion_per_kind"),
    )
    op.create_index("suggestion_nomination", "suggestion", ["nomination_id"])
    op.create_index("suggestion_entry", "suggestion", ["entry_id"])
    op.add_column("audit_entry", sa.Column("detail", sa.String(length=300), nullable=True))
    _actions(ACTIONS_AFTER)


def downgrade() -> None:
    op.execute("DELETE FROM audit_entry WHERE action IN ('approved', 'rejected', 'merged')")
    _actions(ACTIONS_BEFORE)
    with op.batch_alter_table("audit_entry") as batch:
        batch.drop_column("detail")
    op.drop_index("suggestion_entry", table_name="suggestion")
    op.drop_index("suggestion_nomination", table_name="suggestion")
    op.drop_table("suggestion")
    op.drop_table("nomination")
