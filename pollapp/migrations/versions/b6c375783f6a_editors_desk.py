"""The editors' desk: editor accounts, refused logins, and the trail of editors' actions

Everything this revision makes is written out here, not read from the
models, so that later changes to them never change what it does.

Revision ID: b6c375783f6a
Revises: 8e41b0c2d7f3
Create Date: 2026-12-02 06:54:18

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b6c375783f6a"
down_revision = "8e41b0c2d7f3"
branch_labels = None
depends_on = None

EDITOR_ACTIONS = "'logged_in', 'logged_out', 'opened', 'closed', 'released'"
LOGIN_REFUSALS = "'wrong_password', 'no_such_editor', 'locked_out'"


def upgrade() -> None:
    op.create_table(
        "editor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("login_key", sa.String(length=43), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
        sa.UniqueConstraint("login_key"),
    )
    op.create_table(
        "login_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("refusal", sa.String(length=20), nullable=False),
        sa.Column("address", sa.String(length=32), nullable=False),
        sa.CheckConstraint(f"refusal IN ({LOGIN_REFUSALS})", name="login_failure_refusal"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("login_failure_at", "login_failure", ["at"])
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("editor_email", sa.String(length=254), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=True),
        sa.Column("ballots", sa.Integer(), nullable=True),
        sa.CheckConstraint(f"action IN ({EDITOR_ACTIONS})", name="audit_entry_action"),
        sa.ForeignKeyConstraint(["poll_id"], ["poll.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("audit_entry_poll", "audit_entry", ["poll_id"])


def downgrade() -> None:
    op.drop_index("audit_entry_poll", table_name="audit_entry")
    op.drop_table("audit_entry")
    op.drop_index("login_failure_at", table_name="login_failure")
    op.drop_table("login_failure")
    op.drop_table("editor")
