"""The database keeps the running tally as readers' ballots are written.

A reader's ballot is one statement (an insert, or an update when the reader
votes again), and triggers on the ``ballot`` table do the rest inside the same
statement: they refuse a ballot for a closed poll or one that is not a ranking
of the poll's entries, and move the tally cells (take the old ranking's cells
off, put the new one's on). The ballot path is then one round trip, with
nothing for the application to read first. No row is written by every ballot
(the poll's row is only read), so concurrent ballots do not queue on one lock.

The cells are the ones ``ranking.ballot_cells`` describes: for an entry ranked
at position p on a ballot of length k, cell (entry, k, p) counts one more.
``flask tally verify`` recounts them in Python from the raw ballots and reports
any difference, and the tests do so after every kind of load.

A held ballot is stored and checked but not counted until it is released.
Imported ballots (no reader) are left to the importer, which adds their cells
to the tally in bulk. Ballots are never deleted one by one; deleting a poll
deletes its ballots and tally cells together.

The SQL is kept here, in one place, for the models (``create_all``) and the
migrations alike. Changing a trigger means a new migration that re-runs
``create(dialect)``: ``drop`` and ``create`` replace every trigger at once.
"""

from __future__ import annotations

from sqlalchemy import DDL, MetaData, event

from ..core.terms import PollStatus


def _taking(now: str) -> str:
    """The condition on a poll's row under which it takes a ballot at the
    database's moment ``now``: open, its opening time (if any) come, its
    closing time (if any) not yet. A scheduled close so takes effect at that
    instant, with no process to run it."""
    return (
        f"status = '{PollStatus.OPEN}' AND (opens_at IS NULL OR opens_at <= {now}) "
        f"AND (closes_at IS NULL OR closes_at > {now})"
    )


# SQLite stores times as text (UTC): compared as Julian days, parsed by SQLite
# itself, against its own clock.
_SQLITE_TAKING = (
    f"status = '{PollStatus.OPEN}' AND (opens_at IS NULL OR julianday(opens_at) <= julianday('now')) "
    "AND (closes_at IS NULL OR julianday(closes_at) > julianday('now'))"
)
_POSTGRESQL_TAKING = _taking("statement_timestamp()")

# Words the triggers raise with; the ballot path maps them to its own errors.
POLL_CLOSED = "pollapp: the poll is closed"
NOT_A_RANKING = "pollapp: the ranking does not fit the poll"


def _sqlite_array(row: str) -> str:
    """The row's ranking as a JSON array, for json_each (entry keys need no escaping)."""
    return f"""('["' || replace({row}.ranking, ',', '","') || '"]')"""


def _sqlite_cells(row: str, *, checked: bool = False) -> str:
    """(entry id, length, position) of every cell the row's ranking counts in;
    ``checked``: raise instead if the ranking names a key the poll lacks."""
    array = _sqlite_array(row)
    entry = "e.id"
    if checked:
        entry = f"CASE WHEN e.id IS NULL THEN RAISE(ABORT, '{NOT_A_RANKING}') ELSE e.id END"
    return (
        f"SELECT {entry}, json_array_length({array}), j.key + 1 FROM json_each({array}) AS j "
        f"LEFT JOIN entry AS e ON e.poll_id = {row}.poll_id AND e.key = j.value"
    )


