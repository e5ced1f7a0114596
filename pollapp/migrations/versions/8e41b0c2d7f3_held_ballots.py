# ruff: noqa: E501  (the frozen SQL below keeps its lines as they were run)
"""Ballots over their address's budget are held, not counted, until released

A held ballot is stored and checked like any other; the tally triggers leave
it out until its ``held`` is set false.

Revision ID: 8e41b0c2d7f3
Revises: 5c0e7d1f9a24
Create Date: 2026-12-02 06:40:00

"""

import importlib

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "8e41b0c2d7f3"
down_revision = "5c0e7d1f9a24"
branch_labels = None
depends_on = None

# The trigger DDL exactly as this revision installs it, frozen here so that
# later changes to the live triggers (pollapp/storage/triggers.py) never change
# what this migration does.
FROZEN_CREATE = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS ballot_cast",
        "DROP TRIGGER IF EXISTS ballot_recast",
        "DROP TRIGGER IF EXISTS ballot_release",
        """CREATE TRIGGER ballot_cast AFTER INSERT ON ballot
    FOR EACH ROW WHEN NEW.reader IS NOT NULL
    BEGIN
    SELECT RAISE(ABORT, 'pollapp: the poll is closed') FROM poll WHERE id = NEW.poll_id AND status <> 'open';
    SELECT RAISE(ABORT, 'pollapp: the ranking does not fit the poll')
    WHERE (SELECT count(DISTINCT value) FROM json_each(('["' || replace(NEW.ranking, ',', '","') || '"]'))) <> json_array_length(('["' || replace(NEW.ranking, ',', '","') || '"]'));
    SELECT RAISE(ABORT, 'pollapp: the ranking does not fit the poll') WHERE NEW.held AND EXISTS (
        SELECT 1 FROM json_each(('["' || replace(NEW.ranking, ',', '","') || '"]')) AS j
        LEFT JOIN entry AS e ON e.poll_id = NEW.poll_id AND e.key = j.value WHERE e.id IS NULL
    );

    INSERT INTO tally_cell (poll_id, entry_id, length, position, ballots)
    SELECT NEW.poll_id, cell.*, 1 FROM (SELECT CASE WHEN e.id IS NULL THEN RAISE(ABORT, 'pollapp: the ranking does not fit the poll') ELSE e.id END, json_array_length(('["' || replace(NEW.ranking, ',', '","') || '"]')), j.key + 1 FROM json_each(('["' || replace(NEW.ranking, ',', '","') || '"]')) AS j LEFT JOIN entry AS e ON e.poll_id = NEW.poll_id AND e.key = j.value) AS cell WHERE NOT NEW.held
    ON CONFLICT (poll_id, entry_id, length, position) DO UPDATE SET ballots = ballots + 1;
     END""",
        """CREATE TRIGGER ballot_recast AFTER UPDATE OF ranking ON ballot
    FOR EACH ROW WHEN NEW.reader IS NOT NULL
    BEGIN
    SELECT RAISE(ABORT, 'pollapp: the poll is closed') FROM poll WHERE id = NEW.poll_id AND status <> 'open';
    SELECT RAISE(ABORT, 'pollapp: the ranking does not fit the poll')
    WHERE (SELECT count(DISTINCT value) FROM json_each(('["' || replace(NEW.ranking, ',', '","') || '"]'))) <> json_array_length(('["' || replace(NEW.ranking, ',', '","') || '"]'));
    SELECT RAISE(ABORT, 'pollapp: the ranking does not fit the poll') WHERE NEW.held AND EXISTS (
        SELECT 1 FROM json_each(('["' || replace(NEW.ranking, ',', '","') || '"]')) AS j
        LEFT JOIN entry AS e ON e.poll_id = NEW.poll_id AND e.key = j.value WHERE e.id IS NULL
    );
    UPDATE tally_cell SET ballots = ballots - 1 WHERE NOT OLD.held AND poll_id = OLD.poll_id AND (entry_id, length, position) IN (SELECT e.id, json_array_length(('["' || replace(OLD.ranking, ',', '","') || '"]')), j.key + 1 FROM json_each(('["' || replace(OLD.ranking, ',', '","') || '"]')) AS j LEFT JOIN entry AS e ON e.poll_id = OLD.poll_id AND e.key = j.value);
    INSERT INTO tally_cell (poll_id, entry_id, length, position, ballots)
    SELECT NEW.poll_id, cell.*, 1 FROM (SELECT CASE WHEN e.id IS NULL THEN RAISE(ABORT, 'pollapp: the ranking does not fit the poll') ELSE e.id END, json_array_length(('["' || replace(NEW.ranking, ',', '","') || '"]')), j.key + 1 FROM json_each(('["' || replace(NEW.ranking, ',', '","') || '"]')) AS j LEFT JOIN entry AS e ON e.poll_id = NEW.poll_id AND e.key = j.value) AS cell WHERE NOT NEW.held
    ON CONFLICT (poll_id, entry_id, length, position) DO UPDATE SET ballots = ballots + 1;
     END""",
        """CREATE TRIGGER ballot_release AFTER UPDATE OF held ON ballot
    FOR EACH ROW WHEN NEW.reader IS NOT NULL AND OLD.held AND NOT NEW.held
    BEGIN
    INSERT INTO tally_cell (poll_id, entry_id, length, position, ballots)
    SELECT NEW.poll_id, cell.*, 1 FROM (SELECT CASE WHEN e.id IS NULL THEN RAISE(ABORT, 'pollapp: the ranking does not fit the poll') ELSE e.id END, json_array_length(('["' || replace(NEW.ranking, ',', '","') || '"]')), j.key + 1 FROM json_each(('["' || replace(NEW.ranking, ',', '","') || '"]')) AS j LEFT JOIN entry AS e ON e.poll_id = NEW.poll_id AND e.key = j.value) AS cell WHERE true
    ON CONFLICT (poll_id, entry_id, length, position) DO UPDATE SET ballots = ballots + 1;
     END""",
    ],
    "postgresql": [
        "DROP TRIGGER IF EXISTS ballot_cast ON ballot",
        "DROP TRIGGER IF EXISTS ballot_release ON ballot",
        "DROP FUNCTION IF EXISTS ballot_tally()",
        """CREATE FUNCTION ballot_tally() RETURNS trigger LANGUAGE plpgsql AS $$
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
            WHERE EXISTS (SELECT FROM poll WHERE id = NEW.poll_id AND status = 'open')
            ORDER BY e.id, a.position
            ON CONFLICT (poll_id, entry_id, length, position) DO UPDATE SET ballots = t.ballots + 1
            RETURNING t.entry_id
        )
        SELECT count(DISTINCT entry_id) INTO counted FROM counted_cells;
    ELSE
        SELECT count(DISTINCT e.id) INTO counted
        FROM entry AS e
        WHERE e.poll_id = NEW.poll_id AND e.key = ANY (added)
        AND EXISTS (SELECT FROM poll WHERE id = NEW.poll_id AND status = 'open');
    END IF;
    IF counted <> cardinality(added) THEN
        IF NOT EXISTS (SELECT FROM poll WHERE id = NEW.poll_id AND status = 'open') THEN
            RAISE EXCEPTION 'pollapp: the poll is closed' USING ERRCODE = 'check_violation';
        END IF;
        RAISE EXCEPTION 'pollapp: the ranking does not fit the poll' USING ERRCODE = 'check_violation';
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
    ],
}


def _previous_triggers(dialect: str) -> list[str]:
    """What the revision before this one installed (its own frozen copy)."""
    previous = importlib.import_module("pollapp.migrations.versions.5c0e7d1f9a24_tally_kept_by_the_database")
    return list(previous.FROZEN_CREATE[dialect])


def upgrade() -> None:
    with op.batch_alter_table("ballot") as batch:
        batch.add_column(sa.Column("held", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_index(
        "ballot_held", "ballot", ["poll_id"], postgresql_where=sa.text("held"), sqlite_where=sa.text("held")
    )
    for statement in FROZEN_CREATE[op.get_bind().dialect.name]:
        op.execute(statement)


FROZEN_DROP = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS ballot_cast",
        "DROP TRIGGER IF EXISTS ballot_recast",
        "DROP TRIGGER IF EXISTS ballot_release",
    ],
    "postgresql": [
        "DROP TRIGGER IF EXISTS ballot_cast ON ballot",
        "DROP TRIGGER IF EXISTS ballot_release ON ballot",
        "DROP FUNCTION IF EXISTS ballot_tally()",
    ],
}


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    # The triggers read the column, so they go first; the previous ones come back last.
    for statement in FROZEN_DROP[dialect]:
        op.execute(statement)
    op.drop_index("ballot_held", table_name="ballot")
    with op.batch_alter_table("ballot") as batch:
        batch.drop_column("held")
    for statement in _previous_triggers(dialect):
        op.execute(statement)
