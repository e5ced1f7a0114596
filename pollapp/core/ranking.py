"""The mathematics of a ranked poll: Borda points, community ranks, agreement.

Pure Python on purpose: ballots in, points and ranks out. Nothing here knows
about Flask, SQL or HTTP, so every number the app shows can be checked here.

Notation: ``n`` entries; a ballot ranks ``k`` of them (1 <= k <= n) at
positions ``p = 1..k``, most loved first.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


class Rule(StrEnum):
    """How a ballot that ranks only some of the entries scores the rest."""

    AVERAGED = "averaged"
    TRUNCATED = "truncated"
    MODIFIED = "modified"


RULES: tuple[Rule, ...] = tuple(Rule)


class BallotProblem(StrEnum):
    """Why a ranking is not a ballot of a poll's entries."""

    EMPTY = "empty"  # nothing ranked
    TOO_LONG = "too_long"  # more positions than entries; data: most, given
    UNKNOWN = "unknown"  # a key the poll lacks; data: key
    REPEATED = "repeated"  # a key twice; data: key


class BallotError(ValueError):
    """A ranking that is not a ballot: a ``problem`` and its data, no words.

    The words are chosen where the error is shown.
    """

    def __init__(self, problem: BallotProblem, **data: object) -> None:
        super().__init__(problem, data)
        self.problem = problem
        self.data = data


# A tally cell: (entry, ballot length k, position p) -> number of ballots.
Cell = tuple[K, int, int]


def position_points(n: int, k: int, p: int, rule: Rule) -> int:
    """Points for the entry at position ``p`` of a ballot ranking ``k`` of ``n``.

    >>> position_points(9, 3, 1, "averaged"), position_points(9, 3, 1, "modified")
    (8, 3)
    """
    if rule == Rule.MODIFIED:
        return k - p + 1
    return n - p


def unranked_points(n: int, k: int, rule: Rule) -> Fraction:
    """Points for each entry a ballot of length ``k`` leaves unranked.

    Under ``averaged``, the n − k unranked entries share the points of
    positions k+1..n equally: ((n−k−1) + ... + 0) / (n−k) = (n − k − 1) / 2.

    >>> unranked_points(9, 3, "averaged")
    Fraction(5, 2)
    """
    if rule == Rule.AVERAGED:
        return Fraction(n - k - 1, 2)
    return Fraction(0)


def check_ballot(ranking: Sequence[K], entries: Sequence[K]) -> None:
    """Raise ``BallotError`` unless ``ranking`` ranks 1..n distinct entries.

    >>> check_ballot(["a", "a"], "abc")
    Traceback (most recent call last):
    pollapp.core.ranking.BallotError: (<BallotProblem.REPEATED: 'repeated'>, {'key': 'a'})
    """
    if not ranking:
        raise BallotError(BallotProblem.EMPTY)
    if len(ranking) > len(entries):
        raise BallotError(BallotProblem.TOO_LONG, most=len(entries), given=len(ranking))
    known = set(entries)
    unknown = [entry for entry in ranking if entry not in known]
    if unknown:
        raise BallotError(BallotProblem.UNKNOWN, key=unknown[0])
    repeated = [entry for entry, times in Counter(ranking).items() if times > 1]
    if repeated:
        raise BallotError(BallotProblem.REPEATED, key=repeated[0])


def ballot_points(ranking: Sequence[K], entries: Sequence[K], rule: Rule) -> dict[K, Fraction]:
    """The points one ballot gives every entry.

    Four entries a, b, c, d; the ballot ranks b then a:

    >>> pts = ballot_points(["b", "a"], "abcd", "averaged")
    >>> [str(pts[e]) for e in "abcd"]
    ['2', '3', '1/2', '1/2']
    """
    check_ballot(ranking, entries)
    n, k = len(entries), len(ranking)
    points = {entry: unranked_points(n, k, rule) for entry in entries}
    for p, entry in enumerate(ranking, start=1):
        points[entry] = Fraction(position_points(n, k, p, rule))
    return points


def ballot_cells(ranking: Sequence[K]) -> list[tuple[K, int, int]]:
    """The tally cells one ballot adds one to: (entry, k, p) for each position.

    >>> ballot_cells(["b", "a"])
    [('b', 2, 1), ('a', 2, 2)]
    """
    k = len(ranking)
    return [(entry, k, p) for p, entry in enumerate(ranking, start=1)]


def tally(ballots: Iterable[Sequence[K]]) -> Counter[tuple[K, int, int]]:
    """Count how many ballots of each length put each entry at each position.

    This table holds everything every Borda rule needs: how many ballots of
    length k there are is the sum of the p = 1 cells for that k, and how many
    of them left an entry unranked is that number less the entry's cells.
    """
    counts: Counter[tuple[K, int, int]] = Counter()
    for ranking in ballots:
        counts.update(ballot_cells(ranking))
    return counts


