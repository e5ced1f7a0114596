"""Database tables: polls, their entries, ballots and running tallies."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from . import tally_triggers
from .extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


class Poll(db.Model):
    __tablename__ = "poll"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    intro: Mapped[str] = mapped_column(Text)
    borda_rule: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default="open")
    results_visibility: Mapped[str] = mapped_column(String(20), default="always")
    # Bumped when the poll file changes what the results say, and by imports and
    # rebuilds; part of the results' ETag, with the tally itself. Ballots leave
    # it alone, so that no row is written by every ballot.
    revision: Mapped[int] = mapped_column(BigInteger, default=0)

    entries: Mapped[list[Entry]] = relationship(
        back_populates="poll", order_by="Entry.editor_rank", cascade="all, delete-orphan"
    )

    __table_args__ = (
        CheckConstraint("status IN ('open', 'closed')", name="poll_status"),
        CheckConstraint(
            "results_visibility IN ('always', 'after_vote', 'after_close')", name="poll_visibility"
        ),
        CheckConstraint("borda_rule IN ('averaged', 'truncated', 'modified')", name="poll_rule"),
    )

    @property
    def is_open(self) -> bool:
        return self.status == "open"


class Entry(db.Model):
    __tablename__ = "entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(100))
    editor_rank: Mapped[int] = mapped_column(Integer)
    drama: Mapped[str] = mapped_column(String(300))
    scene: Mapped[str] = mapped_column(String(300))
    couple: Mapped[str] = mapped_column(String(300))
    blurb: Mapped[str] = mapped_column(Text)

    poll: Mapped[Poll] = relationship(back_populates="entries")

    __table_args__ = (
        UniqueConstraint("poll_id", "key", name="entry_key_unique"),
        UniqueConstraint("poll_id", "editor_rank", name="entry_rank_unique"),
    )


class Ballot(db.Model):
    __tablename__ = "ballot"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"))
    # SHA-256 of the reader's random cookie token (never the token); NULL for imported ballots.
    reader: Mapped[str | None] = mapped_column(String(64))
    # Entry keys, most loved first, joined by commas.
    ranking: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # How many times the reader has replaced this ballot with a new one.
    replacements: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))

    __table_args__ = (UniqueConstraint("poll_id", "reader", name="one_ballot_per_reader"),)


class TallyCell(db.Model):
    """How many ballots of length ``length`` rank an entry at ``position``."""

    __tablename__ = "tally_cell"

    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"), primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entry.id", ondelete="CASCADE"), primary_key=True)
    length: Mapped[int] = mapped_column(Integer, primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    ballots: Mapped[int] = mapped_column(BigInteger, default=0)

    __table_args__ = (
        CheckConstraint("ballots >= 0", name="tally_not_negative"),
        # A few hundred rows, each rewritten by many ballots: room on every page
        # lets PostgreSQL update a cell in place of its page (a HOT update)
        # without touching the index.
        {"postgresql_with": {"fillfactor": 50}},
    )


# Readers' ballots are counted into the tally by the database itself.
tally_triggers.install(db.metadata)
