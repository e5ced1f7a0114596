"""What the app does with ballots: cast, replace, read back, import, stream."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, cast

from sqlalchemy import (
    Integer,
    String,
    Table,
    bindparam,
    case,
    func,
    literal_column,
    null,
    select,
    type_coerce,
)
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.elements import ColumnClause

from ..core import ranking
from ..core.terms import KEY_LENGTH, KEY_PATTERN, BallotSource, PollStatus
from ..extensions import db
from ..polls.models import Poll
from ..polls.service import (
    POLL_STATE_COLUMNS,
    PollState,
    bump_revision,
    entry_ids,
    entry_keys,
    find_poll,
    plausible_slug,
)
from ..storage import locks, triggers
from ..storage.driver import DriverStatement, driver_error
from ..storage.engines import ballot_engine
from ..storage.sessions import one_transaction
from .history import keep_hour
from .models import Ballot, BallotImport, utcnow
from .tally import add_to_tally

IMPORT_BATCH = 20_000


class PollClosed(Exception):
    """The poll no longer takes ballots."""


class PollNotOpenYet(PollClosed):
    """The poll's opening time is still to come."""


class AlreadyImported(Exception):
    """This file of ballots was imported into the poll before."""

    def __init__(self, earlier: BallotImport) -> None:
        super().__init__(earlier.imported_at, earlier.ballots)
        self.at = earlier.imported_at
        self.ballots = earlier.ballots


class NoSuchPoll(LookupError):
    """There is no poll by that name."""


@dataclass(frozen=True)
class Cast:
    """What became of a ballot that was stored."""

    replaced: bool  # it replaced the reader's earlier ballot
    held: bool  # it waits for a check before it counts
    poll: PollState | None = None  # where its poll stood as it was taken, when asked for


class InvalidBallot(ValueError):
    """A ballot that does not fit the poll: a ``ranking.BallotError`` when the
    ranking itself is wrong, or none when the poll changed under it."""

    def __init__(self, cause: ranking.BallotError | None = None) -> None:
        super().__init__(cause)
        self.cause = cause


def has_ballots(poll: Poll) -> bool:
    return db.session.execute(select(Ballot.id).where(Ballot.poll_id == poll.id).limit(1)).first() is not None


def reader_ballot(poll: Poll, reader: str | None) -> list[str] | None:
    """The ranking this reader last cast in this poll, if any."""
    if reader is None:
        return None
    stored = db.session.execute(
        select(Ballot.ranking).where(Ballot.poll_id == poll.id, Ballot.reader == reader)
    ).scalar_one_or_none()
    return stored.split(",") if stored else None


# Statements built once: a reused statement keeps its compiled form cached.
_polls = Poll.__table__
_ballots = cast(Table, Ballot.__table__)  # declared as any FromClause; a mapped class's is its Table


def _cast_statement(dialect_insert: Any, with_poll: bool = False) -> Any:
    """Cast a reader's ballot, or replace their earlier one, in a poll named by slug.

    Returns the ballot's count of replacements (0 for a first ballot) and
    whether it is held (``with_poll``: and then the poll's ``PollState``
    columns, read in the same statement), and no row when there is no such
    poll or it is a draft (to a reader a draft does not exist). A replacement keeps the
    ballot's ``held`` and ``source``. The tally triggers do the rest, and refuse a ballot
    for any poll that is not open.
    """
    chosen_poll = select(
        _polls.c.id,
        bindparam("b_reader", type_=_ballots.c.reader.type),
        bindparam("b_ranking", type_=_ballots.c.ranking.type),
        bindparam("b_created", type_=_ballots.c.created_at.type),
        bindparam("b_updated", type_=_ballots.c.updated_at.type),
        bindparam("b_held", type_=_ballots.c.held.type),
        bindparam("b_source", type_=_ballots.c.source.type),
        # The order is kept only when the poll shuffles its entries.
        case((_polls.c.shuffle_entries, bindparam("b_order_seed", type_=Integer())), else_=null()),
    ).where(
        _polls.c.slug == bindparam("b_slug"),
        # Written into the statement: the driver gets only the named parameters.
        _polls.c.status != literal_column(f"'{PollStatus.DRAFT.value}'"),
    )
    new = dialect_insert(_ballots).from_select(
        ["poll_id", "reader", "ranking", "created_at", "updated_at", "held", "source", "order_seed"],
        chosen_poll,
        include_defaults=False,
    )
    return new.on_conflict_do_update(
        index_elements=["poll_id", "reader"],
        set_={
            "ranking": new.excluded.ranking,
            "updated_at": new.excluded.updated_at,
            "order_seed": new.excluded.order_seed,
            "replacements": _ballots.c.replacements + literal_column("1"),
        },
    ).returning(_ballots.c.replacements, _ballots.c.held, *(_of_the_poll() if with_poll else ()))


