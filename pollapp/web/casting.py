"""Casting a ballot from any blueprint: under the address's first-ballot
budget, with the answers every way of voting shares."""

from __future__ import annotations

from collections.abc import Sequence

from ..ballots.service import Cast, InvalidBallot, NoSuchPoll, PollClosed, PollNotOpenYet, cast_ballot
from ..core.terms import BallotSource
from ..polls.models import Poll
from ..words import POLL_CHANGED, ballot_problem
from .limits import first_ballot_place
from .lookup import closed, no_such_poll, not_open_yet
from .ordering import order_seed


class Refused(Exception):
    """A ranking that does not fit the poll, with the sentence that says why
    and the code that stands for it."""

    def __init__(self, reason: str, code: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


def take_ballot(
    poll: Poll | str, reader: str, ranking: Sequence[str], source: BallotSource, *, with_poll: bool = False
) -> Cast:
    """Cast the reader's ballot from ``source``, held if the address's first-ballot budget is
    spent. 404 for no such poll, 409 for one closed or not open yet; ``Refused`` for a
    ranking that does not fit. The budget's place is given back unless the
    ballot is a counted first ballot. ``with_poll``: the answer says where the poll stands."""
    slug = poll if isinstance(poll, str) else poll.slug
    with first_ballot_place() as place:
        try:
            # The API shows no ballot; a page's ballot showed the reader's own order.
            seed = None if source is BallotSource.API else order_seed(slug, reader)
            cast = cast_ballot(
                poll, reader, ranking, hold=place.held, source=source, order_seed=seed, with_poll=with_poll
            )
        except NoSuchPoll:
            no_such_poll(slug)
        except PollNotOpenYet:
            not_open_yet()
        except PollClosed:
            closed()
        except InvalidBallot as error:
            if error.cause is None:
                raise Refused(str(POLL_CHANGED), "poll_changed") from error
            raise Refused(ballot_problem(error.cause), f"ballot_{error.cause.problem}") from error
    if cast.replaced:
        place.give_back()
    return cast
