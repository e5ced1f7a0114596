"""What the app does with polls and ballots.

The only module that touches both the database and the ranking mathematics;
views, the API and the command line call it and nothing below it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from sqlalchemy import bindparam, delete, literal_column, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import joinedload

from . import ranking, tally_triggers
from .catalogue import ENTRY_FIELDS, KEY_PATTERN, PollFileError, PollSpec
from .database import DriverStatement, ballot_engine, driver_error
from .extensions import db
from .models import Ballot, Entry, Poll, TallyCell, utcnow

IMPORT_BATCH = 20_000
SLUG_LENGTH = Poll.__table__.c.slug.type.length
KEY_LENGTH = Entry.__table__.c.key.type.length


class PollClosed(Exception):
    """The poll no longer takes ballots."""


class NoSuchPoll(LookupError):
    """There is no poll by that name."""


class InvalidBallot(ValueError):
    """A ballot that breaks the rules, with a sentence a reader understands."""


@dataclass(frozen=True)
class EntryView:
    key: str
    editor_rank: int
    drama: str
    scene: str
    couple: str
    blurb: str


@dataclass(frozen=True)
class Results:
    """A poll's outcome with the entries' text attached."""

    poll: Poll
    outcome: ranking.Outcome
    entries: dict[str, EntryView]
    positions: dict[str, list[int]]


# ---------------------------------------------------------------- polls


def sync_polls(specs: Iterable[PollSpec]) -> list[str]:
    """Create or update polls from their files; never touches ballots.

    Status is set only when a poll is created, so a poll closed from the
    command line stays closed. Returns a line per poll.
    """
    report = []
    for spec in specs:
        poll = db.session.execute(select(Poll).where(Poll.slug == spec.slug)).scalar_one_or_none()
        if poll is None:
            poll = Poll(
                slug=spec.slug, status=spec.status, results_visibility=spec.results_visibility, revision=0
            )
            db.session.add(poll)
            action = "created"
        elif _definition(poll) == _definition(spec):
            report.append(f"{spec.slug}: unchanged, {len(spec.entries)} entries")
            continue
        else:
            action = "updated"
            _bump_revision(poll.id)  # the results' text, rule or order may change
        poll.title, poll.intro, poll.borda_rule = spec.title, spec.intro, spec.borda_rule
        poll.results_visibility = spec.results_visibility
        existing = {entry.key: entry for entry in poll.entries}
        wanted = {entry.key for entry in spec.entries}
        removed = sorted(set(existing) - wanted)
        if removed and poll.id is not None and _has_ballots(poll):
            raise PollFileError(
                f"poll {spec.slug!r} has ballots, so its entries cannot be removed ({', '.join(removed)}); "
                "keep them in the file"
            )
        for key in removed:
            poll.entries.remove(existing[key])
        # Park editor ranks out of the way so a reordering never trips the unique constraint.
        for entry in existing.values():
            entry.editor_rank += 10_000
        db.session.flush()
        for rank, item in enumerate(spec.entries, start=1):
            entry = existing.get(item.key) or Entry(key=item.key)
            entry.editor_rank, entry.drama, entry.scene = rank, item.drama, item.scene
            entry.couple, entry.blurb = item.couple, item.blurb
            if entry.id is None:
                poll.entries.append(entry)
        db.session.flush()
        report.append(f"{spec.slug}: {action}, {len(spec.entries)} entries")
    db.session.commit()
    return report


def _definition(poll: Poll | PollSpec) -> tuple[object, ...]:
    """What a poll file decides, from the database or from the file alike."""
    entries = tuple(tuple(getattr(e, field) for field in ENTRY_FIELDS) for e in poll.entries)
    return (poll.title, poll.intro, poll.borda_rule, poll.results_visibility, entries)


def _bump_revision(poll_id: int) -> None:
    db.session.connection().execute(_BUMP_ANY_POLL, {"b_poll": poll_id})


def _has_ballots(poll: Poll) -> bool:
    return db.session.execute(select(Ballot.id).where(Ballot.poll_id == poll.id).limit(1)).first() is not None


def _plausible_slug(slug: str) -> bool:
    # Only a well-formed slug reaches the database: nothing else can match, and
    # PostgreSQL refuses a query holding a NUL character with an error.
    return len(slug) <= SLUG_LENGTH and KEY_PATTERN.fullmatch(slug) is not None


def find_poll(slug: str) -> Poll | None:
    if not _plausible_slug(slug):
        return None
    # Every caller goes on to the entries: one query brings both.
    found = select(Poll).options(joinedload(Poll.entries)).where(Poll.slug == slug)
    return db.session.execute(found).unique().scalar_one_or_none()


def first_poll() -> Poll | None:
    """The poll the home page shows: the newest open one, else the newest."""
    return db.session.execute(
        select(Poll).order_by((Poll.status == "open").desc(), Poll.id.desc()).limit(1)
    ).scalar_one_or_none()


def all_polls() -> list[Poll]:
    return list(db.session.execute(select(Poll).order_by(Poll.id)).scalars())


def set_status(poll: Poll, status: str) -> None:
    """Open or close a poll. Ballots in flight are counted before the change,
    and none is counted after a close."""
    try:
        _hold_ballots(poll)
        poll.status = status
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def entry_views(poll: Poll) -> list[EntryView]:
    return [EntryView(e.key, e.editor_rank, e.drama, e.scene, e.couple, e.blurb) for e in poll.entries]


def entry_ids(poll: Poll) -> dict[str, int]:
    """Entry key -> database id, in the editors' order."""
    return {entry.key: entry.id for entry in poll.entries}


