"""The JSON API: exact shapes, every status it answers with, nothing stored when it refuses."""

from __future__ import annotations

import json
from typing import NamedTuple

import pytest
from pollapp.api import views as api_views
from pollapp.extensions import db
from sqlalchemy import event

from helpers import POLL, ballot_count, database_state, post_streamed, set_poll, vote

BALLOTS = f"/api/polls/{POLL}/ballots"
POLL_KEYS = {"slug", "title", "status", "borda_rule", "entries"}
ENTRY_KEYS = {"key", "editor_rank", "title", "subtitle", "credit", "blurb", "link"}
RESULTS_KEYS = {"slug", "ballots", "held_ballots", "min_ballots", "borda_rule", "entries", "agreement"} | {
    "too_close_to_call",
    "pairwise",
    "condorcet_winner",
    "orders",
    "figures_tag",
    "sources",
    "rescores",
}
STANDING_KEYS = {
    "key",
    "title",
    "subtitle",
    "editor_rank",
    "community_rank",
    "points",
    "first_place_votes",
} | {
    "rank_range",
    "first_share",
    "top_three_ballots",
}


def assert_error(response, status: int, words: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error", "code"}
    assert words.lower() in body["error"].lower(), body["error"]
    assert "Traceback" not in body["error"]


# ---------------------------------------------------------------- shapes


def test_poll_document_has_the_exact_shape_in_editor_order(client, keys):
    response = client.get(f"/api/polls/{POLL}")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    poll = response.get_json()
    assert set(poll) == POLL_KEYS
    assert poll["slug"] == POLL
    assert poll["title"] == "The most romantic K-drama kisses of 2014"
    assert poll["status"] == "open"
    assert poll["borda_rule"] == "averaged"
    assert [set(entry) for entry in poll["entries"]] == [ENTRY_KEYS] * 9
    assert [entry["key"] for entry in poll["entries"]] == keys
    assert [entry["editor_rank"] for entry in poll["entries"]] == list(range(1, 10))
    first, last = poll["entries"][0], poll["entries"][8]
    assert (first["title"], first["subtitle"]) == ("Pinocchio", "Hand-to-mouth kiss")
    assert first["credit"] == "Choi In Ha & Choi Dal Po"
    assert (last["title"], last["subtitle"]) == ("Pinocchio", "Toast kiss")
    assert all(entry["blurb"].strip() for entry in poll["entries"])


def test_results_document_has_the_exact_shape_in_community_order(client, keys):
    vote(client, [keys[8], keys[0]])
    results = client.get(f"/api/polls/{POLL}/results").get_json()
    assert set(results) == RESULTS_KEYS
    assert (results["slug"], results["ballots"], results["borda_rule"]) == (POLL, 1, "averaged")
    assert results["sources"] == {"site": 0, "embed_cookie": 0, "embed_no_cookie": 0, "api": 1, "imported": 0}
    assert set(results["agreement"]) == {"kendall_tau", "spearman_rho"}
    assert [set(entry) for entry in results["entries"]] == [STANDING_KEYS] * 9
    # Averaged Borda, n = 9, k = 2: first 8, second 7, the other seven (9 - 2 - 1) / 2 = 3 each.
    top = results["entries"][:3]
    assert [(e["key"], e["community_rank"], e["editor_rank"]) for e in top] == [
        (keys[8], 1, 9),
        (keys[0], 2, 1),
        (keys[1], 3, 2),
    ]
    assert [e["points"] for e in results["entries"]] == [8, 7, 3, 3, 3, 3, 3, 3, 3]
    assert [e["first_place_votes"] for e in results["entries"]] == [1] + [0] * 8
    assert [e["community_rank"] for e in results["entries"]] == [1, 2, 3, 3, 3, 3, 3, 3, 3]
    assert isinstance(results["agreement"]["kendall_tau"], float)


def test_results_before_any_ballot_have_null_agreement(client):
    results = client.get(f"/api/polls/{POLL}/results").get_json()
    assert results["ballots"] == 0
    assert results["agreement"] == {"kendall_tau": None, "spearman_rho": None}
    assert {e["community_rank"] for e in results["entries"]} == {1}


def test_half_points_are_numbers_not_strings(client, keys):
    vote(client, [keys[3]])  # k = 1: the eight unranked share (9 - 1 - 1) / 2 = 3.5
    points = {e["key"]: e["points"] for e in client.get(f"/api/polls/{POLL}/results").get_json()["entries"]}
    assert points[keys[3]] == 8
    assert points[keys[0]] == 3.5


# ---------------------------------------------------------------- casting and re-voting


def test_first_ballot_is_created_and_sets_the_reader_cookie(app, client, keys):
    response = vote(client, [keys[2], keys[0]])
    assert response.status_code == 201
    assert response.get_json() == {"ranking": [keys[2], keys[0]], "replaced": False, "held": False}
    assert app.config["READER_COOKIE"] in response.headers.get("Set-Cookie", "")
    assert ballot_count(app) == 1


def test_revote_replaces_the_earlier_ballot(app, client, keys):
    vote(client, [keys[2], keys[0]])
    response = vote(client, [keys[5]])
    assert response.status_code == 200
    assert response.get_json() == {"ranking": [keys[5]], "replaced": True, "held": False}
    assert "Set-Cookie" not in response.headers
    state = database_state(app)
    assert [row[3] for row in state["ballots"]] == [keys[5]]
    results = client.get(f"/api/polls/{POLL}/results").get_json()
    assert results["ballots"] == 1
    assert results["entries"][0]["key"] == keys[5]


def test_two_readers_have_two_ballots(app, keys):
    assert vote(app.test_client(), [keys[0]]).status_code == 201
    assert vote(app.test_client(), [keys[0]]).status_code == 201
    assert ballot_count(app) == 2


def test_a_full_ballot_of_all_nine_is_accepted(client, keys):
    response = vote(client, list(reversed(keys)))
    assert response.status_code == 201
    results = client.get(f"/api/polls/{POLL}/results").get_json()
    assert [e["key"] for e in results["entries"]] == list(reversed(keys))
    assert results["agreement"] == {"kendall_tau": -1.0, "spearman_rho": -1.0}


def test_same_origin_browser_requests_are_accepted(client, keys):
    response = client.post(BALLOTS, json={"ranking": [keys[0]]}, headers={"Origin": "http://localhost"})
    assert response.status_code == 201


# ---------------------------------------------------------------- refused, nothing stored


class Refused(NamedTuple):
    name: str
    body: bytes
    content_type: str | None
    status: int
    words: str


def json_body(value: object) -> bytes:
    return json.dumps(value).encode()


KEY = "pinocchio-toast"
REFUSED = [
    Refused("unknown key", json_body({"ranking": ["no-such-scene"]}), "application/json", 400, "no entry"),
    Refused("repeated key", json_body({"ranking": [KEY, KEY]}), "application/json", 400, "only once"),
    Refused("empty list", json_body({"ranking": []}), "application/json", 400, "at least one"),
    Refused("missing ranking", json_body({}), "application/json", 400, "'ranking' must be a list"),
    Refused("ranking is a string", json_body({"ranking": KEY}), "application/json", 400, "must be a list"),
    Refused("ranking is an object", json_body({"ranking": {"1": KEY}}), "application/json", 400, "list"),
    Refused("ranking is a number", json_body({"ranking": 1}), "application/json", 400, "must be a list"),
    Refused("ranking is true", json_body({"ranking": True}), "application/json", 400, "must be a list"),
    Refused("numbers for keys", json_body({"ranking": [1, 2]}), "application/json", 400, "a string"),
    Refused("a list in a list", json_body({"ranking": [[KEY]]}), "application/json", 400, "a string"),
    Refused("null ranking", json_body({"ranking": None}), "application/json", 400, "must be a list"),
    Refused("null key", json_body({"ranking": [KEY, None]}), "application/json", 400, "a string"),
    Refused("null body", b"null", "application/json", 400, "JSON object"),
    Refused(
        "extra field",
        json_body({"ranking": [KEY], "reader": "someone-else"}),
        "application/json",
        400,
        "unexpected field(s): reader",
    ),
    Refused("a list body", json_body([KEY]), "application/json", 400, "JSON object"),
    Refused("a string body", json_body(KEY), "application/json", 400, "JSON object"),
    Refused("a number body", b"42", "application/json", 400, "JSON object"),
    Refused("NaN body", b"NaN", "application/json", 400, "JSON object"),
    Refused("enormous key", json_body({"ranking": ["x" * 50_000]}), "application/json", 400, "too long"),
    Refused(
        "enormous field name",
        json_body({"ranking": [KEY], "y" * 50_000: 1}),
        "application/json",
        400,
        "unexpected field",
    ),
    Refused(
        "deep nesting",
        b'{"ranking": ' + b"[" * 30_000 + b"]" * 30_000 + b"}",
        "application/json",
        400,
        "nested",
    ),
    Refused(
        "moderate nesting",
        b'{"ranking": ' + b"[" * 200 + b"]" * 200 + b"}",
        "application/json",
        400,
        "a string",
    ),
    Refused("invalid UTF-8", b'{"ranking": ["\xff\xfe"]}', "application/json", 400, "UTF-8"),
    Refused("truncated JSON", b'{"ranking": ["pinocchio-toast"', "application/json", 400, "not valid JSON"),
    Refused("single quotes", b"{'ranking': ['pinocchio-toast']}", "application/json", 400, "not valid JSON"),
    Refused("empty body", b"", "application/json", 400, "not valid JSON"),
    Refused(
        "number too long to read",
        b'{"ranking": ' + b"9" * 10_000 + b"}",
        "application/json",
        400,
        "not valid JSON",
    ),
    Refused(
        "form-encoded (a cross-site form)",
        b"ranking=pinocchio-toast",
        "application/x-www-form-urlencoded",
        415,
        "application/json",
    ),
    Refused(
        "text/plain holding JSON (a cross-site form)",
        json_body({"ranking": [KEY]}),
        "text/plain",
        415,
        "application/json",
    ),
    Refused(
        "multipart (a cross-site form)",
        b'--b\r\nContent-Disposition: form-data; name="ranking"\r\n\r\npinocchio-toast\r\n--b--\r\n',
        "multipart/form-data; boundary=b",
        415,
        "application/json",
    ),
    Refused("no content type", json_body({"ranking": [KEY]}), None, 415, "application/json"),
    Refused(
        "body over the size limit",
        json_body({"ranking": [KEY], "padding": "x" * 70_000}),
        "application/json",
        413,
        "too large",
    ),
]


@pytest.mark.parametrize("case", REFUSED, ids=[case.name for case in REFUSED])
def test_bad_ballots_are_refused_and_nothing_changes(app, client, keys, case):
    assert vote(client, [keys[0], keys[1]]).status_code == 201  # a ballot a bad request could disturb
    before = database_state(app)
    headers = {} if case.content_type is None else {"Content-Type": case.content_type}
    response = client.post(BALLOTS, data=case.body, headers=headers)
    assert_error(response, case.status, case.words)
    assert database_state(app) == before


def test_too_many_keys_are_refused(app, client, keys):
    before = database_state(app)
    assert_error(vote(client, [*keys, "one-more-scene"]), 400, "at most 9")
    assert_error(vote(client, keys + keys), 400, "at most 9")
    assert database_state(app) == before


@pytest.mark.parametrize("slug", ["no-such-poll", "nul%00byte", "Upper-Case", "x" * 300])
def test_a_ballot_for_a_poll_that_does_not_exist_is_404(app, client, keys, slug):
    response = client.post(f"/api/polls/{slug}/ballots", json={"ranking": [keys[0]]})
    assert_error(response, 404, "There is no poll called")
    assert ballot_count(app) == 0


def test_limit_is_the_configured_max_content_length(app, client, keys):
    app.config["MAX_CONTENT_LENGTH"] = 100
    response = client.post(BALLOTS, json={"ranking": keys})  # about 250 bytes
    assert_error(response, 413, "too large")
    assert ballot_count(app) == 0


def test_a_body_streamed_without_length_is_still_capped(app, client, keys):
    # Valid JSON up to the limit: cut off there, it would pass for a ballot.
    body = json_body({"ranking": [keys[0]]}) + b" " * 100_000
    response = post_streamed(client, BALLOTS, body, "application/json")
    assert response.request.content_length is None
    assert_error(response, 413, "too large")
    assert ballot_count(app) == 0


def padded_ballot(ranking: list[str], size: int) -> bytes:
    """A JSON ballot of exactly ``size`` bytes (spaces after it)."""
    body = json_body({"ranking": ranking})
    return body + b" " * (size - len(body))


@pytest.mark.parametrize("streamed", [False, True], ids=["with a length", "chunked"])
def test_a_body_of_exactly_the_cap_is_a_ballot_with_a_length_or_without(app, client, keys, streamed):
    body = padded_ballot(keys[:2], app.config["MAX_CONTENT_LENGTH"])
    if streamed:
        response = post_streamed(client, BALLOTS, body, "application/json")
        assert response.request.content_length is None
    else:
        response = client.post(BALLOTS, data=body, content_type="application/json")
        assert response.request.content_length == len(body)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert ballot_count(app) == 1


@pytest.mark.parametrize("streamed", [False, True], ids=["with a length", "chunked"])
def test_a_body_one_byte_over_the_cap_is_413_with_a_length_or_without(app, client, keys, streamed):
    body = padded_ballot(keys[:2], app.config["MAX_CONTENT_LENGTH"] + 1)
    if streamed:
        response = post_streamed(client, BALLOTS, body, "application/json")
    else:
        response = client.post(BALLOTS, data=body, content_type="application/json")
    assert_error(response, 413, "too large")
    assert ballot_count(app) == 0


class CrossSite(NamedTuple):
    name: str
    origin: str


CROSS_SITE = [
    CrossSite("another site", "https://evil.example"),
    CrossSite("another port", "http://localhost:8080"),
    CrossSite("a look-alike host", "http://localhost.evil.example"),
    CrossSite("an opaque origin (sandboxed frame, file)", "null"),
    CrossSite("not a URL at all", "http://["),
]


@pytest.mark.parametrize("case", CROSS_SITE, ids=[case.name for case in CROSS_SITE])
def test_cross_site_origins_are_forbidden(app, client, keys, case):
    before = database_state(app)
    response = client.post(BALLOTS, json={"ranking": [keys[0]]}, headers={"Origin": case.origin})
    assert_error(response, 403, "only from this site")
    assert "Set-Cookie" not in response.headers
    assert database_state(app) == before


class Missing(NamedTuple):
    name: str
    method: str
    path: str


MISSING = [
    Missing("poll", "GET", "/api/polls/no-such-poll"),
    Missing("results", "GET", "/api/polls/no-such-poll/results"),
    Missing("ballot", "POST", "/api/polls/no-such-poll/ballots"),
    Missing("a slug with a NUL", "GET", "/api/polls/a%00b"),
    Missing("a slug far too long", "POST", "/api/polls/" + "a" * 500 + "/ballots"),
    Missing("a slug with odd characters", "GET", "/api/polls/%E2%80%9C%3Cscript%3E/results"),
]


@pytest.mark.parametrize("case", MISSING, ids=[case.name for case in MISSING])
def test_unknown_polls_are_404(app, client, case):
    before = database_state(app)
    response = client.open(case.path, method=case.method, json={"ranking": ["pinocchio-toast"]})
    assert_error(response, 404, "no poll called")
    assert database_state(app) == before


def test_an_unknown_api_path_is_a_json_404(client):
    assert_error(client.get("/api/nothing-here"), 404, "nothing here")


class WrongMethod(NamedTuple):
    method: str
    path: str


WRONG_METHODS = [
    WrongMethod("GET", BALLOTS),
    WrongMethod("PUT", BALLOTS),
    WrongMethod("DELETE", BALLOTS),
    WrongMethod("PATCH", BALLOTS),
    WrongMethod("POST", f"/api/polls/{POLL}"),
    WrongMethod("DELETE", f"/api/polls/{POLL}"),
    WrongMethod("POST", f"/api/polls/{POLL}/results"),
    WrongMethod("POST", "/api/openapi.json"),
]


@pytest.mark.parametrize("case", WRONG_METHODS, ids=[f"{c.method} {c.path}" for c in WRONG_METHODS])
def test_wrong_methods_are_405(app, client, keys, case):
    before = database_state(app)
    response = client.open(case.path, method=case.method, json={"ranking": [keys[0]]})
    assert_error(response, 405, "does not accept")
    assert "Allow" in response.headers
    assert database_state(app) == before


def test_a_closed_poll_refuses_ballots_with_409(app, client, runner, keys):
    assert vote(client, [keys[0]]).status_code == 201
    result = runner.invoke(args=["poll", "close", POLL])
    assert result.exit_code == 0, result.output
    before = database_state(app)
    assert_error(vote(client, [keys[1]]), 409, "closed")
    assert_error(vote(app.test_client(), [keys[1]]), 409, "closed")
    assert database_state(app) == before
    assert client.get(f"/api/polls/{POLL}").get_json()["status"] == "closed"
    assert client.get(f"/api/polls/{POLL}/results").get_json()["ballots"] == 1


def test_a_reopened_poll_takes_ballots_again(client, runner, keys):
    runner.invoke(args=["poll", "close", POLL])
    assert vote(client, [keys[0]]).status_code == 409
    assert runner.invoke(args=["poll", "open", POLL]).exit_code == 0
    assert vote(client, [keys[0]]).status_code == 201


# ---------------------------------------------------------------- when results may be seen


def test_results_after_vote_are_hidden_until_the_reader_votes(app, client, keys):
    set_poll(app, results_visibility="after_vote")
    assert_error(client.get(f"/api/polls/{POLL}/results"), 403, "not public yet")
    assert vote(client, [keys[4]]).status_code == 201
    response = client.get(f"/api/polls/{POLL}/results")
    assert response.status_code == 200
    assert response.get_json()["ballots"] == 1
    # A reader who has not voted still cannot see them.
    assert_error(app.test_client().get(f"/api/polls/{POLL}/results"), 403, "not public yet")


def test_results_after_close_are_hidden_until_the_poll_closes(app, client, runner, keys):
    set_poll(app, results_visibility="after_close")
    assert_error(client.get(f"/api/polls/{POLL}/results"), 403, "not public yet")
    assert vote(client, [keys[4]]).status_code == 201
    assert_error(client.get(f"/api/polls/{POLL}/results"), 403, "not public yet")
    runner.invoke(args=["poll", "close", POLL])
    for reader in (client, app.test_client()):
        response = reader.get(f"/api/polls/{POLL}/results")
        assert response.status_code == 200
        assert response.get_json()["entries"][0]["key"] == keys[4]


def test_the_poll_itself_is_visible_whatever_the_results_visibility(app, client):
    set_poll(app, results_visibility="after_close")
    assert client.get(f"/api/polls/{POLL}").status_code == 200


# ---------------------------------------------------------------- failures on our side


def test_an_unexpected_error_is_a_json_500_without_details(app, client, monkeypatch):
    def broken(poll):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(api_views, "results_of", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get(f"/api/polls/{POLL}/results")
    assert_error(response, 500, "nothing was saved")
    text = response.get_data(as_text=True)
    assert "secret internal detail" not in text
    assert "RuntimeError" not in text


def test_openapi_document_is_served_as_json(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json()["openapi"].startswith("3.1")


def test_results_sent_again_for_the_same_ballots_are_the_same_and_move_with_a_ballot(app, client, keys):
    vote(client, keys[:3])
    first = client.get(f"/api/polls/{POLL}/results")
    run: list[str] = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *args: run.append(args[2]))
    again = client.get(f"/api/polls/{POLL}/results")
    assert again.get_json() == first.get_json()
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.mimetype == "application/json"
    assert not [statement for statement in run if "GROUP BY" in statement]
    page = client.get(f"/polls/{POLL}/results")
    assert page.status_code == 200
    assert not [statement for statement in run if "GROUP BY ballot.source" in statement]
    assert vote(app.test_client(), keys[::-1]).status_code == 201
    moved = client.get(f"/api/polls/{POLL}/results").get_json()
    assert moved["ballots"] == 2
    assert sum(moved["sources"].values()) == 2


def test_results_carry_an_etag_that_changes_with_every_ballot(client, keys):
    first = client.get(f"/api/polls/{POLL}/results")
    etag = first.headers["ETag"]
    again = client.get(f"/api/polls/{POLL}/results", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert vote(client, [keys[3]]).status_code == 201
    after = client.get(f"/api/polls/{POLL}/results", headers={"If-None-Match": etag})
    assert after.status_code == 200
    assert after.headers["ETag"] != etag
    assert after.get_json()["ballots"] == 1
