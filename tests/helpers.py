"""What the tests share besides fixtures (those are in ``conftest.py``): the shipped
poll, casting a ballot (every way a reader can), a form's CSRF token, a streamed
POST, changing a poll's settings, the Debian ballots, and what the database
holds, to show that a refused request changed nothing."""

from __future__ import annotations

import http.client
import io
import json
import re
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import NamedTuple

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pollapp.ballots import recount
from pollapp.ballots.models import Ballot, TallyCell
from pollapp.ballots.service import import_ballots
from pollapp.catalogue.files import shipped_polls
from pollapp.catalogue.sync import sync_polls
from pollapp.config import READER_COOKIE
from pollapp.extensions import db
from pollapp.polls.models import Poll
from pollapp.polls.service import find_poll
from pollapp.testing import read_soi
from sqlalchemy import select
from werkzeug.test import TestResponse

POLL = "kdrama-kisses-2014"
# What production needs to start: a long key, the host names it serves, and
# limits it may keep in memory because one process serves it.
PRODUCTION = {
    "PRODUCTION": True,
    "SECRET_KEY": "production test key, long enough to be refused by no check",
    "TRUSTED_HOSTS": ["localhost"],
    "RATELIMIT_ONE_PROCESS": True,
}
DATA = Path(__file__).resolve().parent / "data"
DEBIAN_BALLOTS = DATA / "debian-2007-leader.soi"


# ---------------------------------------------------------------- requests


def csrf_token(client: FlaskClient, path: str = f"/polls/{POLL}") -> str:
    """Load a page and return the CSRF token its form carries."""
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert match, "the page has no CSRF token"
    return match.group(1)


def vote(client: FlaskClient, ranking: list[str], slug: str = POLL) -> TestResponse:
    """Cast a ballot through the JSON API."""
    return client.post(f"/api/polls/{slug}/ballots", json={"ranking": ranking})