def entry_keys(poll: Poll) -> list[str]:
    return [entry.key for entry in poll.entries]


def can_see_results(poll: Poll, reader: str | None) -> bool:
    """Whether this reader may see the poll's results now (asks for their ballot only if it matters)."""
    if poll.results_visibility == "always" or poll.status == "closed":
        return True
    return poll.results_visibility == "after_vote" and reader_ballot(poll, reader) is not None


# ---------------------------------------------------------------- ballots


def reader_ballot(poll: Poll, reader: str | None) -> list[str] | None:
    """The ranking this reader last cast in this poll, if any."""
    if reader is None:
        return None
    stored = db.session.execute(
        select(Ballot.ranking).where(Ballot.poll_id == poll.id, Ballot.reader == reader)
    ).scalar_one_or_none()
    return stored.split(",") if stored else None


# Statements built once: a reused statement keeps its compiled form cached.
_polls, _ballots, _cells = Poll.__table__, Ballot.__table__, TallyCell.__table__
_BUMP_ANY_POLL = (
    _polls.update().where(_polls.c.id == bindparam("b_poll")).values(revision=_polls.c.revision + 1)
)
_POLL_TALLY = (
    select(_cells.c.entry_id, _cells.c.length, _cells.c.position, _cells.c.ballots)
    .where(_cells.c.poll_id == bindparam("b_poll"))
    .order_by(_cells.c.entry_id, _cells.c.length, _cells.c.position)
)


def _cast_statement(dialect_insert: Any) -> Any:
    """Cast a reader's ballot, or replace their earlier one, in a poll named by slug.

    Returns the ballot's count of replacements (0 for a first ballot) and no
    row when there is no such poll. The tally triggers do the rest.
    """
    chosen_poll = select(
        _polls.c.id,
        bindparam("b_reader", type_=_ballots.c.reader.type),
        bindparam("b_ranking", type_=_ballots.c.ranking.type),
        bindparam("b_created", type_=_ballots.c.created_at.type),
        bindparam("b_updated", type_=_ballots.c.updated_at.type),
    ).where(_polls.c.slug == bindparam("b_slug"))
    new = dialect_insert(_ballots).from_select(
        ["poll_id", "reader", "ranking", "created_at", "updated_at"], chosen_poll, include_defaults=False
    )
    return new.on_conflict_do_update(
        index_elements=["poll_id", "reader"],
        set_={
            "ranking": new.excluded.ranking,
            "updated_at": new.excluded.updated_at,
            "replacements": _ballots.c.replacements + literal_column("1"),
        },
    ).returning(_ballots.c.replacements)


