"""The ranking mathematics: worked examples, properties, and scipy as a cross-check."""

from __future__ import annotations

import doctest
import math
import warnings
from fractions import Fraction
from typing import NamedTuple

import pollapp.core.ranking
import pollapp.words
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from pollapp.core.ranking import (
    RULES,
    BallotError,
    BallotProblem,
    ballot_count,
    ballot_points,
    check_ballot,
    competition_ranks,
    first_place_votes,
    kendall_tau_b,
    leaders,
    outcome,
    spearman_rho,
    tally,
    tally_points,
)
from pollapp.words import ballot_problem
from scipy import stats

import oracle

F = Fraction
FOUR = "abcd"
NINE = "abcdefghi"


@pytest.mark.parametrize("module", [pollapp.core.ranking, pollapp.words], ids=lambda m: m.__name__)
def test_the_docstring_examples_hold(module):
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0


# ---------------------------------------------------------------- one ballot


class BallotCase(NamedTuple):
    entries: str
    ranking: str
    rule: str
    points: list[Fraction]  # in the order of ``entries``


BALLOT_CASES = [
    # n = 4, averaged: positions earn 3, 2, 1, 0; the unranked share what is left.
    BallotCase(FOUR, "abcd", "averaged", [F(3), F(2), F(1), F(0)]),
    BallotCase(FOUR, "dcb", "averaged", [F(0), F(1), F(2), F(3)]),
    BallotCase(FOUR, "ba", "averaged", [F(2), F(3), F(1, 2), F(1, 2)]),
    BallotCase(FOUR, "c", "averaged", [F(1), F(1), F(3), F(1)]),
    # n = 4, truncated: the same positions, nothing for the unranked.
    BallotCase(FOUR, "abcd", "truncated", [F(3), F(2), F(1), F(0)]),
    BallotCase(FOUR, "ba", "truncated", [F(2), F(3), F(0), F(0)]),
    BallotCase(FOUR, "c", "truncated", [F(0), F(0), F(3), F(0)]),
    # n = 4, modified: a ballot of k entries gives k, k - 1, ..., 1.
    BallotCase(FOUR, "abcd", "modified", [F(4), F(3), F(2), F(1)]),
    BallotCase(FOUR, "dcb", "modified", [F(0), F(1), F(2), F(3)]),
    BallotCase(FOUR, "ba", "modified", [F(1), F(2), F(0), F(0)]),
    BallotCase(FOUR, "c", "modified", [F(0), F(0), F(1), F(0)]),
    # n = 9, averaged: 8 down to 0; k = 3 leaves 5 + 4 + 3 + 2 + 1 + 0 = 15 for six, 5/2 each.
    BallotCase(NINE, "abcdefghi", "averaged", [F(8), F(7), F(6), F(5), F(4), F(3), F(2), F(1), F(0)]),
    BallotCase(
        NINE, "eai", "averaged", [F(7), F(5, 2), F(5, 2), F(5, 2), F(8), F(5, 2), F(5, 2), F(5, 2), F(6)]
    ),
    BallotCase(NINE, "ba", "averaged", [F(7), F(8), F(3), F(3), F(3), F(3), F(3), F(3), F(3)]),
    BallotCase(NINE, "i", "averaged", [F(7, 2)] * 8 + [F(8)]),
    BallotCase(NINE, "bcdefghi", "averaged", [F(0), F(8), F(7), F(6), F(5), F(4), F(3), F(2), F(1)]),
    # n = 9, truncated and modified.
    BallotCase(NINE, "eai", "truncated", [F(7), F(0), F(0), F(0), F(8), F(0), F(0), F(0), F(6)]),
    BallotCase(NINE, "i", "truncated", [F(0)] * 8 + [F(8)]),
    BallotCase(NINE, "abcdefghi", "modified", [F(9), F(8), F(7), F(6), F(5), F(4), F(3), F(2), F(1)]),
    BallotCase(NINE, "eai", "modified", [F(2), F(0), F(0), F(0), F(3), F(0), F(0), F(0), F(1)]),
    BallotCase(NINE, "i", "modified", [F(0)] * 8 + [F(1)]),
]


