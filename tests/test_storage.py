"""The database keeps the tally itself: rows written straight into ``ballot``,
past every check in Python, move the tally exactly as a recount says, and the
database refuses what is not a ballot of the poll. Then the ballot path's
writing: a lost connection is tried again, and SQLite's writers take turns.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections import Counter
from datetime import UTC, datetime

import pytest
from flask import Flask
from pollapp.ballots.models import Ballot
from pollapp.ballots.recount import recount
from pollapp.ballots.tally import read_tally
from pollapp.core import ranking
from pollapp.extensions import db
from pollapp.polls.models import Poll
from pollapp.polls.service import entry_keys, find_poll
from pollapp.storage import engines, triggers
from sqlalchemy import insert, select, update
from sqlalchemy.exc import DBAPIError

from helpers import POLL, vote


@pytest.fixture
def app_on(make_app, database_uri: str) -> Flask:
    """The app on each kind of database in turn, schema made and poll loaded."""
    return make_app(database_uri=database_uri)


def poll_and_keys(app: Flask) -> tuple[int, list[str]]:
    with app.app_context():
        poll = find_poll(POLL)
        return poll.id, entry_keys(poll)


def write(app: Flask, statement) -> None:
    """Run one statement on the app's own engine, as any other program might."""
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(statement)


def cast(app: Flask, poll_id: int, reader: str | None, keys: list[str], held: bool = False) -> None:
    now = datetime.now(UTC)
    write(
        app,
        insert(Ballot).values(
            poll_id=poll_id, reader=reader, ranking=",".join(keys), created_at=now, updated_at=now, held=held
        ),
    )


def release(app: Flask, reader: str) -> None:
    write(app, update(Ballot).where(Ballot.reader == reader).values(held=False))


def recast(app: Flask, reader: str, keys: list[str]) -> None:
    write(app, update(Ballot).where(Ballot.reader == reader).values(ranking=",".join(keys)))


def tally_and_recount(app: Flask) -> tuple[Counter, Counter]:
    with app.app_context():
        poll = find_poll(POLL)
        return read_tally(poll).counts, recount(poll)


def test_ballots_written_straight_to_the_table_move_the_tally_like_a_recount(app_on):
    poll_id, keys = poll_and_keys(app_on)
    plan = [
        ("ana", keys[:3]),
        ("ben", [keys[8]]),
        ("cho", keys[::-1]),
        ("ana", [keys[2], keys[0]]),  # a new ranking, shorter
        ("ben", [keys[8]]),  # the same ranking again
        ("cho", keys[1:4]),
    ]
    seen: set[str] = set()
    for reader, ranked in plan:
        if reader in seen:
            recast(app_on, reader, ranked)
        else:
            cast(app_on, poll_id, reader, ranked)
            seen.add(reader)
        stored, counted = tally_and_recount(app_on)
        assert stored == counted
    latest = {reader: ranked for reader, ranked in plan}
    assert stored == ranking.tally(latest.values())


@pytest.mark.parametrize(
    "ranked",
    [
        pytest.param(lambda keys: [keys[0], "no-such-scene"], id="unknown key"),
        pytest.param(lambda keys: [keys[0], keys[1], keys[0]], id="repeated key"),
        pytest.param(lambda keys: [keys[0].upper()], id="key in the wrong case"),
    ],
)
def test_the_database_refuses_a_ranking_that_is_not_of_the_poll(app_on, ranked):
    poll_id, keys = poll_and_keys(app_on)
    cast(app_on, poll_id, "ana", [keys[4]])
    before = tally_and_recount(app_on)

    with pytest.raises(DBAPIError, match=triggers.NOT_A_RANKING):
        cast(app_on, poll_id, "ben", ranked(keys))
    with pytest.raises(DBAPIError, match=triggers.NOT_A_RANKING):
        recast(app_on, "ana", ranked(keys))

    assert tally_and_recount(app_on) == before
    with app_on.app_context():
        assert db.session.execute(select(Ballot.reader, Ballot.ranking)).all() == [("ana", keys[4])]


def test_the_database_refuses_ballots_for_a_closed_poll(app_on):
    poll_id, keys = poll_and_keys(app_on)
    cast(app_on, poll_id, "ana", [keys[4]])
    write(app_on, update(Poll).where(Poll.id == poll_id).values(status="closed"))
    before = tally_and_recount(app_on)

    with pytest.raises(DBAPIError, match=triggers.POLL_CLOSED):
        cast(app_on, poll_id, "ben", [keys[0]])
    with pytest.raises(DBAPIError, match=triggers.POLL_CLOSED):
        recast(app_on, "ana", [keys[0]])

    assert tally_and_recount(app_on) == before


def test_held_ballots_move_no_cell_until_released_then_count_like_any_other(app_on):
    poll_id, keys = poll_and_keys(app_on)
    cast(app_on, poll_id, "ana", keys[:3])
    counted_only = tally_and_recount(app_on)
    cast(app_on, poll_id, "ben", [keys[8], keys[1]], held=True)
    recast(app_on, "ben", [keys[7]])  # a held reader changes their ballot: still nothing moves
    assert tally_and_recount(app_on) == counted_only
    assert counted_only[0] == ranking.tally([keys[:3]])
    release(app_on, "ben")
    stored, counted = tally_and_recount(app_on)
    assert stored == counted == ranking.tally([keys[:3], [keys[7]]])
    recast(app_on, "ben", keys[::-1])  # released: a change moves the cells as usual
    stored, counted = tally_and_recount(app_on)
    assert stored == counted == ranking.tally([keys[:3], keys[::-1]])
    release(app_on, "ben")  # releasing again changes nothing
    assert tally_and_recount(app_on) == (stored, counted)


