"""Readers' ballots and the running tally the database keeps of them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..core.terms import SHARE_TOKEN_LENGTH, SOURCE_LENGTH, BallotSource
from ..extensions import Model, db
from ..storage import triggers
from ..storage.columns import enum_column


def utcnow() -> datetime:
    return datetime.now(UTC)


class Ballot(Model):
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
    # A first ballot cast over its address's budget: stored, not counted until released.
    held: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Where it was cast; a replacement keeps its ballot's. Ballots from before
    # this was kept count as the site's (imported ones as imported).
    source: Mapped[BallotSource] = mapped_column(
        enum_column(BallotSource, SOURCE_LENGTH),
        default=BallotSource.SITE,
        server_default=BallotSource.SITE.value,
    )
    # The seed of the order the ballot listed the entries in (core/order.py);
    # NULL where they were in the editors' order, or no ballot was shown (the
    # API, imports). A replacement takes the order it was cast from.
    order_seed: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        UniqueConstraint("poll_id", "reader", name="one_ballot_per_reader"),
        # Held ballots are few: counting and releasing them reads only them.
        Index("ballot_held", "poll_id", postgresql_where=text("held"), sqlite_where=text("held")),
    )


class TallyCell(Model):
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


class BallotImport(Model):
    """A file of ballots imported into a poll, known by its content's SHA-256, so
    that importing the same file again is noticed."""

    __tablename__ = "ballot_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"))
    digest: Mapped[str] = mapped_column(String(64))
    ballots: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (Index("ballot_import_digest", "poll_id", "digest"),)


class TallySnapshot(Model):
    """The tally as it stood at the start of an hour in which ballots came: taken
    when that hour's first ballot arrives, so it is exactly the tally since the
    ballot before. The cells are ``[entry id, length, position, ballots]``."""

    __tablename__ = "tally_snapshot"

    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    cells: Mapped[list[list[int]]] = mapped_column(JSON)


class SharedRanking(Model):
    """A reader's choice to publish their ballot at an address of its own.

    It names the reader, not a ranking: the page shows the reader's ballot as
    it is now, so voting again changes what it shows. Taken down, it is kept
    with ``removed_at``, so its address can say it is gone rather than that it
    never was."""

    __tablename__ = "shared_ranking"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(SHARE_TOKEN_LENGTH), unique=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"))
    reader: Mapped[str] = mapped_column(String(64))  # the ballot's reader, as the ballot keeps it
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("shared_ranking_reader", "poll_id", "reader"),)


# Readers' ballots are counted into the tally by the database itself.
triggers.install(db.metadata)
