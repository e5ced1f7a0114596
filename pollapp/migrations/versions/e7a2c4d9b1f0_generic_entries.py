"""Entries are generic: title, subtitle, credit, blurb and an optional link; a poll names its entries

The K-drama columns are renamed in place (drama -> title, scene -> subtitle,
couple -> credit), so no entry row is rebuilt and the tally's references to
entries stay as they are. Every poll stored before this revision was made of
scenes (its entries had a drama and a scene), so those polls keep calling
them scenes; a poll made afterwards starts from "entry".

Revision ID: e7a2c4d9b1f0
Revises: e7b2c94d1a05
Create Date: 2026-12-02 13:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e7a2c4d9b1f0"
down_revision = "e7b2c94d1a05"
branch_labels = None
depends_on = None

RENAMED = (("drama", "title"), ("scene", "subtitle"), ("couple", "credit"))


def upgrade() -> None:
    # Both SQLite (3.25 and later) and PostgreSQL rename a column in place.
    for old, new in RENAMED:
        op.execute(f"ALTER TABLE entry RENAME COLUMN {old} TO {new}")
    op.add_column("entry", sa.Column("link", sa.String(length=2000), nullable=True))
    op.add_column(
        "poll", sa.Column("entry_noun", sa.String(length=40), server_default="entry", nullable=False)
    )
    op.add_column(
        "poll",
        sa.Column("entry_noun_plural", sa.String(length=40), server_default="entries", nullable=False),
    )
    op.execute("UPDATE poll SET entry_noun = 'scene', entry_noun_plural = 'scenes'")


def downgrade() -> None:
    # SQLite 3.35 and later and PostgreSQL drop a column in place, as they rename one.
    for column in ("entry_noun_plural", "entry_noun"):
        op.execute(f"ALTER TABLE poll DROP COLUMN {column}")
    op.execute("ALTER TABLE entry DROP COLUMN link")
    for old, new in RENAMED:
        op.execute(f"ALTER TABLE entry RENAME COLUMN {new} TO {old}")
