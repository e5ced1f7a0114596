"""Each imported file of ballots is recorded by its content's SHA-256

Revision ID: d4f1a7c39e20
Revises: b6c375783f6a
Create Date: 2026-12-02 12:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d4f1a7c39e20"
down_revision = "b6c375783f6a"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ballot_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("ballots", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["poll_id"], ["poll.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ballot_import_digest", "ballot_import", ["poll_id", "digest"])


def downgrade() -> None:
    op.drop_index("ballot_import_digest", table_name="ballot_import")
    op.drop_table("ballot_import")
