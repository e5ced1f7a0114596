"""Where each ballot was cast (the poll page, an embed with or without its
cookie, the API, a file), kept with the ballot and shown with the results:
the API's ``sources`` and the sentence on the results page."""

from __future__ import annotations

import re

import pytest
from pollapp.results import sources as kept_sources

from helpers import EMBED, POLL, WAYS, cast_by, embed_key, in_the_embed, on_the_site

NONE = {"site": 0, "embed_cookie": 0, "embed_no_cookie": 0, "api": 0, "imported": 0}


def sources(client) -> dict[str, int]:
    body = client.get(f"/api/polls/{POLL}/results").get_json()
    assert sum(body["sources"].values()) == body["ballots"]
    return body["sources"]


def sentence(client) -> str:
    page = client.get(f"/polls/{POLL}/results").get_data(as_text=True)
    match = re.search(r'<p class="sources-note">([^<]*)</p>', page)
    return match.group(1) if match else ""


@pytest.mark.parametrize("way", WAYS, ids=[way.name for way in WAYS])
def test_each_way_of_voting_is_counted_as_its_source(app, client, keys, way):
    cast_by(app, way, [keys[1], keys[0]])
    assert sources(client) == {**NONE, way.source: 1}


def test_a_replaced_ballot_keeps_its_source_and_counts_once(app, client, keys):
    key = embed_key(client)
    for ranking in ([keys[0]], [keys[2], keys[3]]):
        client.post(EMBED, data={"reader_key": key, **{f"rank_{p}": k for p, k in enumerate(ranking, 1)}})
    assert sources(client) == {**NONE, "embed_cookie": 1}


def test_held_ballots_are_in_no_source_until_released(make_app, keys):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_FIRST_BALLOTS="2 per minute")
    for _ in range(3):
        in_the_embed(app, [keys[0]], cookie=False, script=True)
    client = app.test_client()
    assert sources(client) == {**NONE, "embed_no_cookie": 2}
    assert client.get(f"/api/polls/{POLL}/results").get_json()["held_ballots"] == 1


def test_the_results_page_says_where_the_ballots_came_from(app, client, keys):
    assert sentence(client) == ""
    on_the_site(app, [keys[0]])
    assert sentence(client) == "The one ballot was cast on this site."
    on_the_site(app, [keys[1]])
    assert sentence(client) == "All 2 ballots were cast on this site."
    in_the_embed(app, [keys[2]], cookie=False, script=True)
    assert sentence(client) == "3 ballots: 2 on this site, 1 in an embedded poll, without a cookie."
    for _ in range(2):
        in_the_embed(app, [keys[3]], cookie=True, script=False)
    in_the_embed(app, [keys[3]], cookie=False, script=False)
    assert sentence(client) == "6 ballots: 2 on this site, 4 in embedded polls, 2 of them without a cookie."
    cast_by(app, WAYS[-2], [keys[4]])
    cast_by(app, WAYS[-1], [keys[4]])
    assert sentence(client) == (
        "8 ballots: 2 on this site, 4 in embedded polls, 2 of them without a cookie, "
        "1 sent through the API, 1 imported from a file."
    )


def test_the_sentence_is_in_korean_on_a_korean_page(app, client, keys):
    on_the_site(app, [keys[0]])
    in_the_embed(app, [keys[2]], cookie=True, script=True)
    page = client.get(f"/polls/{POLL}/results?lang=ko").get_data(as_text=True)
    match = re.search(r'<p class="sources-note">([^<]*)</p>', page)
    assert match and "2" in match.group(1)
    assert not re.search(r"[A-Za-z]", match.group(1)), match.group(1)


def test_a_large_polls_sources_are_counted_again_at_most_once_a_minute(app, client, keys, monkeypatch):
    # Counting reads every ballot of the poll: past LARGE ballots, once a minute is enough.
    monkeypatch.setattr(kept_sources, "LARGE", 2)
    for _ in range(2):
        on_the_site(app, [keys[0]])
    assert sources(client) == {**NONE, "site": 2}
    cast_by(app, WAYS[-2], [keys[1]])  # through the API
    body = client.get(f"/api/polls/{POLL}/results").get_json()
    assert body["ballots"] == 3 and body["sources"] == {**NONE, "site": 2}
    assert sentence(client) == "All 2 ballots were cast on this site."
    monkeypatch.setattr(kept_sources, "REFRESH_SECONDS", 0.0)
    assert sources(client) == {**NONE, "site": 2, "api": 1}