@pytest.mark.parametrize("case", BALLOT_CASES, ids=lambda c: f"{c.rule}-n{len(c.entries)}-{c.ranking}")
def test_one_ballot_gives_the_worked_points(case):
    points = ballot_points(list(case.ranking), list(case.entries), case.rule)
    assert [points[e] for e in case.entries] == case.points


def test_averaged_splits_the_left_over_points_into_halves():
    points = ballot_points(list("ba"), list(FOUR), "averaged")
    assert points["c"] == points["d"] == F(1, 2)
    assert sum(points.values()) == 6


# ---------------------------------------------------------------- many ballots


class TallyCase(NamedTuple):
    ballots: list[str]
    rule: str
    points: list[Fraction]  # in the order a, b, c, d
    ranks: list[tuple[str, int]]  # community order
    firsts: list[int]  # in the order a, b, c, d


TALLY_CASES = [
    # abcd: a3 b2 c1 d0; ba: b3 a2 c½ d½; c: c3, others 1; b: b3, others 1.
    TallyCase(
        ["abcd", "ba", "c", "b"],
        "averaged",
        [F(7), F(9), F(11, 2), F(5, 2)],
        [("b", 1), ("a", 2), ("c", 3), ("d", 4)],
        [1, 2, 1, 0],
    ),
    TallyCase(
        ["abcd", "ba", "c", "b"],
        "truncated",
        [F(5), F(8), F(4), F(0)],
        [("b", 1), ("a", 2), ("c", 3), ("d", 4)],
        [1, 2, 1, 0],
    ),
    TallyCase(
        ["abcd", "ba", "c", "b"],
        "modified",
        [F(5), F(6), F(3), F(1)],
        [("b", 1), ("a", 2), ("c", 3), ("d", 4)],
        [1, 2, 1, 0],
    ),
    # The three rules disagree on the same ballots; modified ties a and c (1, 2, 2, 4).
    TallyCase(
        ["a", "a", "bcd"],
        "averaged",
        [F(6), F(5), F(4), F(3)],
        [("a", 1), ("b", 2), ("c", 3), ("d", 4)],
        [2, 1, 0, 0],
    ),
    TallyCase(
        ["a", "a", "bcd"],
        "truncated",
        [F(6), F(3), F(2), F(1)],
        [("a", 1), ("b", 2), ("c", 3), ("d", 4)],
        [2, 1, 0, 0],
    ),
    TallyCase(
        ["a", "a", "bcd"],
        "modified",
        [F(2), F(3), F(2), F(1)],
        [("b", 1), ("a", 2), ("c", 2), ("d", 4)],
        [2, 1, 0, 0],
    ),
    # No ballots: everything ties at zero.
    TallyCase([], "averaged", [F(0)] * 4, [("a", 1), ("b", 1), ("c", 1), ("d", 1)], [0, 0, 0, 0]),
]


@pytest.mark.parametrize("case", TALLY_CASES, ids=lambda c: f"{c.rule}-{'.'.join(c.ballots) or 'none'}")
def test_a_tally_gives_the_worked_points_ranks_and_first_places(case):
    counts = tally([list(b) for b in case.ballots])
    points = tally_points(counts, list(FOUR), case.rule)
    assert [points[e] for e in FOUR] == case.points
    assert competition_ranks(points, list(FOUR)) == case.ranks
    assert [first_place_votes(counts, list(FOUR))[e] for e in FOUR] == case.firsts
    assert ballot_count(counts) == len(case.ballots)
    standings = outcome(counts, list(FOUR), case.rule).standings
    assert [(s.entry, s.community_rank) for s in standings] == case.ranks
    assert [s.points for s in standings] == [points[e] for e, _ in case.ranks]


# ---------------------------------------------------------------- ranks


class RankCase(NamedTuple):
    points: dict[str, int]
    entries: str
    ranks: list[tuple[str, int]]


