"""What the server tests and the benchmark share: scratch PostgreSQL databases,
loopback ports, gunicorn command lines and its worker processes, the shipped
nginx config run in front of them, ``flask`` commands in a process of their
own, the reader of the ``.soi`` ballots file (tests/data) both load, and what
a page's frames fetch in a browser (Playwright)."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from playwright.sync_api import Page, Request


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
    return _gunicorn(f"127.0.0.1:{port}", app, workers, threads, options)


def gunicorn_socket_command(app: str, path: Path, workers: int, threads: int, *options: str) -> list[str]:
    """gunicorn with gthread workers serving ``app`` on a Unix socket, as in production
    (``--worker-class sync`` among ``options`` gives sync workers)."""
    if len(os.fsencode(path)) >= UNIX_PATH_MAX:
        raise ValueError(f"{path} is too long for a Unix socket ({UNIX_PATH_MAX - 1} bytes at most)")
    return _gunicorn(f"unix:{path}", app, workers, threads, options)


# A Unix socket's path, with its final NUL, fits in sockaddr_un.sun_path (Linux: 108 bytes).
UNIX_PATH_MAX = 108


def _gunicorn(bind: str, app: str, workers: int, threads: int, options: Sequence[str]) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        bind,
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


# ---------------------------------------------------------------- nginx in front

# The production nginx config, as shipped; tests run it in front of gunicorn.
SHIPPED_NGINX_CONFIG = Path(__file__).resolve().parent.parent / "docs" / "production" / "nginx.conf"
# An app server behind nginx: a Unix socket, or a (host, port) on loopback.
Upstream = Path | tuple[str, int]

_SHIPPED_UPSTREAM_SERVER = re.compile(r"server\s+unix:/run/pollapp/gunicorn\.sock(?P<parameters>(\s+\S+)*);")
_SHIPPED_TLS_LISTEN = "listen 443 ssl http2;"
_SHIPPED_TLS_LISTEN_IPV6 = "listen [::]:443 ssl http2;"
_SHIPPED_PLAIN_LISTEN = re.compile(r"listen\s+(\[::\]:)?80(\s+default_server)?;")
# The top-level directives kept as they are: http-level settings a site file may hold.
_SHIPPED_TOP_LEVEL_KEPT = re.compile(r"(limit_req_zone|limit_conn_zone)\s.*;")
_SHIPPED_TOP_LEVEL_BLOCKS_KEPT = re.compile(r"map\s+\$\w+\s+\$\w+\s*\{")
# nginx's copies go to a folder of the test's own; the rest of the line is kept.
_SHIPPED_CACHE_PATH = re.compile(r"proxy_cache_path\s+/var/cache/nginx/pollapp(?P<parameters>(\s+\S+)+);")
_SERVER_NAME = re.compile(r"server_name\s+\S+;")
_CERTIFICATE = re.compile(r"ssl_certificate\s+\S+;")
_CERTIFICATE_KEY = re.compile(r"ssl_certificate_key\s+\S+;")


class ShippedConfigChanged(RuntimeError):
    """The shipped nginx config no longer has a line the test setup replaces."""


def nginx_binary() -> str | None:
    """nginx's path: on PATH, or where Debian puts it (/usr/sbin, often not on a user's PATH)."""
    found = shutil.which("nginx")
    if found:
        return found
    debian = Path("/usr/sbin/nginx")
    return str(debian) if debian.exists() else None


def _blocks(text: str) -> list[tuple[str, list[str]]]:
    """The top-level blocks and directives of an nginx config: (first line, all
    its lines), in order; a one-line directive is its own entry.

    Comments and blank lines between them are dropped.
    """
    blocks: list[tuple[str, list[str]]] = []
    depth = 0
    current: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        code = line.partition("#")[0].strip()
        if depth == 0 and not code:
            continue
        if depth == 0:
            if code.endswith(";") and "{" not in code:
                blocks.append((code, [line]))
                continue
            if not code.endswith("{"):
                raise ShippedConfigChanged(f"line {number} is not a directive or a block: {line.strip()!r}")
            current = []
        current.append(line)
        depth += code.count("{") - code.count("}")
        if depth < 0:
            raise ShippedConfigChanged(f"line {number} closes a block that was never opened")
        if depth == 0:
            blocks.append((current[0].partition("#")[0].strip(), current))
    if depth:
        raise ShippedConfigChanged("a block is never closed")
    return blocks


def _replace_exactly_once(lines: list[str], match: re.Pattern[str] | str, new: str | None, what: str) -> None:
    """Replace (``new``) or drop (None) the one line ``match`` matches in full, keeping its indent."""
    code = [line.partition("#")[0].strip() for line in lines]
    found = [
        number
        for number, line in enumerate(code)
        if (match.fullmatch(line) if isinstance(match, re.Pattern) else line == match)
    ]
    if len(found) != 1:
        pattern = match.pattern if isinstance(match, re.Pattern) else match
        raise ShippedConfigChanged(
            f"{SHIPPED_NGINX_CONFIG.name} should have {what} ({pattern!r}) exactly once, "
            f"found it {len(found)} times: update the test setup in pollapp/testing.py"
        )
    number = found[0]
    if new is None:
        del lines[number]
    else:
        line = lines[number]
        lines[number] = line[: len(line) - len(line.lstrip())] + new


def _upstream_address(upstream: Upstream) -> str:
    if isinstance(upstream, Path):
        return f"unix:{upstream}"
    host, port = upstream
    return f"{host}:{port}"


def nginx_site(
    upstreams: Sequence[Upstream],
    port: int,
    certificate: Path,
    key: Path,
    shipped: str | None = None,
    cache: Path | None = None,
) -> str:
    """The shipped site config, changed only where a test machine must differ.

    Its upstream and its TLS server block are kept as they are, except: the
    upstream's server line becomes one line per app server in ``upstreams``
    (with the same parameters); ``listen 443 ssl http2`` becomes a loopback
    ``port``; the IPv6 listen goes; ``server_name`` becomes localhost; the
    certificate paths become ``certificate`` and ``key``. The port-80 servers
    (the redirect and the catch-all) are left out. Of the directives and
    blocks outside the servers, rate-limit zones and ``map`` blocks are kept
    as they are, and ``proxy_cache_path`` gets the folder ``cache`` (required
    then) with the same parameters. A line that is not where it is expected,
    or a top-level directive the setup does not know, raises
    ``ShippedConfigChanged``, so the tests keep testing the config people
    copy. ``shipped`` is the config's text (default: the shipped file).
    """
    if not upstreams:
        raise ValueError("nginx needs at least one app server behind it")
    text = SHIPPED_NGINX_CONFIG.read_text(encoding="utf-8") if shipped is None else shipped
    upstream_blocks: list[list[str]] = []
    tls_blocks: list[list[str]] = []
    http_level: list[str] = []
    for head, lines in _blocks(text):
        if _SHIPPED_TOP_LEVEL_KEPT.fullmatch(head) or _SHIPPED_TOP_LEVEL_BLOCKS_KEPT.fullmatch(head):
            http_level.extend(lines)
        elif cache_path := _SHIPPED_CACHE_PATH.fullmatch(head):
            if cache is None:
                raise ValueError("the shipped config keeps copies: nginx_site needs a cache folder")
            http_level.append(f"proxy_cache_path {cache}{cache_path['parameters']};")
        elif head.endswith(";"):
            raise ShippedConfigChanged(f"a top-level directive the test setup does not know: {head!r}")
        elif head == "upstream pollapp {":
            upstream_blocks.append(lines)
        elif head == "server {" and any(_SHIPPED_TLS_LISTEN == line.strip() for line in lines):
            tls_blocks.append(lines)
        elif head == "server {":
            listens = [line.strip() for line in lines if line.strip().startswith("listen")]
            if not listens or not all(_SHIPPED_PLAIN_LISTEN.fullmatch(listen) for listen in listens):
                raise ShippedConfigChanged(f"a server block listens neither on 80 nor on 443: {listens}")
        else:
            raise ShippedConfigChanged(f"a top-level block the test setup does not know: {head!r}")
    if len(upstream_blocks) != 1 or len(tls_blocks) != 1:
        raise ShippedConfigChanged(
            f"{SHIPPED_NGINX_CONFIG.name} should have one 'upstream pollapp' and one server with "
            f"{_SHIPPED_TLS_LISTEN!r}; found {len(upstream_blocks)} and {len(tls_blocks)}"
        )

    upstream = list(upstream_blocks[0])
    servers = [line for line in upstream if _SHIPPED_UPSTREAM_SERVER.fullmatch(line.strip())]
    if len(servers) != 1:
        raise ShippedConfigChanged(
            f"the upstream should have one server line ({_SHIPPED_UPSTREAM_SERVER.pattern!r}), "
            f"found {len(servers)}"
        )
    shipped_server = servers[0]
    matched = _SHIPPED_UPSTREAM_SERVER.fullmatch(shipped_server.strip())
    assert matched is not None
    indent = shipped_server[: len(shipped_server) - len(shipped_server.lstrip())]
    at = upstream.index(shipped_server)
    upstream[at : at + 1] = [
        f"{indent}server {_upstream_address(each)}{matched['parameters']};" for each in upstreams
    ]

    tls = list(tls_blocks[0])
    _replace_exactly_once(tls, _SHIPPED_TLS_LISTEN, f"listen 127.0.0.1:{port} ssl http2;", "the TLS listen")
    _replace_exactly_once(tls, _SHIPPED_TLS_LISTEN_IPV6, None, "the IPv6 TLS listen")
    _replace_exactly_once(tls, _SERVER_NAME, "server_name localhost;", "the server name")
    _replace_exactly_once(tls, _CERTIFICATE, f"ssl_certificate {certificate};", "the certificate")
    _replace_exactly_once(tls, _CERTIFICATE_KEY, f"ssl_certificate_key {key};", "the certificate key")
    return "\n".join([*http_level, "", *upstream, "", *tls, ""])


def nginx_config(site: str, prefix: Path, workers: int = 1) -> str:
    """A minimal main config around ``site``: everything nginx writes stays under ``prefix``."""
    # Only root can switch users; nginx's own default (nobody) could not reach a socket in prefix.
    user = "user root;\n" if os.geteuid() == 0 else ""
    indented = "\n".join(f"    {line}" if line else "" for line in site.splitlines())
    return f"""{user}daemon off;
