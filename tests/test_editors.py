"""The editors' desk: logging in and out, refusals and lock-outs, the record
of refused logins, a reader at every desk URL, CSRF, the desk's headers,
where a login may lead, and opening, closing and releasing from the desk."""

from __future__ import annotations

import re
from typing import NamedTuple
from urllib.parse import parse_qs, urlsplit

import argon2
import pytest
from flask import Flask
from flask.testing import FlaskClient
from pollapp.accounts import passwords
from pollapp.accounts.models import AuditEntry, LoginFailure
from pollapp.accounts.service import record_refused_login
from pollapp.ballots.service import cast_ballot
from pollapp.ballots.tally import read_tally
from pollapp.core.terms import PollStatus
from pollapp.editors.sessions import LOGGED_IN_AT
from pollapp.extensions import client_address, db, limiter
from pollapp.polls.service import find_poll
from sqlalchemy import select
from werkzeug.test import TestResponse

from helpers import (
    EMAIL,
    LOGIN,
    PASSWORD,
    POLL,
    add_editor,
    csrf_token,
    database_state,
    log_in,
    set_poll,
    tally_differences,
    vote,
)

HOME = "/editors/"
HTML = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"  # what a browser sends
REFUSED = "That email and password do not match an editor&#39;s account."
ADDRESS = "203.0.113.77"


@pytest.fixture
def editor(app: Flask) -> str:
    add_editor(app)
    return EMAIL


@pytest.fixture
def desk(app: Flask, editor: str) -> FlaskClient:
    """A client logged in to the desk."""
    client = app.test_client()
    assert log_in(client).status_code == 302
    return client


def trail(app: Flask) -> list[tuple[str, str, int | None, int | None]]:
    """(editor, action, poll id, ballots) of every entry in the trail, in order."""
    with app.app_context():
        rows = db.session.execute(
            select(
                AuditEntry.editor_email, AuditEntry.action, AuditEntry.poll_id, AuditEntry.ballots
            ).order_by(AuditEntry.id)
        ).all()
        db.session.remove()
    return [(email, str(action), poll, ballots) for email, action, poll, ballots in rows]


def failures(app: Flask) -> list[tuple[str, str, str]]:
    """(email, refusal, address) of every refused login, in order."""
    with app.app_context():
        rows = db.session.execute(
            select(LoginFailure.email, LoginFailure.refusal, LoginFailure.address).order_by(LoginFailure.id)
        ).all()
        db.session.remove()
    return [(email, str(refusal), address) for email, refusal, address in rows]


def poll_id(app: Flask) -> int:
    with app.app_context():
        poll = find_poll(POLL)
        assert poll is not None
        return poll.id


def flashes(html: str) -> list[str]:
    return re.findall(r'<p class="flash flash-\w+">([^<]*)</p>', html)


# ---------------------------------------------------------------- logging in


def test_an_editor_logs_in_and_sees_every_poll(app, editor):
    client = app.test_client()

    response = log_in(client)

    assert response.status_code == 302
    assert response.headers["Location"] == HOME
    home = client.get(HOME)
    assert home.status_code == 200
    html = home.get_data(as_text=True)
    assert f"Logged in as {EMAIL}." in flashes(html)
    assert "The most romantic K-drama kisses of 2014" in html
    for link in (
        f"/polls/{POLL}",
        f"/polls/{POLL}/results",
        f"/polls/{POLL}/results.csv",
        f"/polls/{POLL}/ballots.csv",
    ):
        assert f'href="{link}"' in html
    assert "Close the poll" in html and "Count the held ballots" in html
    assert trail(app) == [(EMAIL, "logged_in", None, None)]
    assert failures(app) == []


def test_the_email_is_found_whatever_its_case_and_spaces(app, editor):
    assert log_in(app.test_client(), email=f"  {EMAIL.upper()} ").status_code == 302


class WrongLogin(NamedTuple):
    name: str
    email: str
    password: str
    refusal: str
    recorded_email: str


