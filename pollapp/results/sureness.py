"""How sure the ranking is, and head to head: from the stored ballots, kept per tally tag."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from time import monotonic

from ..ballots.service import ballot_rankings
from ..ballots.tally import Tally
from ..core import confidence, pairwise, ranking
from ..polls.models import Poll
from ..polls.service import entry_keys

# Below this many ballots the ranges say little: pages call it too early.
FEW_BALLOTS = 30

_KEPT = 32  # how many polls' figures stay in memory
LARGE = 10_000  # ballots past which one more cannot move the ranges
REUSE_SECONDS = 60.0


@dataclass(frozen=True)
class HowSure:
    """The bootstrap and head-to-head figures of one poll's counted ballots."""

    ballots: int
    sureness: dict[str, confidence.Sureness[str]]  # empty without ballots
    too_close_to_call: list[list[str]]
    pairwise: dict[str, dict[str, int]]
    condorcet_winner: str | None
    orders: dict[ranking.Rule, list[str]]

    @property
    def too_early(self) -> bool:
        """Whether there are too few ballots for the ranges to mean much."""
        return self.ballots < FEW_BALLOTS


_cache: OrderedDict[tuple[int, str, str], HowSure] = OrderedDict()
_latest: dict[tuple[int, str], tuple[float, HowSure]] = {}
_lock = threading.Lock()
_working = threading.Lock()


def how_sure(poll: Poll, tally: Tally) -> HowSure:
    """The figures for the ballots the tally counts; worked out once per tally tag.

    A large poll's tag changes with every ballot, while one more ballot cannot
    move its ranges: there the latest figures serve for ``REUSE_SECONDS``, so a
    busy poll is resampled at most that often by each process.
    """
    key = (poll.id, tally.tag, str(poll.borda_rule))
    latest_key = (poll.id, str(poll.borda_rule))
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
        latest = _latest.get(latest_key)
        if latest is not None and latest[1].ballots >= LARGE and monotonic() - latest[0] < REUSE_SECONDS:
            return latest[1]
    with _working:  # one resampling at a time in a process; others wait, then find it kept
        with _lock:
            if key in _cache:
                return _cache[key]
        figures = _work_out(poll)
        with _lock:
            _cache[key] = figures
            _latest[latest_key] = (monotonic(), figures)
            while len(_cache) > _KEPT:
                _cache.popitem(last=False)
    return figures


def _work_out(poll: Poll) -> HowSure:
    keys = entry_keys(poll)
    rankings = list(ballot_rankings(poll))
    orders = pairwise.borda_orders(rankings, keys)
    rule = ranking.Rule(poll.borda_rule)
    sureness = confidence.bootstrap(rankings, keys, rule)
    table = pairwise.pairwise_table(rankings, keys)
    return HowSure(
        ballots=len(rankings),
        sureness={s.entry: s for s in sureness},
        too_close_to_call=confidence.too_close_to_call(orders[rule], sureness) if rankings else [],
        pairwise=table,
        condorcet_winner=pairwise.condorcet_winner(table) if rankings else None,
        orders=orders,
    )
