"""Failing soft: the database or the limits' Redis gone, and what readers are told."""

from __future__ import annotations

import logging
import socket

import pytest
from pollapp.web.errors import MESSAGES

from helpers import POLL

REDIS = "redis://127.0.0.1:6379"


def closed_port() -> int:
    """A loopback port with nobody listening."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(params=["sqlite", "postgresql"])
def unreachable_database(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'no-such-folder' / 'pollapp.sqlite3'}"
    return f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/pollapp?connect_timeout=2"


def test_a_database_that_does_not_answer_is_a_503_with_retry_after(
    make_app, unreachable_database, caplog, keys
):
    app = make_app(database_uri=unreachable_database, schema=False)
    client = app.test_client()
    caplog.set_level(logging.ERROR, logger=app.logger.name)
    page = client.get(f"/polls/{POLL}")
    api = client.post(f"/api/polls/{POLL}/ballots", json={"ranking": keys[:2]})
    results = client.get(f"/api/polls/{POLL}/results")
    for response in (page, api, results):
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "30"
    assert "cannot reach its database" in page.get_data(as_text=True)
    # The reader keeps the cookie the refused ballot was cast with, so trying
    # again is the same reader, never a second one.
    assert client.get_cookie(app.config["READER_COOKIE"]) is not None
    assert api.get_json() == {"error": str(MESSAGES[503]), "code": "database_unavailable"}
    assert str(MESSAGES[503]).startswith("The poll cannot reach its database just now. Nothing was saved;")
    lines = [record for record in caplog.records if "database unavailable" in record.getMessage()]
    assert len(lines) == 3  # one line per failed request
    assert all(record.exc_info is None for record in lines)  # a line, not a traceback


def redis_answers() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), 1).close()
    except OSError:
        return False
    return True


def test_ballots_go_on_when_the_limits_storage_is_down_and_it_is_logged_once(make_app, caplog):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{closed_port()}")
    client = app.test_client()
    keys = [e["key"] for e in client.get(f"/api/polls/{POLL}").get_json()["entries"]]
    caplog.set_level(logging.WARNING)
    first = client.post(f"/api/polls/{POLL}/ballots", json={"ranking": keys[:1]})
    assert first.status_code == 201
    assert client.get_cookie(app.config["READER_COOKIE"]) is not None
    statuses = [
        client.post(f"/api/polls/{POLL}/ballots", json={"ranking": keys[:2]}).status_code for _ in range(5)
    ]
    assert statuses == [200] * 5  # the same reader, replaced, never counted twice
    results = client.get(f"/api/polls/{POLL}/results").get_json()
    assert results["ballots"] == 1
    outage = [
        r for r in caplog.records if "storage" in r.getMessage().lower() and r.levelno >= logging.WARNING
    ]
    assert len(outage) == 1, [r.getMessage() for r in caplog.records]


def test_the_fallback_still_limits_each_process(make_app):
    app = make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_BALLOTS="3 per minute",
        RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{closed_port()}",
    )
    client = app.test_client()
    keys = [e["key"] for e in client.get(f"/api/polls/{POLL}").get_json()["entries"]]
    statuses = [
        client.post(f"/api/polls/{POLL}/ballots", json={"ranking": [key]}).status_code for key in keys[:5]
    ]
    assert statuses == [201, 200, 200, 429, 429]
