"""The production setup as shipped: real gunicorn behind a real nginx running
docs/production/nginx.conf (changed only where a test machine must differ; see
``pollapp.testing.nginx_site``), the app in production mode with the README's
settings and its rate limits in Redis.

Clients speak HTTPS to nginx on loopback with ``Host: localhost``, the one
name the app is told it serves. Each test gets its own database and its own
secret key, and so its own rate-limit counters in the shared Redis.
"""

from __future__ import annotations

import gzip
import http.client
import os
import random
import re
import secrets
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from urllib.parse import urlencode

import pytest
from pollapp.config import READER_COOKIE
from pollapp.testing import (
    Nginx,
    Upstream,
    app_environment,
    children,
    free_port,
    gunicorn_command,
    gunicorn_socket_command,
    nginx_binary,
    run_flask,
    running_nginx,
    stop_process,
)
from sqlalchemy.engine import make_url

from helpers import POLL, Reply, exchange
from oracle import read_ballots, recount

pytestmark = [pytest.mark.server, pytest.mark.slow]

REDIS_URL = os.environ.get("POLLAPP_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
REQUEST_TIMEOUT = 30.0
# What "a reader is not stopped" means here: answered within this long.
PROMPT = 5.0
START_TIMEOUT = 60.0
BALLOTS_PATH = f"/api/polls/{POLL}/ballots"


def _redis_answers() -> bool:
    import redis

    try:
        with redis.Redis.from_url(REDIS_URL, socket_timeout=2, socket_connect_timeout=2) as client:
            return bool(client.ping())
    except redis.RedisError:
        return False


@pytest.fixture(autouse=True)
def _tools() -> None:
    if nginx_binary() is None:
        pytest.skip("nginx is not installed (Debian: apt-get install nginx-light)")
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed, so there is no certificate for nginx")
    if not _redis_answers():
        pytest.skip(f"Redis does not answer at {REDIS_URL}, and the shipped setup keeps its limits there")


# ---------------------------------------------------------------- the app servers


def production_environment(uri: str, folder: Path, **settings: str) -> dict[str, str]:
    """A pollapp process as the README runs it in public, with ``settings`` over it
    (setting names without the POLLAPP_ prefix)."""
    env = app_environment(uri, secrets.token_hex(32))
    env["POLLAPP_DOWNLOADS_FRESH_FOR"] = "0"  # downloads compared with the live results
    env.update(
        POLLAPP_PRODUCTION="true",
        POLLAPP_TRUSTED_HOSTS='["localhost"]',
        POLLAPP_PROXY_FIX_X_FOR="1",
        POLLAPP_RATELIMIT_ENABLED="true",
        POLLAPP_RATELIMIT_STORAGE_URI=REDIS_URL,
        # Each host keeps its downloads in its own instance folder, not the checkout's.
        POLLAPP_DOWNLOADS_FOLDER=str(folder / "downloads"),
    )
    env.update({f"POLLAPP_{name}": value for name, value in settings.items()})
    return env


def flask(env: dict[str, str], folder: Path, *args: str) -> str:
    done = run_flask(env, folder, *args)
    assert done.returncode == 0, f"flask {' '.join(args)}:\n{done.stdout}{done.stderr}"
    return done.stdout


def ask(bind: Upstream, request: bytes, timeout: float = 5) -> bytes:
    """Send raw bytes straight to an app server (bypassing nginx); what it answered."""
    family = socket.AF_UNIX if isinstance(bind, Path) else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as raw:
        raw.settimeout(timeout)
        raw.connect(str(bind) if isinstance(bind, Path) else bind)
        raw.sendall(request)
        answer = b""
        while chunk := raw.recv(65536):
            answer += chunk
        return answer


class AppServer:
    """gunicorn serving pollapp on ``bind``: a Unix socket (production) or a loopback (host, port)."""

    def __init__(
        self,
        env: dict[str, str],
        folder: Path,
        bind: Upstream,
        workers: int,
        threads: int = 2,
        *options: str,
    ) -> None:
        self.env, self.folder, self.bind, self.workers = env, folder, bind, workers
        self.log = folder / f"gunicorn-{secrets.token_hex(3)}.log"
        if isinstance(bind, Path):
            command = gunicorn_socket_command("pollapp:create_app()", bind, workers, threads, *options)
        else:
            assert bind[0] == "127.0.0.1"
            command = gunicorn_command("pollapp:create_app()", bind[1], workers, threads, *options)
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [*command, "--timeout", "60", "--graceful-timeout", "5"],
                cwd=folder,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait_until_ready(self) -> None:
        """Until every worker is up and the server answers the poll."""
        deadline = time.monotonic() + START_TIMEOUT
        request = f"GET /api/polls/{POLL} HTTP/1.0\r\nHost: localhost\r\n\r\n".encode()
        while True:
            assert self.process.poll() is None, f"gunicorn exited early:\n{self.log.read_text()}"
            try:
                if (
                    ask(self.bind, request).split(b" ", 2)[1:2] == [b"200"]
                    and len(self.pids()) > self.workers
                ):
                    return
            except OSError:
                pass
            assert time.monotonic() < deadline, f"gunicorn did not start in time:\n{self.log.read_text()}"
            time.sleep(0.1)

    def pids(self) -> set[int]:
        """The master and its workers."""
        return {self.process.pid, *children(self.process.pid)}

    def stop(self) -> None:
        stop_process(self.process, timeout=20)

    def assert_clean_log(self) -> None:
        log = self.log.read_text(errors="replace")
        assert "Traceback" not in log, log


@contextmanager
def serving(
    env: dict[str, str], folder: Path, bind: Upstream, workers: int, *options: str
) -> Iterator[AppServer]:
    server = AppServer(env, folder, bind, workers, 2, *options)
    try:
        server.wait_until_ready()
        yield server
    finally:
        server.stop()
    server.assert_clean_log()


def listening_tcp_ports(pids: set[int]) -> set[int]:
    """The TCP ports any of ``pids`` listens on (IPv4 or IPv6), read from /proc."""
    inodes = set()
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[len("socket:[") : -1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            listening = fields[3] == "0A"
            if listening and fields[9] in inodes:
                ports.add(int(fields[1].rpartition(":")[2], 16))
    return ports


# ---------------------------------------------------------------- clients


class Front:
    """The way in for clients: HTTPS to nginx on 127.0.0.1, a new connection per request."""

    def __init__(self, nginx: Nginx) -> None:
        self.nginx = nginx
        self.context = nginx.client_context()

    def connect(
        self, timeout: float = REQUEST_TIMEOUT, source: str | None = None
    ) -> http.client.HTTPSConnection:
        return http.client.HTTPSConnection(
            "127.0.0.1",
            self.nginx.port,
            context=self.context,
            timeout=timeout,
            source_address=None if source is None else (source, 0),
        )

    def request(
        self,
        method: str,
        path: str,
        body: object = None,
        cookie: str | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = REQUEST_TIMEOUT,
        source: str | None = None,
    ) -> Reply:
        """One request; ``source`` is the loopback address to send it from (default 127.0.0.1)."""
        return exchange(
            self.connect(timeout, source),
            method,
            path,
            body,
            cookie,
            {"Host": "localhost", **(headers or {})},
        )

    def vote(
        self,
        ranking: Sequence[str],
        cookie: str | None = None,
        source: str | None = None,
        timeout: float = REQUEST_TIMEOUT,
        **headers: str,
    ) -> Reply:
        body = {"ranking": list(ranking)}
        return self.request("POST", BALLOTS_PATH, body, cookie, headers, timeout, source)

    def results(self) -> dict[str, object]:
        reply = self.request("GET", f"/api/polls/{POLL}/results")
        assert reply.status == 200, reply
        return reply.json()

    def entry_keys(self) -> list[str]:
        reply = self.request("GET", f"/api/polls/{POLL}")
        assert reply.status == 200, reply
        entries = reply.json()["entries"]
        assert isinstance(entries, list)
        return [entry["key"] for entry in entries]


@contextmanager
def in_front(folder: Path, *upstreams: Upstream, shipped: str | None = None) -> Iterator[Front]:
    with running_nginx(list(upstreams), folder, shipped=shipped) as nginx:
        yield Front(nginx)


def assert_results_match_a_recount(front: Front, env: dict[str, str], folder: Path) -> list[tuple[str, ...]]:
    """The results equal a recount of ballots.csv (the counted ballots), and ``tally verify`` agrees."""
    keys = front.entry_keys()
    download = front.request("GET", f"/polls/{POLL}/ballots.csv")
    assert download.status == 200, download
    stored = [tuple(ranking) for ranking in read_ballots(download.body.decode("utf-8"), keys)]
    shown = front.results()
    expected = recount(stored, keys, str(shown["borda_rule"]))
    assert shown["ballots"] == expected.ballots == len(stored)
    entries = shown["entries"]
    assert isinstance(entries, list)
    assert [
        (e["key"], e["editor_rank"], e["community_rank"], Fraction(e["points"]), e["first_place_votes"])
        for e in entries
    ] == [(r.key, r.editor_rank, r.community_rank, r.points, r.first_place_votes) for r in expected.rows]
    flask(env, folder, "tally", "verify", "--poll", POLL)
    return stored


def distinct_rankings(keys: list[str], count: int, seed: int) -> list[tuple[str, ...]]:
    """``count`` different ballots, so a stored ballot names its sender."""
    rng = random.Random(seed)
    seen: set[tuple[str, ...]] = set()
    while len(seen) < count:
        seen.add(tuple(rng.sample(keys, rng.randint(1, len(keys)))))
    ordered = sorted(seen)
    rng.shuffle(ordered)
    return ordered


# ---------------------------------------------------------------- one client, one address


def test_a_client_sending_a_fresh_x_forwarded_for_each_time_is_one_address(database_uri, tmp_path):
    budget = 5
    env = production_environment(database_uri, tmp_path, RATELIMIT_FIRST_BALLOTS=f"{budget} per minute")
    flask(env, tmp_path, "init-db")
    socket_path = tmp_path / "gunicorn.sock"
    with serving(env, tmp_path, socket_path, 2) as server, in_front(tmp_path, socket_path) as front:
        # Nobody reaches gunicorn but nginx: it listens on a Unix socket and on no TCP port.
        assert socket_path.is_socket()
        assert listening_tcp_ports(server.pids()) == set()

        keys = front.entry_keys()
        chance = random.Random(1)
        replies = [
            front.vote(
                chance.sample(keys, 3), **{"X-Forwarded-For": f"198.51.100.{n}", "X-Real-IP": f"10.0.0.{n}"}
            )
            for n in range(budget + 7)
        ]

        assert [reply.status for reply in replies] == [201] * budget + [202] * 7
        assert [reply.json()["held"] for reply in replies] == [False] * budget + [True] * 7
        shown = front.results()
        assert (shown["ballots"], shown["held_ballots"]) == (budget, 7)
        assert len(assert_results_match_a_recount(front, env, tmp_path)) == budget


def test_junk_from_an_address_never_spends_the_budget_of_its_readers(database_uri, tmp_path):
    budget = 4
    env = production_environment(
        database_uri,
        tmp_path,
        RATELIMIT_FIRST_BALLOTS=f"{budget} per minute",
        RATELIMIT_BALLOTS="8 per minute",
    )
    flask(env, tmp_path, "init-db")
    socket_path = tmp_path / "gunicorn.sock"
    with serving(env, tmp_path, socket_path, 2) as server, in_front(tmp_path, socket_path) as front:
        keys = front.entry_keys()
        junk = [
            front.request("POST", BALLOTS_PATH, body)
            for body in [{"ranking": ["no-such-scene"]}, {"ranking": []}, {"ranking": [keys[0], keys[0]]}]
            * 10
        ]
        assert {reply.status for reply in junk} == {400}
        # Thirty refusals later, the address's readers still have all of their budget.
        replies = [front.vote(keys[: 1 + n]) for n in range(budget)]
        assert [(reply.status, reply.json()["held"]) for reply in replies] == [(201, False)] * budget
        assert front.vote(keys[:1]).json()["held"] is True  # and it is a budget: the next is held
        assert front.results()["ballots"] == budget
    server.assert_clean_log()


# ---------------------------------------------------------------- limits shared by the workers


def test_limits_hold_across_four_workers(database_uri, tmp_path):
    env = production_environment(
        database_uri, tmp_path, RATELIMIT_BALLOTS="10 per minute", RATELIMIT_FIRST_BALLOTS="100 per minute"
    )
    flask(env, tmp_path, "init-db")
    socket_path = tmp_path / "gunicorn.sock"
    with serving(env, tmp_path, socket_path, 4), in_front(tmp_path, socket_path) as front:
        keys = front.entry_keys()
        # nginx keeps its connections to gunicorn alive and reuses the latest, so
        # one client's requests in a row would all reach one worker. Other readers
        # loading the poll meanwhile keep several of those connections busy, and
        # the ballots land on different workers, as they do in public.
        stop = threading.Event()

        def read_the_poll() -> None:
            while not stop.is_set():
                assert front.request("GET", f"/api/polls/{POLL}").status == 200

        with ThreadPoolExecutor(max_workers=4) as pool:
            readers = [pool.submit(read_the_poll) for _ in range(4)]
            try:
                replies = [front.vote(keys[: 1 + n % len(keys)]) for n in range(25)]
            finally:
                stop.set()
            for reader in readers:
                reader.result(timeout=REQUEST_TIMEOUT)

        statuses = [reply.status for reply in replies]
        assert statuses == [201] * 10 + [429] * 15, Counter(statuses)
        # Through nginx, a refusal says when to come back; a ballot taken says nothing of trying again.
        for reply in replies:
            assert reply.headers is not None
            retry_after = reply.headers.get("Retry-After")
            if reply.status == 429:
                assert retry_after is not None and 1 <= int(retry_after) <= 60, reply
            else:
                assert retry_after is None, reply
        assert front.results()["ballots"] == 10


# ---------------------------------------------------------------- only the app's own name


@pytest.mark.parametrize(
    "host, target",
    [
        ("evil.example", BALLOTS_PATH),
        ("poll.example.org", BALLOTS_PATH),  # the shipped name, which this setup does not serve
        ("127.0.0.1", BALLOTS_PATH),
        ("localhost.evil.example", BALLOTS_PATH),
        ("localhost", f"https://evil.example{BALLOTS_PATH}"),  # the request line's host wins
    ],
)
def test_a_host_name_the_app_does_not_serve_casts_nothing(database_uri, tmp_path, host, target):
    env = production_environment(database_uri, tmp_path)
    flask(env, tmp_path, "init-db")
    socket_path = tmp_path / "gunicorn.sock"
    with serving(env, tmp_path, socket_path, 1), in_front(tmp_path, socket_path) as front:
        keys = front.entry_keys()
        answers = []
        for method, path, body in (
            ("POST", target, {"ranking": keys[:3]}),
            ("GET", target.replace(BALLOTS_PATH, f"/polls/{POLL}"), None),
        ):
            try:
                reply = front.request(method, path, body, headers={"Host": host})
            except (http.client.RemoteDisconnected, ConnectionResetError):
                answers.append((None, None))  # nginx closed it: as good as a 400
            else:
                answers.append((reply.status, reply.cookie))

        assert all(status in (400, None) and cookie is None for status, cookie in answers), answers
        shown = front.results()
        assert (shown["ballots"], shown["held_ballots"]) == (0, 0)
        # The same ballot for the right name is taken.
        assert front.vote(keys[:3]).status == 201


# ---------------------------------------------------------------- bodies at the cap

BODY_CAP = 64 * 1024  # the app's MAX_CONTENT_LENGTH and the shipped client_max_body_size


def raw_post(path: str, body: bytes, chunked: bool) -> bytes:
    """A POST of a JSON ``body`` as bytes on the wire: with a Content-Length, or
    chunked (pieces of 4,000 bytes, so the cap falls inside a chunk)."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nConnection: close\r\n"
    )
    if not chunked:
        return f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body
    pieces = [body[at : at + 4000] for at in range(0, len(body), 4000)]
    return (
        f"{head}Transfer-Encoding: chunked\r\n\r\n".encode()
        + b"".join(f"{len(piece):x}\r\n".encode() + piece + b"\r\n" for piece in pieces)
        + b"0\r\n\r\n"
    )


def ask_front(front: Front, request: bytes, timeout: float = 10) -> bytes:
    """Send raw bytes to nginx over TLS; what it answered."""
    with socket.create_connection(("127.0.0.1", front.nginx.port), timeout=timeout) as raw:
        with front.context.wrap_socket(raw) as connection:
            connection.sendall(request)
            answer = b""
            while chunk := connection.recv(65536):
                answer += chunk
            return answer


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def padded_ballot(ranking: Sequence[str], size: int) -> bytes:
    """A JSON ballot of exactly ``size`` bytes (spaces after it)."""
    body = f'{{"ranking": {list(ranking)!r}}}'.replace("'", '"').encode()
    return body + b" " * (size - len(body))


@pytest.mark.parametrize("database_uri", ["sqlite"], indirect=True)
def test_a_body_of_exactly_the_cap_is_taken_chunked_or_not_and_one_byte_more_is_413(database_uri, tmp_path):
    env = production_environment(database_uri, tmp_path, RATELIMIT_FIRST_BALLOTS="100 per minute")
    flask(env, tmp_path, "init-db")
    socket_path = tmp_path / "gunicorn.sock"
    with serving(env, tmp_path, socket_path, 1), in_front(tmp_path, socket_path) as front:
        keys = front.entry_keys()
        answers = {}
        for way, send in (
            ("gunicorn", lambda request: ask(socket_path, request, 10)),
            ("nginx", lambda request: ask_front(front, request)),
        ):
            for chunked in (False, True):
                for size in (BODY_CAP, BODY_CAP + 1):
                    answer = send(raw_post(BALLOTS_PATH, padded_ballot(keys[:2], size), chunked))
                    answers[way, chunked, size] = status_of(answer)
                    assert b"Traceback" not in answer

        assert answers == {
            (way, chunked, size): 201 if size == BODY_CAP else 413
            for way in ("gunicorn", "nginx")
            for chunked in (False, True)
            for size in (BODY_CAP, BODY_CAP + 1)
        }
        assert front.results()["ballots"] == 4


# ---------------------------------------------------------------- headers on every answer

SECURITY_HEADERS = ("content-security-policy", "x-content-type-options", "referrer-policy")


def answer_headers(answer: bytes) -> list[tuple[str, str]]:
    """The header lines of a raw answer, names lowercased, in order."""
    head = answer.partition(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")[1:]
    return [
        (name.strip().lower(), value.strip()) for name, _, value in (line.partition(":") for line in head)
    ]


def assert_guarded(answer: bytes, framed: bool = False) -> dict[str, str]:
    """Each security header is on the answer exactly once; they, by name."""
    headers = answer_headers(answer)
    names = Counter(name for name, _ in headers)
    for name in (*SECURITY_HEADERS, *(() if framed else ("x-frame-options",))):
        assert names[name] == 1, (name, headers)
    found = dict(headers)
    assert found["x-content-type-options"] == "nosniff"
    assert "frame-ancestors" in found["content-security-policy"]
    return found


@pytest.mark.parametrize("database_uri", ["sqlite"], indirect=True)
def test_readers_pages_come_compressed_and_the_desks_never(database_uri, tmp_path):
    env = production_environment(database_uri, tmp_path)
    flask(env, tmp_path, "init-db")
    socket_path = tmp_path / "gunicorn.sock"
    with serving(env, tmp_path, socket_path, 1), in_front(tmp_path, socket_path) as front:
        gzipped = {"Accept-Encoding": "gzip"}
        page = front.request("GET", f"/polls/{POLL}", headers=gzipped)
        assert page.status == 200 and page.headers is not None
        assert page.headers.get("Content-Encoding") == "gzip"
        assert b"<form" in gzip.decompress(page.body)
        # The desk's login page carries a CSRF token: never compressed (BREACH).
        login = front.request("GET", "/editors/login", headers=gzipped)
        assert login.status == 200 and login.headers is not None
        assert login.headers.get("Content-Encoding") is None
        assert b'name="csrf_token"' in login.body
        assert login.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("database_uri", ["sqlite"], indirect=True)
def test_error_pages_of_gunicorn_and_of_nginx_carry_the_security_headers(database_uri, tmp_path):
    env = production_environment(database_uri, tmp_path, DOWNLOADS_FRESH_FOR="60")
    flask(env, tmp_path, "init-db")
    socket_path = tmp_path / "gunicorn.sock"
    with (
        serving(env, tmp_path, socket_path, 1, "--access-logfile", "-") as server,
        in_front(tmp_path, socket_path) as front,
    ):

        def get(target: str) -> bytes:
            return ask_front(
                front, f"GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode()
            )

        # The app's own pages keep the headers it chose: the embed may be framed.
        page = assert_guarded(get(f"/polls/{POLL}"))
        assert (
            page["x-frame-options"] == "DENY" and "frame-ancestors 'none'" in page["content-security-policy"]
        )
        embed = get(f"/polls/{POLL}/embed")
        assert status_of(embed) == 200
        assert "x-frame-options" not in dict(answer_headers(embed))
        assert "frame-ancestors *" in assert_guarded(embed, framed=True)["content-security-policy"]

        # A download nginx keeps: its copy carries the app's headers, not a second set.
        for _ in range(2):
            download = get(DOWNLOAD_PATH)
            assert status_of(download) == 200
            assert_guarded(download)
        assert app_requests(server, DOWNLOAD_PATH, 1) == 1

        # A request line longer than gunicorn reads (4,094 bytes) but within
        # nginx's buffers: gunicorn's own 414 page, relayed by nginx.
        too_long = get(f"/polls/{POLL}?" + "a" * 6000)
        assert status_of(too_long) == 414 and b"Request Line is too large" in too_long
        assert_guarded(too_long)
        # A body over client_max_body_size: nginx's own 413, the app never asked.
        too_large = ask_front(
            front, raw_post(BALLOTS_PATH, padded_ballot(front.entry_keys()[:2], BODY_CAP + 1), False)
        )
        assert status_of(too_large) == 413 and b"<hr><center>nginx" in too_large
        assert_guarded(too_large)
        # The app server gone: nginx's own 502.
        server.stop()
        gone = get(f"/polls/{POLL}")
        assert status_of(gone) == 502
        assert_guarded(gone)


# ---------------------------------------------------------------- forms over TLS


def form_exchange(
    front: Front, method: str, path: str, jar: dict[str, str], body: str | None = None, **headers: str
) -> tuple[int, str]:
    """A browser's request to nginx, keeping its cookies in ``jar``; the status and the body."""
    connection = front.connect()
    sent = {"Host": "localhost", **headers}
    if jar:
        sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in jar.items())
    if body is not None:
        sent["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        connection.request(method, path, body=body, headers=sent)
        with connection.getresponse() as response:
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                jar[name] = rest.partition(";")[0]
            return response.status, response.read().decode("utf-8")
    finally:
        connection.close()


@pytest.mark.parametrize("database_uri", ["sqlite"], indirect=True)
def test_an_https_form_without_a_referer_is_taken_and_one_from_another_site_is_not(database_uri, tmp_path):
    env = production_environment(database_uri, tmp_path)
    flask(env, tmp_path, "init-db")
    socket_path = tmp_path / "gunicorn.sock"
    with serving(env, tmp_path, socket_path, 1), in_front(tmp_path, socket_path) as front:
        keys = front.entry_keys()
        page = f"/polls/{POLL}"

        def ballot(jar: dict[str, str], ranking: Sequence[str]) -> str:
            status, html = form_exchange(front, "GET", page, jar)
            assert status == 200
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
            assert token, "the page has no CSRF token"
            fields = {"csrf_token": token[1], **{f"rank_{n}": key for n, key in enumerate(ranking, 1)}}
            return urlencode(fields)

        # The reader's privacy settings strip Referer (and Origin): the token decides.
        reader: dict[str, str] = {}
        assert form_exchange(front, "POST", page, reader, ballot(reader, keys[:3]))[0] == 302
        # The same form with its good token, sent from another site's page, is refused.
        other: dict[str, str] = {}
        status, html = form_exchange(
            front, "POST", page, other, ballot(other, keys[:2]), Origin="https://evil.example"
        )
        assert status == 400 and "did not come from this site" in html
        assert front.results()["ballots"] == 1


# ---------------------------------------------------------------- lost answers


def send_and_go(front: Front, request: bytes) -> None:
    """Send a request to nginx and hang up without reading the answer: the answer is lost."""
    with socket.create_connection(("127.0.0.1", front.nginx.port), timeout=10) as raw:
        with front.context.wrap_socket(raw) as connection:
            connection.sendall(request)


def wait_for_ballots(front: Front, count: int) -> None:
    deadline = time.monotonic() + PROMPT
    while front.results()["ballots"] != count:
        assert time.monotonic() < deadline, f"the ballot sent never arrived ({count} expected)"
        time.sleep(0.1)


@pytest.mark.parametrize("database_uri", ["sqlite"], indirect=True)
def test_a_ballot_whose_answer_was_lost_and_is_sent_again_counts_once(database_uri, tmp_path):
    env = production_environment(database_uri, tmp_path)
    flask(env, tmp_path, "init-db")
    socket_path = tmp_path / "gunicorn.sock"
    with serving(env, tmp_path, socket_path, 2), in_front(tmp_path, socket_path) as front:
        keys = front.entry_keys()
        page = f"/polls/{POLL}"

        # A reader of the page: its cookie comes with the page, before any ballot.
        jar: dict[str, str] = {}
        status, html = form_exchange(front, "GET", page, jar)
        assert status == 200 and READER_COOKIE in jar
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
        assert token
        form = urlencode({"csrf_token": token[1], "rank_1": keys[0], "rank_2": keys[1]})
        cookies = "; ".join(f"{name}={value}" for name, value in jar.items())
        send_and_go(
            front,
            (
                f"POST {page} HTTP/1.1\r\nHost: localhost\r\nCookie: {cookies}\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(form)}\r\nConnection: close\r\n\r\n{form}"
            ).encode(),
        )
        wait_for_ballots(front, 1)
        # The answer, and anything it set, never came: the reader sends the form again.
        assert form_exchange(front, "POST", page, jar, form)[0] == 302
        assert front.results()["ballots"] == 1

        # A script that keeps no cookie names its ballot with an Idempotency-Key.
        key = secrets.token_hex(16)
        body = f'{{"ranking": ["{keys[2]}"]}}'
        send_and_go(
            front,
            (
                f"POST {BALLOTS_PATH} HTTP/1.1\r\nHost: localhost\r\nIdempotency-Key: {key}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                f"Connection: close\r\n\r\n{body}"
            ).encode(),
        )
        wait_for_ballots(front, 2)
        retry = front.vote([keys[2]], **{"Idempotency-Key": key})
        assert retry.status == 200 and retry.json()["replaced"], retry
        stored = assert_results_match_a_recount(front, env, tmp_path)
        assert Counter(stored) == Counter([tuple(keys[:2]), (keys[2],)])


# ---------------------------------------------------------------- broken bodies

BROKEN_CHUNKS = {
    "a chunk size that is no number": b"zz\r\n{}\r\n0\r\n\r\n",
    "a chunk longer than its size": b'2\r\n{"ranking": []}\r\n0\r\n\r\n',
    "a chunk without its line end": b"5\r\n{}   X0\r\n\r\n",
}


def broken_request(method: str, path: str, body: bytes) -> bytes:
    return (
        f"{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    ).encode() + body


@pytest.mark.parametrize("database_uri", ["sqlite"], indirect=True)
def test_a_malformed_chunked_body_is_400_on_any_path_with_no_traceback(database_uri, tmp_path):
    env = production_environment(database_uri, tmp_path)
    flask(env, tmp_path, "init-db")
    socket_path = tmp_path / "gunicorn.sock"
    targets = [("POST", BALLOTS_PATH), ("POST", f"/polls/{POLL}"), ("POST", "/no/such/page"), ("PUT", "/")]
    with serving(env, tmp_path, socket_path, 1) as server, in_front(tmp_path, socket_path) as front:
        logged = len(server.log.read_bytes())
        answers = {}
        for _ in range(5):
            for broken, body in BROKEN_CHUNKS.items():
                for method, path in targets:
                    request = broken_request(method, path, body)
                    answers["gunicorn", broken, method, path] = status_of(ask(socket_path, request, 10))
                    answers["nginx", broken, method, path] = status_of(ask_front(front, request))
        assert set(answers.values()) == {400}, {where: got for where, got in answers.items() if got != 400}
        # 60 broken requests to gunicorn leave at most a line each in its log.
        written = server.log.read_bytes()[logged:].decode(errors="replace")
        assert "Traceback" not in written
        assert len(written.splitlines()) <= 60, written
        assert front.results()["ballots"] == 0


# ---------------------------------------------------------------- the database gone


class Relay:
    """A TCP relay on loopback to a database server: cut, the database is gone
    for the app (every connection dropped, none taken); joined, it is back."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target, self.port = target, free_port()
        self.lock = threading.Lock()
        self.connections: list[socket.socket] = []
        self.listener: socket.socket | None = None
        self.join()

    def join(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        with self.lock:
            if self.listener is not None:
                # Shut down first: a close alone leaves the thread in accept() accepting.
                self.listener.shutdown(socket.SHUT_RDWR)
                self.listener.close()
                self.listener = None
            for connection in self.connections:
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                connection.close()
            self.connections.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self.lock:
                self.connections += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for each in (source, sink):
                try:
                    each.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


@pytest.mark.parametrize("database_uri", ["postgresql"], indirect=True)
def test_the_database_gone_is_a_503_with_retry_after_through_nginx_and_a_line_per_failure(
    database_uri, tmp_path
):
    real = make_url(database_uri)
    relay = Relay((real.host or "127.0.0.1", real.port or 5432))
    relayed = real.set(host="127.0.0.1", port=relay.port, query={"connect_timeout": "2"})
    env = production_environment(relayed.render_as_string(hide_password=False), tmp_path)
    flask(env, tmp_path, "init-db")
    socket_path = tmp_path / "gunicorn.sock"
    with (
        ExitStack() as stack,
        serving(env, tmp_path, socket_path, 2) as server,
        in_front(tmp_path, socket_path) as front,
    ):
        stack.callback(relay.cut)
        keys = front.entry_keys()
        page = front.request("GET", f"/polls/{POLL}")
        assert page.status == 200 and page.cookie
        assert front.vote(keys[:3], page.cookie).status == 201
        logged = len(server.log.read_bytes())

        relay.cut()
        # A page the app can make from what it keeps may still be served; a
        # ballot cannot be taken, and is refused with a time to come back.
        answers = [
            front.vote(keys[:2], page.cookie),
            front.vote(keys[:1]),
            front.request("GET", f"/polls/{POLL}"),
            front.request("GET", f"/api/polls/{POLL}/results"),
            front.request("GET", f"/polls/{POLL}/results"),
        ]
        failed = [reply for reply in answers if reply.status != 200]
        assert answers[0] in failed and answers[1] in failed
        for reply in failed:
            assert reply.status == 503, reply
            assert reply.headers is not None and reply.headers["Retry-After"] == "30", reply
            assert b"cannot reach its database" in reply.body, reply
        # One line per failed request, no traceback.
        written = server.log.read_bytes()[logged:].decode(errors="replace")
        assert "Traceback" not in written
        assert written.count("database unavailable") == len(failed), written

        # Back: the reader's change of mind, sent again, replaces their ballot.
        relay.join()
        deadline = time.monotonic() + PROMPT
        while (again := front.vote(keys[:2], page.cookie)).status == 503:
            assert time.monotonic() < deadline, "the app did not find its database again"
            time.sleep(0.2)
        assert again.status == 200 and again.json()["replaced"], again
        assert Counter(assert_results_match_a_recount(front, env, tmp_path)) == Counter([tuple(keys[:2])])


# ---------------------------------------------------------------- slow clients


def trickle(port: int, context: ssl.SSLContext | None, seconds: float, open_now: list[bool], me: int) -> None:
    """A client sending its request header a byte a second; ``open_now[me]`` while the server keeps it."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=REQUEST_TIMEOUT) as raw:
            with context.wrap_socket(raw) if context else raw as connection:
                connection.sendall(f"GET /polls/{POLL} HTTP/1.1\r\nHost: localhost\r\nX-Slow: ".encode())
                open_now[me] = True
                deadline = time.monotonic() + seconds
                while time.monotonic() < deadline:
                    time.sleep(1)
                    connection.sendall(b"x")
    except OSError:
        pass  # cut off by the server, which is what it should do
    finally:
        open_now[me] = False


@pytest.mark.parametrize("database_uri", ["sqlite"], indirect=True)
def test_slow_clients_do_not_stop_a_reader(database_uri, tmp_path):
    env = production_environment(database_uri, tmp_path)
    flask(env, tmp_path, "init-db")
    socket_path = tmp_path / "gunicorn.sock"
    # Two sync workers, one request each at a time: two slow clients would hold them both.
    with (
        serving(env, tmp_path, socket_path, 2, "--worker-class", "sync"),
        in_front(tmp_path, socket_path) as front,
    ):
        keys = front.entry_keys()
        slow = 8
        open_now = [False] * slow
        with ThreadPoolExecutor(max_workers=slow) as pool:
            trickling = [
                pool.submit(trickle, front.nginx.port, front.context, 12, open_now, n) for n in range(slow)
            ]
            deadline = time.monotonic() + PROMPT
            while not all(open_now):
                assert time.monotonic() < deadline, "the slow clients did not all connect"
                time.sleep(0.05)
            time.sleep(2)  # well into their trickle

            page = front.request("GET", f"/polls/{POLL}", timeout=PROMPT)
            ballot = front.vote(keys[:3], page.cookie, timeout=PROMPT)
            still_open = sum(open_now)
            for each in trickling:
                each.result(timeout=REQUEST_TIMEOUT)

        assert page.status == 200 and page.cookie
        assert ballot.status == 201, ballot
        assert still_open == slow, "the slow clients were cut off before the reader was served"
        assert front.results()["ballots"] == 1


# ---------------------------------------------------------------- two app servers


@dataclass(frozen=True)
class Attempt:
    reader: int
    ranking: tuple[str, ...]
    status: int
    held: bool


def interleave(plans: dict[int, list[tuple[str, ...]]], seed: int) -> list[tuple[int, tuple[str, ...]]]:
    """Every reader's ballots in one sequence, each reader's in their order, readers mixed."""
    rng = random.Random(seed)
    left = {reader: list(plan) for reader, plan in plans.items()}
    sequence = []
    while left:
        reader = rng.choice(sorted(left))
        sequence.append((reader, left[reader].pop(0)))
        if not left[reader]:
            del left[reader]
    return sequence


@pytest.mark.parametrize("database_uri", ["postgresql"], indirect=True)
def test_two_app_servers_behind_one_nginx_share_the_count_and_the_limits(database_uri, tmp_path):
    budget, addresses, readers, ballots = 5, 20, 150, 400
    hosts = [tmp_path / "host-a", tmp_path / "host-b"]
    for host in hosts:
        host.mkdir()
    settings = {"RATELIMIT_FIRST_BALLOTS": f"{budget} per minute"}
    envs = [production_environment(database_uri, host, **settings) for host in hosts]
    # One deployment: both hosts have the same secret key, so the same cookies and limit counters.
    envs[1]["POLLAPP_SECRET_KEY"] = envs[0]["POLLAPP_SECRET_KEY"]
    flask(envs[0], hosts[0], "init-db")
    binds: list[Upstream] = [("127.0.0.1", free_port()), ("127.0.0.1", free_port())]
    with ExitStack() as stack:
        servers = [
            stack.enter_context(serving(env, host, bind, 2, "--access-logfile", "-"))
            for env, host, bind in zip(envs, hosts, binds, strict=True)
        ]
        front = stack.enter_context(in_front(tmp_path, *binds))
        keys = front.entry_keys()

        # 150 readers behind 20 addresses, each with its own cookie; 400 ballots,
        # first ones and replacements mixed. An address's readers come one at a
        # time (one client per address), so which of them are counted is exact:
        # the first ``budget`` to vote, wherever their ballots landed.
        rankings = distinct_rankings(keys, ballots, seed=5)
        plans: list[list[tuple[str, ...]]] = [[rankings[r]] for r in range(readers)]
        chance = random.Random(6)
        for ranking in rankings[readers:]:
            plans[chance.randrange(readers)].append(ranking)

        def one_address(address: int) -> list[Attempt]:
            source = f"127.0.1.{address + 1}"
            mine = {reader: plans[reader] for reader in range(address, readers, addresses)}
            cookies: dict[int, str] = {}
            attempts = []
            for reader, ranking in interleave(mine, seed=address):
                reply = front.vote(ranking, cookies.get(reader), source=source)
                assert reply.status in (200, 201, 202), reply
                if reader not in cookies:
                    assert reply.cookie, "a new reader got no cookie"
                    cookies[reader] = reply.cookie
                held = reply.json()["held"]
                assert isinstance(held, bool)
                attempts.append(Attempt(reader, ranking, reply.status, held))
            return attempts

        with ThreadPoolExecutor(max_workers=addresses) as pool:
            done = [
                attempt for got in pool.map(one_address, range(addresses), timeout=300) for attempt in got
            ]

        assert len(done) == ballots
        # Both servers took ballots.
        for server in servers:
            assert f"POST {BALLOTS_PATH}" in server.log.read_text(), "nginx sent no ballot to one server"
        # Each address had its budget counted, across both servers; the rest is held, never lost.
        first_seen: dict[int, Attempt] = {}
        for attempt in done:
            first_seen.setdefault(attempt.reader, attempt)
        counted = {reader for reader, attempt in first_seen.items() if not attempt.held}
        for address in range(addresses):
            theirs = range(address, readers, addresses)
            assert len(counted & set(theirs)) == min(budget, len(theirs)), f"address {address}"
        for attempt in done:
            first = first_seen[attempt.reader] is attempt
            assert attempt.held == (attempt.reader not in counted)
            assert attempt.status == (202 if attempt.held else 201 if first else 200), attempt
        last = {attempt.reader: attempt.ranking for attempt in done}
        shown = front.results()
        assert (shown["ballots"], shown["held_ballots"]) == (len(counted), readers - len(counted))
        stored = assert_results_match_a_recount(front, envs[0], hosts[0])
        assert Counter(stored) == Counter(last[reader] for reader in counted)

        # Released, every reader's last acknowledged ballot is counted, and nothing else.
        flask(envs[1], hosts[1], "ballots", "release", "--poll", POLL)
        stored = assert_results_match_a_recount(front, envs[1], hosts[1])
        assert Counter(stored) == Counter(last.values())


# ---------------------------------------------------------------- downloads held off by nginx

DOWNLOAD_PATH = f"/polls/{POLL}/ballots.csv"
DOWNLOAD_PATHS = [
    f"/polls/{POLL}/{name}" for name in ("ballots.csv", "results.csv", "ballots.soi", "ballots.cef")
]


def app_requests(server: AppServer, path: str, expected: int, status: int | None = None) -> int:
    """How many requests for ``path`` reached the app server (its access log),
    of them those answered ``status`` if given. gunicorn logs a request after
    answering it, so this waits a moment for ``expected`` lines to appear,
    and a moment more for any beyond them."""

    def count() -> int:
        lines = [
            line for line in server.log.read_text(errors="replace").splitlines() if f"GET {path} " in line
        ]
        return len([line for line in lines if status is None or f'" {status} ' in line])

    deadline = time.monotonic() + PROMPT
    while count() < expected and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    return count()


def downloaded_ballots(reply: Reply, keys: list[str]) -> list[list[str]]:
    assert reply.status == 200, reply
    assert reply.headers is not None
    body = reply.body
    if reply.headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    return read_ballots(body.decode("utf-8"), keys)


def test_a_download_flood_is_refused_by_nginx_and_a_reader_still_votes(database_uri, tmp_path):
    # The app would let every one of these through: what refuses them is nginx.
    env = production_environment(
        database_uri, tmp_path, RATELIMIT_DOWNLOADS="1000 per minute", DOWNLOADS_FRESH_FOR="60"
    )
    flask(env, tmp_path, "init-db")
    socket_path = tmp_path / "gunicorn.sock"
    with (
        serving(env, tmp_path, socket_path, 2, "--access-logfile", "-") as server,
        in_front(tmp_path, socket_path) as front,
    ):
        keys = front.entry_keys()

        def one_download(number: int) -> tuple[str, Reply | None]:
            path = DOWNLOAD_PATHS[number % len(DOWNLOAD_PATHS)]
            try:
                reply = front.request(
                    "GET", path, headers={"Accept-Encoding": "gzip"}, source="127.0.3.1", timeout=3
                )
            except TimeoutError:
                return path, None  # held back by nginx until its turn
            return path, reply

        # 30 at once from one address, over every download: one plus 8 pass at
        # once, 4 wait their turn (one every 6 s), the other 17 are refused at once.
        with ThreadPoolExecutor(max_workers=30) as pool:
            flood = list(pool.map(one_download, range(30)))
        ballot = front.vote(keys[:3])

        statuses = Counter(None if reply is None else reply.status for _, reply in flood)
        assert statuses == {200: 9, 429: 17, None: 4}, statuses
        for _, refused in flood:
            if refused is None or refused.status != 429:
                continue
            assert refused.headers is not None
            assert refused.headers["Retry-After"] == "6"
            assert refused.headers["X-Content-Type-Options"] == "nosniff"
            assert refused.headers["Content-Type"] == "text/plain; charset=utf-8"
            assert refused.body == (
                b"Too many downloads from your connection. Please try again in 6 seconds.\n"
            )
        # The nine downloads let through cost the app one of each: nginx kept the first.
        taken = [(path, reply) for path, reply in flood if reply is not None and reply.status == 200]
        for path in {path for path, _ in taken}:
            assert app_requests(server, path, 1) == 1, path
        for path, reply in taken:
            assert reply.headers is not None
            assert "X-RateLimit-Remaining" not in reply.headers and "Retry-After" not in reply.headers
            if path == DOWNLOAD_PATH:
                assert downloaded_ballots(reply, keys) == []

        # The reader voting meanwhile was not held up, and another address downloads.
        assert ballot.status == 201, ballot
        other = front.request("GET", DOWNLOAD_PATH, source="127.0.3.2")
        assert other.status == 200 and other.body.startswith("\ufeffballot,rank_1,".encode()), other


@pytest.mark.parametrize("database_uri", ["sqlite"], indirect=True)
def test_a_large_download_is_sent_at_the_shipped_rate_and_arrives_whole(database_uri, tmp_path):
    env = production_environment(database_uri, tmp_path, RATELIMIT_DOWNLOADS="1000 per minute")
    flask(env, tmp_path, "init-db")
    socket_path = tmp_path / "gunicorn.sock"
    with (
        serving(env, tmp_path, socket_path, 2, "--access-logfile", "-") as server,
        in_front(tmp_path, socket_path) as front,
    ):
        keys = front.entry_keys()
        rng = random.Random(12)
        rankings = [rng.sample(keys, len(keys)) for _ in range(12_000)]
        imported = tmp_path / "many.csv"
        with imported.open("w", encoding="utf-8-sig", newline="") as handle:
            handle.write(",".join(["ballot"] + [f"rank_{p}" for p in range(1, len(keys) + 1)]) + "\r\n")
            for number, ranking in enumerate(rankings, start=1):
                handle.write(f"{number},{','.join(ranking)}\r\n")
        flask(env, tmp_path, "ballots", "import", "--poll", POLL, str(imported))
        # The app makes the file once; what is measured below is nginx sending it.
        assert front.request("GET", DOWNLOAD_PATH, source="127.0.4.1").status == 200
        assert app_requests(server, DOWNLOAD_PATH, 1) == 1

        started = time.monotonic()
        reply = front.request("GET", DOWNLOAD_PATH, source="127.0.4.2", timeout=60)
        took = time.monotonic() - started
        assert downloaded_ballots(reply, keys) == rankings
        # 512 KB at once, then 1 MB/s: nginx's pace is a floor (a busy machine only adds to it).
        size = len(reply.body)
        assert size > 2 << 20, size
        assert took >= 0.9 * (size - (512 << 10)) / (1 << 20), (size, took)


@pytest.mark.parametrize("database_uri", ["sqlite"], indirect=True)
def test_kept_downloads_never_lag_a_ballot_by_more_than_the_freshness(database_uri, tmp_path):
    fresh_for = 6.0
    env = production_environment(
        database_uri, tmp_path, RATELIMIT_DOWNLOADS="1000 per minute", DOWNLOADS_FRESH_FOR=str(int(fresh_for))
    )
    flask(env, tmp_path, "init-db")
    socket_path = tmp_path / "gunicorn.sock"
    with (
        serving(env, tmp_path, socket_path, 2, "--access-logfile", "-") as server,
        in_front(tmp_path, socket_path) as front,
    ):
        keys = front.entry_keys()
        gzipped = {"Accept-Encoding": "gzip"}

        def download(headers: dict[str, str] | None = None) -> list[list[str]]:
            return downloaded_ballots(front.request("GET", DOWNLOAD_PATH, headers=headers), keys)

        # The app makes the file and nginx keeps this copy, both at some moment
        # between these two: on a busy machine the first download may take a
        # while, and what the file may lag is counted from when it was made.
        asked = time.monotonic()
        assert download(gzipped) == []
        answered = time.monotonic()
        assert download(gzipped) == []
        assert app_requests(server, DOWNLOAD_PATH, 1) == 1
        assert front.vote(keys[:3]).status == 201

        # The plain form is another copy for nginx, but the app still serves the
        # file it made before the ballot: it may lag that long.
        time.sleep(max(0.0, asked + fresh_for / 2 - time.monotonic()))
        assert time.monotonic() < asked + fresh_for - 1, "too late to ask while the file is fresh"
        assert download() == []
        assert app_requests(server, DOWNLOAD_PATH, 2) == 2
        # ... but not longer: nginx may keep that copy only for what is left of
        # the file's freshness, not for a freshness of its own on top (give or
        # take its clock, which counts whole seconds).
        time.sleep(max(0.0, answered + fresh_for + 1.5 - time.monotonic()))
        assert download() == [keys[:3]]
        assert download(gzipped) == [keys[:3]]

        # Without a ballot, nginx asks the app again when its copy expires, and
        # the app answers 304: the same file, made once.
        answered_304 = app_requests(server, DOWNLOAD_PATH, 0, 304)
        time.sleep(fresh_for + 1.5)
        assert download(gzipped) == [keys[:3]]
        assert app_requests(server, DOWNLOAD_PATH, answered_304 + 1, 304) == answered_304 + 1


# ---------------------------------------------------------------- Redis gone mid-load


@contextmanager
def own_redis(folder: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """A Redis server of this test's own (never the machine's shared one), and its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server)")
    port = free_port()
    log = folder / "redis.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=folder,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 1).close()
                break
            except OSError:
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        yield process, f"redis://127.0.0.1:{port}/0"
    finally:
        stop_process(process, timeout=10)


def test_ballots_go_on_when_redis_dies_under_load_and_each_counts_once(database_uri, tmp_path):
    workers = 4
    with own_redis(tmp_path) as (redis_server, redis_url):
        env = production_environment(
            database_uri,
            tmp_path,
            RATELIMIT_STORAGE_URI=redis_url,
            RATELIMIT_BALLOTS="100000 per minute",
            RATELIMIT_FIRST_BALLOTS="100000 per minute",
        )
        flask(env, tmp_path, "init-db")
        socket_path = tmp_path / "gunicorn.sock"
        with serving(env, tmp_path, socket_path, workers) as server, in_front(tmp_path, socket_path) as front:
            keys = front.entry_keys()
            rankings = iter(distinct_rankings(keys, 20_000, seed=14))
            lock = threading.Lock()
            stop = threading.Event()
            acknowledged: dict[tuple[int, int], tuple[str, ...]] = {}
            answers: Counter[int] = Counter()

            def reader_after_reader(client: int) -> None:
                number = 0
                while not stop.is_set():
                    number += 1
                    cookie = None
                    for _ in range(3):  # a first ballot, then two changes of mind
                        with lock:
                            ranking = next(rankings)
                        reply = front.vote(ranking, cookie)
                        with lock:
                            answers[reply.status] += 1
                        assert reply.status in (200, 201), reply
                        assert not reply.json()["held"]
                        cookie = cookie or reply.cookie
                        assert cookie, "a first ballot came back without a cookie"
                        with lock:
                            acknowledged[client, number] = ranking

            with ThreadPoolExecutor(max_workers=6) as pool:
                running = [pool.submit(reader_after_reader, client) for client in range(6)]
                time.sleep(2)
                before = sum(answers.values())
                stop_process(redis_server, timeout=10)  # Redis goes, mid-load
                time.sleep(4)
                stop.set()
                for each in running:
                    each.result(timeout=REQUEST_TIMEOUT)

            assert before > 0 and sum(answers.values()) > before + 20, answers
            assert set(answers) <= {200, 201}, answers
            # Every reader's last acknowledged ballot is stored, once, and nothing else.
            stored = assert_results_match_a_recount(front, env, tmp_path)
            assert Counter(stored) == Counter(acknowledged.values())
        log = server.log.read_text(errors="replace")
        # Said once per worker that met the outage, not once per ballot.
        for line in ("Rate limit storage unreachable", "first-ballot budget unavailable"):
            assert log.count(line) <= workers, log
        assert "Nothing was saved" not in log
