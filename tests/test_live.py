"""Results that follow new ballots by themselves: the page names its source; the source answers 304."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from helpers import POLL, set_poll, vote

RESULTS = f"/polls/{POLL}/results"


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
