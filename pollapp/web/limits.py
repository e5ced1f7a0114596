"""Rate limits: one budget per client address for every way of casting a ballot."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import current_app

from ..extensions import limiter

P = ParamSpec("P")
R = TypeVar("R")


def ballot_limit() -> str:
    return str(current_app.config["RATELIMIT_BALLOTS"])


# One budget per client address for every way of casting a ballot (form and API).
_shared_ballot_limit = limiter.shared_limit(ballot_limit, scope="ballots", methods=["POST"])


def limit_ballots(view: Callable[P, R]) -> Callable[P, R]:
    """Count a view's POSTs against the shared ballot budget; no cost at all when limits are off."""
    limited = _shared_ballot_limit(view)

    @wraps(view)
    def checked(*args: P.args, **kwargs: P.kwargs) -> R:
        if current_app.config["RATELIMIT_ENABLED"]:
            return limited(*args, **kwargs)
        return view(*args, **kwargs)

    return checked
