"""The suite's fixtures: one app factory, a fresh database per test (flaskr's
conftest), and the app, client and CLI runner made with it. The helpers tests
import are in ``helpers.py``."""

from __future__ import annotations

import os
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
from pollapp.testing import scratch_postgres
from sqlalchemy import create_engine, text

from helpers import POLL, add_editor, log_in

# These machines are shared and noisy: a slow example is not a failure.
settings.register_profile("pollapp", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("pollapp")

TEST_DATABASE_URL = os.environ.get("POLLAPP_TEST_DATABASE_URL")
POSTGRES_URL = TEST_DATABASE_URL or "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TEST_SETTINGS: dict[str, object] = {
    "TESTING": True,
    "SECRET_KEY": "test secret key",
    "RATELIMIT_ENABLED": False,
    "RATELIMIT_STORAGE_URI": "memory://",
    # A download is remade as soon as the tally changes (test_downloads.py sets its own).
    "DOWNLOADS_FRESH_FOR": 0,
    # A poll's preview image follows each ballot at once (test_previews.py checks the interval).
    "PREVIEW_RECHECK": 0,
}


def empty_postgres(url: str) -> None:
    """Drop everything in the PostgreSQL database ``url`` names."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


class AppFactory:
    """The one way the suite makes an app: ``make_app(**settings)``.

    Each app has the test settings with ``settings`` over them and, unless
    ``schema=False``, its tables made and the shipped polls loaded. It runs on
    ``database_uri`` if given, else on the test's own database: SQLite in the
    test's folder, or, when ``POLLAPP_TEST_DATABASE_URL`` is set, that
    PostgreSQL database emptied. Every app the test made is closed at teardown.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.made: list[Flask] = []
        self._own_database: str | None = None

    def __call__(
        self,
        *,
        database_uri: str | None = None,
        schema: bool = True,
        unset: tuple[str, ...] = (),
        **settings: object,
    ) -> Flask:
        """A new app; the settings named in ``unset`` are left to the defaults and the environment."""
        config = {
            **TEST_SETTINGS,
            "SQLALCHEMY_DATABASE_URI": database_uri or self.database_uri,
            "DOWNLOADS_FOLDER": str(self.folder / "downloads"),
            "FIGURES_FOLDER": str(self.folder / "figures"),
            **settings,
        }
        app = create_app({name: value for name, value in config.items() if name not in unset})
        self.made.append(app)
        if schema:
            with app.app_context():
                db.create_all()
                sync_polls(shipped_polls())
                db.session.remove()
        return app

    @property
    def database_uri(self) -> str:
        """The test's own database, empty when first asked for."""
        if self._own_database is None:
            if TEST_DATABASE_URL:
                empty_postgres(TEST_DATABASE_URL)
                self._own_database = TEST_DATABASE_URL
            else:
                self._own_database = f"sqlite:///{self.folder / 'pollapp.sqlite3'}"
        return self._own_database

    def close(self, app: Flask) -> None:
        """Give back the app's database connections (its ballot engine goes with its engine)."""
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        self.made.remove(app)

    def close_all(self) -> None:
        for app in list(self.made):
            self.close(app)


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[AppFactory]:
    factory = AppFactory(tmp_path)
    yield factory
    factory.close_all()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_uri(request: pytest.FixtureRequest, tmp_path: Path, make_app: AppFactory) -> Iterator[str]:
    """Each kind of database in turn, empty: SQLite in the test's folder, then a
    scratch PostgreSQL database (skipped when no server answers). The test's
    apps are closed before the database goes."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'each-kind.sqlite3'}"
        make_app.close_all()
        return
    tag = request.module.__name__.removeprefix("test_")
    with scratch_postgres(POSTGRES_URL, tag) as uri:
        if uri is None:
            pytest.skip(f"PostgreSQL does not answer at {POSTGRES_URL}")
        yield uri
        make_app.close_all()


@pytest.fixture
def app(make_app: AppFactory) -> Flask:
    return make_app()


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
        poll = find_poll(POLL)
        assert poll is not None
        return entry_keys(poll)


@pytest.fixture
def desk(app: Flask) -> FlaskClient:
    """A client logged in to the desk as an editor made with the CLI."""
    add_editor(app)
    client = app.test_client()
    assert log_in(client).status_code == 302
    return client
