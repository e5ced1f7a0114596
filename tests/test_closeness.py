"""You against them: one ballot's closeness to the editors' order and the readers' ranking."""

from __future__ import annotations

import doctest
import math

import pollapp.core.closeness
from hypothesis import given
from hypothesis import strategies as st
from pollapp.core.closeness import Closer, ballot_ranks, compare
from scipy import stats


def test_the_docstring_examples_hold():
    result = doctest.testmod(pollapp.core.closeness)
    assert result.attempted > 0 and result.failed == 0


def test_the_same_order_as_the_readers_and_the_opposite_of_the_editors():
    mine = compare(["d", "c", "b", "a"], "abcd", {"a": 4, "b": 3, "c": 2, "d": 1})
    assert (mine.with_readers, mine.with_editors, mine.closer) == (1.0, -1.0, Closer.READERS)
    assert mine.readers_higher == [] and mine.readers_lower == []


def test_picks_the_readers_rate_higher_and_lower_keep_the_ballots_order():
    mine = compare(["c", "a", "b"], "abcd", {"a": 1, "b": 2, "c": 4, "d": 3})
    # c is the ballot's 1st and the readers' 4th; a its 2nd and their 1st; b its 3rd, their 2nd.
    assert mine.readers_lower == ["c"]
    assert mine.readers_higher == ["a", "b"]


def test_a_ballot_as_close_to_both_says_so():
    # With the readers' ranking equal to the editors' order, a ballot is as close to each.
    assert compare(["b", "a"], "abc", {"a": 1, "b": 2, "c": 3}).closer == Closer.BOTH


def test_one_entry_leaves_the_figures_undefined():
    mine = compare(["a"], "a", {"a": 1})
    assert (mine.with_editors, mine.with_readers, mine.closer) == (None, None, None)


@st.composite
def ballots_and_ranks(draw):
    n = draw(st.integers(min_value=2, max_value=8))
    entries = [f"e{i}" for i in range(n)]
    ballot = draw(st.permutations(entries))[: draw(st.integers(min_value=1, max_value=n))]
    # Community ranks with ties, as competition ranks come out: 1 + how many have more points.
    points = draw(st.lists(st.integers(min_value=0, max_value=4), min_size=n, max_size=n))
    ranks = {e: 1 + sum(1 for q in points if q > points[i]) for i, e in enumerate(entries)}
    return entries, list(ballot), ranks


def scipy_tau(xs, ys):
    value = float(stats.kendalltau(xs, ys).statistic)
    return None if math.isnan(value) else value


@given(ballots_and_ranks())
def test_the_closeness_is_scipys_kendall_tau_b_with_the_unranked_tied_last(case):
    entries, ballot, ranks = case
    # The ballot as scipy sees it: its positions, and every unranked entry one tied place below.
    positions = [ballot.index(e) + 1 if e in ballot else len(ballot) + 1 for e in entries]
    mine = compare(ballot, entries, ranks)
    expected_editors = scipy_tau(positions, list(range(len(entries))))
    expected_readers = scipy_tau(positions, [ranks[e] for e in entries])
    for got, expected in ((mine.with_editors, expected_editors), (mine.with_readers, expected_readers)):
        assert (got is None) == (expected is None)
        if got is not None:
            assert math.isclose(got, expected, abs_tol=1e-12)
    higher = [e for e in ballot if ranks[e] < ballot.index(e) + 1]
    lower = [e for e in ballot if ranks[e] > ballot.index(e) + 1]
    assert (mine.readers_higher, mine.readers_lower) == (higher, lower)
    assert sum(ballot_ranks(ballot, entries).values()) == len(entries) * (len(entries) + 1) / 2
