"""What the app does with polls: find them, list them, open and close them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from ..core.ranking import Rule
from ..core.terms import (
    KEY_PATTERN,
    SLUG_LENGTH,
    PollPhase,
    PollStatus,
    RescoreCause,
    ResultsVisibility,
    entry_label,
    poll_phase,
)
from ..extensions import db
from ..storage import locks
from ..storage.driver import DriverStatement
from ..storage.engines import ballot_engine
from ..storage.sessions import one_transaction
from .models import Poll, Rescore


@dataclass(frozen=True)
class EntryView:
    """An entry's text, detached from the database session."""

    key: str
    editor_rank: int
    title: str
    subtitle: str
    credit: str
    blurb: str
    link: str | None
    translations: dict[str, dict[str, str]] = field(default_factory=dict, compare=False, hash=False)

    @property
    def label(self) -> str:
        return entry_label(self.title, self.subtitle)

    def in_language(self, language: str) -> EntryView:
        """The entry with its text in a language where the editors gave it, the original elsewhere."""
        given = self.translations.get(language)
        if not given:
            return self
        return replace(
            self,
            title=given.get("title") or self.title,
            subtitle=given.get("subtitle") or self.subtitle,
            credit=given.get("credit") or self.credit,
            blurb=given.get("blurb") or self.blurb,
        )


def plausible_slug(slug: str) -> bool:
    """Whether a slug is well formed. Only such a slug reaches the database:
    nothing else can match, and PostgreSQL refuses a query holding a NUL
    character with an error."""
    return len(slug) <= SLUG_LENGTH and KEY_PATTERN.fullmatch(slug) is not None


def find_poll(slug: str) -> Poll | None:
    if not plausible_slug(slug):
        return None
    # Every caller goes on to the entries: one query brings both.
    found = select(Poll).options(joinedload(Poll.entries)).where(Poll.slug == slug)
    return db.session.execute(found).unique().scalar_one_or_none()


@dataclass(frozen=True)
class PollState:
    """Where a poll stands, without its text or entries: what a request needs
    to know before it needs those, read in one light query (``find_poll_state``)."""

    id: int
    slug: str
    revision: int  # as ``Poll.revision``: every edit bumps it
    status: PollStatus
    results_visibility: ResultsVisibility
    borda_rule: Rule
    opens_at: datetime | None
    closes_at: datetime | None

    @property
    def is_closed(self) -> bool:
        """Whether the poll is over (as ``Poll.is_closed``)."""
        return poll_phase(self.status, self.opens_at, self.closes_at, datetime.now(UTC)) == PollPhase.CLOSED

    @property
    def is_draft(self) -> bool:
        return self.status == PollStatus.DRAFT


# PollState's fields, in order; also what a ballot's statement may return of its poll.
POLL_STATE_COLUMNS = (
    Poll.id,
    Poll.slug,
    Poll.revision,
    Poll.status,
    Poll.results_visibility,
    Poll.borda_rule,
    Poll.opens_at,
    Poll.closes_at,
)
_POLL_STATE = DriverStatement(select(*POLL_STATE_COLUMNS).where(Poll.slug == bindparam("slug")))


def find_poll_state(slug: str) -> PollState | None:
    """Where the poll the slug names stands, its columns alone (no entries, no ORM object)."""
    if not plausible_slug(slug):
        return None
    # Straight on the driver, through the ballot path's unpinged engine: a
    # request that needs nothing more of the database then never starts the
    # session (a pinged connection and a transaction), nor SQLAlchemy's
    # execution, each of which costs more than this query.
    rows = _POLL_STATE.read(ballot_engine(), {"slug": slug})
    return PollState(*rows[0]) if rows else None


def has_polls() -> bool:
    """Whether the database holds any poll at all, a draft too."""
    return db.session.execute(select(Poll.id).limit(1)).first() is not None


def all_polls() -> list[Poll]:
    return list(db.session.execute(select(Poll).order_by(Poll.id)).scalars())


def set_status(poll: Poll, status: PollStatus) -> None:
    """Open or close a poll. Ballots in flight are counted before the change,
    and none is counted after a close. Opening means now: a closing time
    already past and an opening time still to come are dropped."""
    now = datetime.now(UTC)
    with one_transaction():
        locks.hold_ballots(db.session.connection(), poll.id)
        poll.status = status
        if status == PollStatus.OPEN:
            if poll.closes_at is not None and poll.closes_at <= now:
                poll.closes_at = None
            if poll.opens_at is not None and poll.opens_at > now:
                poll.opens_at = None


def bump_revision(poll: Poll) -> None:
    """Mark that what the poll's results say may have changed (part of their ETag)."""
    locks.bump_revision(db.session.connection(), poll.id)


def entry_views(poll: Poll) -> list[EntryView]:
    return [
        EntryView(e.key, e.editor_rank, e.title, e.subtitle, e.credit, e.blurb, e.link, e.translations or {})
        for e in poll.entries
    ]


def entry_ids(poll: Poll) -> dict[str, int]:
    """Entry key -> database id, in the editors' order."""
    return {entry.key: entry.id for entry in poll.entries}


def entry_keys(poll: Poll) -> list[str]:
    return [entry.key for entry in poll.entries]


@dataclass(frozen=True)
class RescoreView:
    """One re-score of a poll's ballots: why, and n or the rule before and after."""

    cause: RescoreCause
    entries_before: int
    entries_after: int
    rule_before: Rule
    rule_after: Rule

    @property
    def token(self) -> str:
        """What a confirmation of exactly this re-score says."""
        if self.cause == RescoreCause.RULE_CHANGED:
            return f"{self.cause}:{self.rule_after}"
        return f"{self.cause}:{self.entries_after}"


@dataclass(frozen=True)
class Rescored(RescoreView):
    """A re-score that was made, and when (UTC)."""

    at: datetime


def rescores_needed(poll: Poll, keys: Sequence[str], rule: Rule) -> list[RescoreView]:
    """What giving the poll these entries (by key) and this rule does to the
    points of ballots already cast: the rule first, then the added entries
    under the new rule. Reordering or rewording entries changes no points."""
    changes = []
    count = len(poll.entries)
    if rule != poll.borda_rule:
        changes.append(RescoreView(RescoreCause.RULE_CHANGED, count, count, poll.borda_rule, rule))
    known = {entry.key for entry in poll.entries}
    if any(key not in known for key in keys):
        changes.append(RescoreView(RescoreCause.ENTRIES_ADDED, count, len(keys), rule, rule))
    return changes


def add_rescores(poll: Poll, changes: Sequence[RescoreView]) -> None:
    """Keep the re-scores just made (flushed with the poll's change, never committed here)."""
    now = datetime.now(UTC)
    for change in changes:
        db.session.add(
            Rescore(
                poll_id=poll.id,
                at=now,
                cause=change.cause,
                entries_before=change.entries_before,
                entries_after=change.entries_after,
                rule_before=change.rule_before,
                rule_after=change.rule_after,
            )
        )


def rescores_of(poll: Poll) -> list[Rescored]:
    """Every re-score of the poll's ballots, oldest first, times in UTC."""
    rows = db.session.execute(
        select(Rescore).where(Rescore.poll_id == poll.id).order_by(Rescore.at, Rescore.id)
    ).scalars()
    return [
        Rescored(
            row.cause,
            row.entries_before,
            row.entries_after,
            row.rule_before,
            row.rule_after,
            # SQLite hands back the UTC time it was given without its zone.
            row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC),
        )
        for row in rows
    ]