def _of_the_poll() -> list[Any]:
    """The ballot's poll's ``PollState`` columns, each as a subquery on its row (its primary key)."""
    # Named as text: SQLAlchemy does not correlate a subquery inside RETURNING with the row written.
    written: ColumnClause[int] = literal_column(f"{_ballots.name}.{_ballots.c.poll_id.name}", Integer())
    return [select(column).where(_polls.c.id == written).scalar_subquery() for column in POLL_STATE_COLUMNS]


_CAST = {
    "postgresql": DriverStatement(_cast_statement(postgresql_insert)),
    "sqlite": DriverStatement(_cast_statement(sqlite_insert)),
}
# The embed's answer shows the poll's results as they stand: its row comes back with the ballot.
_CAST_WITH_POLL = {
    "postgresql": DriverStatement(_cast_statement(postgresql_insert, with_poll=True)),
    "sqlite": DriverStatement(_cast_statement(sqlite_insert, with_poll=True)),
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


def cast_ballot(
    poll: Poll | str,
    reader: str,
    ranking_keys: Sequence[str],
    *,
    hold: bool = False,
    source: BallotSource = BallotSource.SITE,
    order_seed: int | None = None,
    with_poll: bool = False,
) -> Cast:
    """Store a reader's ballot, replacing their earlier one.

    ``poll`` is a poll or its slug. ``hold``: a first ballot is stored but not
    counted until released; ``source``: where a first ballot was cast (a
    replacement keeps both as its ballot had them); ``order_seed``: the order
    the ballot listed the entries in, kept if the poll shuffles them. One
    statement in one transaction: the ballot and its tally cells move together
    or not at all. Raises ``NoSuchPoll``, ``PollClosed`` (``PollNotOpenYet``
    before its opening time) or ``InvalidBallot``.
    """
    slug = poll if isinstance(poll, str) else poll.slug
    if not plausible_slug(slug):
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
        "b_held": hold,
        "b_source": source,
        "b_order_seed": order_seed,
    }
    engine = ballot_engine()
    keep_hour(engine, slug, now)
    try:
        row = (_CAST_WITH_POLL if with_poll else _CAST)[engine.dialect.name].write(engine, values)
    except driver_error(engine) as error:
        said = str(error)
        if triggers.POLL_CLOSED in said:
            # The database's clock said so; the poll's row says which way.
            found = find_poll(slug)
            raise (PollNotOpenYet if found is not None and found.is_upcoming else PollClosed) from None
        if triggers.NOT_A_RANKING in said:
            _refuse(slug, keys)
        raise
    if row is None:
        raise NoSuchPoll(slug)
    if with_poll:
        poll_state = PollState(*_CAST_WITH_POLL[engine.dialect.name].typed(engine, row)[2:])
        return Cast(replaced=bool(row[0] > 0), held=bool(row[1]), poll=poll_state)
    return Cast(replaced=bool(row[0] > 0), held=bool(row[1]))


def _refuse(slug: str, keys: Sequence[str]) -> NoReturn:
    """Raise the error that says why this ballot cannot be stored in this poll."""
    poll = find_poll(slug)
    if poll is None or poll.is_draft:
        raise NoSuchPoll(slug)
    if poll.is_upcoming:
        raise PollNotOpenYet
    if not poll.is_open:
        raise PollClosed
    try:
        ranking.check_ballot(keys, entry_keys(poll))
    except ranking.BallotError as error:
        raise InvalidBallot(error) from error
    # The poll changed between the database's refusal and this look at it.
    raise InvalidBallot()


