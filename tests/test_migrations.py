"""The migrations build exactly the schema the models describe, and init-db can be repeated.

``init-db`` runs as a separate process, as an operator would run it, so that
Alembic's logging set-up stays out of the test process.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from pollapp.accounts.models import Editor
from pollapp.ballots.models import Ballot
from pollapp.ballots.recount import tally_differences
from pollapp.ballots.service import ballot_rankings, counted_sources
from pollapp.ballots.sharing import find_share, share_ranking, shared_ballot
from pollapp.ballots.tally import read_tally
from pollapp.catalogue.files import shipped_polls
from pollapp.configure import PACKAGE_DIR
from pollapp.core import ranking
from pollapp.core.terms import BallotSource
from pollapp.extensions import db
from pollapp.polls.service import entry_keys, find_poll
from pollapp.suggestions.models import Suggestion
from pollapp.testing import app_environment, run_flask
from sqlalchemy import Connection, create_engine, inspect, text

from helpers import POLL, vote
from test_server import SECRET_KEY

MIGRATIONS = PACKAGE_DIR / "migrations"
FIRST_REVISION = "2a3725a48cc0"


def flask(uri: str, folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = run_flask(app_environment(uri, SECRET_KEY), folder, *args)
    assert done.returncode == 0, done.stderr
    return done


def head_revision() -> str:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"the migrations have {len(heads)} heads; merge them"
    return heads[0]


def schema_differences(uri: str) -> list[object]:
    """What Alembic's autogenerate would change to make the database match the models."""
    # Every model module imported, so that the metadata holds every table.
    assert Ballot.__table__.metadata is db.metadata
    assert Editor.__table__.metadata is db.metadata
    assert Suggestion.__table__.metadata is db.metadata
    engine = create_engine(uri)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "compare_server_default": True}
            )
            assert context.get_current_revision() == head_revision()
            return list(compare_metadata(context, db.metadata))
    finally:
        engine.dispose()


def store_scenes_poll(connection: Connection) -> tuple[int, list[str], dict[str, int]]:
    """Store the shipped poll as the schemas before generic entries held it (drama, scene, couple)."""
    (spec,) = [poll for poll in shipped_polls() if poll.slug == POLL]
    poll_id = connection.execute(
        text(
            "INSERT INTO poll (slug, title, intro, borda_rule, status, results_visibility, revision) "
            "VALUES (:slug, :title, :intro, :rule, 'open', 'always', 0) RETURNING id"
        ),
        {"slug": spec.slug, "title": spec.title, "intro": spec.intro, "rule": spec.borda_rule.value},
    ).scalar_one()
    ids = {}
    for rank, entry in enumerate(spec.entries, start=1):
        ids[entry.key] = connection.execute(
            text(
                "INSERT INTO entry (poll_id, key, editor_rank, drama, scene, couple, blurb) "
                "VALUES (:poll, :key, :rank, :drama, :scene, :couple, :blurb) RETURNING id"
            ),
            {
                "poll": poll_id,
                "key": entry.key,
                "rank": rank,
                "drama": entry.title,
                "scene": entry.subtitle,
                "couple": entry.credit,
                "blurb": entry.blurb,
            },
        ).scalar_one()
    return poll_id, [entry.key for entry in spec.entries], ids


def test_a_fresh_database_has_exactly_the_models_schema(database_uri, tmp_path):
    flask(database_uri, tmp_path, "init-db")

    assert schema_differences(database_uri) == []


