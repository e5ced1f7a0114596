"""The running tally: how many ballots of each length put each entry at each
position. The database moves it as readers' ballots are written (the triggers
in ``storage.triggers``); this module reads it and adds imported ballots."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..extensions import db
from ..polls.models import Poll
from ..storage.driver import DriverStatement
from ..storage.engines import ballot_engine
from .models import Ballot, TallyCell

_cells = TallyCell.__table__
_ballots = Ballot.__table__
# Held ballots are few, and a partial index holds just them.
_POLL_HELD = (
    select(func.count())
    .select_from(_ballots)
    # Word for word the partial index's condition, so that SQLite (which renders a
    # boolean column as "held = 1") sees the index applies.
    .where(_ballots.c.poll_id == bindparam("b_poll"), text("held"))
)
_POLL_TALLY = (
    select(_cells.c.entry_id, _cells.c.length, _cells.c.position, _cells.c.ballots)
    .where(_cells.c.poll_id == bindparam("b_poll"))
    .order_by(_cells.c.entry_id, _cells.c.length, _cells.c.position)
)


_POLL_TALLY_ON_DRIVER = DriverStatement(_POLL_TALLY)


@dataclass(frozen=True)
class Tally:
    """A poll's running tally as read at one moment."""

    counts: Counter[tuple[str, int, int]]  # (entry key, length, position) -> ballots
    held: int  # ballots stored but held for a check, not in the counts
    tag: str  # differs whenever the results can: the results' ETag


def read_tally(poll: Poll) -> Tally:
    """The running tally, keyed by entry key, with the held ballots' count and its tag."""
    keys = {entry.id: entry.key for entry in poll.entries}
    cells = _filled_cells(poll.id)
    held = held_ballots(poll)
    return Tally(
        Counter({(keys[entry], k, p): n for entry, k, p, n in cells}), held, tally_tag(poll, cells, held)
    )


def read_counts(poll_id: int, keys: Mapping[int, str]) -> Counter[tuple[str, int, int]]:
    """The running tally's counts alone, keyed by entry key (``keys``: entry id ->
    key): all a readers' ranking needs, without the held count or the tag.

    Read straight on the driver through the ballot path's engine, outside the
    session and its transaction: the embed's answer to a ballot needs nothing
    else from the database, and starting the session would cost more than
    the query. Cells of an entry ``keys`` does not name (one added since they
    were read) are left out: such an edit bumps the poll's revision, and
    whatever was read for the old revision is read again for the new one.
    """
    rows = _POLL_TALLY_ON_DRIVER.read(ballot_engine(), {"b_poll": poll_id})
    return Counter({(keys[entry], k, p): n for entry, k, p, n in rows if n and entry in keys})


def _filled_cells(poll_id: int) -> list[tuple[int, int, int, int]]:
    """The poll's tally cells that hold a ballot, as (entry id, length, position, ballots), in order."""
    rows = db.session.connection().execute(_POLL_TALLY, {"b_poll": poll_id}).all()
    return [(entry, k, p, n) for entry, k, p, n in rows if n]


def held_ballots(poll: Poll) -> int:
    """How many of the poll's ballots are held for a check."""
    return int(db.session.connection().execute(_POLL_HELD, {"b_poll": poll.id}).scalar_one())


def tally_tag(poll: Poll, cells: Sequence[tuple[int, int, int, int]], held: int) -> str:
    """The tag of a tally whose non-empty cells are ``(entry id, length, position,
    ballots)`` in that order: the same ballots give the same tag, however counted.

    Every cell is integers, and CPython hashes integers alike in every process
    (no hash randomisation), so all workers on all hosts agree on the tag.
    """
    digest = hash((held, tuple(cells))) & 0xFFFFFFFFFFFFFFFF
    return f"results-{poll.id}-{poll.revision}-{digest:016x}"


def _change_cells_statement(dialect_insert: Any) -> Any:
    """Apply one change to one tally cell: a cell gaining its first ballot is
    inserted, any other moves by the change."""
    return dialect_insert(_cells).on_conflict_do_update(
        index_elements=["poll_id", "entry_id", "length", "position"],
        set_={"ballots": _cells.c.ballots + bindparam("b_delta")},
    )


_CHANGE_CELLS = {
    "postgresql": _change_cells_statement(postgresql_insert),
    "sqlite": _change_cells_statement(sqlite_insert),
}


def add_to_tally(poll_id: int, deltas: Counter[tuple[int, int, int]]) -> None:
    """Apply tally changes ((entry id, length, position) -> change) in one
    statement, cells in sorted order so that concurrent writers lock them in
    the same order and never deadlock."""
    changes = [
        {"poll_id": poll_id, "entry_id": e, "length": k, "position": p, "ballots": max(d, 0), "b_delta": d}
        for (e, k, p), d in sorted(deltas.items())
        if d != 0
    ]
    if changes:
        connection = db.session.connection()
        connection.execute(_CHANGE_CELLS[connection.dialect.name], changes)
