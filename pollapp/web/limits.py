"""Rate limits: a budget per client address for casting ballots, and one for
first ballots counted at once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache, wraps
from typing import Any, ParamSpec, TypeVar, cast

from flask import Flask, Response, current_app
from flask_babel import lazy_gettext
from limits import RateLimitItem, parse_many
from limits.storage import Storage

from ..extensions import client_address, limiter

P = ParamSpec("P")
R = TypeVar("R")


def ballot_limit() -> str:
    return str(current_app.config["RATELIMIT_BALLOTS"])


def _accepted(response: Response) -> bool:
    return response.status_code < 400


# One budget per client address for every way of casting a ballot (form and
# API), spent only by ballots that were taken: a refused request costs nothing.
_shared_ballot_limit = limiter.shared_limit(
    ballot_limit, scope="ballots", methods=["POST"], deduct_when=_accepted
)


def download_limit() -> str:
    return str(current_app.config["RATELIMIT_DOWNLOADS"])


def _sent(response: Response) -> bool:
    return response.status_code == 200


# Downloads per client address; a revalidation answered 304 costs nothing.
_download_limit = limiter.shared_limit(
    download_limit,
    scope="downloads",
    methods=["GET"],
    deduct_when=_sent,
    error_message=lazy_gettext(
        "Too many downloads from your connection. Please try again in {seconds} seconds."
    ),
)


def _when_enabled(
    limit: Callable[[Callable[..., Any]], Callable[..., Any]],
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """A limit decorator that costs nothing at all when limits are off."""

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        limited = limit(view)

        @wraps(view)
        def checked(*args: P.args, **kwargs: P.kwargs) -> R:
            if current_app.config["RATELIMIT_ENABLED"]:
                return cast(R, limited(*args, **kwargs))
            return view(*args, **kwargs)

        return checked

    return decorate


def suggestion_limit() -> str:
    return str(current_app.config["RATELIMIT_SUGGESTIONS"])


# Suggestions taken per client address, for both kinds; a refused one costs nothing.
_suggestion_limit = limiter.shared_limit(
    suggestion_limit,
    scope="suggestions",
    methods=["POST"],
    deduct_when=_accepted,
    error_message=lazy_gettext(
        "Too many suggestions from your connection. Please try again in {seconds} seconds."
    ),
)

# Count a view's POSTs against the shared ballot budget.
limit_ballots = _when_enabled(_shared_ballot_limit)
# Count a view's downloads against the address's download budget.
limit_downloads = _when_enabled(_download_limit)
# Count a view's POSTs against the address's suggestion budget.
limit_suggestions = _when_enabled(_suggestion_limit)


@lru_cache(maxsize=8)
def _limits(setting: str) -> tuple[RateLimitItem, ...]:
    return tuple(parse_many(setting))


_outage_logged = False


def _storage_failed(error: Exception) -> None:
    global _outage_logged
    if not _outage_logged:
        current_app.logger.warning("first-ballot budget unavailable, counting every ballot: %s", error)
        _outage_logged = True


@dataclass
class FirstBallotPlace:
    """A ballot's place in its address's budget of first ballots counted at
    once, taken before the ballot is cast, so that ballots cast at the same
    moment cannot all pass the budget."""

    held: bool  # no place was left: the ballot is to be held for a check
    _taken: list[tuple[Storage, str, int]] = field(default_factory=list)

    def give_back(self) -> None:
        """Return the place: the ballot was not a counted first ballot after all
        (it replaced an earlier one, or it was refused)."""
        taken, self._taken = self._taken, []
        try:
            for storage, key, expiry in taken:
                storage.incr(key, expiry, amount=-1)
        except Exception as error:  # any failure of the storage: the place is lost, nothing worse
            _storage_failed(error)

    def __enter__(self) -> FirstBallotPlace:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is not None:  # the ballot was refused, or failed
            self.give_back()


def first_ballot_place() -> FirstBallotPlace:
    """Take a place in this address's budget of first ballots counted at once.

    Every address may have some first ballots counted at once
    (``RATELIMIT_FIRST_BALLOTS``); past that they are stored but held for a
    check. A client that drops its cookie to vote again gets no more than that
    counted, and a crowd behind one address loses nothing: each reader's
    ballot is kept and counts once released. The place is taken with one
    atomic increment per limit, and given back when the ballot turns out to
    replace an earlier one or is refused, so readers changing their ballot and
    refused junk spend nothing. When the limits' storage fails, every ballot
    counts, and that is logged once.
    """
    config = current_app.config
    if not config["RATELIMIT_ENABLED"]:
        return FirstBallotPlace(held=False)
    address = client_address()
    place = FirstBallotPlace(held=False)
    try:
        storage = limiter.limiter.storage
        for item in _limits(config["RATELIMIT_FIRST_BALLOTS"]):
            key, expiry = item.key_for("first-ballots", address), item.get_expiry()
            count = storage.incr(key, expiry, amount=1)
            place._taken.append((storage, key, expiry))
            if count > item.amount:
                place.held = True
    except Exception as error:  # any failure of the storage: count rather than refuse or hold
        _storage_failed(error)
        return FirstBallotPlace(held=False)
    if place.held:
        place.give_back()  # a held ballot takes no place
    return place


def init_app(app: Flask) -> None:
    """Start a new app with its limits' storage taken to be up. The limiter is
    one object for every app in the process, and an app that saw its storage
    fail must not leave the next one counting in a fallback it never needed."""
    global _outage_logged
    limiter._storage_dead = False
    _outage_logged = False