def test_init_db_twice_keeps_the_ballots(make_app, database_uri, tmp_path):
    first = flask(database_uri, tmp_path, "init-db")
    assert f"{POLL}: created" in first.stdout
    # The app in this process, on the database ``init-db`` prepared.
    app = make_app(database_uri=database_uri, schema=False)
    with app.app_context():
        keys = entry_keys(find_poll(POLL))
    assert vote(app.test_client(), [keys[2], keys[0]]).status_code == 201
    assert vote(app.test_client(), [keys[4]]).status_code == 201

    second = flask(database_uri, tmp_path, "init-db")

    assert "the shipped ones are loaded only into an empty database" in second.stdout
    with app.app_context():
        poll = find_poll(POLL)
        assert sorted(ballot_rankings(poll)) == sorted([[keys[2], keys[0]], [keys[4]]])
        assert tally_differences(poll) == []
    assert schema_differences(database_uri) == []


def test_downgrade_to_nothing_then_init_db_rebuilds_the_schema(database_uri, tmp_path):
    flask(database_uri, tmp_path, "init-db")

    flask(database_uri, tmp_path, "db", "downgrade", "base")

    engine = create_engine(database_uri)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    flask(database_uri, tmp_path, "init-db")
    assert schema_differences(database_uri) == []


def test_upgrading_a_database_with_ballots_keeps_its_tally_and_counts_new_ones(
    make_app, database_uri, tmp_path
):
    """From the first schema, where the app kept the tally, to the one where the database does."""
    flask(database_uri, tmp_path, "db", "upgrade", FIRST_REVISION)
    app = make_app(database_uri=database_uri, schema=False)
    with app.app_context():
        # A ballot stored as the first schema's app stored it, tally and all.
        now = datetime.now(UTC)
        with db.engine.begin() as connection:
            poll_id, keys, ids = store_scenes_poll(connection)
            connection.execute(
                text(
                    "INSERT INTO ballot (poll_id, reader, ranking, created_at, updated_at) "
                    "VALUES (:poll, 'early-reader', :ranking, :now, :now)"
                ),
                {"poll": poll_id, "ranking": f"{keys[1]},{keys[0]}", "now": now},
            )
            for position, key in enumerate([keys[1], keys[0]], start=1):
                connection.execute(
                    text(
                        "INSERT INTO tally_cell (poll_id, entry_id, length, position, ballots) "
                        "VALUES (:poll, :entry, 2, :position, 1)"
                    ),
                    {"poll": poll_id, "entry": ids[key], "position": position},
                )
        db.session.remove()
        db.engine.dispose()

    flask(database_uri, tmp_path, "init-db")

    client = app.test_client()
    assert vote(client, [keys[3]]).status_code == 201
    assert vote(client, [keys[3], keys[4]]).status_code == 200
    with app.app_context():
        poll = find_poll(POLL)
        assert tally_differences(poll) == []
        assert read_tally(poll).counts == ranking.tally([[keys[1], keys[0]], [keys[3], keys[4]]])
    assert schema_differences(database_uri) == []


