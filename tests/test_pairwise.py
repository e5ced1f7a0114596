"""Head to head, the Condorcet winner, the Borda orders and the bootstrap, checked
against pref_voting, a brute force and the Debian 2007 ballots."""

from __future__ import annotations

import doctest
import warnings

import pollapp.core.confidence
import pollapp.core.pairwise
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pollapp.core.confidence import Sureness, bootstrap, too_close_to_call
from pollapp.core.pairwise import (
    borda_orders,
    condorcet_winner,
    copeland_order,
    copeland_scores,
    pairwise_table,
)
from pollapp.core.ranking import RULES

import oracle
from helpers import debian_ballots

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from pref_voting.profiles_with_ties import ProfileWithTies


@st.composite
def polls(draw, max_ballots=12):
    """Entries 0..n-1 and valid ballots over them (some repeated, so there are ties)."""
    n = draw(st.integers(min_value=1, max_value=6))
    entries = list(range(n))
    ballot = st.tuples(st.permutations(entries), st.integers(min_value=1, max_value=n)).map(
        lambda pair: list(pair[0][: pair[1]])
    )
    distinct = draw(st.lists(ballot, min_size=0, max_size=max_ballots))
    times = draw(
        st.lists(st.integers(min_value=1, max_value=3), min_size=len(distinct), max_size=len(distinct))
    )
    return entries, [b for b, t in zip(distinct, times, strict=True) for _ in range(t)]


def profile(ballots, entries):
    """The ballots as pref_voting sees them: a ranked entry beats every unranked one."""
    prof = ProfileWithTies(
        [{entry: p for p, entry in enumerate(b, start=1)} for b in ballots] or [{}],
        rcounts=[1] * len(ballots) if ballots else [0],
        candidates=list(entries),
    )
    prof.use_extended_strict_preference()
    return prof


@pytest.mark.parametrize("module", [pollapp.core.pairwise, pollapp.core.confidence], ids=lambda m: m.__name__)
def test_the_docstring_examples_hold(module):
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0


@given(polls())
def test_the_table_matches_a_brute_force_and_pref_voting(poll):
    entries, ballots = poll
    table = pairwise_table(ballots, entries)
    assert table == oracle.pairwise(ballots, entries)
    if ballots:
        prof = profile(ballots, entries)
        assert all(table[x][y] == prof.support(x, y) for x in entries for y in entries if x != y)


@given(polls(max_ballots=8))
@settings(max_examples=60)
def test_the_condorcet_winner_and_copeland_match_pref_voting(poll):
    entries, ballots = poll
    if not ballots or len(entries) < 2:
        return
    table = pairwise_table(ballots, entries)
    prof = profile(ballots, entries)
    assert condorcet_winner(table) == prof.condorcet_winner()
    theirs = prof.copeland_scores()
    # Ours counts 2 per win and 1 per draw; theirs 1, 0, -1: ours = theirs + (n - 1).
    assert copeland_scores(table) == {e: int(theirs[e]) + len(entries) - 1 for e in entries}
    best = max(theirs.values())
    assert copeland_order(table, entries)[0] in {e for e in entries if theirs[e] == best}


@given(polls())
def test_each_borda_order_sorts_the_oracles_points(poll):
    entries, ballots = poll
    keys = [str(e) for e in entries]
    text_ballots = [[str(e) for e in b] for b in ballots]
    for rule, order in borda_orders(text_ballots, keys).items():
        points = oracle.borda(text_ballots, keys, rule)
        assert sorted(keys) == sorted(order)
        assert [points[k] for k in order] == sorted(points.values(), reverse=True)


def test_tied_ballots_have_no_condorcet_winner_and_copeland_ties_keep_the_editors_order():
    ballots = [["a", "b"], ["b", "a"]]
    table = pairwise_table(ballots, "abc")
    assert table["a"]["b"] == table["b"]["a"] == 1
    assert condorcet_winner(table) is None
    assert copeland_order(table, "abc") == ["a", "b", "c"]
    assert table["c"] == {"a": 0, "b": 0}


