"""Where a poll's counted ballots were cast, counted once per tally tag.

Counting them reads every ballot of the poll (a grouped count), which costs
as much as the poll is large, while the ballot path writes nothing more for
it. So each process keeps the latest count per poll: a poll's count is made
again when its tally tag changes, and past ``LARGE`` ballots at most every
``REFRESH_SECONDS``, as the figures are (one more ballot in ten thousand does
not change what the sentence says). The sentence and the API's ``sources``
then carry their own total.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from time import monotonic

from flask import current_app

from ..ballots.service import counted_sources
from ..ballots.tally import Tally
from ..core.terms import BallotSource
from ..polls.models import Poll
from .sureness import LARGE, REFRESH_SECONDS

_KEPT = 32  # how many polls' counts each app keeps in memory
# (a poll's id, its revision) -> (when counted, the tally tag, the counts)
Kept = OrderedDict[tuple[int, int], tuple[float, str, dict[BallotSource, int]]]
_lock = threading.Lock()


def _kept() -> Kept:
    """This app's counts: kept on the app, so that two apps in one process (or
    one database emptied and filled again) never share them."""
    kept: Kept = current_app.extensions.setdefault("pollapp_sources", OrderedDict())
    return kept


def sources_of(poll: Poll, tally: Tally, ballots: int) -> dict[BallotSource, int]:
    """How many counted ballots came from each source, for the tally read (of ``ballots`` ballots)."""
    key = (poll.id, poll.revision)
    kept = _kept()
    with _lock:
        found = kept.get(key)
    if found is not None:
        at, tag, counts = found
        if tag == tally.tag or (ballots >= LARGE and monotonic() - at < REFRESH_SECONDS):
            return counts
    counts = counted_sources(poll)
    with _lock:
        kept[key] = (monotonic(), tally.tag, counts)
        kept.move_to_end(key)
        while len(kept) > _KEPT:
            kept.popitem(last=False)
    return counts
