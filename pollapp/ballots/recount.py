"""Checking the running tally against the stored ballots, and repairing it."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import delete

from ..core import ranking
from ..extensions import db
from ..polls.models import Poll
from ..polls.service import bump_revision, entry_ids
from ..storage import locks
from ..storage.sessions import one_transaction
from .models import TallyCell
from .service import ballot_rankings
from .tally import add_to_tally, read_tally


def recount(poll: Poll) -> Counter[tuple[str, int, int]]:
    """The tally counted afresh from every stored ballot."""
    return ranking.tally(ballot_rankings(poll))


def tally_differences(poll: Poll) -> list[str]:
    """Where the running tally disagrees with a recount, a line per cell."""
    try:
        locks.hold_ballots(db.session.connection(), poll.id)
        stored, counted = read_tally(poll).counts, recount(poll)
    finally:
        db.session.rollback()
    return [
        f"{key} length {k} position {p}: tally {stored[key, k, p]}, recount {counted[key, k, p]}"
        for key, k, p in sorted(set(stored) | set(counted))
        if stored[key, k, p] != counted[key, k, p]
    ]


def rebuild_tally(poll: Poll) -> None:
    """Replace the running tally with a recount, in one transaction."""
    ids = entry_ids(poll)
    with one_transaction():
        locks.hold_ballots(db.session.connection(), poll.id)
        counted = recount(poll)
        db.session.execute(delete(TallyCell).where(TallyCell.poll_id == poll.id))
        add_to_tally(poll.id, Counter({(ids[key], k, p): n for (key, k, p), n in counted.items()}))
        bump_revision(poll)
