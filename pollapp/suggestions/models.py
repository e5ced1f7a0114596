"""Readers' suggestions and the nominations they are grouped into."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from ..storage.columns import enum_check, enum_column

SUGGESTED_TITLE_LENGTH = 120  # a title a reader says is missing
NOTE_LENGTH = 280  # the optional sentence beside it
READER_LENGTH = 64  # the reader's hashed identity, as ballots keep it
KIND_LENGTH = 10
NOMINATION_STATUS_LENGTH = 10


class SuggestionKind(StrEnum):
    MISSING = "missing"  # "Is something missing?": a title and an optional sentence
    TAKE_AWAY = "take_away"  # "Anything you'd take away?": one of the poll's entries


class NominationStatus(StrEnum):
    """Where a nomination stands in the editors' queue."""

    PENDING = "pending"
    APPROVED = "approved"  # shown on the results page with how many readers asked
    REJECTED = "rejected"
    MERGED = "merged"  # its readers now count for another nomination


def utcnow() -> datetime:
    return datetime.now(UTC)


class Nomination(Model):
    """A title readers say a poll is missing. Titles that are the same after
    normalising case, spaces and punctuation are one nomination."""

    __tablename__ = "nomination"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"))
    # As the first reader wrote it, or as an editor approved it.
    title: Mapped[str] = mapped_column(String(SUGGESTED_TITLE_LENGTH))
    normal: Mapped[str] = mapped_column(String(SUGGESTED_TITLE_LENGTH))
    status: Mapped[NominationStatus] = mapped_column(
        enum_column(NominationStatus, NOMINATION_STATUS_LENGTH), default=NominationStatus.PENDING
    )
    # For a merged nomination: the one its readers count for (never itself merged).
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("nomination.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (
        UniqueConstraint("poll_id", "normal", name="nomination_normal_unique"),
        enum_check("status", NominationStatus, "nomination_status"),
    )


class Suggestion(Model):
    """One reader's suggestion of one kind for one poll: a nomination, or an
    entry to take away. A reader has at most one of each kind per poll; the
    reader's hashed identity is kept for that alone and is never shown."""

    __tablename__ = "suggestion"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"))
    reader: Mapped[str] = mapped_column(String(READER_LENGTH))
    kind: Mapped[SuggestionKind] = mapped_column(enum_column(SuggestionKind, KIND_LENGTH))
    nomination_id: Mapped[int | None] = mapped_column(ForeignKey("nomination.id", ondelete="CASCADE"))
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("entry.id", ondelete="CASCADE"))
    note: Mapped[str] = mapped_column(String(NOTE_LENGTH), default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (
        UniqueConstraint("poll_id", "reader", "kind", name="one_suggestion_per_kind"),
        enum_check("kind", SuggestionKind, "suggestion_kind"),
        CheckConstraint(
            "(kind = 'missing' AND nomination_id IS NOT NULL AND entry_id IS NULL)"
            " OR (kind = 'take_away' AND entry_id IS NOT NULL AND nomination_id IS NULL)",
            name="suggestion_names_one_thing",
        ),
        Index("suggestion_nomination", "nomination_id"),
        Index("suggestion_entry", "entry_id"),
    )
