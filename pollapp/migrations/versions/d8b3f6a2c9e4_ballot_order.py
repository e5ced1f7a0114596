"""Each reader's ballot lists the entries in an order of its own: the poll's
shuffle_entries setting (on for every poll), and each ballot's order_seed

Ballots stored before this revision were cast from the editors' order, so
their order_seed is NULL, which says just that. No ballot and no tally cell
changes; both columns are added in place.

Revision ID: d8b3f6a2c9e4
Revises: d8b3f6a1c2e7
Create Date: 2026-12-03 13:45:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d8b3f6a2c9e4"
down_revision = "d8b3f6a1c2e7"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ADD COLUMN, never a rebuild: SQLite would rebuild poll and ballot with
    # their foreign keys on, and a cascade would take the ballots with it.
    op.add_column(
        "poll", sa.Column("shuffle_entries", sa.Boolean(), server_default=sa.true(), nullable=False)
    )
    op.add_column("ballot", sa.Column("order_seed", sa.Integer(), nullable=True))


def downgrade() -> None:
    # In place on SQLite too (3.35 and later): no rebuild, the triggers stay.
    op.execute("ALTER TABLE ballot DROP COLUMN order_seed")
    op.execute("ALTER TABLE poll DROP COLUMN shuffle_entries")