WRONG_LOGINS = [
    WrongLogin("a wrong password", EMAIL, PASSWORD + "!", "wrong_password", EMAIL),
    WrongLogin("the right password in capitals", EMAIL, PASSWORD.upper(), "wrong_password", EMAIL),
    WrongLogin("an unknown email", "nobody@example.org", PASSWORD, "no_such_editor", "nobody@example.org"),
    WrongLogin(
        "the longest unknown email",
        "x" * 242 + "@example.org",
        PASSWORD,
        "no_such_editor",
        "x" * 242 + "@example.org",
    ),
]


@pytest.mark.parametrize("case", WRONG_LOGINS, ids=[case.name for case in WRONG_LOGINS])
def test_a_wrong_login_is_refused_with_one_message_and_recorded(app, editor, case):
    client = app.test_client()

    response = log_in(client, case.email, case.password, environ_base={"REMOTE_ADDR": ADDRESS})

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert REFUSED in html
    assert client.get(HOME).status_code == 302  # not logged in
    [(email, refusal, address)] = failures(app)
    assert (email, refusal) == (case.recorded_email, case.refusal)
    assert trail(app) == []


def test_wrong_password_and_unknown_email_cost_one_hash_check_alike(app, editor, monkeypatch):
    checked: list[str] = []
    verify = argon2.PasswordHasher.verify

    def counted(self, stored, password):
        checked.append(stored)
        return verify(self, stored, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", counted)
    client = app.test_client()

    log_in(client, EMAIL, "a wrong password")
    log_in(client, "nobody@example.org", "a wrong password")

    assert len(checked) == 2
    real, stand_in = checked
    assert real != stand_in
    # The stand-in is as slow as a real hash: the same algorithm and parameters.
    assert argon2.extract_parameters(stand_in) == argon2.extract_parameters(real)
    assert stand_in == passwords._stand_in()


def test_a_session_starts_afresh_at_login(app, editor):
    client = app.test_client()
    client.get(LOGIN)
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
        session["_user_id"] = "a made-up login key"
    before = csrf_token(client, LOGIN)

    assert log_in(client).status_code == 302

    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"] != "a made-up login key"
        assert "csrf_token" not in session  # made again on the next form
    assert csrf_token(client, HOME) != before


def test_the_session_cookie_ends_with_the_browser_and_nothing_remembers_the_editor(app, editor):
    response = log_in(app.test_client())

    cookies = response.headers.getlist("Set-Cookie")
    assert [cookie.split("=")[0] for cookie in cookies] == ["session"]
    assert "Expires" not in cookies[0] and "Max-Age" not in cookies[0]
    assert "HttpOnly" in cookies[0]


def test_a_session_ends_after_its_lifetime(app, desk):
    assert desk.get(HOME).status_code == 200
    with desk.session_transaction() as session:
        session[LOGGED_IN_AT] -= app.config["DESK_SESSION_LIFETIME"] + 1

    response = desk.get(HOME)

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == LOGIN
    assert "Your session on the editors&#39; desk has ended. Log in again." in desk.get(LOGIN).get_data(
        as_text=True
    )


def test_removing_an_editor_ends_their_sessions(app, desk):
    assert desk.get(HOME).status_code == 200

    assert app.test_cli_runner().invoke(args=["editors", "remove", EMAIL]).exit_code == 0

    assert desk.get(HOME).status_code == 302
    add_editor(app)  # the same email again is a new account, not the old sessions'
    assert desk.get(HOME).status_code == 302


def test_logging_out_ends_the_session(app, desk):
    response = desk.post("/editors/logout", data={"csrf_token": csrf_token(desk, HOME)})

    assert response.status_code == 302
    assert response.headers["Location"] == LOGIN
    assert "You are logged out." in flashes(desk.get(LOGIN).get_data(as_text=True))
    assert desk.get(HOME).status_code == 302
    assert [action for _, action, _, _ in trail(app)] == ["logged_in", "logged_out"]


# ---------------------------------------------------------------- lock-outs


def test_failed_logins_from_one_address_lock_it_out_with_a_clear_message(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_LOGINS_PER_ADDRESS="3 per 15 minutes")
    add_editor(app)
    client = app.test_client()
    for _ in range(3):
        assert log_in(client, password="not the password").status_code == 400

    locked = log_in(client)  # even the right password, now

    assert locked.status_code == 429
    html = locked.get_data(as_text=True)
    assert "Too many failed logins from your connection or for this account." in html
    assert re.search(r"try again in (\d+ minutes|a minute)\.", html)
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    assert client.get(HOME).status_code == 302
    assert [refusal for _, refusal, _ in failures(app)] == ["wrong_password"] * 3 + ["locked_out"]
    # Another address may still log in.
    other = app.test_client()
    assert log_in(other, environ_base={"REMOTE_ADDR": "198.51.100.2"}).status_code == 302


def test_failed_logins_for_one_account_lock_it_out_from_every_address(make_app):
    app = make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_LOGINS_PER_ADDRESS="100 per 15 minutes",
        RATELIMIT_LOGINS_PER_ACCOUNT="3 per 15 minutes",
    )
    add_editor(app)
    add_editor(app, "other@example.org")
    for n in range(3):
        client = app.test_client()
        wrong = log_in(client, password="not the password", environ_base={"REMOTE_ADDR": f"198.51.100.{n}"})
        assert wrong.status_code == 400

    locked = log_in(app.test_client(), environ_base={"REMOTE_ADDR": "198.51.100.99"})

    assert locked.status_code == 429
    assert "Too many failed logins" in locked.get_data(as_text=True)
    # The other account, from the same address, is not locked out.
    assert (
        log_in(
            app.test_client(), "other@example.org", environ_base={"REMOTE_ADDR": "198.51.100.99"}
        ).status_code
        == 302
    )


