"""The database counts readers' ballots into the tally

Triggers on ballot keep the tally; ballots count their replacements; on
PostgreSQL, tally pages keep room for updates in place.

Revision ID: 5c0e7d1f9a24
Revises: 2a3725a48cc0
Create Date: 2026-11-25 17:30:00

"""

import sqlalchemy as sa
from alembic import op
from pollapp import tally_triggers

# revision identifiers, used by Alembic.
revision = "5c0e7d1f9a24"
down_revision = "2a3725a48cc0"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("ballot") as batch:
        batch.add_column(sa.Column("replacements", sa.Integer(), server_default=sa.text("0"), nullable=False))
    dialect = op.get_bind().dialect.name
    for statement in tally_triggers.create(dialect):
        op.execute(statement)
    if dialect == "postgresql":
        # Room on each page for a cell's new version (see models.TallyCell).
        op.execute("ALTER TABLE tally_cell SET (fillfactor = 50)")


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("ALTER TABLE tally_cell RESET (fillfactor)")
    for statement in tally_triggers.drop(dialect):
        op.execute(statement)
    with op.batch_alter_table("ballot") as batch:
        batch.drop_column("replacements")
