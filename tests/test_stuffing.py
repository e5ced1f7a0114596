"""Stop a stuffer, not a crowd: each address has some first ballots counted at
once; past that, first ballots are stored but held for a check, and count once
released. Every figure stays exact: the tally, the downloads, the recount."""

from __future__ import annotations

import random
import threading
from fractions import Fraction

import pytest
from flask import Flask

import oracle
from helpers import POLL, ballot_count, csrf_token, set_poll, tally_differences, vote

BUDGET = 5
BALLOTS = f"/api/polls/{POLL}/ballots"


@pytest.fixture
def guarded(make_app, database_uri) -> Flask:
    """An app on each database with the first-ballot budget small enough to reach."""
    return make_app(
        database_uri=database_uri,
        RATELIMIT_ENABLED=True,
        RATELIMIT_FIRST_BALLOTS=f"{BUDGET} per minute",
        RATELIMIT_BALLOTS="1000 per minute",
    )


def entry_keys(app: Flask) -> list[str]:
    return [entry["key"] for entry in app.test_client().get(f"/api/polls/{POLL}").get_json()["entries"]]


def from_address(app: Flask, address: str, ranking: list[str], **headers: str):
    """A ballot from a client with no cookie (a new one each call)."""
    return app.test_client().post(
        BALLOTS, json={"ranking": ranking}, environ_base={"REMOTE_ADDR": address}, headers=headers
    )


def results(app: Flask) -> dict:
    return app.test_client().get(f"/api/polls/{POLL}/results").get_json()


def assert_exact(app: Flask) -> None:
    """The tally equals a recount, and the results equal an independent count of the downloaded ballots."""
    assert tally_differences(app, POLL) == []
    client = app.test_client()
    keys = entry_keys(app)
    shown = client.get(f"/api/polls/{POLL}/results").get_json()
    expected = oracle.recount_csv(
        client.get(f"/polls/{POLL}/ballots.csv").get_data(as_text=True), keys, "averaged"
    )
    assert shown["ballots"] == expected.ballots
    assert shown["sources"] == expected.sources  # held ones in neither until released
    points = {entry["key"]: Fraction(entry["points"]).limit_denominator(2) for entry in shown["entries"]}
    assert points == {row.key: row.points for row in expected.rows}


def test_a_client_dropping_its_cookie_gets_only_the_budget_counted(guarded):
    keys = entry_keys(guarded)
    chance = random.Random(7)
    statuses, held = [], []
    for n in range(BUDGET + 7):
        # However it dresses the request up, it comes from one address.
        headers = {
            "X-Forwarded-For": f"198.51.100.{n}",
            "User-Agent": f"agent {n}",
            "X-Real-IP": f"10.0.0.{n}",
        }
        response = from_address(guarded, "203.0.113.5", chance.sample(keys, 3), **headers)
        statuses.append(response.status_code)
        held.append(response.get_json()["held"])
    assert statuses == [201] * BUDGET + [202] * 7
    assert held == [False] * BUDGET + [True] * 7
    shown = results(guarded)
    assert (shown["ballots"], shown["held_ballots"]) == (BUDGET, 7)
    assert ballot_count(guarded) == BUDGET + 7  # every one is kept
    assert_exact(guarded)


def test_another_address_has_a_budget_of_its_own(guarded):
    keys = entry_keys(guarded)
    for _ in range(BUDGET + 1):
        from_address(guarded, "203.0.113.5", keys[:2])
    assert from_address(guarded, "192.0.2.44", keys[:2]).status_code == 201


def test_a_crowd_behind_one_address_all_get_their_ballots_in_and_count_once_released(guarded):
    keys = entry_keys(guarded)
    chance = random.Random(11)
    crowd = 40
    for reader in range(crowd):
        client = guarded.test_client()
        environ = {"REMOTE_ADDR": "198.18.0.1"}
        page = client.get(f"/polls/{POLL}", environ_base=environ)
        assert page.status_code == 200
        # The cookie comes with the page, before any ballot.
        assert client.get_cookie(guarded.config["READER_COOKIE"]) is not None
        ranking = chance.sample(keys, chance.randint(1, len(keys)))
        data = {"csrf_token": csrf_token(client)} | {f"rank_{p}": key for p, key in enumerate(ranking, 1)}
        response = client.post(f"/polls/{POLL}", data=data, environ_base=environ, follow_redirects=True)
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        if reader < BUDGET:
            assert "Thank you! Your ballot is in." in page and "check" not in page
        else:
            assert "waits for a quick check before it counts" in page
    shown = results(guarded)
    assert (shown["ballots"], shown["held_ballots"]) == (BUDGET, crowd - BUDGET)
    assert_exact(guarded)
    released = guarded.test_cli_runner().invoke(args=["ballots", "release", "--poll", POLL])
    assert released.exit_code == 0, released.output
    assert released.output == f"Released {crowd - BUDGET} held ballots into {POLL}.\n"
    shown = results(guarded)
    assert (shown["ballots"], shown["held_ballots"]) == (crowd, 0)
    assert_exact(guarded)


