"""An independent recount of a poll, used only by the tests.

It starts from the ballots CSV and shares no code with ``pollapp.ranking``:
each ballot hands out a list of scores position by position, the scores of the
positions a ballot leaves empty are spread by plain averaging, ranks count the
entries with more points, and the agreement figures come from scipy. Where the
ballots were cast is counted from the file's last column.
"""

from __future__ import annotations

import csv
import io
import math
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from scipy import stats

# Where a ballot was cast, as the ballots CSV's last column names it; written
# out here rather than taken from pollapp, so a source the app renames or
# forgets to write is a failure.
SOURCES = ("site", "embed_cookie", "embed_no_cookie", "api", "imported")


@dataclass(frozen=True)
class Row:
    key: str
    editor_rank: int
    community_rank: int
    points: Fraction
    first_place_votes: int

    @property
    def move(self) -> int:
        return self.editor_rank - self.community_rank


@dataclass(frozen=True)
class Recount:
    ballots: int
    rule: str
    rows: list[Row]
    kendall_tau: float | None
    spearman_rho: float | None
    sources: dict[str, int] | None = None  # ballots per source, every source named; None: not known

    def row(self, key: str) -> Row:
        return next(row for row in self.rows if row.key == key)


def read_rows(text: str, keys: Sequence[str]) -> list[tuple[list[str], str]]:
    """Each ballot's ranking and source in a ballots CSV, in file order; assert the file
    is well formed: UTF-8 text after a byte order mark, then RFC 4180 rows
    ``ballot,rank_1..rank_n,source``."""
    assert text.startswith("\ufeff"), "a download starts with a byte order mark"
    rows = list(csv.reader(io.StringIO(text[1:], newline="")))
    assert rows, "the ballots file is empty"
    assert rows[0] == ["ballot"] + [f"rank_{p}" for p in range(1, len(keys) + 1)] + ["source"], rows[0]
    ballots = []
    for number, row in enumerate(rows[1:], start=1):
        assert len(row) == len(keys) + 2, row
        assert row[0] == str(number), row
        cells, source = row[1:-1], row[-1]
        k = sum(1 for cell in cells if cell)
        assert 1 <= k and all(cells[:k]) and not any(cells[k:]), row
        assert len(set(cells[:k])) == k and set(cells[:k]) <= set(keys), row
        assert source in SOURCES, row
        ballots.append((cells[:k], source))
    return ballots


def read_ballots(text: str, keys: Sequence[str]) -> list[list[str]]:
    """The rankings in a ballots CSV, in file order (the file checked as ``read_rows`` does)."""
    return [ranking for ranking, _ in read_rows(text, keys)]


def count_sources(text: str, keys: Sequence[str]) -> dict[str, int]:
    """How many ballots of a ballots CSV were cast where, every source named (0 for none)."""
    counted = Counter(source for _, source in read_rows(text, keys))
    return {source: counted[source] for source in SOURCES}


def scores(n: int, ranking: Sequence[str], keys: Sequence[str], rule: str) -> dict[str, Fraction]:
    """What one ballot gives every entry."""
    k = len(ranking)
    if rule == "modified":
        ladder = [Fraction(k - i) for i in range(k)] + [Fraction(0)] * (n - k)
    else:
        ladder = [Fraction(n - 1 - i) for i in range(n)]
    given = dict(zip(ranking, ladder, strict=False))
    left_over = ladder[k:]
    if rule == "averaged" and left_over:
        share = sum(left_over, Fraction(0)) / len(left_over)
    else:
        share = Fraction(0)
    return {key: given.get(key, share) for key in keys}


def borda(rankings: Sequence[Sequence[str]], keys: Sequence[str], rule: str) -> dict[str, Fraction]:
    assert rule in ("averaged", "truncated", "modified"), rule
    totals = {key: Fraction(0) for key in keys}
    for ranking in rankings:
        for key, score in scores(len(keys), ranking, keys, rule).items():
            totals[key] += score
    return totals


def correlation(function, xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """scipy's statistic as a float, or None where scipy says nan."""
    with warnings.catch_warnings():
        # scipy warns, then answers nan, for constant or tiny inputs; nan is the answer we test.
        warnings.simplefilter("ignore")
        value = float(function(xs, ys).statistic)
    return None if math.isnan(value) else value


def kendall_tau(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    return correlation(stats.kendalltau, xs, ys)


def spearman_rho(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    return correlation(stats.spearmanr, xs, ys)


def recount(
    rankings: Sequence[Sequence[str]],
    keys: Sequence[str],
    rule: str,
    sources: dict[str, int] | None = None,
) -> Recount:
    points = borda(rankings, keys, rule)
    firsts = {key: sum(1 for ranking in rankings if ranking[0] == key) for key in keys}
    community = {key: 1 + sum(1 for other in keys if points[other] > points[key]) for key in keys}
    editor = {key: i for i, key in enumerate(keys, start=1)}
    order = sorted(keys, key=lambda key: (community[key], editor[key]))
    rows = [Row(key, editor[key], community[key], points[key], firsts[key]) for key in order]
    xs = [row.editor_rank for row in rows]
    ys = [row.community_rank for row in rows]
    return Recount(len(rankings), rule, rows, kendall_tau(xs, ys), spearman_rho(xs, ys), sources)


def recount_csv(text: str, keys: Sequence[str], rule: str) -> Recount:
    """The recount of a ballots CSV, with how many of its ballots came from each source."""
    return recount(read_ballots(text, keys), keys, rule, count_sources(text, keys))


def pairwise(rankings: Sequence[Sequence[object]], keys: Sequence[object]) -> dict[object, dict[object, int]]:
    """For each pair of distinct keys (x, y), ballots putting x above y; unranked stands below all."""
    table: dict[object, dict[object, int]] = {x: {y: 0 for y in keys if y != x} for x in keys}
    for ranking in rankings:
        place = {key: p for p, key in enumerate(ranking)}
        for x in keys:
            for y in keys:
                if x != y and x in place and (y not in place or place[x] < place[y]):
                    table[x][y] += 1
    return table