def stored_rankings(poll: Poll) -> Iterator[str]:
    """Every counted ranking in the order cast, as stored (keys joined by commas), streamed.

    Held ballots are left out until they are released: what is downloaded is what is counted.

    A generator, so the query runs when a streamed response starts reading it.
    """
    yield from db.session.execute(
        select(_ballots.c.ranking)
        .where(_ballots.c.poll_id == poll.id, _ballots.c.held.is_(False))
        .order_by(_ballots.c.id)
        .execution_options(yield_per=5_000)
    ).scalars()


def counted_ballots(poll: Poll) -> Iterator[str]:
    """Every counted ballot in the order cast, as its source's value and its
    ranking as stored joined by a comma (``api,toast,rooftop``), streamed; held
    ballots are left out, as ``stored_rankings`` leaves them out.

    One text per ballot, joined by the database: a million rows of two
    columns took two thirds longer to make into a download than rows of one.
    """
    source = type_coerce(_ballots.c.source, String)  # its stored text: no enum made per ballot
    yield from db.session.execute(
        select(source.concat(",").concat(_ballots.c.ranking))
        .where(_ballots.c.poll_id == poll.id, _ballots.c.held.is_(False))
        .order_by(_ballots.c.id)
        .execution_options(yield_per=5_000)
    ).scalars()


def ballot_rankings(poll: Poll) -> Iterator[list[str]]:
    """Every stored ranking in the order cast, streamed from the database."""
    for stored in stored_rankings(poll):
        yield stored.split(",")


def counted_sources(poll: Poll) -> dict[BallotSource, int]:
    """How many counted ballots were cast where, every source named (0 for none)."""
    rows = db.session.execute(
        select(_ballots.c.source, func.count())
        .where(_ballots.c.poll_id == poll.id, _ballots.c.held.is_(False))
        .group_by(_ballots.c.source)
    )
    counts = dict.fromkeys(BallotSource, 0)
    for source, ballots in rows:
        counts[BallotSource(source)] = int(ballots)
    return counts


def counted_rankings(poll: Poll) -> Counter[tuple[str, ...]]:
    """How many counted ballots cast each distinct ranking, counted by the
    database: what comes back is as long as the rankings are varied, whatever
    the number of ballots."""
    rows = db.session.execute(
        select(_ballots.c.ranking, func.count())
        .where(_ballots.c.poll_id == poll.id, _ballots.c.held.is_(False))
        .group_by(_ballots.c.ranking)
    )
    return Counter({tuple(stored.split(",")): int(ballots) for stored, ballots in rows})


def _json_array(texts: list[str]) -> str:
    """Stored rankings as a JSON array: entry keys are lowercase letters, digits
    and hyphens, so nothing in them needs escaping."""
    return '["' + '","'.join(texts) + '"]' if texts else "[]"


def _json_pairs(texts: list[str], sources: list[str]) -> str:
    """Stored rankings with their sources as a JSON array of pairs; a source's
    value is lowercase letters and underscores, which need no escaping either."""
    return (
        "[" + ",".join([f'["{text}","{source}"]' for text, source in zip(texts, sources, strict=True)]) + "]"
    )


# One statement per batch of imported ballots, the rows made inside the
# database from one parameter: a JSON array on SQLite, an array on PostgreSQL
# (json_each and unnest give the elements in the array's order). Binding each
# row's parameters in Python (executemany) cost more than storing them.
# Parameters: the poll, the time, then the batch. When every ballot of an
# import has one source (a file without a source column: all imported), the
# source is one parameter before the batch's rankings; otherwise each ranking
# comes with its own.
_INSERT = "INSERT INTO ballot (poll_id, ranking, created_at, updated_at, source) "
_BULK_INSERT = {
    "sqlite": _INSERT + "SELECT ?1, value, ?2, ?2, ?3 FROM json_each(?4)",
    "postgresql": _INSERT + "SELECT %s, ranking, stamp, stamp, source "
    "FROM (SELECT %s::timestamptz AS stamp, %s::text AS source) AS once, "
    "unnest(%s::text[]) AS given (ranking)",
}
_BULK_INSERT_SOURCED = {
    "sqlite": _INSERT + "SELECT ?1, json_extract(value, '$[0]'), ?2, ?2, json_extract(value, '$[1]') "
    "FROM json_each(?3)",
    "postgresql": _INSERT + "SELECT %s, ranking, stamp, stamp, source "
    "FROM (SELECT %s::timestamptz AS stamp) AS once, "
    "unnest(%s::text[], %s::text[]) AS given (ranking, source)",
}


