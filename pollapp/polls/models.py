"""Polls and their entries."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.ranking import Rule
from ..core.terms import (
    CAUSE_LENGTH,
    KEY_LENGTH,
    LINK_LENGTH,
    MIN_BALLOTS,
    NOUN_LENGTH,
    RULE_LENGTH,
    SLUG_LENGTH,
    STATUS_LENGTH,
    TIME_ZONE_LENGTH,
    TITLE_LENGTH,
    VISIBILITY_LENGTH,
    PollPhase,
    PollStatus,
    RescoreCause,
    ResultsVisibility,
    entry_label,
    poll_phase,
)
from ..extensions import Model
from ..storage.columns import UtcDateTime, enum_check, enum_column


class Poll(Model):
    __tablename__ = "poll"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(SLUG_LENGTH), unique=True)
    title: Mapped[str] = mapped_column(String(TITLE_LENGTH))
    intro: Mapped[str] = mapped_column(Text)
    borda_rule: Mapped[Rule] = mapped_column(enum_column(Rule, RULE_LENGTH))
    status: Mapped[PollStatus] = mapped_column(
        enum_column(PollStatus, STATUS_LENGTH), default=PollStatus.OPEN
    )
    results_visibility: Mapped[ResultsVisibility] = mapped_column(
        enum_column(ResultsVisibility, VISIBILITY_LENGTH), default=ResultsVisibility.ALWAYS
    )
    # Bumped when the poll file changes what the results say, and by imports and
    # rebuilds; part of the results' ETag, with the tally itself. Ballots leave
    # it alone, so that no row is written by every ballot.
    revision: Mapped[int] = mapped_column(BigInteger, default=0)
    # What the poll's entries are, for the readers' text ("Rank the scenes").
    entry_noun: Mapped[str] = mapped_column(String(NOUN_LENGTH), default="entry", server_default="entry")
    entry_noun_plural: Mapped[str] = mapped_column(
        String(NOUN_LENGTH), default="entries", server_default="entries"
    )
    # Below this many ballots the results page shows counts, not a ranking.
    min_ballots: Mapped[int] = mapped_column(Integer, default=MIN_BALLOTS, server_default=str(MIN_BALLOTS))
    # Each reader's ballot lists the entries in an order of their own (core/order.py).
    shuffle_entries: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    # An open poll's schedule: before opens_at it takes no ballots yet, from
    # closes_at on none any more (the database's triggers see to both).
    opens_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    closes_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The zone the desk shows and takes those times in.
    time_zone: Mapped[str] = mapped_column(String(TIME_ZONE_LENGTH), default="UTC", server_default="UTC")

    # The editors' text in other languages: {"ko": {"title": ..., "intro": ...}}.
    translations: Mapped[dict[str, dict[str, str]] | None] = mapped_column(JSON, default=dict)

    entries: Mapped[list[Entry]] = relationship(
        back_populates="poll", order_by="Entry.editor_rank", cascade="all, delete-orphan"
    )

    __table_args__ = (
        enum_check("status", PollStatus, "poll_status"),
        enum_check("results_visibility", ResultsVisibility, "poll_visibility"),
        enum_check("borda_rule", Rule, "poll_rule"),
    )

    @property
    def phase(self) -> PollPhase:
        """Where the poll stands now, its schedule applied."""
        return poll_phase(self.status, self.opens_at, self.closes_at, datetime.now(UTC))

    @property
    def is_open(self) -> bool:
        """Whether the poll takes ballots now."""
        return self.phase == PollPhase.OPEN

    @property
    def is_closed(self) -> bool:
        """Whether the poll is over: closed by an editor or by its closing time."""
        return self.phase == PollPhase.CLOSED

    @property
    def is_upcoming(self) -> bool:
        return self.phase == PollPhase.UPCOMING

    @property
    def is_draft(self) -> bool:
        return self.status == PollStatus.DRAFT

    def shown(self, field: str, language: str) -> str:
        """The poll's title, intro or noun in a language, where the editors gave it; else the original."""
        original: str = getattr(self, field)
        return (self.translations or {}).get(language, {}).get(field) or original


class Entry(Model):
    __tablename__ = "entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    editor_rank: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(TITLE_LENGTH))
    subtitle: Mapped[str] = mapped_column(String(TITLE_LENGTH), default="")
    credit: Mapped[str] = mapped_column(String(TITLE_LENGTH), default="")
    blurb: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(LINK_LENGTH))
    # The entry's text in other languages: {"ko": {"title": ..., "blurb": ...}}.
    translations: Mapped[dict[str, dict[str, str]] | None] = mapped_column(JSON, default=dict)

    poll: Mapped[Poll] = relationship(back_populates="entries")

    __table_args__ = (
        UniqueConstraint("poll_id", "key", name="entry_key_unique"),
        UniqueConstraint("poll_id", "editor_rank", name="entry_rank_unique"),
    )

    @property
    def label(self) -> str:
        return entry_label(self.title, self.subtitle)


class Rescore(Model):
    """A moment every ballot of a poll began to count differently: entries were
    added (``entries_before`` to ``entries_after``) or the rule changed
    (``rule_before`` to ``rule_after``). The ballots themselves never change."""

    __tablename__ = "rescore"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=lambda: datetime.now(UTC))
    cause: Mapped[RescoreCause] = mapped_column(enum_column(RescoreCause, CAUSE_LENGTH))
    entries_before: Mapped[int] = mapped_column(Integer)
    entries_after: Mapped[int] = mapped_column(Integer)
    rule_before: Mapped[Rule] = mapped_column(enum_column(Rule, RULE_LENGTH))
    rule_after: Mapped[Rule] = mapped_column(enum_column(Rule, RULE_LENGTH))

    __table_args__ = (
        enum_check("cause", RescoreCause, "rescore_cause"),
        enum_check("rule_before", Rule, "rescore_rule_before"),
        enum_check("rule_after", Rule, "rescore_rule_after"),
        Index("rescore_poll", "poll_id"),
    )
