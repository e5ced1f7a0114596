"""How sure the ranking is: a bootstrap over the ballots.

Each resample draws as many ballots as were cast (at most ``DRAWS``), with
replacement, and ranks the entries again (Borda, the poll's rule). Over 1,000
resamples an entry's 95% rank range is the 2.5th to 97.5th percentile of its
rank, and its first share how often it came first. Draws pick among the
distinct rankings by their counts, which is the same as drawing ballots one
by one. Past ``DRAWS`` ballots a resample is smaller than the poll (an
m-out-of-n bootstrap): the work stays bounded, and the ranges come out wider
than the full bootstrap's, so a large poll errs towards "too close to call".

The seed comes from the ballots themselves, so the same ballots always give
the same figures.
"""

from __future__ import annotations

import hashlib
import random
from bisect import bisect_right
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Generic, TypeVar

from pollapp.core.ranking import Rule, ballot_points

K = TypeVar("K", bound=Hashable)

RESAMPLES = 1000
DRAWS = 1000  # ballots drawn per resample, at most


@dataclass(frozen=True)
class Sureness(Generic[K]):
    """One entry's spread over the resamples."""

    entry: K
    low: int  # best rank at the 95% level (1 = first)
    high: int  # worst rank at the 95% level
    first_share: float  # share of resamples where it ranked first (ties count)


def seed_of(rankings: Mapping[tuple[K, ...], int]) -> int:
    """A seed from the ballots: their sorted text, hashed.

    >>> seed_of({("a", "b"): 2}) == seed_of({("a", "b"): 2}), seed_of({("a",): 1}) == seed_of({("b",): 1})
    (True, False)
    """
    text = "\n".join(sorted(f"{count}\t{' '.join(map(str, ranking))}" for ranking, count in rankings.items()))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def percentile_rank(sorted_ranks: Sequence[int], permille: int) -> int:
    """The rank ``permille`` thousandths of the way through (nearest-rank method).

    >>> percentile_rank([1, 1, 2, 3], 500), percentile_rank([1, 1, 2, 3], 975)
    (1, 3)
    """
    index = -(-permille * len(sorted_ranks) // 1000) - 1
    return sorted_ranks[max(0, index)]


def bootstrap(
    ballots: Iterable[Sequence[K]], entries: Sequence[K], rule: Rule, resamples: int = RESAMPLES
) -> list[Sureness[K]]:
    """Per entry (editors' order) its 95% rank range and first share over the resamples.

    Every ballot puts a first: in every resample it comes first.

    >>> [(s.entry, s.low, s.high, s.first_share) for s in bootstrap([["a", "b"]] * 3, "ab", "averaged", 20)]
    [('a', 1, 1, 1.0), ('b', 2, 2, 0.0)]
    """
    return weighted_bootstrap(Counter(tuple(b) for b in ballots), entries, rule, resamples)


def weighted_bootstrap(
    rankings: Mapping[tuple[K, ...], int], entries: Sequence[K], rule: Rule, resamples: int = RESAMPLES
) -> list[Sureness[K]]:
    """``bootstrap`` of distinct rankings, each cast ``count`` times: the work
    depends on how many rankings are distinct, never on how many ballots there are.

    >>> [(s.entry, s.low, s.high) for s in weighted_bootstrap({("b", "a"): 3}, "ab", "modified", 20)]
    [('a', 2, 2), ('b', 1, 1)]
    """
    rankings = {ranking: count for ranking, count in rankings.items() if count > 0}
    if not rankings:
        return []
    # Sorted, so the draws do not depend on the order the ballots came in.
    distinct = sorted(rankings, key=lambda r: [str(e) for e in r])
    cumulative = list(accumulate(rankings[r] for r in distinct))
    # A resample draws at most DRAWS ballots (an m-out-of-n bootstrap past that
    # size), so its cost stays bounded at any number of ballots; fewer draws only
    # widen the ranges, so a large poll errs on the side of "too close to call".
    draws = min(cumulative[-1], DRAWS)
    # Each distinct ranking's points for every entry, doubled so that the
    # averaged rule's half points are whole: the order and the ties are the same.
    points = [ballot_points(r, entries, rule) for r in distinct]
    columns = [[int(2 * each[entry]) for each in points] for entry in entries]
    rng = random.Random(seed_of(rankings))
    indices = range(len(distinct))
    ranks: list[list[int]] = [[] for _ in entries]
    for _ in range(resamples):
        drawn = rng.choices(indices, cum_weights=cumulative, k=draws)
        totals = [sum(map(column.__getitem__, drawn)) for column in columns]
        ascending = sorted(totals)
        # Competition ranks (1, 2, 2, 4): one more than how many entries have more points.
        for entry_ranks, total in zip(ranks, totals, strict=True):
            entry_ranks.append(1 + len(ascending) - bisect_right(ascending, total))
    result = []
    for entry, entry_ranks in zip(entries, ranks, strict=True):
        seen = sorted(entry_ranks)
        result.append(
            Sureness(
                entry,
                percentile_rank(seen, 25),
                percentile_rank(seen, 975),
                seen.count(1) / resamples,
            )
        )
    return result


def too_close_to_call(order: Sequence[K], sureness: Iterable[Sureness[K]]) -> list[list[K]]:
    """Maximal runs of neighbours in ``order`` whose rank ranges overlap (chained), 2 or more.

    >>> s = [Sureness("a", 1, 2, 0.6), Sureness("b", 1, 3, 0.4), Sureness("c", 3, 3, 0.0)]
    >>> too_close_to_call("abcd", s + [Sureness("d", 4, 4, 0.0)])
    [['a', 'b', 'c']]
    """
    by_entry = {s.entry: s for s in sureness}
    groups: list[list[K]] = []
    run: list[K] = []
    for entry in order:
        if (
            run
            and by_entry[run[-1]].high >= by_entry[entry].low
            and by_entry[entry].high >= by_entry[run[-1]].low
        ):
            run.append(entry)
            continue
        if len(run) > 1:
            groups.append(run)
        run = [entry]
    if len(run) > 1:
        groups.append(run)
    return groups
