"""A reader's ranking made public at their own request, and taken down again.

Nothing about a reader is public until they ask: a shared ranking is made
only by its reader, shows only that reader's ballot, and only that reader
(their cookie) can take it down."""

from __future__ import annotations

import secrets

from sqlalchemy import select

from ..core.terms import SHARE_TOKEN_BYTES, SHARE_TOKEN_PATTERN
from ..extensions import db
from ..polls.models import Poll
from .models import SharedRanking, utcnow
from .service import reader_ballot


class NothingToShare(Exception):
    """The reader has no ballot in this poll."""


def live_share(poll: Poll, reader: str | None) -> SharedRanking | None:
    """The reader's shared ranking of this poll that is still up, if any."""
    if reader is None:
        return None
    return db.session.execute(
        select(SharedRanking).where(
            SharedRanking.poll_id == poll.id,
            SharedRanking.reader == reader,
            SharedRanking.removed_at.is_(None),
        )
    ).scalar_one_or_none()


def share_ranking(poll: Poll, reader: str | None) -> SharedRanking:
    """Publish the reader's ballot: their shared ranking that is up, or a new
    one with an address nobody can guess (256 random bits)."""
    if reader is None or reader_ballot(poll, reader) is None:
        raise NothingToShare
    shared = live_share(poll, reader)
    if shared is None:
        shared = SharedRanking(token=secrets.token_urlsafe(SHARE_TOKEN_BYTES), poll_id=poll.id, reader=reader)
        db.session.add(shared)
        db.session.commit()
    return shared


def find_share(token: str) -> SharedRanking | None:
    """The shared ranking at this address, up or taken down."""
    if not SHARE_TOKEN_PATTERN.fullmatch(token):
        return None
    return db.session.execute(select(SharedRanking).where(SharedRanking.token == token)).scalar_one_or_none()


def shared_ballot(shared: SharedRanking, poll: Poll) -> list[str] | None:
    """The ballot a shared ranking shows: its reader's, as it is now."""
    return reader_ballot(poll, shared.reader)


def take_down(shared: SharedRanking) -> None:
    """Take a shared ranking down: its address then says it is gone."""
    if shared.removed_at is None:
        shared.removed_at = utcnow()
        db.session.commit()
