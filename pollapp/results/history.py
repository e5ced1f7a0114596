"""The community ranking as it stood through a poll's life: by hour for the
first days, then by day, from the tally snapshots (``ballots.history``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..ballots.history import snapshots
from ..ballots.models import utcnow
from ..ballots.tally import read_tally
from ..core import ranking
from ..polls.models import Poll
from ..polls.service import entry_keys

HOURLY_FOR = timedelta(days=3)


@dataclass(frozen=True)
class Point:
    """The ranking at one moment: ``ranks`` by entry key, 1 the readers' favourite."""

    at: datetime
    ballots: int
    ranks: dict[str, int]


def points_at(
    moments: list[tuple[datetime, Counter[tuple[str, int, int]]]],
) -> list[tuple[datetime, Counter[tuple[str, int, int]]]]:
    """The tallies to show: every snapshot in the first ``HOURLY_FOR`` after the
    first, then one a day, at midnight (UTC).

    A snapshot is taken at the first ballot of every hour that has one, so the
    first snapshot of a day is also the tally as it stood at that day's midnight.
    """
    if not moments:
        return []
    hourly_until = moments[0][0] + HOURLY_FOR
    chosen: list[tuple[datetime, Counter[tuple[str, int, int]]]] = []
    for at, counts in moments:
        if at < hourly_until:
            chosen.append((at, counts))
            continue
        # The first daily point is at the hourly days' end, not the midnight before it.
        moment = max(at.replace(hour=0), hourly_until)
        if chosen and chosen[-1][0] >= moment:
            continue  # the day has its point already
        chosen.append((moment, counts))
    return chosen


def _point(at: datetime, counts: Mapping[tuple[str, int, int], int], keys: list[str], poll: Poll) -> Point:
    ranks = ranking.competition_ranks(ranking.tally_points(counts, keys, poll.borda_rule), keys)
    return Point(at, ranking.ballot_count(counts), dict(ranks))


def history_of(poll: Poll, now: datetime | None = None) -> list[Point]:
    """The ranking at each chosen moment, ending with now; moments without
    ballots are left out (there is no ranking to show)."""
    keys = entry_keys(poll)
    now = (now or utcnow()).replace(microsecond=0)
    moments = points_at(snapshots(poll))
    shown = [_point(at, counts, keys, poll) for at, counts in moments]
    shown.append(_point(now, read_tally(poll).counts, keys, poll))
    return [point for point in shown if point.ballots]
