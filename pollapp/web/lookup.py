"""Finding the poll a URL names, or a 404 that says so; the words every
blueprint uses for a poll that takes no ballots, closed or not open yet."""

from __future__ import annotations

from typing import NoReturn

from flask import abort, g
from flask_babel import gettext, lazy_gettext

from ..polls.models import Poll
from ..polls.service import PollState, find_poll, find_poll_state

CLOSED = lazy_gettext("This poll is closed and no longer takes ballots. The results are final.")
NOT_OPEN_YET = lazy_gettext("This poll is not open yet: it takes ballots from its opening time on.")
NOT_PUBLIC_RESULTS = lazy_gettext("The results of this poll are not public yet.")
NOT_PUBLIC_BALLOTS = lazy_gettext("The ballots of this poll are not public yet.")


def poll_or_404(slug: str, *, drafts: bool = False) -> Poll:
    """The poll the slug names. A draft is there for the desk only (``drafts``):
    to a reader it does not exist."""
    poll = find_poll(slug)
    if poll is None or (poll.is_draft and not drafts):
        no_such_poll(slug)
    return poll


def poll_state_or_404(slug: str) -> PollState:
    """Where the poll the slug names stands, without its text or entries: a
    light query, for a request that may need no more. A draft is not there."""
    state = find_poll_state(slug)
    if state is None or state.is_draft:
        no_such_poll(slug)
    return state


def no_such_poll(slug: str) -> NoReturn:
    g.no_such_poll = True  # the error page then leads home, not to this poll
    abort(404, gettext("There is no poll called “%(slug)s”.", slug=slug[:80]))


def closed() -> NoReturn:
    abort(409, str(CLOSED))


def not_open_yet() -> NoReturn:
    abort(409, str(NOT_OPEN_YET))


def not_taking_reason(poll: Poll) -> str:
    """Why the poll takes no ballot now: not yet, or no more."""
    return str(NOT_OPEN_YET if poll.is_upcoming else CLOSED)
