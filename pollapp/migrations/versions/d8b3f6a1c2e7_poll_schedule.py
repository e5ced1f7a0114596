# ruff: noqa: E501  (the frozen SQL below keeps its lines as they are run)
"""An open poll's schedule: opening and closing times, kept by the database

Three columns are added in place (no table is rebuilt): opens_at and
closes_at (UTC, both optional) and the time zone the desk shows them in. The
ballots' triggers are replaced by ones that refuse a ballot before opens_at
or from closes_at on, against the database's own clock, so a scheduled close
takes effect at its instant with no process to run it. The statements are
the triggers as this revision installs them (and, for the downgrade, as the
revisions before left them), kept here as they were.

Revision ID: d8b3f6a1c2e7
Revises: c5e8b3a1d702
Create Date: 2026-12-03 13:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d8b3f6a1c2e7"
down_revision = "c5e8b3a1d702"
branch_labels = None
depends_on = None

TRIGGERS_AFTER = {
    "sqlite": [
        """DROP TRIGGER IF EXISTS ballot_cast""",
        """DROP TRIGGER IF EXISTS ballot_recast""",
        """DROP TRIGGER IF EXISTS ballot_release""",
        """CREATE TRIGGER ballot_cast AFTER INSERT ON ballot
    FOR EACH ROW WHEN NEW.reader IS NOT NULL
    BEGIN
    SELECT RAISE(ABORT, 'pollapp: the poll is closed') FROM poll WHERE id = NEW.poll_id AND NOT (status = 'open' AND (opens_at IS NULL OR julianday(opens_at) <= julianday('now')) AND (closes_at IS NULL OR julianday(closes_at) > julianday('now')));
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
    SELECT RAISE(ABORT, 'pollapp: the poll is closed') FROM poll WHERE id = NEW.poll_id AND NOT (status = 'open' AND (opens_at IS NULL OR julianday(opens_at) <= julianday('now')) AND (closes_at IS NULL OR julianday(closes_at) > julianday('now')));
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
        """DROP TRIGGER IF EXISTS ballot_cast ON ballot""",
        """DROP TRIGGER IF EXISTS ballot_release ON ballot""",
        """DROP FUNCTION IF EXISTS ballot_tally()""",
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
            WHERE EXISTS (SELECT FROM poll WHERE id = NEW.poll_id AND status = 'open' AND (opens_at IS NULL OR opens_at <= statement_timestamp()) AND (closes_at IS NULL OR closes_at > statement_timestamp()))
            ORDER BY e.id, a.position
            ON CONFLICT (poll_id, entry_id, length, position) DO UPDATE SET ballots = t.ballots + 1
            RETURNING t.entry_id
        )
        SELECT count(DISTINCT entry_id) INTO counted FROM counted_cells;
    ELSE
        SELECT count(DISTINCT e.id) INTO counted
        FROM entry AS e
        WHERE e.poll_id = NEW.poll_id AND e.key = ANY (added)
        AND EXISTS (SELECT FROM poll WHERE id = NEW.poll_id AND status = 'open' AND (opens_at IS NULL OR opens_at <= statement_timestamp()) AND (closes_at IS NULL OR closes_at > statement_timestamp()));
    END IF;
    IF counted <> cardinality(added) THEN
        IF NOT EXISTS (SELECT FROM poll WHERE id = NEW.poll_id AND status = 'open' AND (opens_at IS NULL OR opens_at <= statement_timestamp()) AND (closes_at IS NULL OR closes_at > statement_timestamp())) THEN
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

TRIGGERS_BEFORE = {
    "sqlite": [
        """DROP TRIGGER IF EXISTS ballot_cast""",
        """DROP TRIGGER IF EXISTS ballot_recast""",
        """DROP TRIGGER IF EXISTS ballot_release""",
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
        """DROP TRIGGER IF EXISTS ballot_cast ON ballot""",
        """DROP TRIGGER IF EXISTS ballot_release ON ballot""",
        """DROP FUNCTION IF EXISTS ballot_tally()""",
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


def _replace(statements: dict[str, list[str]]) -> None:
    for statement in statements[op.get_context().dialect.name]:
        op.execute(statement)


def upgrade() -> None:
    op.add_column("poll", sa.Column("opens_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("poll", sa.Column("closes_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("poll", sa.Column("time_zone", sa.String(length=64), server_default="UTC", nullable=False))
    _replace(TRIGGERS_AFTER)


def downgrade() -> None:
    _replace(TRIGGERS_BEFORE)
    # In place (SQLite 3.35 and later, PostgreSQL): rebuilding the table would break the ballots' triggers.
    for column in ("time_zone", "closes_at", "opens_at"):
        op.execute(f"ALTER TABLE poll DROP COLUMN {column}")
