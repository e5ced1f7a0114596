"""Each poll's minimum of ballots before its results rank the entries

Revision ID: a9d3e5f1c7b2
Revises: f3c8a1d5e672
Create Date: 2026-12-02 19:50:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a9d3e5f1c7b2"
down_revision = "f3c8a1d5e672"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every existing poll takes the default the pages used before: 30 ballots.
    op.add_column("poll", sa.Column("min_ballots", sa.Integer(), server_default="30", nullable=False))


def downgrade() -> None:
    # In place (SQLite 3.35 and later, PostgreSQL): rebuilding the table would break the ballots' triggers.
    op.execute("ALTER TABLE poll DROP COLUMN min_ballots")