RANK_CASES = [
    RankCase({"a": 2, "b": 3, "c": 2, "d": 1}, "abcd", [("b", 1), ("a", 2), ("c", 2), ("d", 4)]),
    # The same tie listed the other way round when the editors put c before a.
    RankCase({"a": 2, "b": 3, "c": 2, "d": 1}, "cbad", [("b", 1), ("c", 2), ("a", 2), ("d", 4)]),
    RankCase({"a": 5, "b": 5, "c": 5, "d": 5}, "dcba", [("d", 1), ("c", 1), ("b", 1), ("a", 1)]),
    RankCase({"a": 1, "b": 1, "c": 0, "d": 0}, "abcd", [("a", 1), ("b", 1), ("c", 3), ("d", 3)]),
    RankCase({"a": 0, "b": 1, "c": 2, "d": 3}, "abcd", [("d", 1), ("c", 2), ("b", 3), ("a", 4)]),
    RankCase({"a": 7}, "a", [("a", 1)]),
]


@pytest.mark.parametrize("case", RANK_CASES)
def test_competition_ranks_share_a_rank_and_keep_the_editors_order_in_a_tie(case):
    points = {key: F(value) for key, value in case.points.items()}
    assert competition_ranks(points, list(case.entries)) == case.ranks


def test_half_points_separate_ranks():
    points = {"a": F(5, 2), "b": F(3), "c": F(5, 2)}
    assert competition_ranks(points, list("abc")) == [("b", 1), ("a", 2), ("c", 2)]
    points["c"] = F(2)
    assert competition_ranks(points, list("abc")) == [("b", 1), ("a", 2), ("c", 3)]


def test_biggest_riser_and_faller():
    # One ballot for d alone, averaged: d 3, the rest 1 each, so d rises 3 and a falls 1.
    result = outcome(tally([["d"]]), list(FOUR), "averaged")
    assert [(s.entry, s.editor_rank, s.community_rank, s.move) for s in result.standings] == [
        ("d", 4, 1, 3),
        ("a", 1, 2, -1),
        ("b", 2, 2, 0),
        ("c", 3, 2, 1),
    ]
    assert result.biggest_riser is not None and result.biggest_riser.entry == "d"
    assert result.biggest_faller is not None and result.biggest_faller.entry == "a"


def test_no_riser_or_faller_when_the_readers_agree_with_the_editors():
    result = outcome(tally([list(FOUR)]), list(FOUR), "truncated")
    assert [s.move for s in result.standings] == [0, 0, 0, 0]
    assert result.biggest_riser is None
    assert result.biggest_faller is None
    assert result.kendall_tau == 1.0
    assert result.spearman_rho == 1.0


def test_no_ballots_means_no_riser_no_faller_and_no_agreement():
    # All tie at rank 1, so d "moves up" 3 on paper; with nobody voting that is no riser.
    result = outcome(tally([]), list(FOUR), "averaged")
    assert result.ballots == 0
    assert [s.community_rank for s in result.standings] == [1, 1, 1, 1]
    assert result.biggest_riser is None
    assert result.biggest_faller is None
    assert result.kendall_tau is None
    assert result.spearman_rho is None


def test_outcome_refuses_an_unknown_rule():
    with pytest.raises(ValueError, match="'plurality' is not a valid Rule"):
        outcome(tally([["a"]]), list(FOUR), "plurality")


# ---------------------------------------------------------------- checking a ballot


class BadBallot(NamedTuple):
    ranking: list[str]
    problem: BallotProblem
    data: dict[str, object]
    message: str  # what a reader is told (pollapp.words)


BAD_BALLOTS = [
    BadBallot([], BallotProblem.EMPTY, {}, "Rank at least one entry."),
    BadBallot(
        ["a", "b", "c", "d", "a"],
        BallotProblem.TOO_LONG,
        {"most": 4, "given": 5},
        "A ballot ranks at most 4 entries; this one has 5.",
    ),
    BadBallot(["a", "z"], BallotProblem.UNKNOWN, {"key": "z"}, "There is no entry called 'z' in this poll."),
    BadBallot(
        ["a", "b", "a"],
        BallotProblem.REPEATED,
        {"key": "a"},
        "Each entry can be ranked only once; repeated: 'a'.",
    ),
    BadBallot(
        ["d", "d"], BallotProblem.REPEATED, {"key": "d"}, "Each entry can be ranked only once; repeated: 'd'."
    ),
]


