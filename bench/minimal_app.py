"""The intake baseline: a Flask endpoint that inserts one row per request and does nothing else.

It reads the same configuration as pollapp (``POLLAPP_*`` variables) and binds
the same database the same way, with the same engine options and SQLite
settings, so the only difference from the real vote path is the work the real
path does. Serve it with ``gunicorn 'minimal_app:create_app()'`` from this folder.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask, Response, jsonify, request
from pollapp.extensions import db
from pollapp.storage import engines
from sqlalchemy import Column, DateTime, Integer, MetaData, Table, Text, create_engine, insert

metadata = MetaData()
rows = Table(
    "bench_minimal_row",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ranking", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


def prepare(uri: str) -> None:
    """Create the baseline's table (once, before any worker starts)."""
    engine = create_engine(uri)
    try:
        metadata.create_all(engine)
    finally:
        engine.dispose()


def create_app() -> Flask:
    app = Flask(__name__)
    app.config.from_object("pollapp.config")
    app.config.from_prefixed_env("POLLAPP")
    db.init_app(app)
    engines.configure_engine(app)

    @app.post("/ballots")
    def ballot() -> tuple[Response, int]:
        ranking = request.get_json()["ranking"]
        db.session.execute(insert(rows).values(ranking=",".join(ranking), created_at=datetime.now(UTC)))
        db.session.commit()
        return jsonify(ranking=ranking), 201

    @app.get("/hello")
    def hello() -> str:
        # The live refresh's baseline: the least a Flask view can answer.
        return "hello"

    return app
