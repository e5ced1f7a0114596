"""Who may frame what, and who may call across origins, over every rule of
the url_map and every method it takes: only the embed's own routes may be
framed (by the sites EMBED_ALLOWED_ORIGINS names), and only the embed's
ballot endpoint answers a script of another origin (a sandboxed frame's
``Origin: null``). Every cross-origin POST elsewhere is refused and changes
nothing, for a reader with their cookie and for an editor logged in."""

from __future__ import annotations

from typing import NamedTuple

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient

from helpers import POLL, csrf_token, database_state, vote
from test_editors import log_in
from test_security import csp_directives

BLOG = "https://blog.example"
# The embed's own routes: framed where the setting says.
EMBED_ROUTES = {"embed.embed", "embed.cast", "embed.preflight"}
# What answers a script of another origin: the ballot endpoint, for a sandboxed frame.
CROSS_ORIGIN_PATH, CROSS_ORIGIN = f"/polls/{POLL}/embed/ballots", "null"
# What takes a ballot from a sandboxed frame (tested in test_embed.py).
TAKES_NULL = {"embed.embed", "embed.cast"}
EDITOR = ("desk@example.org", "a long enough password")


class Call(NamedTuple):
    endpoint: str
    method: str
    path: str


@pytest.fixture
def framed_app(make_app) -> Flask:
    return make_app(EMBED_ALLOWED_ORIGINS=BLOG)


def editor_client(app: Flask) -> FlaskClient:
    done = app.test_cli_runner().invoke(
        args=["editors", "add", EDITOR[0], "--password-stdin"], input=f"{EDITOR[1]}\n"
    )
    assert done.exit_code == 0, done.output
    client = app.test_client()
    assert log_in(client, *EDITOR).status_code == 302
    return client


def calls(app: Flask, client: FlaskClient) -> list[Call]:
    """Every rule of the url_map with every method it takes (HEAD aside), its
    variables filled in with things that exist: a reader's ballot, a shared
    ranking, a nomination."""
    with app.app_context():
        keys = [entry["key"] for entry in client.get(f"/api/polls/{POLL}").get_json()["entries"]]
    assert vote(client, keys[:3]).status_code in (200, 201)
    shared = client.post(f"/polls/{POLL}/shared", data={"csrf_token": csrf_token(client, f"/polls/{POLL}")})
    assert shared.status_code == 303
    fillers = {
        "slug": POLL,
        "token": shared.headers["Location"].rsplit("/", 1)[1],
        "filename": "style.css",
        "nomination_id": 1,
    }
    found = []
    for rule in app.url_map.iter_rules():
        unknown = set(rule.arguments) - set(fillers)
        assert not unknown, f"{rule.rule}: add a way to fill {sorted(unknown)}"
        with app.test_request_context():
            path = url_for(rule.endpoint, **{name: fillers[name] for name in rule.arguments})
        for method in sorted((rule.methods or set()) - {"HEAD"}):
            found.append(Call(rule.endpoint, method, path))
    assert {call.endpoint for call in found} >= EMBED_ROUTES | {"site.show_poll", "editors.home", "api.cast"}
    return found


def test_only_the_embeds_own_routes_may_be_framed_whatever_the_method(framed_app):
    client = editor_client(framed_app)
    for call in calls(framed_app, client):
        # No body: a POST is refused (no token, no ballot), and the refusal carries the policy too.
        response = client.open(call.path, method=call.method, headers={"Origin": "http://localhost"})
        where = (call.endpoint, call.method, response.status_code)
        frame_ancestors = csp_directives(response)["frame-ancestors"]
        if call.endpoint in EMBED_ROUTES:
            assert frame_ancestors == [BLOG], where
            # X-Frame-Options cannot name a site, so it must not be there to contradict the policy.
            assert "X-Frame-Options" not in response.headers, where
        else:
            assert frame_ancestors == ["'none'"], where
            assert response.headers["X-Frame-Options"] == "DENY", where
        response.close()


@pytest.mark.parametrize("origin", ["https://evil.example", "null"])
def test_only_the_embeds_ballot_endpoint_answers_a_script_of_another_origin(framed_app, origin):
    client = editor_client(framed_app)
    for call in calls(framed_app, client):
        # The preflight a browser sends first, then the request itself.
        asked = {
            "Access-Control-Request-Method": call.method,
            "Access-Control-Request-Headers": "content-type",
        }
        for method, headers in (("OPTIONS", asked), (call.method, {})):
            response = client.open(call.path, method=method, headers={"Origin": origin, **headers})
            where = (call.endpoint, method, response.status_code)
            allowed = response.headers.get("Access-Control-Allow-Origin")
            if call.path == CROSS_ORIGIN_PATH and origin == CROSS_ORIGIN:
                assert allowed == "null", where
            else:
                assert allowed is None, where
                assert "Access-Control-Allow-Credentials" not in response.headers, where
                assert "Access-Control-Allow-Methods" not in response.headers, where
            response.close()


class Caller(NamedTuple):
    name: str
    editor: bool


CALLERS = [Caller("a reader with their cookie", False), Caller("an editor logged in", True)]


@pytest.mark.parametrize("caller", CALLERS, ids=[caller.name for caller in CALLERS])
@pytest.mark.parametrize("origin", ["https://evil.example", "null"])
def test_a_cross_origin_post_anywhere_is_refused_and_changes_nothing(framed_app, keys, caller, origin):
    client = editor_client(framed_app) if caller.editor else framed_app.test_client()
    posts = [call for call in calls(framed_app, client) if call.method == "POST"]
    assert len(posts) >= 10
    if origin == "null":
        posts = [call for call in posts if call.endpoint not in TAKES_NULL]
    ballot = {"rank_1": keys[0], "reader_key": "0123456789abcdef", "title": "x", "status": "closed"}
    before = database_state(framed_app)
    for call in posts:
        form = client.post(call.path, data=ballot, headers={"Origin": origin})
        script = client.post(
            call.path,
            json={"ranking": [keys[0]]},
            headers={"Origin": origin, "Idempotency-Key": "0123456789abcdef"},
        )
        for response in (form, script):
            assert 400 <= response.status_code < 500, (call.endpoint, response.status_code)
            assert "Access-Control-Allow-Origin" not in response.headers, call.endpoint
            response.close()
    assert database_state(framed_app) == before
