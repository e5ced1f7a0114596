"""What the tally was through a poll's life: a snapshot at the start of every
hour in which ballots came.

A snapshot is taken before the hour's first ballot is written, by whichever
worker casts it; others that try too find it there (the insert does nothing on
its key). Each worker remembers the last hour it saw snapped, so a ballot pays
for a dictionary look-up, and an hour pays for one read of the tally's few
hundred cells and one row.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any, cast
from weakref import WeakKeyDictionary

from sqlalchemy import Table, bindparam, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

from ..extensions import db
from ..polls.models import Poll
from .models import TallyCell, TallySnapshot

_cells = TallyCell.__table__
_snapshots = cast(Table, TallySnapshot.__table__)  # declared as any FromClause; a mapped class's is its Table
_polls = Poll.__table__
_TALLY_OF_SLUG = (
    select(_polls.c.id, _cells.c.entry_id, _cells.c.length, _cells.c.position, _cells.c.ballots)
    .select_from(_polls.outerjoin(_cells, _cells.c.poll_id == _polls.c.id))
    .where(_polls.c.slug == bindparam("b_slug"))
)
_INSERT = {
    "postgresql": postgresql_insert(_snapshots).on_conflict_do_nothing(),
    "sqlite": sqlite_insert(_snapshots).on_conflict_do_nothing(),
}
# Per engine (so per app and database), per poll slug: the last hour known to be snapped.
_snapped: WeakKeyDictionary[Engine, dict[str, datetime]] = WeakKeyDictionary()


def hour_of(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def keep_hour(engine: Engine, slug: str, now: datetime) -> None:
    """Snap the poll's tally at the start of ``now``'s hour unless done already;
    call before a ballot of that hour is written."""
    hour = hour_of(now)
    seen = _snapped.setdefault(engine, {})
    if seen.get(slug) == hour:
        return
    with engine.begin() as connection:
        rows = connection.execute(_TALLY_OF_SLUG, {"b_slug": slug}).all()
        if rows:
            cells = [[e, k, p, n] for _, e, k, p, n in rows if e is not None and n]
            connection.execute(
                _INSERT[engine.dialect.name], {"poll_id": rows[0][0], "at": hour, "cells": cells}
            )
    seen[slug] = hour


def snapshots(poll: Poll) -> list[tuple[datetime, Counter[tuple[str, int, int]]]]:
    """The poll's snapshots, oldest first, each as a tally keyed by entry key
    (cells of entries the poll no longer has are left out)."""
    keys = {entry.id: entry.key for entry in poll.entries}
    found = db.session.execute(
        select(TallySnapshot.at, TallySnapshot.cells)
        .where(TallySnapshot.poll_id == poll.id)
        .order_by(TallySnapshot.at)
    ).all()
    return [(_utc(at), _counts(cells, keys)) for at, cells in found]


def _utc(moment: datetime) -> datetime:
    # SQLite gives back naive times; every time stored is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _counts(cells: Any, keys: dict[int, str]) -> Counter[tuple[str, int, int]]:
    return Counter({(keys[e], k, p): n for e, k, p, n in cells if e in keys})