def test_an_unknown_email_is_locked_out_like_a_real_one(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_LOGINS_PER_ACCOUNT="2 per 15 minutes")
    for n in range(2):
        log_in(app.test_client(), "nobody@example.org", environ_base={"REMOTE_ADDR": f"198.51.100.{n}"})

    locked = log_in(app.test_client(), "nobody@example.org", environ_base={"REMOTE_ADDR": "198.51.100.9"})

    assert locked.status_code == 429


def test_logins_that_succeed_spend_no_budget(make_app):
    app = make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_LOGINS_PER_ADDRESS="2 per 15 minutes",
        RATELIMIT_LOGINS_PER_ACCOUNT="2 per 15 minutes",
    )
    add_editor(app)
    for _ in range(5):
        assert log_in(app.test_client()).status_code == 302


# ---------------------------------------------------------------- what is kept


def test_the_record_of_refused_logins_holds_no_raw_address(make_app, database_uri):
    app = make_app(database_uri=database_uri, RATELIMIT_ENABLED=True)
    add_editor(app)
    client = app.test_client()

    log_in(client, password="not the password", environ_base={"REMOTE_ADDR": ADDRESS})
    log_in(client, "nobody@example.org", environ_base={"REMOTE_ADDR": ADDRESS})

    with app.test_request_context(environ_base={"REMOTE_ADDR": ADDRESS}):
        keyed = client_address()
    assert [(email, address) for email, _, address in failures(app)] == [
        (EMAIL, keyed),
        ("nobody@example.org", keyed),
    ]
    assert len(keyed) == 32 and ADDRESS not in keyed
    # Nowhere in the database, nor in the limits' storage, is the address or the email tried.
    with app.app_context():
        everything = repr([db.session.execute(table.select()).all() for table in db.metadata.sorted_tables])
        db.session.remove()
    assert ADDRESS not in everything
    stored = repr(limiter.storage.storage) + repr(getattr(limiter.storage, "expirations", {}))
    assert ADDRESS not in stored and "nobody@example.org" not in stored and EMAIL not in stored
    assert "logins-address" in stored  # the budgets were spent, under keyed names


# ---------------------------------------------------------------- a reader at the desk


class DeskUrl(NamedTuple):
    method: str
    path: str
    rule: str