def test_the_suggestions_revision_keeps_the_trail_and_its_downgrade_takes_only_its_own(
    make_app, database_uri, tmp_path
):
    """The trail's table is rebuilt for its new actions: every entry is kept, both ways."""
    before_suggestions = "d4f1a7c39e20"
    flask(database_uri, tmp_path, "db", "upgrade", before_suggestions)
    app = make_app(database_uri=database_uri, schema=False)
    with app.app_context():
        with db.engine.begin() as connection:
            poll_id = store_scenes_poll(connection)[0]
            connection.execute(
                text(
                    "INSERT INTO audit_entry (at, editor_email, action, poll_id, ballots) "
                    "VALUES (:now, 'editor@example.org', 'released', :poll, 3)"
                ),
                {"now": datetime.now(UTC), "poll": poll_id},
            )
        db.session.remove()
        db.engine.dispose()

    flask(database_uri, tmp_path, "init-db")

    assert schema_differences(database_uri) == []
    engine = create_engine(database_uri)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO audit_entry (at, editor_email, action, poll_id, detail) "
                    "VALUES (:now, 'editor@example.org', 'approved', :poll, 'x')"
                ),
                {"now": datetime.now(UTC), "poll": poll_id},
            )
            trail = connection.execute(text("SELECT action, ballots FROM audit_entry ORDER BY id")).all()
        assert [tuple(row) for row in trail] == [("released", 3), ("approved", None)]
        engine.dispose()

        flask(database_uri, tmp_path, "db", "downgrade", before_suggestions)

        with engine.connect() as connection:
            trail = connection.execute(text("SELECT action, ballots FROM audit_entry ORDER BY id")).all()
        assert [tuple(row) for row in trail] == [("released", 3)]
        assert not {"suggestion", "nomination"} & set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_the_generic_entries_revision_renames_in_place_and_keeps_ballots_and_tally(
    make_app, database_uri, tmp_path
):
    """drama, scene and couple become title, subtitle and credit; the poll keeps calling them scenes."""
    before = "e7b2c94d1a05"
    flask(database_uri, tmp_path, "db", "upgrade", before)
    app = make_app(database_uri=database_uri, schema=False)
    with app.app_context():
        with db.engine.begin() as connection:
            poll_id, keys, _ = store_scenes_poll(connection)
            # At this revision the database's triggers keep the tally of what is inserted.
            connection.execute(
                text(
                    "INSERT INTO ballot (poll_id, reader, ranking, created_at, updated_at) "
                    "VALUES (:poll, 'early-reader', :ranking, :now, :now)"
                ),
                {"poll": poll_id, "ranking": f"{keys[2]},{keys[0]}", "now": datetime.now(UTC)},
            )
        db.session.remove()
        db.engine.dispose()

    flask(database_uri, tmp_path, "db", "upgrade")

    assert schema_differences(database_uri) == []
    (spec,) = [poll for poll in shipped_polls() if poll.slug == POLL]
    with app.app_context():
        poll = find_poll(POLL)
        assert (poll.entry_noun, poll.entry_noun_plural) == ("scene", "scenes")
        first = poll.entries[0]
        assert (first.title, first.subtitle, first.credit, first.link) == (
            spec.entries[0].title,
            spec.entries[0].subtitle,
            spec.entries[0].credit,
            None,
        )
        assert list(ballot_rankings(poll)) == [[keys[2], keys[0]]]
        assert tally_differences(poll) == []
        assert read_tally(poll).counts == ranking.tally([[keys[2], keys[0]]])
        db.session.remove()
        db.engine.dispose()

    flask(database_uri, tmp_path, "db", "downgrade", before)
    engine = create_engine(database_uri)
    try:
        columns = {column["name"] for column in inspect(engine).get_columns("entry")}
        assert {"drama", "scene", "couple"} <= columns and not {"title", "subtitle", "link"} & columns
        with engine.connect() as connection:
            dramas = connection.execute(text("SELECT drama FROM entry ORDER BY editor_rank")).scalars().all()
        assert dramas == [entry.title for entry in spec.entries]
    finally:
        engine.dispose()


def store_poll_with_ballots(app: Flask, rankings: list[list[str]]) -> None:
    """Store the shipped poll and these readers' ballots with plain SQL, as a
    schema since generic entries holds them (the triggers keep the tally)."""
    (spec,) = [poll for poll in shipped_polls() if poll.slug == POLL]
    with app.app_context():
        with db.engine.begin() as connection:
            poll_id = connection.execute(
                text(
                    "INSERT INTO poll (slug, title, intro, borda_rule, status, results_visibility, revision) "
                    "VALUES (:slug, :title, :intro, :rule, 'open', 'always', 0) RETURNING id"
                ),
                {"slug": spec.slug, "title": spec.title, "intro": spec.intro, "rule": spec.borda_rule.value},
            ).scalar_one()
            for rank, entry in enumerate(spec.entries, start=1):
                connection.execute(
                    text(
                        "INSERT INTO entry (poll_id, key, editor_rank, title, subtitle, credit, blurb) "
                        "VALUES (:poll, :key, :rank, :title, '', '', '')"
                    ),
                    {"poll": poll_id, "key": entry.key, "rank": rank, "title": entry.title},
                )
            # The database's triggers keep the tally of what is inserted.
            for number, order in enumerate(rankings):
                connection.execute(
                    text(
                        "INSERT INTO ballot (poll_id, reader, ranking, created_at, updated_at) "
                        "VALUES (:poll, :reader, :ranking, :now, :now)"
                    ),
                    {
                        "poll": poll_id,
                        "reader": f"r{number}",
                        "ranking": ",".join(order),
                        "now": datetime.now(UTC),
                    },
                )
        db.session.remove()
        db.engine.dispose()


