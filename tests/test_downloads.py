"""Downloads cost the database once: made per tally tag and kept, a weak ETag
and 304 on revalidation, gzip when the client takes it, limited per address."""

from __future__ import annotations

import gzip
import threading
import time

import pytest
from pollapp.results import downloads

from helpers import POLL, set_poll, vote

PATHS = [f"/polls/{POLL}/ballots.csv", f"/polls/{POLL}/results.csv"]


@pytest.fixture
def keys(app) -> list[str]:
    return [entry["key"] for entry in app.test_client().get(f"/api/polls/{POLL}").get_json()["entries"]]


@pytest.mark.parametrize("path", PATHS)
def test_a_download_carries_a_weak_etag_and_revalidates_to_304(app, client, keys, path):
    vote(client, keys[:3])
    first = client.get(path)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert etag.startswith('W/"results-')
    assert first.headers["Cache-Control"] in ("public, max-age=0", "max-age=0, public")
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == etag
    vote(app.test_client(), keys[3:5])
    changed = client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


@pytest.mark.parametrize("path", PATHS)
def test_gzip_goes_to_a_client_that_takes_it_and_holds_the_same_bytes(client, keys, path):
    vote(client, keys[:4])
    plain = client.get(path)
    packed = client.get(path, headers={"Accept-Encoding": "gzip, deflate, br"})
    body = packed.get_data()
    packed.close()  # and with it the file it was sent from
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert int(packed.headers["Content-Length"]) == len(body)
    assert gzip.decompress(body) == plain.get_data()
    assert plain.get_data().startswith(
        b"\xef\xbb\xbf" + (b"ballot,rank_1,rank_2" if "ballots" in path else b"community_rank,")
    )
    assert plain.headers["Content-Type"] == "text/csv; charset=utf-8; header=present"


@pytest.mark.parametrize("path", PATHS)
def test_a_file_kept_by_an_older_layout_is_never_served_or_revalidated(client, keys, path, monkeypatch):
    # A closed poll's tally never changes again: only the layout in the tag makes its file anew.
    vote(client, keys[:2])
    monkeypatch.setattr(downloads, "LAYOUT", downloads.LAYOUT - 1)
    monkeypatch.setattr(downloads, "ballots_header", lambda size: ["an", "older", "layout"])
    monkeypatch.setattr(downloads, "RESULTS_HEADER", ["an", "older", "layout"])
    older = client.get(path)
    assert b"older" in older.get_data()
    monkeypatch.undo()
    current = client.get(path, headers={"If-None-Match": older.headers["ETag"]})
    assert current.status_code == 200
    assert current.headers["ETag"] != older.headers["ETag"]
    assert current.headers["ETag"].endswith(f'-v{downloads.LAYOUT}"')
    assert b"older" not in current.get_data()


def test_a_download_is_made_once_while_ballots_keep_coming(make_app, monkeypatch):
    app = make_app(DOWNLOADS_FRESH_FOR=60)
    client = app.test_client()
    keys = [entry["key"] for entry in client.get(f"/api/polls/{POLL}").get_json()["entries"]]
    made = []
    real = downloads.ballots_csv

    def counting(poll):
        made.append(poll.slug)
        return real(poll)

    monkeypatch.setattr(downloads, "ballots_csv", counting)
    vote(client, keys[:2])
    first = client.get(f"/polls/{POLL}/ballots.csv")
    for n in range(5):
        vote(app.test_client(), keys[n : n + 3])
        later = client.get(f"/polls/{POLL}/ballots.csv")
        # Younger than a minute: the same file, said to be so, with no new read of the ballots.
        assert later.headers["ETag"] == first.headers["ETag"]
        assert later.get_data() == first.get_data()
    assert made == [POLL]
    assert "max-age=60" in first.headers["Cache-Control"]


def test_downloads_of_a_poll_with_private_results_are_not_cached_by_proxies(app, client, keys):
    set_poll(app, results_visibility="after_vote")
    vote(client, keys[:2])
    response = client.get(f"/polls/{POLL}/ballots.csv")
    assert response.status_code == 200
    assert "private" in response.headers["Cache-Control"]
    assert "public" not in response.headers["Cache-Control"]
    assert app.test_client().get(f"/polls/{POLL}/ballots.csv").status_code == 403


def test_downloads_are_limited_per_address_and_revalidation_is_free(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_DOWNLOADS="3 per minute")
    client = app.test_client()
    path = f"/polls/{POLL}/ballots.csv"
    first = client.get(path)
    etag = first.headers["ETag"]
    for _ in range(10):
        assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    assert [client.get(path).status_code for _ in range(3)] == [200, 200, 429]
    other = app.test_client().get(path, environ_base={"REMOTE_ADDR": "192.0.2.80"})
    assert other.status_code == 200
    # Voting is a budget of its own.
    keys = [entry["key"] for entry in client.get(f"/api/polls/{POLL}").get_json()["entries"]]
    assert vote(client, keys[:1]).status_code == 201


def test_a_crowd_of_downloads_costs_one_making(app, keys, monkeypatch):
    made = []
    real = downloads.ballots_csv

    def slow_counting(poll):
        made.append(poll.slug)
        time.sleep(0.3)  # long enough for every other request to arrive and wait
        return real(poll)

    monkeypatch.setattr(downloads, "ballots_csv", slow_counting)
    vote(app.test_client(), keys[:3])
    barrier = threading.Barrier(8)
    bodies: list[bytes] = []

    def download() -> None:
        client = app.test_client()
        barrier.wait()
        bodies.append(client.get(f"/polls/{POLL}/ballots.csv").get_data())

    threads = [threading.Thread(target=download) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert made == [POLL]
    assert len(bodies) == 8 and len(set(bodies)) == 1
    assert bodies[0].count(b"\r\n") == 2  # the header and the one ballot


@pytest.mark.parametrize("kind", ["soi", "cef"])
def test_the_open_data_files_are_kept_downloads_like_the_csv(app, client, keys, kind):
    vote(client, keys[:2])
    vote(app.test_client(), keys[:2])
    path = f"/polls/{POLL}/ballots.{kind}"
    first = client.get(path)
    assert first.status_code == 200
    assert first.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert first.headers["Content-Disposition"] == f'attachment; filename="{POLL}-ballots.{kind}"'
    text = first.get_data(as_text=True)
    assert ("2: 1,2\n" if kind == "soi" else f"{keys[0]} > {keys[1]} * 2\n") in text
    assert client.get(path, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    packed = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert gzip.decompress(packed.get_data()) == first.get_data()
    packed.close()
    set_poll(app, results_visibility="after_vote")
    assert app.test_client().get(path).status_code == 403