DESK_URLS = [
    DeskUrl("GET", "/editors/", "/editors/"),
    DeskUrl("POST", "/editors/logout", "/editors/logout"),
    DeskUrl("POST", f"/editors/polls/{POLL}/status", "/editors/polls/<slug>/status"),
    DeskUrl("POST", f"/editors/polls/{POLL}/release", "/editors/polls/<slug>/release"),
    DeskUrl("GET", f"/editors/polls/{POLL}/suggestions", "/editors/polls/<slug>/suggestions"),
    DeskUrl("GET", f"/editors/polls/{POLL}/trail", "/editors/polls/<slug>/trail"),
    DeskUrl("GET", f"/editors/polls/{POLL}/preview", "/editors/polls/<slug>/preview"),
    DeskUrl("GET", "/editors/polls/new", "/editors/polls/new"),
    DeskUrl("POST", "/editors/polls/new", "/editors/polls/new"),
    DeskUrl("GET", f"/editors/polls/{POLL}/edit", "/editors/polls/<slug>/edit"),
    DeskUrl("POST", f"/editors/polls/{POLL}/edit", "/editors/polls/<slug>/edit"),
    *(
        DeskUrl(
            "POST",
            f"/editors/polls/{POLL}/suggestions/1/{action}",
            f"/editors/polls/<slug>/suggestions/<int:nomination_id>/{action}",
        )
        for action in ("approve", "reject", "merge")
    ),
]


def test_every_desk_url_is_in_the_list_the_refusals_are_tested_on(app):
    rules = {rule.rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("editors.")}
    assert rules - {LOGIN} == {url.rule for url in DESK_URLS}


@pytest.mark.parametrize("url", DESK_URLS, ids=lambda url: f"{url.method} {url.path}")
def test_a_reader_at_a_desk_url_in_a_browser_is_sent_to_the_login_page(app, client, url):
    token = csrf_token(client, LOGIN)  # a reader with a session and a good token: only the login is missing
    before = database_state(app)

    response = client.open(
        url.path, method=url.method, data={"csrf_token": token, "status": "closed"}, headers={"Accept": HTML}
    )

    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == LOGIN
    assert parse_qs(location.query).get("next") == ([url.path] if url.method == "GET" else None)
    assert "Log in to use the editors&#39; desk." in client.get(LOGIN).get_data(as_text=True)
    assert database_state(app) == before
    assert trail(app) == []


@pytest.mark.parametrize("url", DESK_URLS, ids=lambda url: f"{url.method} {url.path}")
def test_a_reader_at_a_desk_url_asking_for_json_gets_401_json(app, client, url):
    token = csrf_token(client, LOGIN)
    before = database_state(app)

    response = client.open(
        url.path,
        method=url.method,
        data={"csrf_token": token, "status": "closed"},
        headers={"Accept": "application/json"},
    )

    assert response.status_code == 401
    assert response.mimetype == "application/json"
    assert response.get_json() == {"error": "Log in to use the editors' desk.", "code": "not_logged_in"}
    assert database_state(app) == before


def test_a_session_that_ended_says_so_in_json_too(app, desk):
    with desk.session_transaction() as session:
        session[LOGGED_IN_AT] = 0

    response = desk.get(HOME, headers={"Accept": "application/json"})

    assert response.status_code == 401
    assert response.get_json() == {
        "error": "Your session on the editors' desk has ended. Log in again.",
        "code": "not_logged_in",
    }


def test_no_reader_page_links_to_the_desk(app, client, keys):
    vote(client, [keys[0]])
    pages = ["/", f"/polls/{POLL}", f"/polls/{POLL}/results", "/polls/no-such-poll", f"/api/polls/{POLL}"]
    for path in pages:
        body = client.get(path).get_data(as_text=True)
        assert "/editors" not in body and "editors&#39; desk" not in body.lower(), path


# ---------------------------------------------------------------- CSRF


class Post(NamedTuple):
    path: str
    data: dict[str, str]


DESK_POSTS = [
    Post(f"/editors/polls/{POLL}/status", {"status": "closed"}),
    Post(f"/editors/polls/{POLL}/release", {}),
    Post(f"/editors/polls/{POLL}/suggestions/1/approve", {"title": "Approved without a token"}),
    Post(f"/editors/polls/{POLL}/suggestions/1/reject", {}),
    Post(f"/editors/polls/{POLL}/suggestions/1/merge", {"into": "2"}),
    Post(
        "/editors/polls/new",
        {
            "title": "Made without a token",
            "intro": "x",
            "entries-0-title": "A",
            "entries-1-title": "B",
            "borda_rule": "averaged",
            "results_visibility": "always",
        },
    ),
    Post(
        f"/editors/polls/{POLL}/edit",
        {
            "title": "Edited without a token",
            "intro": "x",
            "slug": POLL,
            "entries-0-title": "A",
            "entries-1-title": "B",
            "borda_rule": "averaged",
            "results_visibility": "always",
        },
    ),
    Post(
        f"/editors/polls/{POLL}/edit",
        {
            "title": "Re-scored without a token",
            "intro": "x",
            "slug": POLL,
            "entries-0-title": "A",
            "entries-1-title": "B",
            "borda_rule": "modified",
            "results_visibility": "always",
            "rescore": "rule_changed:modified",
        },
    ),
    Post("/editors/logout", {}),
    Post(LOGIN, {"email": EMAIL, "password": PASSWORD}),
]
BAD_TOKENS = [None, "", "IjAxMjM0NTY3ODlhYmNkZWYi.Zm9v.YmFy"]