def _change_cells_statement(dialect_insert: Any) -> Any:
    """Apply one change to one tally cell: a cell gaining its first ballot is
    inserted, any other moves by the change."""
    return dialect_insert(_cells).on_conflict_do_update(
        index_elements=["poll_id", "entry_id", "length", "position"],
        set_={"ballots": _cells.c.ballots + bindparam("b_delta")},
    )


_CAST = {
    "postgresql": DriverStatement(_cast_statement(postgresql_insert)),
    "sqlite": DriverStatement(_cast_statement(sqlite_insert)),
}
_CHANGE_CELLS = {
    "postgresql": _change_cells_statement(postgresql_insert),
    "sqlite": _change_cells_statement(sqlite_insert),
}


def _well_formed(keys: Sequence[str]) -> bool:
    """Whether a ranking can be put to the database as it is: some keys, each a
    plausible entry key, none twice. Whether they are this poll's entries is the
    database's to say."""
    return (
        bool(keys)
        and all(len(key) <= KEY_LENGTH and KEY_PATTERN.fullmatch(key) for key in keys)
        and len(set(keys)) == len(keys)
    )


def cast_ballot(poll: Poll | str, reader: str, ranking_keys: Sequence[str]) -> bool:
    """Store a reader's ballot, replacing their earlier one; True if it replaced one.

    ``poll`` is a poll or its slug. One statement in one transaction: the
    ballot and its tally cells move together or not at all.
    Raises ``NoSuchPoll``, ``PollClosed`` or ``InvalidBallot``.
    """
    slug = poll if isinstance(poll, str) else poll.slug
    if not _plausible_slug(slug):
        raise NoSuchPoll(slug)
    keys = list(ranking_keys)
    if not _well_formed(keys):
        _refuse(slug, keys)
    now = utcnow()
    values = {
        "b_slug": slug,
        "b_reader": reader,
        "b_ranking": ",".join(keys),
        "b_created": now,
        "b_updated": now,
    }
    engine = ballot_engine()
    try:
        row = _CAST[engine.dialect.name].write(engine, values)
    except driver_error(engine) as error:
        said = str(error)
        if tally_triggers.POLL_CLOSED in said:
            raise PollClosed from None
        if tally_triggers.NOT_A_RANKING in said:
            _refuse(slug, keys)
        raise
    if row is None:
        raise NoSuchPoll(slug)
    return bool(row[0] > 0)


def _refuse(slug: str, keys: Sequence[str]) -> NoReturn:
    """Raise the error that says why this ballot cannot be stored in this poll."""
    poll = find_poll(slug)
    if poll is None:
        raise NoSuchPoll(slug)
    if not poll.is_open:
        raise PollClosed
    try:
        ranking.check_ballot(keys, entry_keys(poll))
    except ValueError as error:
        raise InvalidBallot(str(error)) from error
    # The poll changed between the database's refusal and this look at it.
    raise InvalidBallot(
        "This ballot does not fit the poll as it stands now; load the poll again and rank afresh."
    )


def _add_to_tally(poll_id: int, deltas: Counter[tuple[int, int, int]]) -> None:
    """Apply tally changes in one statement, cells in sorted order so that
    concurrent writers lock them in the same order and never deadlock."""
    changes = [
        {"poll_id": poll_id, "entry_id": e, "length": k, "position": p, "ballots": max(d, 0), "b_delta": d}
        for (e, k, p), d in sorted(deltas.items())
        if d != 0
    ]
    if changes:
        connection = db.session.connection()
        connection.execute(_CHANGE_CELLS[connection.dialect.name], changes)


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class Tally:
    """A poll's running tally as read at one moment."""

    counts: Counter[tuple[str, int, int]]  # (entry key, length, position) -> ballots
    tag: str  # differs whenever the results can: the results' ETag


def read_tally(poll: Poll) -> Tally:
    """The running tally, keyed by entry key, with its tag."""
    keys = {entry.id: entry.key for entry in poll.entries}
    rows = db.session.connection().execute(_POLL_TALLY, {"b_poll": poll.id}).all()
    # Every cell is integers, and CPython hashes integers alike in every process
    # (no hash randomisation), so all workers on all hosts agree on the tag.
    tag = f"results-{poll.id}-{poll.revision}-{hash(tuple(map(tuple, rows))) & 0xFFFFFFFFFFFFFFFF:016x}"
    return Tally(Counter({(keys[entry], k, p): n for entry, k, p, n in rows if n}), tag)


