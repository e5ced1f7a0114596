"""The trail records polls created and edited in the desk

Revision ID: f3c8a1d5e672
Revises: f3c8a1d5e927
Create Date: 2026-12-02 13:30:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "f3c8a1d5e672"
down_revision = "f3c8a1d5e927"
branch_labels = None
depends_on = None

ACTIONS_BEFORE = "'logged_in', 'logged_out', 'opened', 'closed', 'released', 'approved', 'rejected', 'merged'"
ACTIONS_AFTER = ACTIONS_BEFORE + ", 'created', 'edited'"


def _actions(allowed: str) -> None:
    # Altered in place where the database can (PostgreSQL); SQLite rebuilds the table.
    with op.batch_alter_table("audit_entry") as batch:
        batch.drop_constraint("audit_entry_action", type_="check")
        batch.create_check_constraint("audit_entry_action", f"action IN ({allowed})")


def upgrade() -> None:
    _actions(ACTIONS_AFTER)


def downgrade() -> None:
    op.execute("DELETE FROM audit_entry WHERE action IN ('created', 'edited')")
    _actions(ACTIONS_BEFORE)