def tally_points(
    counts: Mapping[tuple[K, int, int], int], entries: Sequence[K], rule: Rule
) -> dict[K, Fraction]:
    """Borda points of every entry, from a position tally.

    >>> counts = tally([["b", "a"], ["a"]])
    >>> [str(p) for p in tally_points(counts, "abcd", "averaged").values()]
    ['5', '4', '3/2', '3/2']
    """
    n = len(entries)
    ballots_of_length: dict[int, int] = {}
    ranked_on_length: dict[tuple[K, int], int] = {}
    # Whole points from ranked positions first, in integers: the fractions of
    # unranked shares are added once per entry and ballot length, not per cell.
    ranked_points = dict.fromkeys(entries, 0)
    worth: dict[tuple[int, int], int] = {}  # what a position is worth, asked of the rule once per (k, p)
    for (entry, k, p), count in counts.items():
        if count == 0:
            continue
        if p == 1:
            ballots_of_length[k] = ballots_of_length.get(k, 0) + count
        ranked_on_length[entry, k] = ranked_on_length.get((entry, k), 0) + count
        points_here = worth.get((k, p))
        if points_here is None:
            points_here = worth[k, p] = position_points(n, k, p, rule)
        ranked_points[entry] += count * points_here
    # Unranked shares are whole or half points: count them in halves.
    halves = {k: int(2 * unranked_points(n, k, rule)) for k in ballots_of_length}
    points = {}
    for entry in entries:
        shared = sum(
            (ballots - ranked_on_length.get((entry, k), 0)) * halves[k]
            for k, ballots in ballots_of_length.items()
        )
        points[entry] = ranked_points[entry] + Fraction(shared, 2)
    return points


def first_place_votes(counts: Mapping[tuple[K, int, int], int], entries: Sequence[K]) -> dict[K, int]:
    """How many ballots put each entry first."""
    firsts = dict.fromkeys(entries, 0)
    for (entry, _k, p), count in counts.items():
        if p == 1:
            firsts[entry] += count
    return firsts


def ballot_count(counts: Mapping[tuple[K, int, int], int]) -> int:
    """Every ballot has exactly one first place, so the p = 1 cells count ballots."""
    return sum(count for (_entry, _k, p), count in counts.items() if p == 1)


def position_matrix(counts: Mapping[tuple[K, int, int], int], entries: Sequence[K]) -> dict[K, list[int]]:
    """For each entry, how many ballots put it at position 1..n (lengths merged)."""
    n = len(entries)
    matrix = {entry: [0] * n for entry in entries}
    for (entry, _k, p), count in counts.items():
        matrix[entry][p - 1] += count
    return matrix


def competition_ranks(points: Mapping[K, Fraction], entries: Sequence[K]) -> list[tuple[K, int]]:
    """Order entries by points, highest first; ties share a rank (1, 2, 2, 4).

    Within a tie, entries keep their order in ``entries`` (the editors' order).

    >>> competition_ranks({"a": 1, "b": 3, "c": 3, "d": 0}, "abcd")
    [('b', 1), ('c', 1), ('a', 3), ('d', 4)]
    """
    editor_index = {entry: i for i, entry in enumerate(entries)}
    ordered = sorted(entries, key=lambda e: (-points[e], editor_index[e]))
    ranked: list[tuple[K, int]] = []
    for place, entry in enumerate(ordered, start=1):
        if ranked and points[entry] == points[ranked[-1][0]]:
            ranked.append((entry, ranked[-1][1]))
        else:
            ranked.append((entry, place))
    return ranked


def leaders(counts: Mapping[tuple[K, int, int], int], entries: Sequence[K], rule: Rule, size: int) -> list[K]:
    """The first ``size`` entries of the readers' ranking, from a position tally:
    the order of ``outcome``'s standings (ties in the editors' order), without
    the rest of the outcome.

    >>> leaders(tally([["b"], ["c"]]), "abcd", "averaged", 3)
    ['b', 'c', 'a']
    """
    ranked = competition_ranks(tally_points(counts, entries, Rule(rule)), entries)
    return [entry for entry, _rank in ranked[:size]]


