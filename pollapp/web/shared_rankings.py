"""What a shared ranking shows, for its page and for the API alike: the
reader's current ballot beside the editors' top and, where every reader may
see them, the readers' top; or a 404 or a 410 that says why not."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort
from flask_babel import lazy_gettext

from ..ballots.models import SharedRanking
from ..ballots.sharing import find_share, shared_ballot
from ..extensions import db
from ..polls.models import Poll
from ..polls.service import entry_views
from ..results.service import results_of, visible_to

TOP = 5  # how many of each ranking a shared ranking shows
NOT_HERE = lazy_gettext("There is no shared ranking at this address. The link may be mistyped.")
TAKEN_DOWN = lazy_gettext("This ranking is no longer shared: the reader who published it took it down.")


@dataclass(frozen=True)
class SharedView:
    shared: SharedRanking
    poll: Poll
    picks: list[str]  # the reader's ballot as it is now, most loved first
    readers: list[str] | None  # the readers' top; None while the results are not public
    editors: list[str]  # the editors' top


def share_or_error(token: str) -> tuple[SharedRanking, Poll, list[str]]:
    """The shared ranking at this address, its poll and its reader's ballot;
    else 404, or 410 once taken down."""
    shared = find_share(token)
    if shared is None:
        abort(404, str(NOT_HERE))
    poll = db.session.get(Poll, shared.poll_id)
    assert poll is not None  # a poll's shared rankings go with it
    picks = shared_ballot(shared, poll) if shared.removed_at is None else None
    if picks is None:  # taken down, or the ballot itself is gone
        abort(410, str(TAKEN_DOWN))
    return shared, poll, picks


def shared_view(token: str) -> SharedView:
    """Everything a shared ranking shows, read once."""
    shared, poll, picks = share_or_error(token)
    readers = None
    # The readers' order only where every reader may see it, whoever asks.
    if visible_to(poll, has_ballot=False):
        outcome = results_of(poll).outcome
        readers = [s.entry for s in outcome.standings[:TOP]] if outcome.ballots else []
    editors = [entry.key for entry in sorted(entry_views(poll), key=lambda entry: entry.editor_rank)[:TOP]]
    return SharedView(shared, poll, picks, readers, editors)
