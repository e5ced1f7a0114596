"""Failed logins count against two budgets in the rate limits' storage: the
client address's and the account's (the email typed, whether or not there is
such an account, so that a refusal says nothing about who has one). Past
either, logins are refused until its window ends. Only failures spend."""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from functools import lru_cache

from flask import current_app
from limits import RateLimitItem, parse_many

from ..accounts.service import normal_email
from ..extensions import client_address, limiter

_outage_logged = False


@lru_cache(maxsize=8)
def _limits(setting: str) -> tuple[RateLimitItem, ...]:
    return tuple(parse_many(setting))


def _account(email: str) -> str:
    """The account's key in the limits' storage: a keyed hash, never the email."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, b"login:" + normal_email(email).encode(), hashlib.sha256).hexdigest()[:32]


def _budgets(email: str) -> list[tuple[RateLimitItem, str, str]]:
    """(limit, scope, key) for each budget a login from here for this email spends."""
    config = current_app.config
    return [
        *(
            (item, "logins-address", client_address())
            for item in _limits(config["RATELIMIT_LOGINS_PER_ADDRESS"])
        ),
        *(
            (item, "logins-account", _account(email))
            for item in _limits(config["RATELIMIT_LOGINS_PER_ACCOUNT"])
        ),
    ]


def _storage_failed(error: Exception) -> None:
    global _outage_logged
    if not _outage_logged:
        current_app.logger.warning("login budgets unavailable, logins are not limited: %s", error)
        _outage_logged = True


def locked_for(email: str) -> int | None:
    """Seconds until a login for this email from this address may be tried
    again, when a budget is spent; None while both have some left."""
    if not current_app.config["RATELIMIT_ENABLED"]:
        return None
    strategy = limiter.limiter
    wait = 0.0
    try:
        for item, scope, key in _budgets(email):
            if not strategy.test(item, scope, key):
                reset = strategy.get_window_stats(item, scope, key).reset_time
                wait = max(wait, reset - time.time(), 1.0)
    except Exception as error:  # any failure of the storage: let logins through, the hash still slows them
        _storage_failed(error)
        return None
    return math.ceil(wait) if wait else None


def spend(email: str) -> None:
    """Count a failed login against both budgets."""
    if not current_app.config["RATELIMIT_ENABLED"]:
        return
    strategy = limiter.limiter
    try:
        for item, scope, key in _budgets(email):
            strategy.hit(item, scope, key)
    except Exception as error:  # as in locked_for
        _storage_failed(error)
