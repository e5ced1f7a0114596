"""Results that follow new ballots by themselves: the page names its source; the source answers 304."""

from __future__ import annotations

import re
import time

from flask import Flask
from flask.testing import FlaskClient
from pollapp.extensions import db
from pollapp.storage.engines import ballot_engine
from sqlalchemy import event

from helpers import POLL, set_poll, vote

RESULTS = f"/polls/{POLL}/results"
SOURCE = f"/api/polls/{POLL}/results"


def live_script(html: str) -> re.Match[str] | None:
    return re.search(
        r'<script src="/static/live\.js" data-live-source="([^"]+)" data-live-every="(\d+)"', html
    )


def test_an_open_polls_results_page_follows_the_results_api(client: FlaskClient, keys: list[str]) -> None:
    vote(client, keys[:3])
    found = live_script(client.get(RESULTS).get_data(as_text=True))
    assert found is not None
    assert found.group(1) == f"/api/polls/{POLL}/results"
    assert found.group(2) == "5000"


def test_a_closed_polls_results_page_stays_still(app: Flask, client: FlaskClient, keys: list[str]) -> None:
    vote(client, keys[:3])
    set_poll(app, status="closed")
    page = client.get(RESULTS)
    assert page.status_code == 200
    assert live_script(page.get_data(as_text=True)) is None


def test_the_live_source_answers_304_until_a_ballot_moves_it(client: FlaskClient, keys: list[str]) -> None:
    vote(client, keys[:3])
    first = client.get(f"/api/polls/{POLL}/results")
    tag = first.headers["ETag"]
    assert not tag.startswith("W/")
    unchanged = client.get(f"/api/polls/{POLL}/results", headers={"If-None-Match": tag})
    assert unchanged.status_code == 304
    assert unchanged.data == b""
    assert unchanged.headers["ETag"] == tag

    other = client.application.test_client()
    vote(other, keys[::-1])
    moved = client.get(f"/api/polls/{POLL}/results", headers={"If-None-Match": tag})
    assert moved.status_code == 200
    assert moved.headers["ETag"] != tag
    assert moved.get_json()["ballots"] == 2


# ---------------------------------------------------------------- unchanged refreshes kept for a second


def statements_run(app: Flask) -> list[str]:
    """The SQL statements the app's engines run from now on."""
    run: list[str] = []
    with app.app_context():
        for engine in {db.engine, ballot_engine()}:
            event.listen(engine, "before_cursor_execute", lambda *args: run.append(args[2]))
    return run


def test_an_unchanged_refresh_after_a_304_costs_no_database_work(
    app: Flask, client: FlaskClient, keys: list[str]
) -> None:
    vote(client, keys[:3])
    tag = client.get(SOURCE).headers["ETag"]
    answered = client.get(SOURCE, headers={"If-None-Match": tag})
    assert answered.status_code == 304
    run = statements_run(app)
    kept = client.get(SOURCE, headers={"If-None-Match": tag})
    assert kept.status_code == 304
    assert run == []
    assert list(kept.headers) == list(answered.headers)
    # Another tag, or none, is the app's to answer.
    assert client.get(SOURCE, headers={"If-None-Match": '"results-0-0-0"'}).status_code == 200
    assert run != []


def test_a_kept_304_never_outlives_its_second(
    make_app, app: Flask, client: FlaskClient, keys: list[str]
) -> None:
    vote(client, keys[:3])
    tag = client.get(SOURCE).headers["ETag"]
    assert client.get(SOURCE, headers={"If-None-Match": tag}).status_code == 304
    # Another process on the same database: this one hears nothing of its ballot.
    elsewhere = make_app(database_uri=app.config["SQLALCHEMY_DATABASE_URI"], schema=False)
    assert vote(elsewhere.test_client(), keys[::-1]).status_code == 201
    time.sleep(app.config["LIVE_UNCHANGED_SECONDS"] + 0.05)
    moved = client.get(SOURCE, headers={"If-None-Match": tag})
    assert moved.status_code == 200
    assert moved.get_json()["ballots"] == 2


def test_a_change_made_in_this_process_is_answered_at_once(
    app: Flask, client: FlaskClient, keys: list[str]
) -> None:
    vote(client, keys[:3])
    tag = client.get(SOURCE).headers["ETag"]
    assert client.get(SOURCE, headers={"If-None-Match": tag}).status_code == 304
    set_poll(app, borda_rule="modified", revision=1)  # as the desk and the CLI change a poll
    changed = client.get(SOURCE, headers={"If-None-Match": tag})
    assert changed.status_code == 200
    assert changed.get_json()["borda_rule"] == "modified"


def test_results_shown_only_to_voters_are_never_answered_for_them(app: Flask, keys: list[str]) -> None:
    set_poll(app, results_visibility="after_vote")
    voter = app.test_client()
    vote(voter, keys[:3])
    tag = voter.get(SOURCE).headers["ETag"]
    assert voter.get(SOURCE, headers={"If-None-Match": tag}).status_code == 304
    assert voter.get(SOURCE, headers={"If-None-Match": tag}).status_code == 304
    stranger = app.test_client()
    assert stranger.get(SOURCE, headers={"If-None-Match": tag}).status_code == 403