@pytest.mark.parametrize("case", BAD_BALLOTS, ids=lambda c: c.message)
def test_check_ballot_says_what_is_wrong_in_a_code_and_its_data(case):
    for check in (
        lambda: check_ballot(case.ranking, list(FOUR)),
        lambda: ballot_points(case.ranking, list(FOUR), "averaged"),
    ):
        with pytest.raises(BallotError) as raised:
            check()
        assert (raised.value.problem, raised.value.data) == (case.problem, case.data)
        assert ballot_problem(raised.value) == case.message


@pytest.mark.parametrize("ranking", [["a"], ["d", "a"], list("dcba"), list("bcd")])
def test_check_ballot_accepts_one_to_n_distinct_entries(ranking):
    assert check_ballot(ranking, list(FOUR)) is None


# ---------------------------------------------------------------- agreement


class AgreementCase(NamedTuple):
    xs: list[int]
    ys: list[int]
    tau: float | None
    rho: float | None


AGREEMENT_CASES = [
    AgreementCase([1, 2, 3, 4], [1, 2, 3, 4], 1.0, 1.0),
    AgreementCase([1, 2, 3, 4], [4, 3, 2, 1], -1.0, -1.0),
    # One swap of three: C = 2, D = 1 over 3 pairs; rho = 1 - 6 * 2 / (3 * 8).
    AgreementCase([1, 2, 3], [1, 3, 2], 1 / 3, 0.5),
    # A tie among the readers: C = 5, D = 0, one y tie; tau_b = 5 / sqrt(6 * 5).
    # Average ranks 1, 2.5, 2.5, 4: cov 4.5, var 5 and 4.5; rho = sqrt(0.9).
    AgreementCase([1, 2, 3, 4], [1, 2, 2, 4], 5 / math.sqrt(30), math.sqrt(0.9)),
    # Editors 2, 1, 3, 4 against readers 1, 2, 2, 4: C = 4, D = 1; cov 3 -> rho = sqrt(0.4).
    AgreementCase([2, 1, 3, 4], [1, 2, 2, 4], 3 / math.sqrt(30), math.sqrt(0.4)),
    # Ties on both sides: pairs 6, x ties 1, y ties 1, C = 4, D = 0; tau_b = 4 / 5.
    # Average ranks 1.5, 1.5, 3, 4 and 1, 2.5, 2.5, 4: cov 3.75, both variances 4.5.
    AgreementCase([1, 1, 3, 4], [1, 2, 2, 4], 4 / 5, 5 / 6),
    # Undefined: a side all tied, or fewer than two items.
    AgreementCase([1, 2, 3, 4], [1, 1, 1, 1], None, None),
    AgreementCase([2, 2, 2], [1, 2, 3], None, None),
    AgreementCase([1], [1], None, None),
    AgreementCase([], [], None, None),
]


@pytest.mark.parametrize("case", AGREEMENT_CASES)
def test_kendall_and_spearman_worked_examples(case):
    tau, rho = kendall_tau_b(case.xs, case.ys), spearman_rho(case.xs, case.ys)
    if case.tau is None:
        assert tau is None
    else:
        assert tau == pytest.approx(case.tau, abs=1e-15)
    if case.rho is None:
        assert rho is None
    else:
        assert rho == pytest.approx(case.rho, abs=1e-15)


@pytest.mark.parametrize("function", [kendall_tau_b, spearman_rho])
def test_agreement_refuses_rankings_of_different_lengths(function):
    with pytest.raises(ValueError, match="differ in length"):
        function([1, 2, 3], [1, 2])


# ---------------------------------------------------------------- property tests

rules = st.sampled_from(RULES)


@st.composite
def polls(draw, min_ballots=0, max_ballots=12):
    """Entries 0..n-1 and a list of valid ballots over them."""
    n = draw(st.integers(min_value=1, max_value=9))
    entries = list(range(n))
    ballot = st.tuples(st.permutations(entries), st.integers(min_value=1, max_value=n)).map(
        lambda pair: list(pair[0][: pair[1]])
    )
    ballots = draw(st.lists(ballot, min_size=min_ballots, max_size=max_ballots))
    return entries, ballots


def summed(ballots, entries, rule):
    totals = {entry: F(0) for entry in entries}
    for ranking in ballots:
        for entry, points in ballot_points(ranking, entries, rule).items():
            totals[entry] += points
    return totals