def post_streamed(client: FlaskClient, path: str, body: bytes, content_type: str) -> TestResponse:
    """POST a body the way a streaming client does: chunked, with no Content-Length."""
    return client.post(
        path,
        input_stream=io.BytesIO(body),
        headers={"Content-Type": content_type, "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )


# ---------------------------------------------------------------- polls and ballots


def set_poll(app: Flask, slug: str = POLL, **settings: object) -> None:
    """Change a poll's stored settings, such as ``status``, ``results_visibility``
    or ``borda_rule``, straight in the database."""
    with app.app_context():
        poll = find_poll(slug)
        assert poll is not None, f"there is no poll {slug}"
        for name, value in settings.items():
            assert name in Poll.__table__.columns, f"a poll has no setting {name}"
            setattr(poll, name, value)
        db.session.commit()
        db.session.remove()


def reload_database(app: Flask) -> None:
    """Empty every table and load the shipped polls again: the database as a test
    starts with it, for each hypothesis example afresh."""
    with app.app_context():
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        sync_polls(shipped_polls())  # which commits
        db.session.remove()


def debian_ballots() -> list[list[int]]:
    """The Debian 2007 ballots as lists of 1-based alternative numbers (skips when absent)."""
    if not DEBIAN_BALLOTS.exists():
        pytest.skip(f"the Debian 2007 ballots are not at {DEBIAN_BALLOTS}")
    return read_soi(DEBIAN_BALLOTS)


# ---------------------------------------------------------------- the ballot on a page


@dataclass
class BallotShown:
    """The ballot a page holds: what each rank select has selected (in order,
    empty for not ranked), the widget's ranked entries in order and its
    unranked ones, the order it lists every entry in, where the form is sent,
    and the message beside it."""

    selects: list[str]
    ranked: list[str]
    unranked: list[str]
    listed: list[str]  # every entry, in the order the ballot lists them
    action: str
    message: str | None


def ballot_shown(html: str) -> BallotShown:
    selects = []
    for field in re.finditer(r'<select[^>]* name="rank_\d+"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.findall(r'<option selected value="([^"]*)"', field.group(1))
        selects.append(chosen[0] if chosen else "")
    ranked = re.findall(r'<li class="ranked-item" data-key="([^"]+)" data-name="[^"]*">', html)
    unranked = re.findall(r'<li class="pool-item" data-key="([^"]+)">', html)
    action = re.search(r'<form method="post" action="([^"]*)" class="ballot-form"', html)
    message = re.search(r'id="ballot-message"[^>]*>(.*?)</div>', html, re.S)
    return BallotShown(
        selects=selects,
        ranked=ranked,
        unranked=unranked,
        listed=re.findall(r'<li class="pool-item" data-key="([^"]+)"', html),
        action=action.group(1) if action else "",
        message=" ".join(re.sub(r"<[^>]+>", " ", message.group(1)).split()) if message else None,
    )


# ---------------------------------------------------------------- what the database holds


def database_state(app: Flask) -> dict[str, list[tuple[object, ...]]]:
    """Every ballot and tally cell, and each poll's status, visibility and revision."""
    with app.app_context():
        state = {
            "ballots": [
                tuple(row)
                for row in db.session.execute(
                    select(
                        Ballot.id, Ballot.poll_id, Ballot.reader, Ballot.ranking, Ballot.updated_at
                    ).order_by(Ballot.id)
                )
            ],
            "tally": [
                tuple(row)
                for row in db.session.execute(
                    select(
                        TallyCell.poll_id,
                        TallyCell.entry_id,
                        TallyCell.length,
                        TallyCell.position,
                        TallyCell.ballots,
                    ).order_by(TallyCell.poll_id, TallyCell.entry_id, TallyCell.length, TallyCell.position)
                )
            ],
            "polls": [
                tuple(row)
                for row in db.session.execute(
                    select(Poll.slug, Poll.status, Poll.results_visibility, Poll.revision).order_by(Poll.id)
                )
            ],
        }
        db.session.remove()
    return state


def ballot_count(app: Flask) -> int:
    return len(database_state(app)["ballots"])


def tally_differences(app: Flask, slug: str) -> list[str]:
    """Where the running tally disagrees with a recount of the stored ballots."""
    with app.app_context():
        poll = find_poll(slug)
        assert poll is not None, f"there is no poll {slug}"
        differences = recount.tally_differences(poll)
        db.session.remove()
    return differences


# ---------------------------------------------------------------- a real server


@dataclass(frozen=True)
class Reply:
    """A real server's answer: its status, its body, the reader cookie it set, if any, and its headers."""

    status: int
    body: bytes
    cookie: str | None
    headers: http.client.HTTPMessage | None = None

    def json(self) -> dict[str, object]:
        loaded = json.loads(self.body)
        assert isinstance(loaded, dict)
        return loaded


def exchange(
    connection: http.client.HTTPConnection,
    method: str,
    path: str,
    body: object = None,
    cookie: str | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    """Send one request on ``connection`` (a JSON ``body``, the reader ``cookie``),
    read the answer, and close the connection."""
    sent = dict(headers or {})
    payload = None
    if body is not None:
        payload = json.dumps(body).encode("utf-8")
        sent["Content-Type"] = "application/json"
    if cookie is not None:
        sent["Cookie"] = f"{READER_COOKIE}={cookie}"
    try:
        connection.request(method, path, body=payload, headers=sent)
        with connection.getresponse() as response:
            data = response.read()
            jar = SimpleCookie()
            for header in response.headers.get_all("Set-Cookie") or []:
                jar.load(header)
            issued = jar[READER_COOKIE].value if READER_COOKIE in jar else None
            return Reply(response.status, data, issued, response.headers)
    finally:
        connection.close()


def vote_many(app: Flask, rankings: list[list[str]], slug: str = POLL) -> None:
    """Cast each ranking as a ballot of its own reader (a fresh client each)."""
    for ranking in rankings:
        response = vote(app.test_client(), ranking, slug)
        assert response.status_code in (200, 201), response.get_data(as_text=True)


# ---------------------------------------------------------------- every way a ballot is cast

EMBED = f"/polls/{POLL}/embed"
EMBED_COOKIE = "pollapp_embed_reader"


def on_the_site(app: Flask, ranking: list[str]) -> None:
    """Cast a ballot of a new reader with the poll page's form."""
    client = app.test_client()
    data = {"csrf_token": csrf_token(client), **{f"rank_{p}": k for p, k in enumerate(ranking, start=1)}}
    assert client.post(f"/polls/{POLL}", data=data).status_code == 302


def embed_key(client: FlaskClient) -> str:
    """Load the embed and return the reader key its form carries."""
    match = re.search(
        r'name="reader_key" type="hidden" value="([^"]+)"', client.get(EMBED).get_data(as_text=True)
    )
    assert match
    return match.group(1)


def in_the_embed(app: Flask, ranking: list[str], *, cookie: bool, script: bool) -> None:
    """Cast a ballot of a new reader in the embed, by its script or its form, from a
    frame that kept the embed's cookie or could keep none."""
    client = app.test_client()
    key = embed_key(client)
    if not cookie:  # the frame kept none: the ballot comes without it
        client.delete_cookie(EMBED_COOKIE, path="/polls/")
    if script:
        response = client.post(
            f"{EMBED}/ballots",
            json={"ranking": ranking},
            headers={"Origin": "null", "Idempotency-Key": key, "Accept": "application/json"},
        )
        assert response.status_code in (201, 202)  # taken, or held past the address's budget
    else:
        data = {"reader_key": key, **{f"rank_{p}": k for p, k in enumerate(ranking, start=1)}}
        # With the cookie, sent on to the page that shows it; without, answered with the page.
        assert client.post(EMBED, data=data).status_code == (303 if cookie else 200)


class Way(NamedTuple):
    name: str
    source: str  # the BallotSource a ballot cast this way is counted as


WAYS = [
    Way("the poll page's form", "site"),
    Way("the embed's script with its cookie", "embed_cookie"),
    Way("the embed's form with its cookie", "embed_cookie"),
    Way("the embed's script without a cookie", "embed_no_cookie"),
    Way("the embed's form without a cookie", "embed_no_cookie"),
    Way("the API", "api"),
    Way("a file imported", "imported"),
]


def cast_by(app: Flask, way: Way, ranking: list[str]) -> None:
    """Cast a ballot of a new reader the way ``way`` names."""
    if way.source == "site":
        on_the_site(app, ranking)
    elif way.source.startswith("embed"):
        in_the_embed(app, ranking, cookie=way.source == "embed_cookie", script="script" in way.name)
    elif way.source == "api":
        assert vote(app.test_client(), ranking).status_code == 201
    else:
        with app.app_context():
            import_ballots(find_poll(POLL), [ranking])


# The editors' desk: an account made with the CLI and a login as a browser sends it.
EMAIL = "editor@example.org"
PASSWORD = "correct horse battery staple"
LOGIN = "/editors/login"


def add_editor(app: Flask, email: str = EMAIL, password: str = PASSWORD) -> None:
    done = app.test_cli_runner().invoke(
        args=["editors", "add", email, "--password-stdin"], input=password + "\n"
    )
    assert done.exit_code == 0, done.output


def log_in(
    client: FlaskClient, email: str = EMAIL, password: str = PASSWORD, next_path: str | None = None, **kw
) -> TestResponse:
    """Send the login form as a browser would: the page first, then the form with its token."""
    query = {"next": next_path} if next_path is not None else {}
    client.get(LOGIN, query_string=query, **kw)
    token = csrf_token(client, LOGIN)
    return client.post(
        LOGIN, query_string=query, data={"csrf_token": token, "email": email, "password": password}, **kw
    )
