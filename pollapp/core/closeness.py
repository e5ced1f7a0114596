"""You against them: how close one reader's ballot is to the editors' order and
to the readers' ranking.

A ballot ranks some entries 1..k; the entries it leaves unranked share the
places after them (their average rank, (k + 1 + n) / 2), the way a tie is
ranked. The closeness of two orders is Kendall's tau-b over all the entries:
1 the same order, 0 unrelated, -1 the opposite order.

Worked example, entries a b c d (the editors' order), the readers ranking
b a c d and one reader's ballot b c (a and d left unranked, both 3.5):

>>> mine = compare(["b", "c"], "abcd", {"a": 2, "b": 1, "c": 3, "d": 4})
>>> round(mine.with_editors, 3), round(mine.with_readers, 3), mine.closer
(0.183, 0.548, <Closer.READERS: 'readers'>)
>>> mine.readers_higher, mine.readers_lower
([], ['c'])
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import Generic, TypeVar

from pollapp.core.ranking import kendall_tau_b

K = TypeVar("K", bound=Hashable)


class Closer(StrEnum):
    """Whose order a ballot is closer to."""

    READERS = "readers"
    EDITORS = "editors"
    BOTH = "both"  # equally close


def ballot_ranks(ballot: Sequence[K], entries: Sequence[K]) -> dict[K, Fraction]:
    """A ballot's rank for every entry; the unranked share the places after the ranked.

    >>> [str(r) for r in ballot_ranks(["c"], "abc").values()]
    ['5/2', '5/2', '1']
    """
    k, n = len(ballot), len(entries)
    ranks = dict.fromkeys(entries, Fraction(k + 1 + n, 2))
    for p, entry in enumerate(ballot, start=1):
        ranks[entry] = Fraction(p)
    return ranks


@dataclass(frozen=True)
class Comparison(Generic[K]):
    """One ballot against the editors' order and the readers' ranking."""

    with_editors: float | None  # Kendall's tau-b; None where undefined
    with_readers: float | None
    readers_higher: list[K]  # the ballot's picks the readers rank better than it did
    readers_lower: list[K]  # ... and worse, both in the ballot's order

    @property
    def closer(self) -> Closer | None:
        """Whose order the ballot is closer to; None when a figure is undefined."""
        if self.with_editors is None or self.with_readers is None:
            return None
        if abs(self.with_readers - self.with_editors) < 1e-9:
            return Closer.BOTH
        return Closer.READERS if self.with_readers > self.with_editors else Closer.EDITORS


def compare(ballot: Sequence[K], entries: Sequence[K], community_rank: Mapping[K, int]) -> Comparison[K]:
    """The ballot against the editors' order (``entries``) and the readers' ranks."""
    mine = ballot_ranks(ballot, entries)
    xs = [float(mine[entry]) for entry in entries]
    editors = [float(rank) for rank in range(1, len(entries) + 1)]
    readers = [float(community_rank[entry]) for entry in entries]
    return Comparison(
        with_editors=kendall_tau_b(xs, editors),
        with_readers=kendall_tau_b(xs, readers),
        readers_higher=[e for p, e in enumerate(ballot, start=1) if community_rank[e] < p],
        readers_lower=[e for p, e in enumerate(ballot, start=1) if community_rank[e] > p],
    )
