"""Safe as shipped: production refuses settings that are unsafe in public, the
app answers only to its own host names, and a reader's cookie comes with the
page, so a retried ballot is never a second reader."""

from __future__ import annotations

import pytest

from helpers import POLL, PRODUCTION, ballot_count, csrf_token, database_state

BALLOTS = f"/api/polls/{POLL}/ballots"


class Unsafe:
    def __init__(self, settings: dict[str, object], words: str) -> None:
        self.settings, self.words = settings, words


UNSAFE = {
    "a short secret key": Unsafe({"SECRET_KEY": "too short, 30 characters long."}, "shorter than 32"),
    "no host names": Unsafe({"TRUSTED_HOSTS": None}, "without the host names it serves"),
    "an empty list of host names": Unsafe({"TRUSTED_HOSTS": []}, "without the host names it serves"),
    "limits in each process": Unsafe(
        {"RATELIMIT_ONE_PROCESS": False, "RATELIMIT_STORAGE_URI": "memory://"},
        "kept in each process's memory",
    ),
}


@pytest.mark.parametrize("case", UNSAFE.values(), ids=UNSAFE.keys())
def test_production_refuses_to_start_when_unsafe(make_app, case):
    with pytest.raises(RuntimeError, match=case.words) as refused:
        make_app(**{**PRODUCTION, **case.settings}, schema=False)
    assert "POLLAPP_" in str(refused.value)  # it says which setting to set


def test_production_starts_with_shared_limits_and_its_host_names(make_app):
    app = make_app(
        **{**PRODUCTION, "RATELIMIT_ONE_PROCESS": False, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379"},
        schema=False,
    )
    assert app.config["TRUSTED_HOSTS"] == ["localhost"]


@pytest.fixture
def served(make_app):
    return make_app(TRUSTED_HOSTS=["poll.example.org", "localhost"])


@pytest.mark.parametrize("path", ["/", f"/polls/{POLL}", f"/api/polls/{POLL}", f"/polls/{POLL}/ballots.csv"])
def test_a_host_the_app_does_not_serve_is_refused(served, path):
    response = served.test_client().get(path, headers={"Host": "rebound.example"})
    assert response.status_code == 400
    assert POLL not in response.get_data(as_text=True) or path == f"/polls/{POLL}"


def test_a_rebound_page_cannot_cast_a_ballot(served):
    """DNS rebinding: a page on the attacker's name, resolved to the app, posts
    with an Origin and a Host that agree; the Host is not one the app serves."""
    keys = [e["key"] for e in served.test_client().get(f"/api/polls/{POLL}").get_json()["entries"]]
    before = database_state(served)
    response = served.test_client().post(
        BALLOTS,
        json={"ranking": keys[:2]},
        headers={"Host": "rebound.example", "Origin": "http://rebound.example"},
    )
    assert response.status_code == 400
    assert response.mimetype == "application/json"
    assert database_state(served) == before


def test_links_in_a_page_name_the_host_it_was_asked_for_by_name(served):
    html = (
        served.test_client()
        .get(f"/polls/{POLL}", headers={"Host": "poll.example.org"})
        .get_data(as_text=True)
    )
    assert 'content="http://poll.example.org/polls/' in html
    assert 'content="http://poll.example.org/polls/kdrama-kisses-2014/preview.png?lang=en"' in html


def test_the_reader_cookie_comes_with_the_ballot_page(app):
    client = app.test_client()
    client.get(f"/polls/{POLL}")
    cookie = client.get_cookie(app.config["READER_COOKIE"])
    assert cookie is not None
    # Reading the page again keeps the same reader.
    client.get(f"/polls/{POLL}")
    assert client.get_cookie(app.config["READER_COOKIE"]).value == cookie.value


def test_a_ballot_retried_after_a_lost_response_is_the_same_reader(app):
    """The first answer never arrived (a worker killed, a network drop): the
    reader sends the same form again, with the cookie the page gave them."""
    client = app.test_client()
    token = csrf_token(client)
    keys = [e["key"] for e in client.get(f"/api/polls/{POLL}").get_json()["entries"]]
    form = {"csrf_token": token, "rank_1": keys[0], "rank_2": keys[1]}
    name = app.config["READER_COOKIE"]
    before = client.get_cookie(name)
    assert client.post(f"/polls/{POLL}", data=form).status_code == 302
    # The answer is lost, and with it anything it set: the reader holds what they held before.
    client.delete_cookie(name)
    if before is not None:
        client.set_cookie(name, before.value)
    assert client.post(f"/polls/{POLL}", data=form).status_code == 302
    assert ballot_count(app) == 1
    assert client.get(f"/api/polls/{POLL}/results").get_json()["ballots"] == 1


def test_an_idempotency_key_makes_a_retried_api_ballot_the_same_reader(app):
    keys = [e["key"] for e in app.test_client().get(f"/api/polls/{POLL}").get_json()["entries"]]
    key = "3b5d9c1e-7f10-4a2b-9c3d-2e4f6a8b0c1d"
    # Two clients that keep no cookie: the second is the first one retrying.
    first = app.test_client().post(BALLOTS, json={"ranking": keys[:2]}, headers={"Idempotency-Key": key})
    retry = app.test_client().post(BALLOTS, json={"ranking": keys[:2]}, headers={"Idempotency-Key": key})
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.get_json() == {"ranking": keys[:2], "replaced": True, "held": False}
    other = app.test_client().post(
        BALLOTS, json={"ranking": keys[2:3]}, headers={"Idempotency-Key": key + "-2"}
    )
    assert other.status_code == 201
    assert ballot_count(app) == 2
    results = app.test_client().get(f"/api/polls/{POLL}/results").get_json()
    assert results["ballots"] == 2


def test_a_reader_with_a_cookie_stays_that_reader_whatever_key_they_send(app):
    client = app.test_client()
    keys = [e["key"] for e in client.get(f"/api/polls/{POLL}").get_json()["entries"]]
    assert client.post(BALLOTS, json={"ranking": keys[:1]}).status_code == 201
    again = client.post(BALLOTS, json={"ranking": keys[1:2]}, headers={"Idempotency-Key": "another-key-1"})
    assert (again.status_code, again.get_json()["replaced"]) == (200, True)
    assert ballot_count(app) == 1


@pytest.mark.parametrize("key", ["short", "has spaces in it", "x" * 201, "ünïcödé-key"])
def test_a_malformed_idempotency_key_is_refused_and_stores_nothing(app, key):
    keys = [e["key"] for e in app.test_client().get(f"/api/polls/{POLL}").get_json()["entries"]]
    before = database_state(app)
    response = app.test_client().post(BALLOTS, json={"ranking": keys[:1]}, headers={"Idempotency-Key": key})
    assert response.status_code == 400
    assert "Idempotency-Key must be" in response.get_json()["error"]
    assert database_state(app) == before
