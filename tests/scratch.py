"""Scratch PostgreSQL databases, made fresh and dropped afterwards (tests and the benchmark)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import make_url


@contextmanager
def scratch_postgres(url: str, tag: str) -> Iterator[str | None]:
    """A database of our own on the server ``url`` names, as a URL; None if no server answers."""
    try:
        import psycopg
    except ImportError:
        yield None
        return
    parsed = make_url(url)
    settings = {
        "host": parsed.host or "127.0.0.1",
        "port": parsed.port or 5432,
        "user": parsed.username or "postgres",
        "password": parsed.password,
        "dbname": "postgres",
        "connect_timeout": 3,
        "autocommit": True,
    }
    try:
        admin = psycopg.connect(**{k: v for k, v in settings.items() if v is not None})
    except psycopg.OperationalError:
        yield None
        return
    name = f"pollapp_{tag}_{os.getpid()}_{secrets.token_hex(4)}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield parsed.set(database=name).render_as_string(hide_password=False)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