def test_a_held_reader_who_votes_again_stays_held_and_moves_nothing(guarded):
    keys = entry_keys(guarded)
    for _ in range(BUDGET):
        from_address(guarded, "203.0.113.5", keys[:1])
    client = guarded.test_client()
    environ = {"REMOTE_ADDR": "203.0.113.5"}
    first = client.post(BALLOTS, json={"ranking": keys[:3]}, environ_base=environ)
    assert (first.status_code, first.get_json()) == (
        202,
        {"ranking": keys[:3], "replaced": False, "held": True},
    )
    before = results(guarded)
    again = client.post(BALLOTS, json={"ranking": keys[3:6]}, environ_base=environ)
    assert (again.status_code, again.get_json()) == (
        202,
        {"ranking": keys[3:6], "replaced": True, "held": True},
    )
    assert results(guarded) == before
    assert_exact(guarded)


def test_a_counted_reader_who_votes_again_is_never_held(guarded):
    keys = entry_keys(guarded)
    client = guarded.test_client()
    environ = {"REMOTE_ADDR": "203.0.113.5"}
    assert client.post(BALLOTS, json={"ranking": keys[:2]}, environ_base=environ).status_code == 201
    for _ in range(BUDGET):
        from_address(guarded, "203.0.113.5", keys[:1])
    again = client.post(BALLOTS, json={"ranking": keys[2:4]}, environ_base=environ)
    assert (again.status_code, again.get_json()["held"]) == (200, False)
    assert (results(guarded)["ballots"], results(guarded)["held_ballots"]) == (BUDGET, 1)
    assert_exact(guarded)


def test_junk_never_spends_a_budget(make_app):
    app = make_app(
        RATELIMIT_ENABLED=True, RATELIMIT_BALLOTS="3 per minute", RATELIMIT_FIRST_BALLOTS="2 per minute"
    )
    keys = entry_keys(app)
    client = app.test_client()
    bodies = ["{", "[]", '{"ranking": 3}', '{"ranking": ["no-such-scene"]}', '{"ranking": ["a", "a"]}']
    for n in range(29):
        response = client.post(BALLOTS, data=bodies[n % len(bodies)], content_type="application/json")
        assert response.status_code == 400, response.get_json()
    assert vote(client, keys[:2]).status_code == 201
    assert app.test_client().post(BALLOTS, json={"ranking": keys[:1]}).status_code == 201
    assert ballot_count(app) == 2


def test_release_refuses_a_closed_poll(guarded):
    keys = entry_keys(guarded)
    for _ in range(BUDGET + 2):
        from_address(guarded, "203.0.113.5", keys[:2])
    set_poll(guarded, status="closed")
    refused = guarded.test_cli_runner().invoke(args=["ballots", "release", "--poll", POLL])
    assert refused.exit_code == 1
    assert "closed: its results are final" in refused.output
    assert results(guarded)["held_ballots"] == 2


def test_the_results_page_says_how_many_ballots_are_held(guarded):
    keys = entry_keys(guarded)
    for _ in range(BUDGET + 3):
        from_address(guarded, "203.0.113.5", keys[:2])
    page = guarded.test_client().get(f"/polls/{POLL}/results").get_data(as_text=True)
    assert "3 more ballots wait for a check before they count" in page
    assert f"<strong>{BUDGET}</strong> ballots" in page


def test_first_ballots_cast_at_the_same_moment_cannot_pass_the_budget(guarded):
    keys = entry_keys(guarded)
    barrier = threading.Barrier(16)
    statuses: list[int] = []

    def stuff(n: int) -> None:
        client = guarded.test_client()
        barrier.wait()
        response = client.post(
            BALLOTS, json={"ranking": keys[n % 9 : n % 9 + 1]}, environ_base={"REMOTE_ADDR": "203.0.113.5"}
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=stuff, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] * BUDGET + [202] * (16 - BUDGET)
    shown = results(guarded)
    assert (shown["ballots"], shown["held_ballots"]) == (BUDGET, 16 - BUDGET)
    assert_exact(guarded)


def test_a_refused_or_replacing_ballot_gives_its_place_back(guarded):
    keys = entry_keys(guarded)
    client = guarded.test_client()
    environ = {"REMOTE_ADDR": "203.0.113.5"}
    assert client.post(BALLOTS, json={"ranking": keys[:1]}, environ_base=environ).status_code == 201
    for _ in range(10):  # changing a ballot, and ballots the poll refuses, take no place
        assert client.post(BALLOTS, json={"ranking": keys[1:3]}, environ_base=environ).status_code == 200
        refused = guarded.test_client().post(
            BALLOTS, json={"ranking": ["no-such-scene"]}, environ_base=environ
        )
        assert refused.status_code == 400
    counted = [from_address(guarded, "203.0.113.5", keys[:2]).status_code for _ in range(BUDGET)]
    assert counted == [201] * (BUDGET - 1) + [202]
