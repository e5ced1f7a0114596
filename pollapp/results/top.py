"""The readers' top of a poll as the embed shows it after a ballot: exact for
a small poll, at most a moment old for a large one.

Working it out reads the running tally and scores it (``ranking.leaders``,
the order of the results page, ties and all), and nothing more the results
page shows: no rescores, agreement, sureness or head to head. A process may
show again a top it worked out less than ``EMBED_TOP_FRESH_FOR`` seconds ago
for the same poll, revision and rule, but only one that counted at least
``EMBED_TOP_KEPT_FROM`` ballots: below that one ballot can change the top,
and the first reader to vote must see their ballot counted. Held ballots are
not in the tally, so not in the top. The results page is always exact.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from time import monotonic

from flask import current_app

from ..ballots.tally import read_counts
from ..core import ranking
from ..polls.models import Poll
from ..polls.service import PollState

_KEPT = 32  # how many polls' tops each app keeps in memory


@dataclass(frozen=True)
class Top:
    """The first entries of the readers' ranking, and how many counted ballots it comes from."""

    ballots: int
    entries: tuple[str, ...]  # entry keys, first first


# (a poll's id, its revision, its rule) -> (when worked out, the top)
Kept = OrderedDict[tuple[int, int, str], tuple[float, Top]]
_lock = threading.Lock()


def _kept() -> Kept:
    """This app's tops: kept on the app, so that two apps in one process never share them."""
    kept: Kept = current_app.extensions.setdefault("pollapp_embed_tops", OrderedDict())
    return kept


def readers_top(poll: Poll | PollState, entries: Mapping[int, str], size: int) -> Top:
    """The poll's readers' top ``size``; ``entries``: entry id -> key, in the editors' order."""
    key = (poll.id, poll.revision, str(poll.borda_rule))
    fresh_for = float(current_app.config["EMBED_TOP_FRESH_FOR"])
    kept = _kept()
    if fresh_for > 0:
        with _lock:
            found = kept.get(key)
        if found is not None:
            at, top = found
            if top.ballots >= current_app.config["EMBED_TOP_KEPT_FROM"] and monotonic() - at < fresh_for:
                return top
    counts = read_counts(poll.id, entries)
    leaders = ranking.leaders(counts, list(entries.values()), poll.borda_rule, size)
    top = Top(ranking.ballot_count(counts), tuple(leaders))
    with _lock:
        kept[key] = (monotonic(), top)
        kept.move_to_end(key)
        while len(kept) > _KEPT:
            kept.popitem(last=False)
    return top
