"""What the results can say out loud: how often an entry is in the ballots'
top three, and which moves and which favourite the resampling supports.

A move from the editors' rank to the readers' is *supported* when the editors'
rank lies outside the entry's 95% rank range: in at least 95% of the
resamples the readers would not have put it where the editors did. The
readers' favourite is named when one entry alone ranks first and no other
entry is too close to call with it.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)

TOP = 3  # "in 62% of top threes"


def top_counts(
    counts: Mapping[tuple[K, int, int], int], entries: Sequence[K], top: int = TOP
) -> dict[K, int]:
    """How many ballots put each entry among their first ``top`` positions.

    >>> from pollapp.core.ranking import tally
    >>> top_counts(tally([["a", "b", "c", "d"], ["d", "a"]]), "abcd")
    {'a': 2, 'b': 1, 'c': 1, 'd': 1}
    """
    found = dict.fromkeys(entries, 0)
    for (entry, _k, p), count in counts.items():
        if p <= top:
            found[entry] += count
    return found


@dataclass(frozen=True)
class Move(Generic[K]):
    """The entries that moved furthest one way, all by ``places`` (ties in full)."""

    entries: list[K]
    places: int  # how far, always positive


@dataclass(frozen=True)
class Placed(Generic[K]):
    """An entry's two ranks and its 95% rank range over the resamples."""

    entry: K
    editor_rank: int
    community_rank: int
    low: int
    high: int


def supported_moves(placed: Sequence[Placed[K]]) -> tuple[Move[K] | None, Move[K] | None]:
    """The biggest supported rise and the biggest supported fall, each with every
    entry that shares it; None where no move is supported.

    ``c`` rose from 3 to 1 and its range (1-1) leaves 3 out; ``a`` fell from 1 to
    2 but its range (1-2) holds 1, so that fall is not named:

    >>> rise, fall = supported_moves(
    ...     [Placed("c", 3, 1, 1, 1), Placed("a", 1, 2, 1, 2), Placed("b", 2, 3, 3, 3)]
    ... )
    >>> rise, fall
    (Move(entries=['c'], places=2), Move(entries=['b'], places=1))
    """
    rises = [(p.editor_rank - p.community_rank, p.entry) for p in placed if p.editor_rank > p.high]
    falls = [(p.community_rank - p.editor_rank, p.entry) for p in placed if p.editor_rank < p.low]
    return _furthest(rises), _furthest(falls)


def _furthest(moves: list[tuple[int, K]]) -> Move[K] | None:
    if not moves:
        return None
    places = max(places for places, _entry in moves)
    return Move([entry for moved, entry in moves if moved == places], places)


def favourite(placed: Sequence[Placed[K]], too_close_to_call: Sequence[Sequence[K]]) -> K | None:
    """The one entry the readers rank first, unless another is too close to call with it.

    >>> favourite([Placed("a", 2, 1, 1, 1), Placed("b", 1, 2, 2, 3)], [])
    'a'
    >>> favourite([Placed("a", 2, 1, 1, 2), Placed("b", 1, 2, 1, 2)], [["a", "b"]]) is None
    True
    """
    first = [p.entry for p in placed if p.community_rank == 1]
    if len(first) != 1 or any(first[0] in group for group in too_close_to_call):
        return None
    return first[0]
