"""Head to head: how many ballots prefer one entry to another.

A ballot prefers an entry it ranks to every entry it leaves unranked, and
of two ranked entries the higher one; of two unranked entries, neither.

>>> table = pairwise_table([["a", "b"], ["b"]], "abc")
>>> table["a"]["b"], table["b"]["a"], table["a"]["c"], table["c"]["a"]
(1, 1, 1, 0)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from fractions import Fraction
from typing import TypeVar

from pollapp.core.ranking import RULES, Cell, Rule, competition_ranks, tally, tally_points

K = TypeVar("K", bound=Hashable)

Table = dict[K, dict[K, int]]


def pairwise_table(ballots: Iterable[Sequence[K]], entries: Sequence[K]) -> Table[K]:
    """For each pair (x, y), how many ballots prefer x to y.

    Equal rankings are counted once and weighted, so many ballots cost little.
    """
    return weighted_pairwise_table(Counter(tuple(b) for b in ballots), entries)


def weighted_pairwise_table(rankings: Mapping[tuple[K, ...], int], entries: Sequence[K]) -> Table[K]:
    """``pairwise_table`` of distinct rankings, each cast ``count`` times.

    >>> weighted_pairwise_table({("b",): 3}, "ab")
    {'a': {'b': 0}, 'b': {'a': 3}}
    """
    table: Table[K] = {x: {y: 0 for y in entries if y != x} for x in entries}
    for ranking, count in rankings.items():
        if count == 0:
            continue
        ranked = set(ranking)
        unranked = [entry for entry in entries if entry not in ranked]
        for p, x in enumerate(ranking):
            row = table[x]
            for y in ranking[p + 1 :]:
                row[y] += count
            for y in unranked:
                row[y] += count
    return table


def condorcet_winner(table: Mapping[K, Mapping[K, int]]) -> K | None:
    """The entry that more ballots prefer to each other entry than the reverse.

    >>> condorcet_winner({"a": {"b": 2}, "b": {"a": 1}}), condorcet_winner({"a": {"b": 1}, "b": {"a": 1}})
    ('a', None)
    """
    for x, row in table.items():
        if all(count > table[y][x] for y, count in row.items()):
            return x
    return None


def copeland_scores(table: Mapping[K, Mapping[K, int]]) -> dict[K, int]:
    """Twice the Copeland score: 2 per head-to-head win, 1 per draw (whole numbers).

    >>> copeland_scores({"a": {"b": 2}, "b": {"a": 1}})
    {'a': 2, 'b': 0}
    """
    scores = {}
    for x, row in table.items():
        scores[x] = sum(
            2 if count > table[y][x] else 1 if count == table[y][x] else 0 for y, count in row.items()
        )
    return scores


def copeland_order(table: Mapping[K, Mapping[K, int]], entries: Sequence[K]) -> list[K]:
    """Entries by Copeland score, highest first; ties keep the editors' order."""
    scores = {entry: Fraction(score) for entry, score in copeland_scores(table).items()}
    return [entry for entry, _rank in competition_ranks(scores, entries)]


def borda_orders(rankings: Iterable[Sequence[K]], entries: Sequence[K]) -> dict[Rule, list[K]]:
    """The community order under each Borda rule (ties keep the editors' order).

    >>> orders = borda_orders([["b", "a"]], "abc")
    >>> orders[Rule.AVERAGED], orders[Rule.MODIFIED]
    (['b', 'a', 'c'], ['b', 'a', 'c'])
    """
    return tally_orders(tally(rankings), entries)


def tally_orders(counts: Mapping[Cell[K], int], entries: Sequence[K]) -> dict[Rule, list[K]]:
    """``borda_orders`` from a position tally: every rule's order is in it.

    >>> tally_orders({("b", 1, 1): 2}, "ab")[Rule.TRUNCATED]
    ['b', 'a']
    """
    return {
        rule: [entry for entry, _rank in competition_ranks(tally_points(counts, entries, rule), entries)]
        for rule in RULES
    }