def ballots_at_revision(
    make_app: Callable[..., Flask], database_uri: str, folder: Path, revision: str, picks: list[list[int]]
) -> tuple[Flask, list[str], list[list[str]]]:
    """A database at schema ``revision`` holding the shipped poll and one ballot
    per list of ``picks`` (places in the editors' order): the app on it (which
    makes no schema of its own), the entries' keys, and the ballots' rankings."""
    flask(database_uri, folder, "db", "upgrade", revision)
    keys = [entry.key for entry in next(p for p in shipped_polls() if p.slug == POLL).entries]
    rankings = [[keys[place] for place in ballot] for ballot in picks]
    app = make_app(database_uri=database_uri, schema=False)
    store_poll_with_ballots(app, rankings)
    return app, keys, rankings


def test_the_min_ballots_revision_gives_every_poll_thirty_and_keeps_ballots_and_tally(
    make_app, database_uri, tmp_path
):
    before = "f3c8a1d5e672"
    app, keys, rankings = ballots_at_revision(
        make_app, database_uri, tmp_path, before, [[2, 0], [4], [1, 2, 3]]
    )

    flask(database_uri, tmp_path, "db", "upgrade")

    assert schema_differences(database_uri) == []
    with app.app_context():
        poll = find_poll(POLL)
        assert poll.min_ballots == 30
        assert list(ballot_rankings(poll)) == rankings
        assert tally_differences(poll) == []
        assert read_tally(poll).counts == ranking.tally(rankings)
        db.session.remove()
        db.engine.dispose()

    flask(database_uri, tmp_path, "db", "downgrade", before)
    engine = create_engine(database_uri)
    try:
        assert "min_ballots" not in {column["name"] for column in inspect(engine).get_columns("poll")}
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM ballot")).scalar_one() == len(rankings)
    finally:
        engine.dispose()


def test_the_shared_rankings_revision_adds_its_table_and_keeps_ballots_and_tally(
    make_app, database_uri, tmp_path
):
    before = "a9d3e5f1c7b2"
    app, keys, rankings = ballots_at_revision(make_app, database_uri, tmp_path, before, [[1, 0], [5, 2], [3]])

    # To the head: the models read every column later revisions add.
    flask(database_uri, tmp_path, "db", "upgrade")

    with app.app_context():
        poll = find_poll(POLL)
        assert list(ballot_rankings(poll)) == rankings
        assert tally_differences(poll) == []
        assert read_tally(poll).counts == ranking.tally(rankings)
        # A reader of the old schema can share the ballot they cast before it.
        token = share_ranking(poll, "r1").token
        shared = find_share(token)
        assert shared is not None and shared_ballot(shared, poll) == rankings[1]
        db.session.remove()
        db.engine.dispose()

    flask(database_uri, tmp_path, "db", "downgrade", before)
    engine = create_engine(database_uri)
    try:
        assert "shared_ranking" not in inspect(engine).get_table_names()
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM ballot")).scalar_one() == len(rankings)
    finally:
        engine.dispose()


