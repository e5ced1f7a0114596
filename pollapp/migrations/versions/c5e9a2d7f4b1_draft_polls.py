"""A poll can be a draft: made in the desk, not seen by readers, taking no ballots

The status CHECK admits 'draft'. On SQLite the constraint is part of the
poll table's text, and rebuilding that table would, with foreign keys on,
cascade into the entries and their ballots. No stored row can break the
wider CHECK, so the table's text is changed in place, as SQLite documents
for such changes (writable_schema, then a new schema_version). PostgreSQL
alters the constraint. The ballots' triggers already refuse a ballot for any
poll that is not open, a draft included.

Revision ID: c5e9a2d7f4b1
Revises: c5e2b8f4a913
Create Date: 2026-12-03 13:10:00

"""

from alembic import op
from sqlalchemy import text

# revision identifiers, used by Alembic.
revision = "c5e9a2d7f4b1"
down_revision = "c5e2b8f4a913"
branch_labels = None
depends_on = None

BEFORE = "status IN ('open', 'closed')"
AFTER = "status IN ('draft', 'open', 'closed')"


def _sqlite_check(old: str, new: str) -> None:
    bind = op.get_bind()
    table = text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'poll'")
    written = bind.execute(table).scalar_one()
    if f"CHECK ({old})" not in written:
        raise RuntimeError(f"the poll table's status CHECK is not {old!r}; it is left as it is")
    version = int(bind.exec_driver_sql("PRAGMA schema_version").scalar_one())
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.execute(
        text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = 'poll'"),
        {"sql": written.replace(f"CHECK ({old})", f"CHECK ({new})")},
    )
    # Every connection, this one too, reads the schema afresh at its next statement.
    bind.exec_driver_sql(f"PRAGMA schema_version = {version + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def _allow(old: str, new: str) -> None:
    if op.get_context().dialect.name == "sqlite":
        _sqlite_check(old, new)
    else:
        op.drop_constraint("poll_status", "poll", type_="check")
        op.create_check_constraint("poll_status", "poll", new)


def upgrade() -> None:
    _allow(BEFORE, AFTER)


def downgrade() -> None:
    # A draft never took a ballot; before this revision it can only be closed.
    op.execute("UPDATE poll SET status = 'closed' WHERE status = 'draft'")
    _allow(AFTER, BEFORE)