@pytest.mark.parametrize("token", BAD_TOKENS, ids=["no token", "an empty token", "a made-up token"])
@pytest.mark.parametrize("post", DESK_POSTS, ids=lambda post: post.path)
def test_a_desk_post_without_a_valid_csrf_token_is_refused(make_app, post, token):
    app = make_app(WTF_CSRF_ENABLED=True)
    add_editor(app)
    client = app.test_client()
    assert log_in(client).status_code == 302
    before = database_state(app)
    data = post.data if token is None else {**post.data, "csrf_token": token}

    response = client.post(post.path, data=data, headers={"Accept": HTML})

    assert response.status_code == 400
    assert "This form has expired or did not come from this site." in response.get_data(as_text=True)
    assert database_state(app) == before
    assert [action for _, action, _, _ in trail(app)] == ["logged_in"]
    assert client.get(HOME).status_code == 200  # still logged in


# ---------------------------------------------------------------- headers


def desk_responses(app: Flask, desk: FlaskClient) -> dict[str, TestResponse]:
    token = csrf_token(desk, HOME)
    reader = app.test_client()
    return {
        "login page": reader.get(LOGIN),
        "redirect to the login page": reader.get(HOME),
        "401": reader.get(HOME, headers={"Accept": "application/json"}),
        "refused login": log_in(app.test_client(), password="not the password"),
        "home": desk.get(HOME),
        "a poll closed": desk.post(
            f"/editors/polls/{POLL}/status", data={"csrf_token": token, "status": "closed"}
        ),
        "CSRF refusal": desk.post(f"/editors/polls/{POLL}/release", data={}),
        "unknown poll": desk.post("/editors/polls/no-such-poll/release", data={"csrf_token": token}),
        "unknown desk URL": desk.get("/editors/no/such/page"),
    }


def test_every_desk_response_is_never_stored_nor_framed_whatever_the_embed_setting(make_app):
    app = make_app(EMBED_ALLOWED_ORIGINS="https://blog.example")
    add_editor(app)
    desk = app.test_client()
    assert log_in(desk).status_code == 302

    for name, response in desk_responses(app, desk).items():
        assert response.headers["Cache-Control"] == "no-store", name
        csp = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "blog.example" not in csp, name
        assert response.headers["X-Frame-Options"] == "DENY", name


def test_reader_responses_keep_their_own_caching(client):
    with client.get("/static/style.css") as response:
        assert response.headers.get("Cache-Control") != "no-store"
    assert client.get(f"/polls/{POLL}").headers.get("Cache-Control") != "no-store"


def test_responses_that_read_no_session_do_not_vary_by_cookie_for_the_desks_sake(client):
    # Flask adds Vary: Cookie to a response whose request read the session;
    # the desk's sessions must not make every response of the app do so.
    with client.get("/static/style.css") as response:
        assert "Cookie" not in response.headers.get("Vary", "")
    assert "Cookie" not in client.get("/api/openapi.json").headers.get("Vary", "")


# ---------------------------------------------------------------- where a login leads


class Next(NamedTuple):
    given: str
    lands: str