def test_the_drafts_revision_admits_drafts_in_place_and_keeps_ballots_and_tally(
    make_app, database_uri, tmp_path
):
    """SQLite's poll table keeps its rows (and so its entries and ballots) while its CHECK widens."""
    before = "c5e2b8f4a913"
    app, keys, rankings = ballots_at_revision(make_app, database_uri, tmp_path, before, [[1, 3], [0]])
    engine = create_engine(database_uri)
    try:
        with engine.connect() as connection:
            with pytest.raises(Exception, match="poll_status"):  # the CHECK before the revision
                connection.execute(text("UPDATE poll SET status = 'draft'"))
    finally:
        engine.dispose()

    flask(database_uri, tmp_path, "db", "upgrade")

    assert schema_differences(database_uri) == []
    with app.app_context():
        poll = find_poll(POLL)
        assert [entry.key for entry in poll.entries] == keys
        assert list(ballot_rankings(poll)) == rankings
        assert tally_differences(poll) == []
        assert read_tally(poll).counts == ranking.tally(rankings)
        db.session.remove()
        with db.engine.begin() as connection:
            connection.execute(text("UPDATE poll SET status = 'draft'"))
        with db.engine.connect() as connection:
            with pytest.raises(Exception, match="poll_status"):
                connection.execute(text("UPDATE poll SET status = 'paused'"))
        db.session.remove()
        db.engine.dispose()

    flask(database_uri, tmp_path, "db", "downgrade", before)
    engine = create_engine(database_uri)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT status FROM poll")).scalar_one() == "closed"
            assert connection.execute(text("SELECT count(*) FROM ballot")).scalar_one() == len(rankings)
            assert connection.execute(text("SELECT count(*) FROM entry")).scalar_one() == len(keys)
    finally:
        engine.dispose()


