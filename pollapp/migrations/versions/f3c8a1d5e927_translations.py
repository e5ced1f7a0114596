"""The editors' text in other languages: a poll's and each entry's translations

Revision ID: f3c8a1d5e927
Revises: e7a2c4d9b1f0
Create Date: 2026-12-02 13:25:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f3c8a1d5e927"
down_revision = "e7a2c4d9b1f0"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("poll", "entry"):
        op.add_column(table, sa.Column("translations", sa.JSON(), nullable=True))


def downgrade() -> None:
    # In place, as the entries' columns are renamed: rebuilding a table would drop the tally's triggers.
    for table in ("poll", "entry"):
        op.execute(f"ALTER TABLE {table} DROP COLUMN translations")