@given(polls(), rules, st.integers(min_value=0, max_value=10))
def test_the_leaders_are_the_outcomes_first_standings_ties_and_all(poll, rule, size):
    entries, ballots = poll
    counts = tally(ballots)
    standings = outcome(counts, entries, rule).standings
    assert leaders(counts, entries, rule, size) == [s.entry for s in standings[:size]]


@given(polls(), rules)
def test_the_tally_adds_up_to_the_ballots_points(poll, rule):
    entries, ballots = poll
    assert tally_points(tally(ballots), entries, rule) == summed(ballots, entries, rule)


@given(polls())
def test_averaged_hands_out_every_position_on_every_ballot(poll):
    entries, ballots = poll
    n = len(entries)
    points = tally_points(tally(ballots), entries, "averaged")
    assert sum(points.values()) == len(ballots) * F(n * (n - 1), 2)


@given(polls(), rules)
def test_each_ballot_hands_out_its_rules_total(poll, rule):
    entries, ballots = poll
    n = len(entries)
    for ranking in ballots:
        k = len(ranking)
        total = sum(ballot_points(ranking, entries, rule).values())
        if rule == "averaged":
            assert total == n * (n - 1) // 2
        elif rule == "truncated":
            assert total == sum(n - p for p in range(1, k + 1))
        else:
            assert total == k * (k + 1) // 2


@given(polls(), rules)
def test_points_are_whole_or_half(poll, rule):
    entries, ballots = poll
    for points in tally_points(tally(ballots), entries, rule).values():
        assert (2 * points).denominator == 1
        if rule != "averaged":
            assert points.denominator == 1


@given(polls(), rules, st.randoms(use_true_random=False))
def test_the_order_of_the_ballots_does_not_matter(poll, rule, random):
    entries, ballots = poll
    shuffled = list(ballots)
    random.shuffle(shuffled)
    assert tally_points(tally(shuffled), entries, rule) == tally_points(tally(ballots), entries, rule)
    assert outcome(tally(shuffled), entries, rule) == outcome(tally(ballots), entries, rule)


@given(polls(), rules, st.data())
def test_a_new_ballot_widens_its_favourites_lead_and_never_lowers_its_rank(poll, rule, data):
    entries, ballots = poll
    extra = data.draw(st.permutations(entries))[: data.draw(st.integers(1, len(entries)))]
    top = extra[0]
    before = tally_points(tally(ballots), entries, rule)
    after = tally_points(tally([*ballots, extra]), entries, rule)
    for other in entries:
        if other != top:
            assert after[top] - after[other] > before[top] - before[other]
    rank_before = dict(competition_ranks(before, entries))[top]
    rank_after = dict(competition_ranks(after, entries))[top]
    assert rank_after <= rank_before
    if len(ballots) == 0:
        assert rank_after == 1


@given(polls(min_ballots=1), rules, st.data())
def test_moving_an_entry_up_a_ballot_never_costs_it_points(poll, rule, data):
    entries, ballots = poll
    i = data.draw(st.integers(0, len(ballots) - 1))
    ranking = ballots[i]
    assume(len(ranking) >= 2)
    p = data.draw(st.integers(1, len(ranking) - 1))
    promoted = list(ranking)
    promoted[p - 1], promoted[p] = promoted[p], promoted[p - 1]
    before = tally_points(tally(ballots), entries, rule)
    after = tally_points(tally([*ballots[:i], promoted, *ballots[i + 1 :]]), entries, rule)
    assert after[ranking[p]] > before[ranking[p]]
    assert after[ranking[p - 1]] < before[ranking[p - 1]]


@given(polls())
def test_averaged_and_truncated_agree_on_ballots_that_leave_at_most_one_out(poll):
    entries, ballots = poll
    n = len(entries)
    long_ballots = [b for b in ballots if len(b) >= n - 1]
    counts = tally(long_ballots)
    assert tally_points(counts, entries, "averaged") == tally_points(counts, entries, "truncated")


