"""What the results can say out loud: top-three counts, supported moves, the named favourite."""

from __future__ import annotations

import doctest

import pollapp.core.story
from hypothesis import given
from hypothesis import strategies as st
from pollapp.core.ranking import tally
from pollapp.core.story import Move, Placed, favourite, supported_moves, top_counts


def test_the_docstring_examples_hold():
    result = doctest.testmod(pollapp.core.story)
    assert result.attempted > 0 and result.failed == 0


@given(
    st.integers(min_value=1, max_value=7).flatmap(
        lambda n: st.lists(
            st.permutations(range(n)).flatmap(
                lambda order: st.integers(min_value=1, max_value=len(order)).map(lambda k: order[:k])
            ),
            max_size=15,
        ).map(lambda ballots: (list(range(n)), ballots))
    )
)
def test_top_counts_count_the_ballots_with_the_entry_in_their_first_three(case):
    entries, ballots = case
    expected = {e: sum(1 for b in ballots if e in b[:3]) for e in entries}
    assert top_counts(tally(ballots), entries) == expected


def test_a_tie_for_the_biggest_fall_names_every_entry_in_it():
    placed = [
        Placed("x", 4, 1, 1, 2),  # up 3, and 4 is outside 1-2
        Placed("p", 1, 4, 3, 5),  # down 3, supported
        Placed("b", 2, 5, 4, 6),  # down 3, supported
        Placed("q", 3, 6, 2, 6),  # down 3, but 3 is within 2-6: not named
        Placed("r", 5, 2, 1, 5),  # up 3, but 5 is within 1-5: not named
        Placed("s", 6, 3, 2, 4),  # up 3, supported
    ]
    assert supported_moves(placed) == (Move(["x", "s"], 3), Move(["p", "b"], 3))


def test_moves_within_every_range_are_not_named():
    placed = [Placed("a", 1, 2, 1, 2), Placed("b", 2, 1, 1, 2)]
    assert supported_moves(placed) == (None, None)


def test_a_smaller_supported_move_is_named_when_the_bigger_one_is_not():
    placed = [Placed("a", 1, 3, 1, 3), Placed("b", 2, 1, 1, 1), Placed("c", 3, 2, 2, 3)]
    # a fell 2 within its range; c did not fall; b rose 1 outside its range.
    assert supported_moves(placed) == (Move(["b"], 1), None)


def test_the_favourite_is_named_only_alone_at_the_top_and_clear_of_the_rest():
    clear = [Placed("a", 2, 1, 1, 1), Placed("b", 1, 2, 2, 2)]
    assert favourite(clear, []) == "a"
    assert favourite(clear, [["a", "b"]]) is None
    tied = [Placed("a", 2, 1, 1, 1), Placed("b", 1, 1, 1, 1)]
    assert favourite(tied, []) is None
    # A group lower down does not take the favourite's name away.
    assert favourite(clear + [Placed("c", 3, 3, 3, 4), Placed("d", 4, 4, 3, 4)], [["c", "d"]]) == "a"


@given(
    st.lists(
        st.tuples(st.integers(1, 6), st.integers(1, 6), st.integers(1, 6), st.integers(0, 3)),
        min_size=1,
        max_size=6,
    )
)
def test_every_named_move_leaves_the_editors_rank_outside_the_range_and_is_the_biggest(rows):
    placed = [Placed(i, e, c, low, low + w) for i, (e, c, low, w) in enumerate(rows)]
    rise, fall = supported_moves(placed)
    rises = {p.entry: p.editor_rank - p.community_rank for p in placed if p.editor_rank > p.high}
    falls = {p.entry: p.community_rank - p.editor_rank for p in placed if p.editor_rank < p.low}
    for move, candidates in ((rise, rises), (fall, falls)):
        if not candidates:
            assert move is None
            continue
        assert move is not None and move.places == max(candidates.values())
        assert move.entries == [e for e, places in candidates.items() if places == move.places]