NEXTS = [
    Next("/editors/", "/editors/"),
    Next("/editors/?view=all", "/editors/?view=all"),
    Next("https://evil.example/editors/", HOME),
    Next("//evil.example/editors/", HOME),
    Next("/\\evil.example/editors/", HOME),
    Next("\\\\evil.example", HOME),
    Next("https:/evil.example/editors/", HOME),
    Next("javascript:alert(1)//editors/", HOME),
    Next("/polls/kdrama-kisses-2014", HOME),
    Next("/editors/../polls/kdrama-kisses-2014", HOME),
    Next("/editors/%2e%2E/polls/kdrama-kisses-2014", HOME),
    Next("/editors/\r\nSet-Cookie: x=1", HOME),
    Next("/editors/\t", HOME),
    Next("/editors", HOME),
    Next("", HOME),
]


@pytest.mark.parametrize("case", NEXTS, ids=[repr(case.given) for case in NEXTS])
def test_a_login_leads_only_to_a_desk_path(app, editor, case):
    client = app.test_client()

    response = log_in(client, next_path=case.given)

    assert response.status_code == 302
    assert response.headers["Location"] == case.lands


def test_the_login_form_keeps_only_a_safe_next(client):
    safe = client.get(LOGIN, query_string={"next": "/editors/"}).get_data(as_text=True)
    unsafe = client.get(LOGIN, query_string={"next": "//evil.example/"}).get_data(as_text=True)
    assert 'action="/editors/login?next=/editors/"' in safe
    assert 'action="/editors/login"' in unsafe and "evil.example" not in unsafe


def test_a_logged_in_editor_at_the_login_page_goes_to_the_desk(desk):
    response = desk.get(LOGIN, query_string={"next": "//evil.example/"})
    assert response.status_code == 302
    assert response.headers["Location"] == HOME


# ---------------------------------------------------------------- the polls


def test_an_editor_closes_and_opens_a_poll_from_the_desk(app, desk, keys):
    token = csrf_token(desk, HOME)

    closed = desk.post(f"/editors/polls/{POLL}/status", data={"csrf_token": token, "status": "closed"})

    assert closed.status_code == 302 and closed.headers["Location"] == HOME
    html = desk.get(HOME).get_data(as_text=True)
    assert "“The most romantic K-drama kisses of 2014” is closed" in html
    assert "Closed</dd>" in html and "Open the poll" in html and "Count the held ballots" not in html
    assert vote(app.test_client(), [keys[0]]).status_code == 409

    opened = desk.post(f"/editors/polls/{POLL}/status", data={"csrf_token": token, "status": "open"})

    assert opened.status_code == 302
    assert "is open: it takes ballots again" in desk.get(HOME).get_data(as_text=True)
    assert vote(app.test_client(), [keys[0]]).status_code == 201
    poll = poll_id(app)
    assert trail(app)[1:] == [(EMAIL, "closed", poll, None), (EMAIL, "opened", poll, None)]


def test_a_status_the_poll_has_already_changes_nothing(app, desk):
    before = database_state(app)

    desk.post(f"/editors/polls/{POLL}/status", data={"csrf_token": csrf_token(desk, HOME), "status": "open"})

    assert "is open already" in desk.get(HOME).get_data(as_text=True)
    assert database_state(app) == before
    assert [action for _, action, _, _ in trail(app)] == ["logged_in"]


@pytest.mark.parametrize("status", ["", "draft", "OPEN", "closed; drop table poll"])
def test_a_status_that_is_none_is_refused(app, desk, status):
    before = database_state(app)
    response = desk.post(
        f"/editors/polls/{POLL}/status", data={"csrf_token": csrf_token(desk, HOME), "status": status}
    )
    assert response.status_code == 400
    assert database_state(app) == before


def test_an_unknown_poll_is_404_on_the_desk(desk):
    token = csrf_token(desk, HOME)
    for action in ("status", "release"):
        response = desk.post(
            f"/editors/polls/no-such-poll/{action}", data={"csrf_token": token, "status": "closed"}
        )
        assert response.status_code == 404


def hold_ballots(app: Flask, keys: list[str], rankings: list[list[int]], hold: bool) -> None:
    with app.app_context():
        poll = find_poll(POLL)
        for n, ranking in enumerate(rankings):
            cast_ballot(
                poll, f"{'held' if hold else 'counted'}-reader-{n}", [keys[i] for i in ranking], hold=hold
            )
        db.session.remove()


def figures(html: str) -> dict[str, str]:
    return dict(re.findall(r"<dt>([^<]+)</dt><dd[^>]*>([^<]+)</dd>", html))


