# ruff: noqa: E501  (the frozen SQL below keeps its lines as they were run)
"""The database counts readers' ballots into the tally

Triggers on ballot keep the tally; ballots count their replacements; on
PostgreSQL, tally pages keep room for updates in place.

Revision ID: 5c0e7d1f9a24
Revises: 2a3725a48cc0
Create Date: 2026-11-25 17:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5c0e7d1f9a24"
down_revision = "2a3725a48cc0"
branch_labels = None
depends_on = None

# The trigger DDL exactly as this revision installed it, frozen here so that
# later changes to the live triggers (pollapp/storage/triggers.py) never change
# what this migration does.
FROZEN_CREATE = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS ballot_cast",
        "DROP TRIGGER IF EXISTS ballot_recast",
        """CREATE TRIGGER ballot_cast AFTER INSERT ON ballot
    FOR EACH ROW WHEN NEW.reader IS NOT NULL
    BEGIN
    SELECT RAISE(ABORT, 'pollapp: the poll is closed') FROM poll WHERE id = NEW.poll_id AND status <> 'open';
    SELECT RAISE(ABORT, 'pollapp: the ranking does not fit the poll')
    WHERE (SELECT count(DISTINCT value) FROM json_each(('["' || replace(NEW.ranking, ',', '","') || '"]'))) <> json_array_length(('["' || replace(NEW.ranking, ',', '","') || '"]'));

    INSERT INTO tally_cell (poll_id, entry_id, length, position, ballots)
    SELECT NEW.poll_id, cell.*, 1 FROM (SELECT CASE WHEN e.id IS NULL THEN RAISE(ABORT, 'pollapp: the ranking does not fit the poll') ELSE e.id END, json_array_length(('["' || replace(NEW.ranking, ',', '","') || '"]')), j.key + 1 FROM json_each(('["' || replace(NEW.ranking, ',', '","') || '"]')) AS j LEFT JOIN entry AS e ON e.poll_id = NEW.poll_id AND e.key = j.value) AS cell WHERE true
    ON CONFLICT (poll_id, entry_id, length, position) DO UPDATE SET ballots = ballots + 1;
     END""",
        """CREATE TRIGGER ballot_recast AFTER UPDATE OF ranking ON ballot
    FOR EACH ROW WHEN NEW.reader IS NOT NULL
    BEGIN
    SELECT RAISE(ABORT, 'pollapp: the poll is closed') FROM poll WHERE id = NEW.poll_id AND status <> 'open';
    SELECT RAISE(ABORT, 'pollapp: the ranking does not fit the poll')
    WHERE (SELECT count(DISTINCT value) FROM json_each(('["' || replace(NEW.ranking, ',', '","') || '"]'))) <> json_array_length(('["' || replace(NEW.ranking, ',', '","') || '"]'));
    UPDATE tally_cell SET ballots = ballots - 1 WHERE poll_id = OLD.poll_id AND (entry_id, length, position) IN (SELECT e.id, json_array_length(('["' || replace(OLD.ranking, ',', '","') || '"]')), j.key + 1 FROM json_each(('["' || replace(OLD.ranking, ',', '","') || '"]')) AS j LEFT JOIN entry AS e ON e.poll_id = OLD.poll_id AND e.key = j.value);
    INSERT INTO tally_cell (poll_id, entry_id, length, position, ballots)
    SELECT NEW.poll_id, cell.*, 1 FROM (SELECT CASE WHEN e.id IS NULL THEN RAISE(ABORT, 'pollapp: the ranking does not fit the poll') ELSE e.id END, json_array_length(('["' || replace(NEW.ranking, ',', '","') || '"]')), j.key + 1 FROM json_each(('["' || replace(NEW.ranking, ',', '","') || '"]')) AS j LEFT JOIN entry AS e ON e.poll_id = NEW.poll_id AND e.key = j.value) AS cell WHERE true
    ON CONFLICT (poll_id, entry_id, length, position) DO UPDATE SET ballots = ballots + 1;
     END""",
    ],
    "postgresql": [
        "DROP TRIGGER IF EXISTS ballot_cast ON ballot",
        "DROP FUNCTION IF EXISTS ballot_tally()",
        """CREATE FUNCTION ballot_tally() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    added text[] := string_to_array(NEW.ranking, ',');
    counted bigint;
BEGIN
    IF TG_OP = 'INSERT' THEN
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
    IF TG_OP = 'UPDATE' THEN
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
    ],
}
FROZEN_DROP = {
    "sqlite": ["DROP TRIGGER IF EXISTS ballot_cast", "DROP TRIGGER IF EXISTS ballot_recast"],
    "postgresql": ["DROP TRIGGER IF EXISTS ballot_cast ON ballot", "DROP FUNCTION IF EXISTS ballot_tally()"],
}


def upgrade() -> None:
    with op.batch_alter_table("ballot") as batch:
        batch.add_column(sa.Column("replacements", sa.Integer(), server_default=sa.text("0"), nullable=False))
    dialect = op.get_bind().dialect.name
    for statement in FROZEN_CREATE[dialect]:
        op.execute(statement)
    if dialect == "postgresql":
        # Room on each page for a cell's new version (see the tally_cell model).
        op.execute("ALTER TABLE tally_cell SET (fillfactor = 50)")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("ALTER TABLE tally_cell RESET (fillfactor)")
    for statement in FROZEN_DROP.get(dialect, []):
        op.execute(statement)
    with op.batch_alter_table("ballot") as batch:
        batch.drop_column("replacements")
