"""Draft polls: made in the desk, seen there as a preview, and to a reader at
every URL of the app exactly as if they did not exist; the database refuses
their ballots; opening one from the desk lets readers in, and is in the trail."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from pollapp.core.terms import PollStatus
from pollapp.extensions import db
from pollapp.polls.service import entry_keys, find_poll
from sqlalchemy import text
from werkzeug.test import TestResponse

from helpers import POLL, csrf_token, database_state, set_poll, vote
from test_editors import HOME, trail

NO_SUCH = "no-such-poll"


@pytest.fixture
def draft(app: Flask) -> list[str]:
    """The shipped poll made a draft; its entry keys."""
    set_poll(app, status=PollStatus.DRAFT)
    with app.app_context():
        return entry_keys(find_poll(POLL))


def ask(client: FlaskClient, method: str, path: str, keys: list[str], token: str) -> TestResponse:
    """A reader's request as a page or a script would send it: a ballot or a
    suggestion that would be taken, were the poll open."""
    if method == "GET":
        return client.get(path)
    if method == "OPTIONS":
        return client.options(path, headers={"Origin": "null"})
    if "/api/" in path or path.endswith("/embed/ballots"):
        return client.post(path, json={"ranking": keys[:2]}, headers={"Idempotency-Key": "a-reader-key-1"})
    form = {"csrf_token": token, "rank_1": keys[0], "rank_2": keys[1], "reader_key": "k" * 24}
    form |= {"title": "The Heirs", "note": "", "entry": keys[0]}
    return client.post(path, data=form)


def reader_requests(app: Flask) -> list[tuple[str, str, str]]:
    """(endpoint, method, path) of every reader's URL that names a poll, for the shipped poll."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("editors.") or "slug" not in rule.arguments:
            continue
        assert rule.arguments == {"slug"}, f"{rule.rule}: fill its other arguments here"
        with app.test_request_context():
            path = url_for(rule.endpoint, slug=POLL)
        for method in sorted((rule.methods or set()) & {"GET", "POST", "OPTIONS"}):
            if method == "OPTIONS" and not rule.provide_automatic_options and "OPTIONS" not in rule.methods:
                continue
            found.append((rule.endpoint, method, path))
    return found


def test_every_reader_url_of_a_draft_answers_as_for_no_poll_at_all(app, draft):
    requests = reader_requests(app)
    assert {"site.show_poll", "site.results", "site.ballots_csv", "api.poll", "api.cast", "embed.embed"} <= {
        endpoint for endpoint, _, _ in requests
    }
    client = app.test_client()
    token = csrf_token(client, "/editors/login")
    before = database_state(app)
    for endpoint, method, path in requests:
        answer = ask(client, method, path, draft, token)
        nothing = ask(client, method, path.replace(POLL, NO_SUCH), draft, token)
        assert answer.status_code == nothing.status_code, (endpoint, method)
        if method != "OPTIONS":  # a preflight answers alike for every slug, known or not
            assert answer.status_code == 404, (endpoint, method, answer.status_code)
            assert draft[0] not in answer.get_data(as_text=True), (endpoint, method)
    assert database_state(app) == before


def test_a_draft_is_not_on_the_home_page_nor_described_by_oembed(app, client, draft):
    home = client.get("/")  # no poll open: the index, without the draft
    assert home.status_code == 200 and "There is no poll here yet." in home.get_data(as_text=True)
    assert POLL not in home.get_data(as_text=True)
    described = client.get("/oembed", query_string={"url": f"http://localhost/polls/{POLL}"})
    assert described.status_code == 404
    set_poll(app, status=PollStatus.OPEN)
    assert client.get("/oembed", query_string={"url": f"http://localhost/polls/{POLL}"}).status_code == 200


def test_the_database_refuses_a_ballot_for_a_draft(make_app, database_uri):
    app = make_app(database_uri=database_uri)
    set_poll(app, status=PollStatus.DRAFT)
    with app.app_context():
        poll = find_poll(POLL)
        ranking, poll_id = ",".join(entry_keys(poll)[:2]), poll.id
        with pytest.raises(Exception, match="the poll is closed"):
            with db.engine.begin() as connection:
                connection.execute(
                    text(
                        "INSERT INTO ballot (poll_id, reader, ranking, created_at, updated_at) "
                        "VALUES (:poll, 'a-reader', :ranking, :now, :now)"
                    ),
                    {"poll": poll_id, "ranking": ranking, "now": datetime.now(UTC)},
                )
        db.session.remove()
    assert database_state(app)["ballots"] == []


def test_the_desk_previews_a_draft_and_opening_it_lets_readers_in(app, desk, draft):
    home = desk.get(HOME).get_data(as_text=True)
    assert "Draft" in home and f'href="/editors/polls/{POLL}/preview"' in home
    assert f'href="/polls/{POLL}"' not in home  # no link a reader would meet as a 404
    preview = desk.get(f"/editors/polls/{POLL}/preview")
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    assert "readers cannot see this poll" in page and "Hand-to-mouth kiss" in page
    assert app.test_client().get(f"/editors/polls/{POLL}/preview").status_code == 302  # to the login

    token = csrf_token(desk, HOME)
    closing = desk.post(f"/editors/polls/{POLL}/status", data={"csrf_token": token, "status": "closed"})
    assert closing.status_code == 302
    assert "open it first" in desk.get(HOME).get_data(as_text=True)
    with app.app_context():
        assert find_poll(POLL).status == PollStatus.DRAFT
    back = desk.post(f"/editors/polls/{POLL}/status", data={"csrf_token": token, "status": "draft"})
    assert back.status_code == 400  # a poll never goes back to draft

    opening = desk.post(f"/editors/polls/{POLL}/status", data={"csrf_token": token, "status": "open"})

    assert opening.status_code == 302
    assert "readers can see it and vote" in desk.get(HOME).get_data(as_text=True)
    assert [action for _, action, *_ in trail(app)][-1] == "opened"
    assert app.test_client().get(f"/polls/{POLL}").status_code == 200
    assert vote(app.test_client(), draft[:2]).status_code == 201