@pytest.mark.parametrize(
    "ranked",
    [
        pytest.param(lambda keys: [keys[0], "no-such-scene"], id="unknown key"),
        pytest.param(lambda keys: [keys[0], keys[1], keys[0]], id="repeated key"),
    ],
)
def test_the_database_checks_a_held_ballot_like_any_other(app_on, ranked):
    poll_id, keys = poll_and_keys(app_on)
    cast(app_on, poll_id, "ana", [keys[4]], held=True)
    with pytest.raises(DBAPIError, match=triggers.NOT_A_RANKING):
        cast(app_on, poll_id, "ben", ranked(keys), held=True)
    with pytest.raises(DBAPIError, match=triggers.NOT_A_RANKING):
        recast(app_on, "ana", ranked(keys))
    write(app_on, update(Poll).where(Poll.id == poll_id).values(status="closed"))
    with pytest.raises(DBAPIError, match=triggers.POLL_CLOSED):
        cast(app_on, poll_id, "cho", [keys[0]], held=True)
    with app_on.app_context():
        assert db.session.execute(select(Ballot.reader, Ballot.held)).all() == [("ana", True)]


def test_imported_ballots_are_left_to_the_importer(app_on):
    """A ballot with no reader is counted by whoever imports it, in bulk."""
    poll_id, keys = poll_and_keys(app_on)
    cast(app_on, poll_id, None, keys[:2])
    stored, counted = tally_and_recount(app_on)
    assert stored == Counter()
    assert counted == ranking.tally([keys[:2]])


def test_making_the_tables_twice_keeps_one_set_of_triggers(app_on):
    poll_id, keys = poll_and_keys(app_on)
    with app_on.app_context():
        db.create_all()
    cast(app_on, poll_id, "ana", keys[:3])
    stored, counted = tally_and_recount(app_on)
    assert stored == counted == ranking.tally([keys[:3]])


# ---------------------------------------------------------------- the ballot path's writing


def test_a_ballot_on_a_connection_that_has_gone_away_is_tried_again(app_on):
    client = app_on.test_client()
    _, keys = poll_and_keys(app_on)
    assert vote(client, [keys[0]]).status_code == 201
    with app_on.app_context():
        engine = engines.ballot_engine()
        assert engine is not db.engine
        # Break the connection the pool will hand out next, behind its back.
        pooled = engine.raw_connection()
        pooled.dbapi_connection.close()
        pooled.close()

    response = vote(client, [keys[1], keys[2]])

    assert response.status_code == 200
    assert response.get_json()["replaced"] is True
    stored, counted = tally_and_recount(app_on)
    assert stored == counted == ranking.tally([[keys[1], keys[2]]])


def test_the_ballot_engine_does_not_ping_but_the_pages_engine_does(app_on):
    with app_on.app_context():
        assert db.engine.pool._pre_ping is True
        assert engines.ballot_engine().pool._pre_ping is False


@pytest.fixture
def sqlite_app(app):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("the writers' queue is for SQLite files")
    return app


def test_sqlite_ballot_writers_wait_for_the_turn_held_by_another_process(sqlite_app, keys):
    client = sqlite_app.test_client()
    path = sqlite_app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    # Another open of the lock file stands for another process: flock locks
    # belong to an open file, so the app's own open must wait for this one.
    other = os.open(f"{path}-writers.lock", os.O_RDWR | os.O_CREAT, 0o600)
    replies: list[int] = []
    try:
        fcntl.flock(other, fcntl.LOCK_EX)
        voter = threading.Thread(target=lambda: replies.append(vote(client, [keys[0]]).status_code))
        voter.start()
        voter.join(timeout=0.5)
        assert voter.is_alive() and replies == [], "the ballot was written without waiting its turn"
        with sqlite_app.app_context():
            assert read_tally(find_poll(POLL)).counts == Counter()
    finally:
        fcntl.flock(other, fcntl.LOCK_UN)
        os.close(other)
    voter.join(timeout=30)
    assert replies == [201]
    with sqlite_app.app_context():
        assert read_tally(find_poll(POLL)).counts == ranking.tally([[keys[0]]])


def test_counting_held_ballots_reads_only_their_partial_index(make_app, database_uri):
    """The results read the held count on every request: at a million ballots
    a scan of the table would cost more than the rest of the page."""
    from pollapp.ballots import tally

    app = make_app(database_uri=database_uri)
    with app.app_context():
        connection = db.session.connection()
        sql = str(tally._POLL_HELD.compile(dialect=connection.dialect))
        if connection.dialect.name == "sqlite":
            plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", (1,)).all()
            assert any("USING INDEX ballot_held" in str(row) for row in plan), plan
        else:
            connection.exec_driver_sql("SET enable_seqscan = off")
            plan = connection.exec_driver_sql(f"EXPLAIN {sql}", {"b_poll": 1}).all()
            assert any("ballot_held" in str(row) for row in plan), plan
