"""The readers' index: /polls and /api/polls list the polls readers may see
(open ones first, then closed, newest first; drafts never), and / shows the
newest open poll, or the index when none is open."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from pollapp.catalogue.files import shipped_polls
from pollapp.catalogue.sync import sync_polls
from pollapp.core.terms import PollStatus
from pollapp.extensions import db

from helpers import POLL, set_poll, vote

HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


def add_poll(app: Flask, slug: str, title: str, status: PollStatus) -> None:
    """Another poll, made from the shipped one's entries."""
    (shipped,) = [spec for spec in shipped_polls() if spec.slug == POLL]
    spec = type(shipped)(**{**shipped.__dict__, "slug": slug, "title": title, "status": status})
    with app.app_context():
        sync_polls([spec])
        db.session.remove()


@pytest.fixture
def polls(app: Flask, keys: list[str]) -> list[str]:
    """Five polls, oldest first: the shipped one (open, one ballot), a closed
    one, an open one, a draft, and one closed by its closing time."""
    assert vote(app.test_client(), keys[:2]).status_code == 201
    add_poll(app, "older-closed", "An older closed poll", PollStatus.CLOSED)
    add_poll(app, "newer-open", "A newer open poll", PollStatus.OPEN)
    add_poll(app, "a-draft", "A draft", PollStatus.DRAFT)
    add_poll(app, "ran-out", "A poll whose time ran out", PollStatus.OPEN)
    set_poll(app, "ran-out", closes_at=datetime.now(UTC) - timedelta(minutes=1))
    return [POLL, "older-closed", "newer-open", "a-draft", "ran-out"]


def test_the_api_lists_open_polls_then_closed_ones_newest_first_and_never_a_draft(app, client, polls):
    closes = datetime(2100, 1, 2, 9, 30, tzinfo=UTC)
    set_poll(app, closes_at=closes)

    answer = client.get("/api/polls")

    assert answer.status_code == 200 and answer.mimetype == "application/json"
    listed = answer.get_json()
    assert [poll["slug"] for poll in listed] == ["newer-open", POLL, "ran-out", "older-closed"]
    assert all(set(poll) == {"slug", "title", "status", "ballots", "closes_at", "url"} for poll in listed)
    assert listed[1] == {
        "slug": POLL,
        "title": "The most romantic K-drama kisses of 2014",
        "status": "open",
        "ballots": 1,
        "closes_at": "2100-01-02T09:30:00Z",
        "url": f"http://localhost/polls/{POLL}",
    }
    assert [poll["status"] for poll in listed] == ["open", "open", "closed", "closed"]
    assert listed[0]["closes_at"] is None and listed[0]["ballots"] == 0


def test_the_index_page_lists_the_same_polls_in_the_same_order(client, polls):
    page = client.get("/polls").get_data(as_text=True)
    places = [page.index(f'href="/polls/{slug}"') for slug in ("newer-open", POLL, "ran-out", "older-closed")]
    assert places == sorted(places)
    assert "a-draft" not in page and "A draft" not in page
    assert "1 ballot" in page and "0 ballots" in page
    korean = client.get("/polls?lang=ko").get_data(as_text=True)
    assert "투표 1개" in korean or "1표" in korean


def test_home_shows_the_newest_open_poll_or_the_index_when_none_is_open(app, client, polls):
    assert "A newer open poll" in client.get("/").get_data(as_text=True)
    for slug in (POLL, "newer-open"):
        set_poll(app, slug, status=PollStatus.CLOSED)

    home = client.get("/")

    assert home.status_code == 200
    html = home.get_data(as_text=True)
    assert 'class="poll-index"' in html and f'href="/polls/{POLL}"' in html and "A draft" not in html


def test_home_with_no_poll_says_so(make_app):
    app = make_app()
    set_poll(app, status=PollStatus.DRAFT)
    home = app.test_client().get("/?lang=en")
    assert home.status_code == 200 and "There is no poll here yet." in home.get_data(as_text=True)


def test_hostile_titles_are_text_in_the_index_and_data_in_the_api(app, client, keys):
    add_poll(app, "hostile", HOSTILE, PollStatus.OPEN)

    page = client.get("/polls").get_data(as_text=True)
    listed = client.get("/api/polls")

    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert listed.get_json()[0]["title"] == HOSTILE
    assert listed.headers["X-Content-Type-Options"] == "nosniff" and listed.mimetype == "application/json"
