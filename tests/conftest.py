"""Shared fixtures: a fresh app and database per test (flaskr's conftest)."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from hypothesis import HealthCheck, settings
from pollapp import create_app
from pollapp.catalogue.files import shipped_polls
from pollapp.catalogue.sync import sync_polls
from pollapp.extensions import db
from pollapp.polls.service import entry_keys, find_poll
from sqlalchemy import create_engine, text

from harness import scratch_postgres

# These machines are shared and noisy: a slow example is not a failure.
settings.register_profile("pollapp", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("pollapp")

POLL = "kdrama-kisses-2014"
DATA = Path(__file__).resolve().parent / "data"
TEST_DATABASE_URL = os.environ.get("POLLAPP_TEST_DATABASE_URL")
POSTGRES_URL = TEST_DATABASE_URL or "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def fresh_database_uri(tmp_path: Path) -> str:
    """SQLite in the test's own folder, or the PostgreSQL test database emptied."""
    if TEST_DATABASE_URL:
        engine = create_engine(TEST_DATABASE_URL)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        return TEST_DATABASE_URL
    return f"sqlite:///{tmp_path / 'pollapp.sqlite3'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_uri(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each kind of database in turn, empty: SQLite in the test's folder, then a
    scratch PostgreSQL database (skipped when no server answers)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'pollapp.sqlite3'}"
        return
    tag = request.module.__name__.removeprefix("test_")
    with scratch_postgres(POSTGRES_URL, tag) as uri:
        if uri is None:
            pytest.skip(f"PostgreSQL does not answer at {POSTGRES_URL}")
        yield uri


@pytest.fixture
def app_config(tmp_path: Path) -> dict[str, object]:
    instance = tmp_path / "instance"
    instance.mkdir()
    return {
        "TESTING": True,
        "SECRET_KEY": "test secret key",
        "SQLALCHEMY_DATABASE_URI": fresh_database_uri(tmp_path),
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
    }


@pytest.fixture
def app(app_config: dict[str, object]) -> Iterator[Flask]:
    app = create_app(app_config)
    with app.app_context():
        db.create_all()
        sync_polls(shipped_polls())
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def keys(app: Flask) -> list[str]:
    """The poll's entry keys in the editors' order."""

    with app.app_context():
        return entry_keys(find_poll(POLL))


def csrf_token(client: FlaskClient, path: str = f"/polls/{POLL}") -> str:
    """Load a page and return the CSRF token its form carries."""
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert match, "the page has no CSRF token"
    return match.group(1)


def vote(client: FlaskClient, ranking: list[str], slug: str = POLL):
    """Cast a ballot through the JSON API."""
    return client.post(f"/api/polls/{slug}/ballots", json={"ranking": ranking})


def post_streamed(client: FlaskClient, path: str, body: bytes, content_type: str):
    """POST a body the way a streaming client does: chunked, with no Content-Length."""
    return client.post(
        path,
        input_stream=io.BytesIO(body),
        headers={"Content-Type": content_type, "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )


def debian_ballots() -> list[list[int]]:
    """The Debian 2007 ballots as lists of 1-based alternative numbers (skips when absent)."""
    path = DATA / "debian-2007-leader.soi"
    if not path.exists():
        pytest.skip(f"the Debian 2007 ballots are not at {path}")
    ballots: list[list[int]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        count, _, order = line.partition(":")
        ranking = [int(a) for a in order.split(",")]
        ballots.extend([ranking] * int(count))
    return ballots