def test_the_sources_revision_names_old_ballots_site_or_imported_and_keeps_ballots_and_tally(
    make_app, database_uri, tmp_path
):
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    revision = ScriptDirectory.from_config(config).get_revision("c5e8b2a4d7f1")
    assert revision is not None and isinstance(revision.down_revision, str)
    before = revision.down_revision
    flask(database_uri, tmp_path, "db", "upgrade", before)
    (spec,) = [poll for poll in shipped_polls() if poll.slug == POLL]
    keys = [entry.key for entry in spec.entries]
    readers = [[keys[2], keys[0]], [keys[4]], [keys[1], keys[2], keys[3]]]
    held = [keys[5]]
    imported = [keys[6], keys[0]]
    app = make_app(database_uri=database_uri, schema=False)
    with app.app_context():
        with db.engine.begin() as connection:
            poll_id = connection.execute(
                text(
                    "INSERT INTO poll (slug, title, intro, borda_rule, status, results_visibility, revision) "
                    "VALUES (:slug, :title, :intro, :rule, 'open', 'always', 0) RETURNING id"
                ),
                {"slug": spec.slug, "title": spec.title, "intro": spec.intro, "rule": spec.borda_rule.value},
            ).scalar_one()
            ids = {}
            for rank, entry in enumerate(spec.entries, start=1):
                ids[entry.key] = connection.execute(
                    text(
                        "INSERT INTO entry (poll_id, key, editor_rank, title, subtitle, credit, blurb) "
                        "VALUES (:poll, :key, :rank, :title, '', '', '') RETURNING id"
                    ),
                    {"poll": poll_id, "key": entry.key, "rank": rank, "title": entry.title},
                ).scalar_one()
            insert = text(
                "INSERT INTO ballot (poll_id, reader, ranking, created_at, updated_at, held) "
                "VALUES (:poll, :reader, :ranking, :now, :now, :held)"
            )
            now = datetime.now(UTC)
            # Readers' ballots, counted by the triggers, and one held for a check.
            for number, order in enumerate([*readers, held]):
                connection.execute(
                    insert,
                    {
                        "poll": poll_id,
                        "reader": f"r{number}",
                        "ranking": ",".join(order),
                        "now": now,
                        "held": order is held,
                    },
                )
            # An imported ballot: no reader, its tally cells written beside it.
            connection.execute(
                insert,
                {"poll": poll_id, "reader": None, "ranking": ",".join(imported), "now": now, "held": False},
            )
            for position, key in enumerate(imported, start=1):
                connection.execute(
                    text(
                        "INSERT INTO tally_cell (poll_id, entry_id, length, position, ballots) "
                        "VALUES (:poll, :entry, 2, :position, 1) "
                        "ON CONFLICT (poll_id, entry_id, length, position) "
                        "DO UPDATE SET ballots = tally_cell.ballots + 1"
                    ),
                    {"poll": poll_id, "entry": ids[key], "position": position},
                )
        db.session.remove()
        db.engine.dispose()

    flask(database_uri, tmp_path, "db", "upgrade")

    assert schema_differences(database_uri) == []
    with app.app_context():
        poll = find_poll(POLL)
        assert list(ballot_rankings(poll)) == [*readers, imported]
        assert tally_differences(poll) == []
        assert read_tally(poll).counts == ranking.tally([*readers, imported])
        assert read_tally(poll).held == 1
        assert counted_sources(poll) == {
            BallotSource.SITE: 3,
            BallotSource.EMBED_COOKIE: 0,
            BallotSource.EMBED_NO_COOKIE: 0,
            BallotSource.API: 0,
            BallotSource.IMPORTED: 1,
        }
        db.session.remove()
        db.engine.dispose()
    # A ballot cast after the upgrade is counted where it came from.
    client = app.test_client()
    assert client.post(f"/api/polls/{POLL}/ballots", json={"ranking": [keys[7]]}).status_code == 201
    assert client.get(f"/api/polls/{POLL}/results").get_json()["sources"]["api"] == 1

    flask(database_uri, tmp_path, "db", "downgrade", before)
    engine = create_engine(database_uri)
    try:
        assert "source" not in {column["name"] for column in inspect(engine).get_columns("ballot")}
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM ballot")).scalar_one() == 6
    finally:
        engine.dispose()
    # The downgrade kept the triggers: a ballot still moves the tally.
    flask(database_uri, tmp_path, "db", "upgrade")
    assert client.post(f"/api/polls/{POLL}/ballots", json={"ranking": [keys[3]]}).status_code == 200
    with app.app_context():
        poll = find_poll(POLL)
        assert tally_differences(poll) == []
        db.session.remove()
        db.engine.dispose()


def test_the_rescores_revision_keeps_ballots_tally_and_trail_both_ways(make_app, database_uri, tmp_path):
    """The trail's table is rebuilt for its new action; no poll, entry, ballot or tally row is touched."""
    before = "c5e8b2a4d7f1"
    app, keys, rankings = ballots_at_revision(
        make_app, database_uri, tmp_path, before, [[1, 0], [3], [2, 4, 0]]
    )
    engine = create_engine(database_uri)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO audit_entry (at, editor_email, action, poll_id, detail) "
                    "VALUES (:now, 'editor@example.org', 'edited', (SELECT id FROM poll), 'x')"
                ),
                {"now": datetime.now(UTC)},
            )
    finally:
        engine.dispose()

    flask(database_uri, tmp_path, "db", "upgrade")

    assert schema_differences(database_uri) == []
    with app.app_context():
        poll = find_poll(POLL)
        assert list(ballot_rankings(poll)) == rankings
        assert tally_differences(poll) == []
        assert read_tally(poll).counts == ranking.tally(rankings)
        db.session.remove()
        db.engine.dispose()
    engine = create_engine(database_uri)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO rescore (poll_id, at, cause, entries_before, entries_after, rule_before, "
                    "rule_after) VALUES ((SELECT id FROM poll), :now, 'rule_changed', 9, 9, 'averaged', "
                    "'modified')"
                ),
                {"now": datetime.now(UTC)},
            )
            connection.execute(
                text(
                    "INSERT INTO audit_entry (at, editor_email, action, poll_id, detail) VALUES "
                    "(:now, 'editor@example.org', 'rescored', (SELECT id FROM poll), 'rule_changed:modified')"
                ),
                {"now": datetime.now(UTC)},
            )
        engine.dispose()

        flask(database_uri, tmp_path, "db", "downgrade", before)

        assert "rescore" not in inspect(engine).get_table_names()
        with engine.connect() as connection:
            trail = connection.execute(text("SELECT action FROM audit_entry ORDER BY id")).scalars().all()
            assert trail == ["edited"]
            assert connection.execute(text("SELECT count(*) FROM ballot")).scalar_one() == len(rankings)
            cells = connection.execute(text("SELECT sum(ballots) FROM tally_cell")).scalar_one()
            assert cells == sum(len(order) for order in rankings)
    finally:
        engine.dispose()


