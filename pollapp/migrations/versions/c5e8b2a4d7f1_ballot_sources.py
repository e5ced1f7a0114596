"""Ballots say where they came from: this site, an embed with or without its
cookie, the API, or a file

Ballots stored before this revision cannot tell a site ballot from an embed's
or a script's (each reader is a hash), so each with a reader is counted as
the site's and each without one (imported from a file) as imported. No ballot
and no tally cell changes; the column is added in place.

Revision ID: c5e8b2a4d7f1
Revises: c5e9a2d7f4b1
Create Date: 2026-12-03 13:20:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c5e8b2a4d7f1"
down_revision = "c5e9a2d7f4b1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ADD COLUMN, never a rebuild of the table: SQLite would rebuild ballot
    # with its foreign keys on, and the triggers would have to be made again.
    op.add_column(
        "ballot",
        sa.Column(
            "source",
            sa.String(20),
            server_default="site",
            nullable=False,
        ),
    )
    op.execute("UPDATE ballot SET source = 'imported' WHERE reader IS NULL")


def downgrade() -> None:
    # In place on SQLite too (3.35 and later): no rebuild, the triggers stay.
    op.execute("ALTER TABLE ballot DROP COLUMN source")