def test_counting_the_held_ballots_counts_them_exactly(make_app, database_uri):
    app = make_app(database_uri=database_uri)
    add_editor(app)
    desk = app.test_client()
    assert log_in(desk).status_code == 302
    with app.app_context():
        keys = [entry.key for entry in find_poll(POLL).entries]
    hold_ballots(app, keys, [[0, 1], [2]], hold=False)
    hold_ballots(app, keys, [[3, 0, 1], [1], [8, 7, 6, 5]], hold=True)
    assert figures(desk.get(HOME).get_data(as_text=True)) == {
        "Status": "Open",
        "Counted ballots": "2",
        "Held for a check": "3",
        "Pending suggestions": "0",
    }

    response = desk.post(f"/editors/polls/{POLL}/release", data={"csrf_token": csrf_token(desk, HOME)})

    assert response.status_code == 302
    html = desk.get(HOME).get_data(as_text=True)
    assert "Counted 3 held ballots in “The most romantic K-drama kisses of 2014”." in flashes(html)
    assert figures(html) == {
        "Status": "Open",
        "Counted ballots": "5",
        "Held for a check": "0",
        "Pending suggestions": "0",
    }
    assert tally_differences(app, POLL) == []
    with app.app_context():
        assert read_tally(find_poll(POLL)).held == 0
        db.session.remove()
    assert trail(app)[1:] == [(EMAIL, "released", poll_id(app), 3)]
    # Again: nothing left to count.
    desk.post(f"/editors/polls/{POLL}/release", data={"csrf_token": csrf_token(desk, HOME)})
    assert "Counted 0 held ballots" in desk.get(HOME).get_data(as_text=True)


def test_counting_held_ballots_is_refused_for_a_closed_poll(app, desk, keys):
    hold_ballots(app, keys, [[0]], hold=True)
    set_poll(app, status=PollStatus.CLOSED)
    before = database_state(app)

    response = desk.post(f"/editors/polls/{POLL}/release", data={"csrf_token": csrf_token(desk, HOME)})

    assert response.status_code == 302
    html = desk.get(HOME).get_data(as_text=True)
    assert "its results are final, so its held ballots stay held." in html
    assert figures(html)["Held for a check"] == "1"
    assert database_state(app) == before
    assert [action for _, action, _, _ in trail(app)] == ["logged_in"]


# ---------------------------------------------------------------- hostile text


HOSTILE = ["<script>alert(1)</script>", "=cmd|' /C calc'!A0", '"><img src=x onerror=alert(1)>']


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_as_an_email_is_escaped_and_kept_as_data(app, editor, text):
    response = log_in(app.test_client(), email=text)

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert text not in html
    assert "<script>alert" not in html and "<img src=x" not in html
    assert [email for email, _, _ in failures(app)] == [text.lower()]


def test_a_hostile_poll_title_is_escaped_on_the_desk(app, desk):
    set_poll(app, title="<script>alert(1)</script> =cmd|' /C calc'!A0")
    token = csrf_token(desk, HOME)
    desk.post(f"/editors/polls/{POLL}/status", data={"csrf_token": token, "status": "closed"})

    html = desk.get(HOME).get_data(as_text=True)

    assert "<script>alert(1)</script>" not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 2  # the heading and the flash


def test_what_was_typed_is_kept_cut_to_the_length_of_an_email(app):
    with app.app_context():
        record_refused_login("y" * 300 + "\x00\n@example.org", "keyed", locked_out=False)
        db.session.remove()
    assert failures(app) == [("y" * 254, "no_such_editor", "keyed")]


def test_an_email_longer_than_any_is_refused_by_the_form(app, editor):
    response = log_in(app.test_client(), email="x" * 243 + "@example.org")
    assert response.status_code == 400
    assert "An email address is at most 254 characters." in response.get_data(as_text=True)
    assert failures(app) == []


def test_a_control_character_in_the_email_is_refused_by_the_form(app, editor):
    response = log_in(app.test_client(), email="editor\x00@example.org")
    assert response.status_code == 400
    assert "Use only letters, digits and punctuation." in response.get_data(as_text=True)
    assert failures(app) == []
