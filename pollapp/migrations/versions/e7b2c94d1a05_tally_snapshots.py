"""The tally as it stood at the start of each hour in which ballots came

Revision ID: e7b2c94d1a05
Revises: d41f7a9c2e15
Create Date: 2026-12-02 12:50:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e7b2c94d1a05"
down_revision = "d41f7a9c2e15"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tally_snapshot",
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cells", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["poll_id"], ["poll.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("poll_id", "at"),
    )


def downgrade() -> None:
    op.drop_table("tally_snapshot")