def _sqlite_body(*, replacing: bool) -> str:
    """Check the new ranking (the poll open, every key one of its entries, none
    twice) and, for a counted ballot, move the tally; a held ballot moves nothing.
    A ballot keeps its ``held`` when its reader replaces it, so OLD.held = NEW.held."""
    array = _sqlite_array("NEW")
    take_off = (
        "UPDATE tally_cell SET ballots = ballots - 1 "
        "WHERE NOT OLD.held AND poll_id = OLD.poll_id "
        f"AND (entry_id, length, position) IN ({_sqlite_cells('OLD')});"
        if replacing
        else ""
    )
    return f"""
    SELECT RAISE(ABORT, '{POLL_CLOSED}') FROM poll WHERE id = NEW.poll_id AND NOT ({_SQLITE_TAKING});
    SELECT RAISE(ABORT, '{NOT_A_RANKING}')
    WHERE (SELECT count(DISTINCT value) FROM json_each({array})) <> json_array_length({array});
    SELECT RAISE(ABORT, '{NOT_A_RANKING}') WHERE NEW.held AND EXISTS (
        SELECT 1 FROM json_each({array}) AS j
        LEFT JOIN entry AS e ON e.poll_id = NEW.poll_id AND e.key = j.value WHERE e.id IS NULL
    );
    {take_off}
    INSERT INTO tally_cell (poll_id, entry_id, length, position, ballots)
    SELECT NEW.poll_id, cell.*, 1 FROM ({_sqlite_cells("NEW", checked=True)}) AS cell WHERE NOT NEW.held
    ON CONFLICT (poll_id, entry_id, length, position) DO UPDATE SET ballots = ballots + 1;
    """


# Releasing a held ballot counts it: its cells go on the tally.
_SQLITE_RELEASE = f"""
    INSERT INTO tally_cell (poll_id, entry_id, length, position, ballots)
    SELECT NEW.poll_id, cell.*, 1 FROM ({_sqlite_cells("NEW", checked=True)}) AS cell WHERE true
    ON CONFLICT (poll_id, entry_id, length, position) DO UPDATE SET ballots = ballots + 1;
    """