worker_processes {workers};
pid {prefix}/nginx.pid;
lock_file {prefix}/nginx.lock;
error_log {prefix}/error.log notice;

events {{
    worker_connections 1024;
}}

http {{
    access_log {prefix}/access.log;
    default_type application/octet-stream;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;

{indented}
}}
"""


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for localhost and its key, valid for a day, made with the openssl CLI."""
    certificate, key = folder / "localhost.crt", folder / "localhost.key"
    done = subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-keyout",
            str(key),
            "-out",
            str(certificate),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if done.returncode != 0:
        raise RuntimeError(f"openssl could not make a certificate:\n{done.stderr}")
    return certificate, key


@dataclass(frozen=True)
class Nginx:
    """A running nginx serving the shipped site config on ``https://127.0.0.1:<port>``."""

    process: subprocess.Popen[bytes]
    port: int
    prefix: Path
    certificate: Path
    config: Path

    def client_context(self) -> ssl.SSLContext:
        """A TLS context that trusts this nginx's certificate (the name is not checked:
        clients connect to 127.0.0.1 and send ``Host: localhost``)."""
        context = ssl.create_default_context(cafile=str(self.certificate))
        context.check_hostname = False
        return context

    def log(self) -> str:
        """What nginx wrote: its start-up output and its error log."""
        parts = [self.prefix / "nginx.out", self.prefix / "error.log"]
        return "\n".join(path.read_text(errors="replace") for path in parts if path.exists())


