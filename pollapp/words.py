"""The words for what the layers below say in codes: a ballot's problems and
the Borda rules. Every page, API error and command takes them from here, so
the wording (and later its translation) lives in one place."""

from __future__ import annotations

from typing import Protocol

from .core.ranking import BallotError, BallotProblem, Rule

RULE_DESCRIPTIONS: dict[Rule, str] = {
    Rule.AVERAGED: (
        "Position p earns n − p points; every entry a ballot leaves unranked "
        "shares the points nobody on that ballot received, (n − k − 1) / 2 each."
    ),
    Rule.TRUNCATED: "Position p earns n − p points; unranked entries earn nothing.",
    Rule.MODIFIED: (
        "Modified Borda (Emerson): on a ballot ranking k entries, position p earns "
        "k − p + 1 points; unranked entries earn nothing."
    ),
}

POLL_CHANGED = "This ballot does not fit the poll as it stands now; load the poll again and rank afresh."


def _shown(key: object) -> str:
    return repr(str(key)[:60])


def ballot_problem(error: BallotError) -> str:
    """A sentence saying why a ranking is not a ballot of the poll.

    >>> ballot_problem(BallotError(BallotProblem.REPEATED, key="a"))
    "Each entry can be ranked only once; repeated: 'a'."
    """
    data = error.data
    match error.problem:
        case BallotProblem.EMPTY:
            return "Rank at least one entry."
        case BallotProblem.TOO_LONG:
            return f"A ballot ranks at most {data['most']} entries; this one has {data['given']}."
        case BallotProblem.UNKNOWN:
            return f"There is no entry called {_shown(data['key'])} in this poll."
        case BallotProblem.REPEATED:
            return f"Each entry can be ranked only once; repeated: {_shown(data['key'])}."


class Taken(Protocol):
    """What became of a stored ballot (``ballots.service.Cast``)."""

    @property
    def replaced(self) -> bool: ...

    @property
    def held(self) -> bool: ...


HELD = (
    "Many ballots came from your connection at once, so yours waits for a quick check "
    "before it counts. Nothing more to do: it is kept."
)


def ballot_taken(cast: Taken) -> str:
    """What a reader is told once their ballot is stored."""
    start = "Your new ballot replaced your earlier one." if cast.replaced else "Thank you! Your ballot is in."
    return f"{start} {HELD}" if cast.held else start