def stored_tally(poll: Poll) -> Counter[tuple[str, int, int]]:
    """The running tally, keyed by entry key."""
    return read_tally(poll).counts


def recount(poll: Poll) -> Counter[tuple[str, int, int]]:
    """The tally counted afresh from every stored ballot."""
    return ranking.tally(ballot_rankings(poll))


def _hold_ballots(poll: Poll) -> None:
    """Keep ballots from changing until this transaction ends, so a recount and
    the tally are read (and rewritten) at one moment."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        # Waits for ballots being cast and holds new ones back until the commit.
        connection.exec_driver_sql("LOCK TABLE ballot IN SHARE MODE")
    else:
        # A write takes SQLite's one write lock; every later read is consistent.
        _bump_revision(poll.id)


def results(poll: Poll, tally: Tally | None = None) -> Results:
    """The comparison of the editors' order with the readers', from the tally."""
    counts = (tally or read_tally(poll)).counts
    keys = entry_keys(poll)
    return Results(
        poll=poll,
        outcome=ranking.outcome(counts, keys, poll.borda_rule),  # type: ignore[arg-type]
        entries={view.key: view for view in entry_views(poll)},
        positions=ranking.position_matrix(counts, keys),
    )


def tally_differences(poll: Poll) -> list[str]:
    """Where the running tally disagrees with a recount, a line per cell."""
    try:
        _hold_ballots(poll)
        stored, counted = stored_tally(poll), recount(poll)
    finally:
        db.session.rollback()
    return [
        f"{key} length {k} position {p}: tally {stored[key, k, p]}, recount {counted[key, k, p]}"
        for key, k, p in sorted(set(stored) | set(counted))
        if stored[key, k, p] != counted[key, k, p]
    ]


def rebuild_tally(poll: Poll) -> None:
    """Replace the running tally with a recount, in one transaction."""
    ids = entry_ids(poll)
    try:
        _hold_ballots(poll)
        counted = recount(poll)
        db.session.execute(delete(TallyCell).where(TallyCell.poll_id == poll.id))
        _add_to_tally(poll.id, Counter({(ids[key], k, p): n for (key, k, p), n in counted.items()}))
        _bump_revision(poll.id)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


# ---------------------------------------------------------------- import and export


def stored_rankings(poll: Poll) -> Iterator[str]:
    """Every stored ranking in the order cast, as stored (keys joined by commas), streamed.

    A generator, so the query runs when a streamed response starts reading it.
    """
    yield from db.session.execute(
        select(_ballots.c.ranking)
        .where(_ballots.c.poll_id == poll.id)
        .order_by(_ballots.c.id)
        .execution_options(yield_per=5_000)
    ).scalars()


def ballot_rankings(poll: Poll) -> Iterator[list[str]]:
    """Every stored ranking in the order cast, streamed from the database."""
    for stored in stored_rankings(poll):
        yield stored.split(",")


def import_ballots(poll: Poll, rankings: Sequence[Sequence[str]]) -> int:
    """Add already checked rankings as reader-less ballots, in one transaction."""
    ids = entry_ids(poll)
    stored = [",".join(r) for r in rankings]
    # Real ballots repeat: each distinct ranking's cells are counted once, times its ballots.
    deltas: Counter[tuple[int, int, int]] = Counter()
    for text, times in Counter(stored).items():
        for key, k, p in ranking.ballot_cells(text.split(",")):
            deltas[ids[key], k, p] += times
    try:
        now = utcnow()
        for start in range(0, len(stored), IMPORT_BATCH):
            db.session.execute(
                _ballots.insert(),
                [
                    {
                        "poll_id": poll.id,
                        "reader": None,
                        "ranking": text,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for text in stored[start : start + IMPORT_BATCH]
                ],
            )
        _add_to_tally(poll.id, deltas)
        # The poll last: every writer of the tally locks its cells before the poll.
        _bump_revision(poll.id)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return len(rankings)
