"""Holding ballots still while a transaction reads or rewrites a poll's tally."""

from __future__ import annotations

from sqlalchemy import Connection, text

_BUMP_REVISION = text("UPDATE poll SET revision = revision + 1 WHERE id = :poll")


def bump_revision(connection: Connection, poll_id: int) -> None:
    """Mark that what a poll's results say may have changed (part of their ETag)."""
    connection.execute(_BUMP_REVISION, {"poll": poll_id})


def hold_ballots(connection: Connection, poll_id: int) -> None:
    """Keep ballots from changing until this transaction ends, so a recount and
    the tally are read (and rewritten) at one moment, and a status change
    falls between two ballots, never inside one."""
    if connection.dialect.name == "postgresql":
        # Waits for ballots being cast and holds new ones back until the commit.
        connection.exec_driver_sql("LOCK TABLE ballot IN SHARE MODE")
    else:
        # A write takes SQLite's one write lock; every later read is consistent.
        bump_revision(connection, poll_id)