def _answers(port: int, context: ssl.SSLContext) -> bool:
    """Whether nginx completes a TLS handshake and answers an HTTP request (any status)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            with context.wrap_socket(raw) as tls:
                tls.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                return tls.recv(16).startswith(b"HTTP/1.1 ")
    except OSError:
        return False


@contextmanager
def running_nginx(
    upstreams: Sequence[Upstream],
    folder: Path,
    *,
    shipped: str | None = None,
    workers: int = 1,
    start_timeout: float = 30,
) -> Iterator[Nginx]:
    """Run nginx with the shipped site config (see ``nginx_site``) in front of
    ``upstreams`` until the block ends; its prefix (config, certificate, logs,
    temporary files) is a new folder in ``folder``. ``shipped`` replaces the
    shipped file's text, to run a deliberately different config."""
    binary = nginx_binary()
    if binary is None:
        raise RuntimeError("nginx is not installed (Debian: apt-get install nginx-light)")
    prefix = folder / f"nginx-{secrets.token_hex(3)}"
    prefix.mkdir(parents=True)
    certificate, key = self_signed_certificate(prefix)
    port = free_port()
    config = prefix / "nginx.conf"
    site = nginx_site(upstreams, port, certificate, key, shipped, prefix / "cache")
    config.write_text(nginx_config(site, prefix, workers))
    with (prefix / "nginx.out").open("wb") as out:
        process = subprocess.Popen(
            [binary, "-p", f"{prefix}/", "-c", str(config)],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    running = Nginx(process, port, prefix, certificate, config)
    try:
        context = running.client_context()
        deadline = time.monotonic() + start_timeout
        while not _answers(port, context):
            if process.poll() is not None:
                raise RuntimeError(f"nginx exited with {process.returncode}:\n{running.log()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not answer within {start_timeout} s:\n{running.log()}")
            time.sleep(0.05)
        yield running
    finally:
        stop_process(process, timeout=10)


# ---------------------------------------------------------------- what a page's first view fetches


@dataclass(frozen=True)
class Fetched:
    """One request a browser made and what came back, as Chromium counted it on the wire."""

    url: str
    status: int | None  # None: the request failed
    content_type: str
    content_encoding: str | None
    body_bytes: int  # as sent, so compressed when it was
    header_bytes: int

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc

    @property
    def wire_bytes(self) -> int:
        return self.body_bytes + self.header_bytes


def framed_requests(page: Page, go: Callable[[], object], *, idle_timeout: float = 10_000) -> list[Fetched]:
    """Every request the frames inside ``page`` make while ``go()`` loads it and until
    the network is idle (Playwright's "networkidle": nothing for 500 ms, in
    milliseconds ``idle_timeout`` at most); the top page's own requests are left out."""
    finished: list[Request] = []
    failed: list[Request] = []

    def framed(request: Request) -> bool:
        return request.frame != page.main_frame

    page.on("requestfinished", lambda request: finished.append(request) if framed(request) else None)
    page.on("requestfailed", lambda request: failed.append(request) if framed(request) else None)
    go()
    page.wait_for_load_state("networkidle", timeout=idle_timeout)
    fetched = []
    for request in finished:
        response = request.response()
        sizes = request.sizes()
        headers = response.headers if response is not None else {}
        fetched.append(
            Fetched(
                url=request.url,
                status=response.status if response is not None else None,
                content_type=headers.get("content-type", ""),
                content_encoding=headers.get("content-encoding"),
                body_bytes=int(sizes["responseBodySize"]),
                header_bytes=int(sizes["responseHeadersSize"]),
            )
        )
    for request in failed:
        fetched.append(Fetched(request.url, None, "", None, 0, 0))
    return fetched
