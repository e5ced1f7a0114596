"""Re-scores: each time a poll with ballots got entries or another rule; the trail records confirming one

Everything this revision makes is written out here, not read from the
models, so that later changes to them never change what it does. No poll,
entry, ballot or tally row is touched.

Revision ID: c5e8b3a1d702
Revises: c5e8b2a4d7f1
Create Date: 2026-12-03 13:10:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c5e8b3a1d702"
down_revision = "c5e8b2a4d7f1"
branch_labels = None
depends_on = None

ACTIONS_BEFORE = (
    "'logged_in', 'logged_out', 'opened', 'closed', 'released', 'approved', 'rejected', 'merged', "
    "'created', 'edited'"
)
ACTIONS_AFTER = ACTIONS_BEFORE + ", 'rescored'"
RULES = "'averaged', 'truncated', 'modified'"


def _actions(allowed: str) -> None:
    # Altered in place where the database can (PostgreSQL); SQLite rebuilds the trail's table only.
    with op.batch_alter_table("audit_entry") as batch:
        batch.drop_constraint("audit_entry_action", type_="check")
        batch.create_check_constraint("audit_entry_action", f"action IN ({allowed})")


def upgrade() -> None:
    op.create_table(
        "rescore",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cause", sa.String(length=20), nullable=False),
        sa.Column("entries_before", sa.Integer(), nullable=False),
        sa.Column("entries_after", sa.Integer(), nullable=False),
        sa.Column("rule_before", sa.String(length=20), nullable=False),
        sa.Column("rule_after", sa.String(length=20), nullable=False),
        sa.CheckConstraint("cause IN ('entries_added', 'rule_changed')", name="rescore_cause"),
        sa.CheckConstraint(f"rule_before IN ({RULES})", name="rescore_rule_before"),
        sa.CheckConstraint(f"rule_after IN ({RULES})", name="rescore_rule_after"),
        sa.ForeignKeyConstraint(["poll_id"], ["poll.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("rescore_poll", "rescore", ["poll_id"])
    _actions(ACTIONS_AFTER)


def downgrade() -> None:
    op.execute("DELETE FROM audit_entry WHERE action = 'rescored'")
    _actions(ACTIONS_BEFORE)
    op.drop_index("rescore_poll", table_name="rescore")
    op.drop_table("rescore")