SQLITE_CREATE = [
    f"""CREATE TRIGGER ballot_cast AFTER INSERT ON ballot
    FOR EACH ROW WHEN NEW.reader IS NOT NULL
    BEGIN {_sqlite_body(replacing=False)} END""",
    f"""CREATE TRIGGER ballot_recast AFTER UPDATE OF ranking ON ballot
    FOR EACH ROW WHEN NEW.reader IS NOT NULL
    BEGIN {_sqlite_body(replacing=True)} END""",
    f"""CREATE TRIGGER ballot_release AFTER UPDATE OF held ON ballot
    FOR EACH ROW WHEN NEW.reader IS NOT NULL AND OLD.held AND NOT NEW.held
    BEGIN {_SQLITE_RELEASE} END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS ballot_cast",
    "DROP TRIGGER IF EXISTS ballot_recast",
    "DROP TRIGGER IF EXISTS ballot_release",
]

# PostgreSQL takes row locks, so one statement changes all of a ballot's cells,
# in sorted order, after the ballot's row: every writer of the tally locks
# cells in that order and concurrent ballots never deadlock.
#
# A first ballot adds one to a cell per ranked entry, and only while the poll
# is open; if fewer entries were counted than keys ranked, the poll is closed
# or a key is not one of its entries or comes twice, and the ballot is refused.
#
# A replaced ballot moves each cell by +1 or -1 (a cell is one entry at one
# position on a ballot of one length, so it is on each ranking at most once).
# The row offered for insertion carries 1 for +1 and 0 for -1, since a new cell
# cannot start below zero, and an existing cell moves by 2 * that - 1.
#
# A held ballot (a first ballot over its address's budget, kept for a check) is
# checked like any other but moves no cell, nor does its reader's replacement
# of it; releasing it (``held`` set false) puts its cells on.
#
# The poll's status is read, not locked: closing a poll first takes a share
# lock on the ballot table, which waits for the ballots in flight.
POSTGRESQL_CREATE = [
    f"""CREATE FUNCTION ballot_tally() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    added text[] := string_to_array(NEW.ranking, ',');
    counted bigint;
BEGIN
    IF TG_NAME = 'ballot_release' THEN
        INSERT INTO tally_cell AS t (poll_id, entry_id, length, position, ballots)
        SELECT NEW.poll_id, e.id, cardinality(added), a.position, 1
        FROM unnest(added) WITH ORDINALITY AS a (key, position)
        JOIN entry AS e ON e.poll_id = NEW.poll_id AND e.key = a.key
        ORDER BY e.id, a.position
        ON CONFLICT (poll_id, entry_id, length, position) DO UPDATE SET ballots = t.ballots + 1;
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' AND NOT NEW.held THEN
        WITH counted_cells AS (
            INSERT INTO tally_cell AS t (poll_id, entry_id, length, position, ballots)
            SELECT NEW.poll_id, e.id, cardinality(added), a.position, 1
            FROM unnest(added) WITH ORDINALITY AS a (key, position)
            JOIN entry AS e ON e.poll_id = NEW.poll_id AND e.key = a.key
            WHERE EXISTS (SELECT FROM poll WHERE id = NEW.poll_id AND {_POSTGRESQL_TAKING})
            ORDER BY e.id, a.position
            ON CONFLICT (poll_id, entry_id, length, position) DO UPDATE SET ballots = t.ballots + 1
            RETURNING t.entry_id
        )
        SELECT count(DISTINCT entry_id) INTO counted FROM counted_cells;
    ELSE
        SELECT count(DISTINCT e.id) INTO counted
        FROM entry AS e
        WHERE e.poll_id = NEW.poll_id AND e.key = ANY (added)
        AND EXISTS (SELECT FROM poll WHERE id = NEW.poll_id AND {_POSTGRESQL_TAKING});
    END IF;
    IF counted <> cardinality(added) THEN
        IF NOT EXISTS (SELECT FROM poll WHERE id = NEW.poll_id AND {_POSTGRESQL_TAKING}) THEN
            RAISE EXCEPTION '{POLL_CLOSED}' USING ERRCODE = 'check_violation';
        END IF;
        RAISE EXCEPTION '{NOT_A_RANKING}' USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'UPDATE' AND NOT NEW.held THEN
        INSERT INTO tally_cell AS t (poll_id, entry_id, length, position, ballots)
        SELECT NEW.poll_id, e.id, c.length, c.position, (sum(c.change) > 0)::integer
        FROM (
            SELECT a.key, cardinality(added) AS length, a.position, 1 AS change
            FROM unnest(added) WITH ORDINALITY AS a (key, position)
            UNION ALL
            SELECT r.key, cardinality(string_to_array(OLD.ranking, ',')), r.position, -1
            FROM unnest(string_to_array(OLD.ranking, ',')) WITH ORDINALITY AS r (key, position)
        ) AS c
        JOIN entry AS e ON e.poll_id = NEW.poll_id AND e.key = c.key
        GROUP BY e.id, c.length, c.position
        HAVING sum(c.change) <> 0
        ORDER BY e.id, c.length, c.position
        ON CONFLICT (poll_id, entry_id, length, position)
        DO UPDATE SET ballots = t.ballots + 2 * excluded.ballots - 1;
    END IF;
    RETURN NULL;
END
$$""",
    """CREATE TRIGGER ballot_cast AFTER INSERT OR UPDATE OF ranking ON ballot
    FOR EACH ROW WHEN (NEW.reader IS NOT NULL) EXECUTE FUNCTION ballot_tally()""",
    """CREATE TRIGGER ballot_release AFTER UPDATE OF held ON ballot
    FOR EACH ROW WHEN (NEW.reader IS NOT NULL AND OLD.held AND NOT NEW.held)
    EXECUTE FUNCTION ballot_tally()""",
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS ballot_cast ON ballot",
    "DROP TRIGGER IF EXISTS ballot_release ON ballot",
    "DROP FUNCTION IF EXISTS ballot_tally()",
]

CREATE = {"sqlite": SQLITE_CREATE, "postgresql": POSTGRESQL_CREATE}
DROP = {"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_DROP}


def create(dialect: str) -> list[str]:
    """The statements that install the triggers on a database of this dialect,
    replacing any there are."""
    if dialect not in CREATE:
        raise RuntimeError(f"pollapp keeps its tally with triggers on SQLite and PostgreSQL, not {dialect}")
    return DROP[dialect] + CREATE[dialect]


def drop(dialect: str) -> list[str]:
    return DROP.get(dialect, [])


def install(metadata: MetaData) -> None:
    """Create the triggers whenever ``metadata.create_all`` creates the tables."""
    for dialect in CREATE:
        for statement in create(dialect):
            ddl = DDL(statement)  # type: ignore[no-untyped-call]  # SQLAlchemy leaves DDL's constructor unannotated
            event.listen(metadata, "after_create", ddl.execute_if(dialect=dialect))