def test_the_schedule_revision_keeps_ballots_and_tally_and_its_triggers_keep_the_closing_time(
    make_app, database_uri, tmp_path
):
    before = "c5e8b3a1d702"
    app, keys, rankings = ballots_at_revision(make_app, database_uri, tmp_path, before, [[2, 1], [4]])

    flask(database_uri, tmp_path, "db", "upgrade")

    assert schema_differences(database_uri) == []
    client = app.test_client()
    assert vote(client, [keys[0]]).status_code == 201
    with app.app_context():
        poll = find_poll(POLL)
        assert (poll.opens_at, poll.closes_at, poll.time_zone) == (None, None, "UTC")
        assert list(ballot_rankings(poll)) == [*rankings, [keys[0]]]
        assert tally_differences(poll) == []
        with db.engine.begin() as connection:
            connection.execute(text("UPDATE poll SET closes_at = :past"), {"past": datetime.now(UTC)})
        db.session.remove()
    assert vote(client, [keys[3]]).status_code == 409  # the upgraded triggers read the closing time
    with app.app_context():
        assert read_tally(find_poll(POLL)).counts == ranking.tally([*rankings, [keys[0]]])
        db.session.remove()
        db.engine.dispose()

    flask(database_uri, tmp_path, "db", "downgrade", before)
    engine = create_engine(database_uri)
    try:
        columns = {column["name"] for column in inspect(engine).get_columns("poll")}
        assert not {"opens_at", "closes_at", "time_zone"} & columns
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM ballot")).scalar_one() == 3
    finally:
        engine.dispose()


def test_the_ballot_order_revision_shuffles_every_poll_and_keeps_ballots_and_tally(
    make_app, database_uri, tmp_path
):
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    revision = ScriptDirectory.from_config(config).get_revision("d8b3f6a2c9e4")
    assert revision is not None and isinstance(revision.down_revision, str)
    before = revision.down_revision
    app, keys, rankings = ballots_at_revision(
        make_app, database_uri, tmp_path, before, [[3, 1], [0], [2, 5, 4]]
    )

    flask(database_uri, tmp_path, "db", "upgrade")

    assert schema_differences(database_uri) == []
    with app.app_context():
        poll = find_poll(POLL)
        assert poll.shuffle_entries is True
        assert list(ballot_rankings(poll)) == rankings
        assert tally_differences(poll) == []
        assert read_tally(poll).counts == ranking.tally(rankings)
        # Cast from the editors' order, the earlier ballots have no seed.
        seeds = db.session.execute(text("SELECT order_seed FROM ballot")).scalars().all()
        assert seeds == [None, None, None]
        db.session.remove()
        db.engine.dispose()

    flask(database_uri, tmp_path, "db", "downgrade", before)
    engine = create_engine(database_uri)
    try:
        assert "order_seed" not in {column["name"] for column in inspect(engine).get_columns("ballot")}
        assert "shuffle_entries" not in {column["name"] for column in inspect(engine).get_columns("poll")}
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM ballot")).scalar_one() == len(rankings)
    finally:
        engine.dispose()
