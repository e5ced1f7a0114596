"""What the server tests and the benchmark share: scratch PostgreSQL databases,
loopback ports, gunicorn command lines and its worker processes, ``flask``
commands in a process of their own, and the reader of the ``.soi`` ballots
file (tests/data) both load."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url


@contextmanager
def scratch_postgres(url: str, tag: str) -> Iterator[str | None]:
    """A database of our own on the server ``url`` names, as a URL; None if no server answers.

    The database is dropped afterwards, whoever is still connected to it.
    """
    try:
        import psycopg
        from psycopg import sql
    except ImportError:
        yield None
        return
    parsed = make_url(url)
    settings: dict[str, Any] = {
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
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield parsed.set(database=name).render_as_string(hide_password=False)
        finally:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def free_port() -> int:
    """A loopback port nobody is listening on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def gunicorn_command(app: str, port: int, workers: int, threads: int, *options: str) -> list[str]:
    """gunicorn with gthread workers serving ``app`` on a loopback port."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--no-control-socket",
        *options,
        app,
    ]


def children(pid: int) -> set[int]:
    """The live processes whose parent is ``pid`` (gunicorn's workers)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        state, parent = text.rpartition(")")[2].split()[:2]
        if int(parent) == pid and state != "Z":
            found.add(int(stat.parent.name))
    return found


def stop_process(process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """End a process politely (SIGTERM), and by force if it does not go in time."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)


def app_environment(uri: str, secret_key: str) -> dict[str, str]:
    """The environment of a pollapp process on ``uri``: this one's, less any
    POLLAPP_/FLASK_ settings, with rate limits off (one address sends all the load)."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(("POLLAPP_", "FLASK_"))}
    env.update(
        FLASK_APP="pollapp",
        POLLAPP_SQLALCHEMY_DATABASE_URI=uri,
        POLLAPP_SECRET_KEY=secret_key,
        POLLAPP_RATELIMIT_ENABLED="false",
    )
    return env


def run_flask(
    env: dict[str, str], folder: Path, *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``flask ARGS`` in a process of its own, output captured."""
    return subprocess.run(
        [sys.executable, "-m", "flask", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def read_soi(path: Path) -> list[list[int]]:
    """The ballots of a PrefLib ``.soi`` file (strict orders, incomplete): one list
    of 1-based alternative numbers per ballot, most preferred first, each line
    ``count: a,b,c`` giving ``count`` ballots. Lines starting with ``#`` are metadata."""
    ballots: list[list[int]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        count, _, order = line.partition(":")
        ranking = [int(alternative) for alternative in order.split(",")]
        ballots.extend([ranking] * int(count))
    return ballots