@given(polls())
def test_modified_on_full_ballots_is_truncated_plus_one_a_ballot(poll):
    entries, ballots = poll
    full = [b for b in ballots if len(b) == len(entries)]
    counts = tally(full)
    modified = tally_points(counts, entries, "modified")
    truncated = tally_points(counts, entries, "truncated")
    assert modified == {e: truncated[e] + len(full) for e in entries}


@given(polls(), rules)
def test_first_places_and_ballot_count_match_the_ballots(poll, rule):
    entries, ballots = poll
    counts = tally(ballots)
    firsts = first_place_votes(counts, entries)
    assert firsts == {e: sum(1 for b in ballots if b[0] == e) for e in entries}
    assert ballot_count(counts) == len(ballots) == sum(firsts.values())
    result = outcome(counts, entries, rule)
    assert result.ballots == len(ballots)
    ranks = [s.community_rank for s in result.standings]
    assert ranks == sorted(ranks) and ranks[0] == 1
    points = [s.points for s in result.standings]
    assert points == sorted(points, reverse=True)


@given(st.permutations(list(NINE)), st.integers(1, 20), rules)
def test_unanimous_full_ballots_give_their_order(order, voters, rule):
    result = outcome(tally([order] * voters), list(NINE), rule)
    assert [(s.entry, s.community_rank) for s in result.standings] == [
        (entry, rank) for rank, entry in enumerate(order, start=1)
    ]


# ---------------------------------------------------------------- cross-check with scipy


def scipy_statistic(function, xs, ys):
    with warnings.catch_warnings():
        # scipy warns before answering nan for constant or tiny inputs.
        warnings.simplefilter("ignore")
        value = float(function(xs, ys).statistic)
    return None if math.isnan(value) else value


@st.composite
def paired_ranks(draw):
    """Two rank-like vectors of one length, small values so that ties are common."""
    size = draw(st.integers(min_value=0, max_value=12))
    top = draw(st.integers(min_value=1, max_value=size + 1))
    values = st.lists(st.integers(min_value=1, max_value=top), min_size=size, max_size=size)
    return draw(values), draw(values)


@given(paired_ranks())
def test_kendall_tau_b_matches_scipy(pair):
    xs, ys = pair
    expected = scipy_statistic(stats.kendalltau, xs, ys)
    actual = kendall_tau_b(xs, ys)
    if expected is None:
        assert actual is None
    else:
        assert actual is not None and abs(actual - expected) <= 1e-12


@given(paired_ranks())
def test_spearman_rho_matches_scipy(pair):
    xs, ys = pair
    expected = scipy_statistic(stats.spearmanr, xs, ys)
    actual = spearman_rho(xs, ys)
    if expected is None:
        assert actual is None
    else:
        assert actual is not None and abs(actual - expected) <= 1e-12


@given(polls(), rules)
def test_outcome_agreement_matches_scipy_on_real_rankings(poll, rule):
    entries, ballots = poll
    result = outcome(tally(ballots), entries, rule)
    editor = [s.editor_rank for s in result.standings]
    community = [s.community_rank for s in result.standings]
    for actual, function in ((result.kendall_tau, stats.kendalltau), (result.spearman_rho, stats.spearmanr)):
        expected = scipy_statistic(function, editor, community)
        if expected is None:
            assert actual is None
        else:
            assert actual is not None and abs(actual - expected) <= 1e-12


@given(polls(), rules)
def test_outcome_matches_the_independent_recount(poll, rule):
    entries, ballots = poll
    keys = [f"e{entry}" for entry in entries]
    rankings = [[f"e{entry}" for entry in ranking] for ranking in ballots]
    result = outcome(tally(rankings), keys, rule)
    expected = oracle.recount(rankings, keys, rule)
    assert result.ballots == expected.ballots
    assert [
        (s.entry, s.editor_rank, s.community_rank, s.points, s.first_place_votes) for s in result.standings
    ] == [(r.key, r.editor_rank, r.community_rank, r.points, r.first_place_votes) for r in expected.rows]
    for actual, wanted in (
        (result.kendall_tau, expected.kendall_tau),
        (result.spearman_rho, expected.spearman_rho),
    ):
        if wanted is None:
            assert actual is None
        else:
            assert actual is not None and abs(actual - wanted) <= 1e-12