def kendall_tau_b(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Kendall's tau-b, ties handled as ``scipy.stats.kendalltau`` does.

    tau_b = (concordant − discordant) / sqrt((pairs − x ties)(pairs − y ties)).
    None where it is undefined (fewer than two items, or a side all tied).

    >>> kendall_tau_b([1, 2, 3], [1, 3, 2])
    0.3333333333333333
    """
    if len(xs) != len(ys):
        raise ValueError("the two rankings differ in length")
    concordant = discordant = x_ties = y_ties = pairs = 0
    for i in range(len(xs)):
        for j in range(i + 1, len(xs)):
            pairs += 1
            dx, dy = xs[i] - xs[j], ys[i] - ys[j]
            x_ties += dx == 0
            y_ties += dy == 0
            sign = dx * dy
            concordant += sign > 0
            discordant += sign < 0
    denominator = (pairs - x_ties) * (pairs - y_ties)
    if denominator == 0:
        return None
    return (concordant - discordant) / math.sqrt(denominator)


def doubled_average_ranks(values: Sequence[float]) -> list[int]:
    """Twice the average ranks: whole numbers, so correlations stay exact and fast.

    >>> doubled_average_ranks([10, 20, 20, 30])
    [2, 5, 5, 8]
    """
    order = sorted(range(len(values)), key=lambda i: values[i])
    doubled = [0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for i in order[start : end + 1]:
            doubled[i] = start + end + 2
        start = end + 1
    return doubled


def average_ranks(values: Sequence[float]) -> list[Fraction]:
    """Ranks 1..n, tied values sharing the mean of their ranks (scipy ``rankdata``).

    >>> [str(r) for r in average_ranks([10, 20, 20, 30])]
    ['1', '5/2', '5/2', '4']
    """
    return [Fraction(d, 2) for d in doubled_average_ranks(values)]


def spearman_rho(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Spearman's rho: Pearson's r of the average ranks (``scipy.stats.spearmanr``).

    None where it is undefined (fewer than two items, or a side all tied).
    Pearson's r is unchanged by scaling, so it is taken of the doubled ranks,
    each centred as N·r − Σr to stay in whole numbers.

    >>> spearman_rho([1, 2, 3], [1, 3, 2])
    0.5
    """
    if len(xs) != len(ys):
        raise ValueError("the two rankings differ in length")
    if len(xs) < 2:
        return None
    rx, ry = doubled_average_ranks(xs), doubled_average_ranks(ys)
    size, sx, sy = len(rx), sum(rx), sum(ry)
    dx = [size * a - sx for a in rx]
    dy = [size * b - sy for b in ry]
    cov = sum(a * b for a, b in zip(dx, dy, strict=True))
    vx, vy = sum(a * a for a in dx), sum(b * b for b in dy)
    if vx == 0 or vy == 0:
        return None
    return cov / math.sqrt(vx * vy)


@dataclass(frozen=True)
class Standing(Generic[K]):
    """One entry's place in the results."""

    entry: K
    editor_rank: int
    community_rank: int
    points: Fraction
    first_place_votes: int

    @property
    def move(self) -> int:
        """Places gained from the editors' rank to the readers' (negative: lost)."""
        return self.editor_rank - self.community_rank


@dataclass(frozen=True)
class Outcome(Generic[K]):
    """The whole comparison of the editors' order with the readers'."""

    ballots: int
    rule: Rule
    standings: list[Standing[K]]
    kendall_tau: float | None
    spearman_rho: float | None

    @property
    def biggest_riser(self) -> Standing[K] | None:
        """The entry that gained most places, if any gained."""
        best = max(self.standings, key=lambda s: s.move, default=None)
        return best if self.ballots and best is not None and best.move > 0 else None

    @property
    def biggest_faller(self) -> Standing[K] | None:
        """The entry that lost most places, if any lost."""
        worst = min(self.standings, key=lambda s: s.move, default=None)
        return worst if self.ballots and worst is not None and worst.move < 0 else None


def outcome(counts: Mapping[tuple[K, int, int], int], entries: Sequence[K], rule: Rule) -> Outcome[K]:
    """Everything the results show, from a position tally and the editors' order."""
    rule = Rule(rule)  # ValueError for a name that is not a rule
    points = tally_points(counts, entries, rule)
    firsts = first_place_votes(counts, entries)
    editor_rank = {entry: i for i, entry in enumerate(entries, start=1)}
    ranked = competition_ranks(points, entries)
    standings = [
        Standing(entry, editor_rank[entry], rank, points[entry], firsts[entry]) for entry, rank in ranked
    ]
    editor = [float(s.editor_rank) for s in standings]
    community = [float(s.community_rank) for s in standings]
    return Outcome(
        ballots=ballot_count(counts),
        rule=rule,
        standings=standings,
        kendall_tau=kendall_tau_b(editor, community),
        spearman_rho=spearman_rho(editor, community),
    )


def points_value(points: Fraction | float | int) -> int | float:
    """Points as a plain number, exact: Borda points are whole or half.

    >>> points_value(Fraction(25, 2)), points_value(Fraction(12))
    (12.5, 12)
    """
    value = float(points)
    return int(value) if value.is_integer() else value


def format_points(points: Fraction | float | int) -> str:
    """Points as text: ``12`` or ``12.5``."""
    return str(points_value(points))
