"""What the app does with polls: find them, list them, open and close them."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..core.terms import KEY_PATTERN, SLUG_LENGTH, PollStatus, entry_label
from ..extensions import db
from ..storage import locks
from ..storage.sessions import one_transaction
from .models import Poll


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


def first_poll() -> Poll | None:
    """The poll the home page shows: the newest open one, else the newest
    closed one; never a draft."""
    return db.session.execute(
        select(Poll)
        .where(Poll.status != PollStatus.DRAFT)
        .order_by((Poll.status == PollStatus.OPEN).desc(), Poll.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def has_polls() -> bool:
    """Whether the database holds any poll at all, a draft too."""
    return db.session.execute(select(Poll.id).limit(1)).first() is not None


def all_polls() -> list[Poll]:
    return list(db.session.execute(select(Poll).order_by(Poll.id)).scalars())


def set_status(poll: Poll, status: PollStatus) -> None:
    """Open or close a poll. Ballots in flight are counted before the change,
    and none is counted after a close."""
    with one_transaction():
        locks.hold_ballots(db.session.connection(), poll.id)
        poll.status = status


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