def test_the_debian_2007_ballots():
    ballots = debian_ballots()
    entries = sorted({e for b in ballots for e in b})
    table = pairwise_table(ballots, entries)
    prof = profile(ballots, entries)
    assert all(table[x][y] == prof.support(x, y) for x in entries for y in entries if x != y)
    assert condorcet_winner(table) == prof.condorcet_winner()
    assert condorcet_winner(table) is not None  # Debian 2007 had a Condorcet winner
    for rule in RULES:
        keys = [str(e) for e in entries]
        text = [[str(e) for e in b] for b in ballots]
        points = oracle.borda(text, keys, rule)
        order = borda_orders(text, keys)[rule]
        assert [points[k] for k in order] == sorted(points.values(), reverse=True)


# ---------------------------------------------------------------- the bootstrap


def test_the_bootstrap_is_the_same_for_the_same_ballots_in_any_order():
    ballots = [["a", "b", "c"]] * 5 + [["b", "a"]] * 4 + [["c"]] * 3
    first = bootstrap(ballots, "abc", "averaged")
    assert bootstrap(list(reversed(ballots)), "abc", "averaged") == first
    assert bootstrap(ballots + [["c"]], "abc", "averaged") != first


def test_an_entry_first_on_every_ballot_is_surely_first():
    ballots = [["a", "b", "c"], ["a", "c"], ["a"], ["a", "c", "b"]] * 10
    sure = {s.entry: s for s in bootstrap(ballots, "abc", "modified")}
    assert (sure["a"].low, sure["a"].high, sure["a"].first_share) == (1, 1, 1.0)
    assert sure["b"].first_share == sure["c"].first_share == 0.0
    assert sure["b"].low >= 2 and sure["c"].low >= 2


@given(polls(max_ballots=6))
@settings(max_examples=25, deadline=None)
def test_bootstrap_ranges_hold_the_entries_own_rank_and_shares_add_up(poll):
    entries, ballots = poll
    sure = bootstrap(ballots, entries, "averaged", resamples=200)
    if not ballots:
        assert sure == []
        return
    points = oracle.borda([[str(e) for e in b] for b in ballots], [str(e) for e in entries], "averaged")
    for s in sure:
        assert 1 <= s.low <= s.high <= len(entries)
        assert 0.0 <= s.first_share <= 1.0
    # Every resample has at least one entry first (ties share it).
    assert sum(s.first_share for s in sure) >= 1.0 - 1e-9
    top = max(points.values())
    assert any(s.low == 1 for s in sure if points[str(s.entry)] == top)


def test_too_close_to_call_chains_overlaps_and_drops_single_entries():
    sure = [
        Sureness("a", 1, 1, 1.0),
        Sureness("b", 2, 3, 0.0),
        Sureness("c", 2, 4, 0.0),
        Sureness("d", 4, 5, 0.0),
        Sureness("e", 6, 6, 0.0),
        Sureness("f", 7, 8, 0.0),
        Sureness("g", 7, 8, 0.0),
    ]
    assert too_close_to_call("abcdefg", sure) == [["b", "c", "d"], ["f", "g"]]
    assert too_close_to_call("a", sure[:1]) == []


def test_a_resample_draws_at_most_draws_ballots_however_many_were_cast(monkeypatch):
    drawn = []
    real = pollapp.core.confidence.random.Random.choices

    def recording(self, population, weights=None, *, cum_weights=None, k=1):
        drawn.append(k)
        return real(self, population, weights, cum_weights=cum_weights, k=k)

    monkeypatch.setattr(pollapp.core.confidence.random.Random, "choices", recording)
    ballots = [["a", "b"]] * 3_000 + [["b", "a"]] * 2_000 + [["c"]] * 500
    figures = bootstrap(ballots, "abc", "averaged", resamples=20)
    assert drawn == [pollapp.core.confidence.DRAWS] * 20
    assert [s.entry for s in figures] == ["a", "b", "c"] and figures[2].low == 3
    assert bootstrap(ballots, "abc", "averaged", resamples=20) == figures  # still deterministic
