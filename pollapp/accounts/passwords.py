"""Password hashes: argon2id through argon2-cffi, with its recommended parameters.

An unknown email is checked against a hash of a random password, so that it
costs what a wrong password costs and the time taken says nothing about who
has an account.
"""

from __future__ import annotations

import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@lru_cache(maxsize=1)
def _stand_in() -> str:
    """A hash no password typed can match, made with the same parameters as real ones."""
    return _hasher.hash(secrets.token_urlsafe(32))


def verify(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches the stored hash; with no hash (no such
    account), the same work against a stand-in, and False."""
    try:
        matched = _hasher.verify(stored or _stand_in(), password)
    except (VerificationError, InvalidHashError):
        return False
    return stored is not None and matched


def needs_rehash(stored: str) -> bool:
    """Whether a hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(stored)
