"""The app session's transactions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ..extensions import db


@contextmanager
def one_transaction() -> Iterator[None]:
    """Commit what the block did, or, if it raised, roll all of it back."""
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
