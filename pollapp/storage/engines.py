"""Engine settings: SQLite made safe for several writers at once, and the
unpinged pool the ballot path writes through."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app
from sqlalchemy import Engine, create_engine, event

from ..extensions import db


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside one writer; the busy timeout makes writers
    # queue instead of failing with "database is locked".
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def configure_engine(app: Flask) -> None:
    """Install the SQLite connection settings on this app's engine."""
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)


def ballot_engine() -> Engine:
    """The engine readers' ballots are written through.

    The app's engine pings every connection it hands out (``pool_pre_ping``):
    on PostgreSQL a round trip as long as the ballot's own. This one does not;
    ``DriverStatement.write`` notices a connection that has gone away instead,
    and tries once more on a new one. It shares the app's settings otherwise,
    and is disposed with the app's engine. An in-memory SQLite database is one
    per engine, so there the app's own engine is used.
    """
    extensions = current_app.extensions
    engine: Engine | None = extensions.get("pollapp.ballot_engine")
    if engine is None:
        with _engines_lock:
            engine = extensions.get("pollapp.ballot_engine")
            if engine is None:
                engine = extensions["pollapp.ballot_engine"] = _unpinged_twin(db.engine, current_app.config)
    return engine


def _unpinged_twin(main: Engine, config: Mapping[str, Any]) -> Engine:
    if main.dialect.name == "sqlite" and main.url.database in (None, "", ":memory:"):
        return main
    options = {**config.get("SQLALCHEMY_ENGINE_OPTIONS", {}), "pool_pre_ping": False}
    twin = create_engine(main.url, **options)
    if twin.dialect.name == "sqlite":
        event.listen(twin, "connect", _sqlite_pragmas)
    event.listen(main, "engine_disposed", lambda _engine: twin.dispose())
    return twin


_engines_lock = threading.Lock()