def _import_batches(
    dialect: str, stored: list[str], sources: Sequence[BallotSource] | None
) -> tuple[str, Iterator[tuple[Any, ...]]]:
    """The statement that stores a batch of imported ballots, and each batch's
    parameters after the poll and the time."""
    starts = range(0, len(stored), IMPORT_BATCH)
    if not sources or len(set(sources)) == 1:
        one = (sources[0] if sources else BallotSource.IMPORTED).value
        pack = _json_array if dialect == "sqlite" else list
        return _BULK_INSERT[dialect], ((one, pack(stored[i : i + IMPORT_BATCH])) for i in starts)
    values = [source.value for source in sources]
    batches = ((stored[i : i + IMPORT_BATCH], values[i : i + IMPORT_BATCH]) for i in starts)
    if dialect == "sqlite":
        return _BULK_INSERT_SOURCED[dialect], ((_json_pairs(texts, given),) for texts, given in batches)
    return _BULK_INSERT_SOURCED[dialect], batches


def import_ballots(
    poll: Poll,
    rankings: Sequence[Sequence[str]],
    digest: str | None = None,
    *,
    again: bool = False,
    sources: Sequence[BallotSource] | None = None,
) -> int:
    """Add already checked rankings as reader-less ballots, in one transaction.

    ``sources``: where each ballot was cast (one per ranking), as a ballots
    file may say; without them every ballot counts as imported. ``digest`` (the
    file's SHA-256) is recorded with the import; a file imported into the poll
    before raises ``AlreadyImported`` unless ``again``.
    """
    if sources is not None and len(sources) != len(rankings):
        raise ValueError(f"{len(sources)} sources for {len(rankings)} rankings")
    if digest is not None and not again:
        earlier = db.session.execute(
            select(BallotImport)
            .where(BallotImport.poll_id == poll.id, BallotImport.digest == digest)
            .order_by(BallotImport.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        if earlier is not None:
            raise AlreadyImported(earlier)
    ids = entry_ids(poll)
    stored = [",".join(r) for r in rankings]
    # Real ballots repeat: each distinct ranking's cells are counted once, times its ballots.
    deltas: Counter[tuple[int, int, int]] = Counter()
    for text, times in Counter(stored).items():
        for key, k, p in ranking.ballot_cells(text.split(",")):
            deltas[ids[key], k, p] += times
    now = utcnow()
    keep_hour(ballot_engine(), poll.slug, now)
    with one_transaction():
        connection = db.session.connection()
        # The time is turned into what the driver stores once, by the column
        # type's own processor.
        to_driver = _ballots.c.created_at.type.dialect_impl(connection.dialect).bind_processor(
            connection.dialect
        )
        stamp = to_driver(now) if to_driver else now
        insert, batches = _import_batches(connection.dialect.name, stored, sources)
        for batch in batches:
            connection.exec_driver_sql(insert, (poll.id, stamp, *batch))
        add_to_tally(poll.id, deltas)
        if digest is not None:
            db.session.add(BallotImport(poll_id=poll.id, digest=digest, ballots=len(stored), imported_at=now))
            db.session.flush()
        # The poll last: every writer of the tally locks its cells before the poll.
        bump_revision(poll)
    return len(rankings)


def release_held(poll: Poll) -> int:
    """Count every held ballot of the poll; how many were released.

    The triggers put each one's cells on the tally in the same statement."""
    keep_hour(ballot_engine(), poll.slug, utcnow())
    with one_transaction():
        locks.hold_ballots(db.session.connection(), poll.id)
        released = (
            db.session.connection()
            .execute(
                _ballots.update().where(_ballots.c.poll_id == poll.id, sql_text("held")).values(held=False)
            )
            .rowcount
        )
        bump_revision(poll)
    return int(released)
