"""Rate limits: a budget per client address for casting ballots, and one for
first ballots counted at once."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Any, ParamSpec, TypeVar, cast

from flask import Response, current_app
from limits import RateLimitItem, parse_many

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
_download_limit = limiter.shared_limit(download_limit, scope="downloads", methods=["GET"], deduct_when=_sent)


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


# Count a view's POSTs against the shared ballot budget.
limit_ballots = _when_enabled(_shared_ballot_limit)
# Count a view's downloads against the address's download budget.
limit_downloads = _when_enabled(_download_limit)


@lru_cache(maxsize=8)
def _limits(setting: str) -> tuple[RateLimitItem, ...]:
    return tuple(parse_many(setting))


_outage_logged = False


def _first_ballot_budget(spend: bool) -> bool:
    """Test (or spend from) this address's budget of first ballots counted at
    once; True while there is budget left. When the limits' storage fails,
    every ballot counts, and that is logged once."""
    global _outage_logged
    config = current_app.config
    if not config["RATELIMIT_ENABLED"]:
        return True
    address = client_address()
    try:
        strategy = limiter.limiter
        check = strategy.hit if spend else strategy.test
        return all(
            [check(item, "first-ballots", address) for item in _limits(config["RATELIMIT_FIRST_BALLOTS"])]
        )
    except Exception as error:  # any failure of the storage: count rather than refuse or hold
        if not _outage_logged:
            current_app.logger.warning("first-ballot budget unavailable, counting every ballot: %s", error)
            _outage_logged = True
        return True


def first_ballot_held() -> bool:
    """Whether a first ballot cast from this address now is to be held.

    Every address may have some first ballots counted at once
    (``RATELIMIT_FIRST_BALLOTS``); past that they are stored but held for a
    check. A client that drops its cookie to vote again gets no more than
    that counted, and a crowd behind one address loses nothing: each reader's
    ballot is kept and counts once released. The budget is spent only by a
    first ballot that was counted (``spend_first_ballot``), so refused junk and
    readers changing their ballot never spend it.
    """
    return not _first_ballot_budget(spend=False)


def spend_first_ballot() -> None:
    """Spend one of this address's first ballots counted at once."""
    _first_ballot_budget(spend=True)
