#!/usr/bin/env python3
"""Benchmark pollapp under gunicorn on loopback and print one table of ratios.

    python bench/run.py              # the full run: 1,000,000 ballots
    python bench/run.py --quick      # a smoke check: 20,000 ballots, short loads

Every figure is measured side by side in the same run (alternating rounds, the
median of each side), so a noisy machine moves both sides alike. The figures
"through nginx" run the shipped docs/production/nginx.conf in front of
gunicorn (as the tests do). See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import csv
import html
import http.client
import json
import os
import random
import resource
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlsplit

from pollapp.catalogue.files import shipped_polls
from pollapp.config import READER_COOKIE

# The process and database helpers the server tests use too.
from pollapp.testing import (
    Fetched,
    Nginx,
    app_environment,
    children,
    framed_requests,
    free_port,
    gunicorn_command,
    nginx_binary,
    read_soi,
    run_flask,
    running_nginx,
    scratch_postgres,
    stop_process,
)

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
SLUG = "kdrama-kisses-2014"
DEBIAN = ROOT / "tests" / "data" / "debian-2007-leader.soi"
START_TIMEOUT = 60.0
POSTGRES_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REDIS_DEFAULT = "redis://127.0.0.1:6379/0"


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- processes


SECRET_KEY = "benchmark secret key"


def flask(uri: str, *args: str, timeout: float = 3600) -> subprocess.CompletedProcess[str]:
    done = run_flask(app_environment(uri, SECRET_KEY), BENCH, *args, timeout=timeout)
    if done.returncode != 0:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done


def peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmHWM for process {pid}")


@dataclass
class Options:
    workers: int
    threads: int


class Server:
    """gunicorn on a loopback port; ``app`` is pollapp or the minimal baseline.
    ``settings`` (POLLAPP_ names without the prefix) go over the benchmark's environment."""

    def __init__(
        self,
        name: str,
        app: str,
        uri: str,
        options: Options,
        folder: Path,
        settings: dict[str, str] | None = None,
    ) -> None:
        self.name = name
        self.port = free_port()
        self.log = folder / f"gunicorn-{name}-{self.port}.log"
        self.options = options
        env = app_environment(uri, SECRET_KEY)
        # Kept downloads and figures of this run's own, never an earlier run's.
        env["POLLAPP_DOWNLOADS_FOLDER"] = str(folder / f"downloads-{name}")
        env["POLLAPP_FIGURES_FOLDER"] = str(folder / f"figures-{name}")
        env.update({f"POLLAPP_{setting}": value for setting, value in (settings or {}).items()})
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                gunicorn_command(app, self.port, options.workers, options.threads, "--timeout", "300"),
                cwd=BENCH,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.wait_until_ready()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def workers(self) -> set[int]:
        return children(self.process.pid)

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn ({self.name}) exited:\n{self.log.read_text()}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                try:
                    connection.request("GET", "/", headers={"Host": "localhost"})
                    connection.getresponse().read()
                finally:
                    connection.close()
                if len(self.workers()) == self.options.workers:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"gunicorn ({self.name}) did not start:\n{self.log.read_text()}")
            time.sleep(0.1)

    def stop(self) -> None:
        stop_process(self.process, timeout=30)

    def check_log(self) -> None:
        log = self.log.read_text(errors="replace")
        if "Traceback" in log or "database is locked" in log:
            raise SystemExit(f"gunicorn ({self.name}) logged an error:\n{log[-4000:]}")


@contextmanager
def serving(
    name: str, app: str, uri: str, options: Options, folder: Path, settings: dict[str, str] | None = None
) -> Iterator[Server]:
    server = Server(name, app, uri, options, folder, settings)
    try:
        yield server
    finally:
        server.stop()
    server.check_log()


@dataclass
class Front:
    """A URL for wrk (and the headers it needs) in front of one server: the
    server itself, or the shipped nginx config in front of it."""

    url: str
    headers: tuple[str, ...]
    nginx: Nginx | None


@contextmanager
def in_front(server: Server, folder: Path, through_nginx: bool) -> Iterator[Front]:
    if not through_nginx:
        yield Front(server.url, (), None)
        return
    with running_nginx([("127.0.0.1", server.port)], folder) as nginx:
        # The app is asked for by its name (TRUSTED_HOSTS), not by 127.0.0.1.
        yield Front(f"https://127.0.0.1:{nginx.port}", ("Host: localhost",), nginx)


def proxy_settings(secret_key: str | None = None, **settings: str) -> dict[str, str]:
    """The app as it runs behind nginx in public: one trusted X-Forwarded-For hop,
    only its own name; ``secret_key`` (a fresh one per run gives fresh limit counters)."""
    base = {"PROXY_FIX_X_FOR": "1", "TRUSTED_HOSTS": '["localhost"]'}
    if secret_key is not None:
        base["SECRET_KEY"] = secret_key
    return {**base, **settings}


def https(nginx: Nginx, source: str | None = None, timeout: float = 60) -> http.client.HTTPSConnection:
    """A connection to nginx from the loopback address ``source`` (default 127.0.0.1)."""
    return http.client.HTTPSConnection(
        "127.0.0.1",
        nginx.port,
        context=nginx.client_context(),
        timeout=timeout,
        source_address=None if source is None else (source, 0),
    )


def redis_answers(url: str) -> bool:
    import redis

    try:
        with redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2) as client:
            return bool(client.ping())
    except redis.RedisError:
        return False


def nginx_missing() -> str | None:
    """Why the figures through nginx cannot run here, or None."""
    if nginx_binary() is None:
        return "nginx is not installed"
    if shutil.which("openssl") is None:
        return "openssl is not installed"
    return None


@contextmanager
def postgres_database(url: str) -> Iterator[str | None]:
    """A database of our own on the PostgreSQL server at ``url``; None if it does not answer."""
    with scratch_postgres(url, "bench") as uri:
        if uri is None:
            say(f"PostgreSQL does not answer at {url}: skipped")
        yield uri


# ---------------------------------------------------------------- load


def wrk(
    url: str,
    seconds: float,
    connections: int,
    threads: int,
    script: str,
    *args: str,
    headers: tuple[str, ...] = (),
) -> dict[str, int]:
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",  # wrk takes whole seconds only
        "--timeout",
        "30s",
        "-s",
        str(BENCH / script),
        *[option for header in headers for option in ("-H", header)],
        url,
    ]
    if args:
        command += ["--", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120)
    for line in done.stdout.splitlines():
        if line.startswith("WRK "):
            return json.loads(line[4:])
    raise SystemExit(f"wrk printed no summary:\n{done.stdout}{done.stderr}")


def alternate(rounds: int, sides: dict[str, Callable[[], float]]) -> dict[str, float]:
    """Run each side once per round, swapping the order every round; the median of each side."""
    values: dict[str, list[float]] = {name: [] for name in sides}
    names = list(sides)
    for number in range(rounds):
        for name in names if number % 2 == 0 else reversed(names):
            values[name].append(sides[name]())
    return {name: statistics.median(got) for name, got in values.items()}


# ---------------------------------------------------------------- data


def entry_keys() -> list[str]:
    return [entry.key for entry in next(s for s in shipped_polls() if s.slug == SLUG).entries]


def debian_rankings(keys: list[str]) -> list[list[str]]:
    """The Debian 2007 ballots, alternative i as the entry of editor rank i; random if absent."""
    if not DEBIAN.exists():
        say(f"{DEBIAN} is absent: using random ballots")
        rng = random.Random(7)
        return [rng.sample(keys, rng.randint(1, len(keys))) for _ in range(500)]
    return [[keys[alternative - 1] for alternative in ballot] for ballot in read_soi(DEBIAN)]


def write_ballots_csv(path: Path, count: int, keys: list[str]) -> None:
    pool = debian_rankings(keys)
    rng = random.Random(2014)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(["ballot"] + [f"rank_{p}" for p in range(1, len(keys) + 1)])
        padding = [[""] * (len(keys) - k) for k in range(len(keys) + 1)]
        for number in range(1, count + 1):
            ranked = rng.choice(pool)
            writer.writerow([number, *ranked, *padding[len(ranked)]])


# ---------------------------------------------------------------- figures


@dataclass
class Row:
    figure: str
    detail: str
    value: float | None
    unit: str
    target: str
    met: bool | None


def fmt(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def intake_load(
    front: Front,
    label: str,
    script: tuple[str, ...],
    args: argparse.Namespace,
    failures: list[str],
    before: Callable[[], None] = lambda: None,
) -> Callable[[], float]:
    """One intake run: a second to warm up, then ``args.duration`` seconds of wrk running
    ``script`` (a wrk script and its arguments); accepted ballots per second. A request that
    failed is added to ``failures``. ``before`` runs before each wrk (not timed)."""

    def run() -> float:
        before()
        wrk(front.url, 1, args.connections, 2, *script, headers=front.headers)
        before()
        got = wrk(front.url, args.duration, args.connections, 2, *script, headers=front.headers)
        if got["failed"] or got["socket_errors"]:
            failures.append(f"{label}: {got}")
        rate = (got["created"] + got["replaced"]) / (got["duration_us"] / 1e6)
        say(f"intake {label}: {fmt(rate)} accepted/s {got}")
        return rate

    return run


def measure_intake(
    label: str,
    uri: str,
    keys: list[str],
    args: argparse.Namespace,
    options: Options,
    folder: Path,
    through_nginx: bool = False,
) -> list[Row]:
    """Figure 1: the vote path's intake ÷ the minimal insert's, straight or each through its own nginx."""
    flask(uri, "init-db")
    import minimal_app  # beside this script, so on sys.path already

    minimal_app.prepare(uri)
    name = f"{label}{'-nginx' if through_nginx else ''}"
    with ExitStack() as stack:
        real = stack.enter_context(serving(f"vote-{name}", "pollapp:create_app()", uri, options, folder))
        minimal = stack.enter_context(
            serving(f"minimal-{name}", "minimal_app:create_app()", uri, options, folder)
        )
        fronts = {
            "vote": stack.enter_context(in_front(real, folder, through_nginx)),
            "minimal": stack.enter_context(in_front(minimal, folder, through_nginx)),
        }
        failures: list[str] = []

        def load(side: str, path: str) -> Callable[[], float]:
            script = ("vote.lua", path, str(args.revote), *keys)
            return intake_load(fronts[side], f"{side} ({name})", script, args, failures)

        rates = alternate(
            args.rounds,
            {"vote": load("vote", f"/api/polls/{SLUG}/ballots"), "minimal": load("minimal", "/ballots")},
        )
    if failures:
        raise SystemExit("intake requests failed:\n" + "\n".join(failures))
    verify = flask(uri, "tally", "verify", "--poll", SLUG)
    say(f"after the {name} intake load: {verify.stdout.strip()}")
    ratio = rates["vote"] / rates["minimal"]
    return [
        Row(
            f"1. intake{' through nginx' if through_nginx else ''}, {label}",
            f"vote path {fmt(rates['vote'])}/s ÷ minimal insert {fmt(rates['minimal'])}/s",
            ratio,
            "",
            "≥ 1.0",
            ratio >= 1.0,
        )
    ]


def embed_readers(prefix: str, seconds: float, threads: int = 2) -> None:
    """Readers who have loaded the embed in a frame that keeps its cookie, for embed.lua:
    ``<prefix>-<thread>.txt`` for each wrk thread, a line per reader with the cookie's
    value and the reader key the page made from it. New ones before every wrk run, so
    that each run's first ballots are new readers'; enough for 3,000 a second."""
    from flask import Flask
    from pollapp.web import readers

    app = Flask("bench-readers")
    app.config["SECRET_KEY"] = SECRET_KEY  # the servers' own, so they take these cookies as theirs
    with app.app_context():
        for thread in range(1, threads + 1):
            lines = []
            for _ in range(int(3000 * max(seconds, 1) / threads)):
                token = readers.new_embed_token()
                lines.append(f"{readers.embed_cookie_value(token)} {readers.embed_key(token)}\n")
            Path(f"{prefix}-{thread}.txt").write_text("".join(lines))


def measure_embed_intake(
    label: str, uri: str, keys: list[str], args: argparse.Namespace, options: Options, folder: Path
) -> list[Row]:
    """Figure 11: ballots through the embed's two paths (its script's, as from WordPress's sandbox,
    and its form's, JavaScript off) ÷ the minimal insert's, the three in alternating rounds."""
    flask(uri, "init-db")
    import minimal_app  # beside this script, so on sys.path already

    minimal_app.prepare(uri)
    with ExitStack() as stack:
        real = stack.enter_context(serving(f"embed-{label}", "pollapp:create_app()", uri, options, folder))
        minimal = stack.enter_context(
            serving(f"minimal-embed-{label}", "minimal_app:create_app()", uri, options, folder)
        )
        embed, baseline = (stack.enter_context(in_front(server, folder, False)) for server in (real, minimal))
        failures: list[str] = []
        revote = str(args.revote)
        readers = str(folder / "embed-readers")
        script = ("embed.lua", f"/polls/{SLUG}/embed/ballots", "script", "null", revote, "-", *keys)
        # The form is sent from the embed's own page, so from the app's own origin: by a frame
        # that kept the embed's cookie (the page's key made from it), and by one that kept none.
        form = ("embed.lua", f"/polls/{SLUG}/embed", "form", real.url, revote, readers, *keys)
        bare = ("embed.lua", f"/polls/{SLUG}/embed", "form-no-cookie", real.url, revote, "-", *keys)
        rates = alternate(
            args.rounds,
            {
                "script": intake_load(embed, f"embed script ({label})", script, args, failures),
                "form": intake_load(
                    embed,
                    f"embed form ({label})",
                    form,
                    args,
                    failures,
                    lambda: embed_readers(readers, args.duration),
                ),
                "form-no-cookie": intake_load(
                    embed, f"embed form, no cookie ({label})", bare, args, failures
                ),
                "minimal": intake_load(
                    baseline, f"minimal ({label})", ("vote.lua", "/ballots", revote, *keys), args, failures
                ),
            },
        )
    if failures:
        raise SystemExit("embed intake requests failed:\n" + "\n".join(failures))
    verify = flask(uri, "tally", "verify", "--poll", SLUG)
    say(f"after the embed intake load ({label}): {verify.stdout.strip()}")
    rows = []
    for way, words in (
        ("script", "the script's path (WordPress's sandbox)"),
        ("form", "the form's path, the frame's cookie kept"),
        ("form-no-cookie", "the form's path, no cookie kept"),
    ):
        ratio = rates[way] / rates["minimal"]
        rows.append(
            Row(
                f"11. embed intake, {way}, {label}",
                f"{words} {fmt(rates[way])}/s ÷ minimal insert {fmt(rates['minimal'])}/s",
                ratio,
                "",
                "≥ 1.0",
                ratio >= 1.0,
            )
        )
    return rows


def measure_intake_alone(
    keys: list[str], args: argparse.Namespace, options: Options, folder: Path
) -> list[Row]:
    """Figure 1 on SQLite, on PostgreSQL and through nginx on PostgreSQL (unless --no-postgres)."""
    intake = measure_intake("SQLite", f"sqlite:///{folder / 'intake.sqlite3'}", keys, args, options, folder)
    if not args.no_postgres:
        with postgres_database(args.postgres) as uri:
            if uri is not None:
                intake += measure_intake("PostgreSQL", uri, keys, args, options, folder)
            else:
                intake.append(skipped("1. intake, PostgreSQL", "≥ 1.0", "no server answered"))
        no_nginx = "--no-nginx" if args.no_nginx else nginx_missing()
        if no_nginx:
            intake.append(skipped("1. intake through nginx, PostgreSQL", "≥ 1.0", no_nginx))
        else:
            with postgres_database(args.postgres) as uri:
                if uri is not None:
                    intake += measure_intake(
                        "PostgreSQL", uri, keys, args, options, folder, through_nginx=True
                    )
                else:
                    intake.append(
                        skipped("1. intake through nginx, PostgreSQL", "≥ 1.0", "no server answered")
                    )
    return intake


def measure_embed_intake_alone(
    keys: list[str], args: argparse.Namespace, options: Options, folder: Path
) -> list[Row]:
    """Figure 11 on SQLite and, unless --no-postgres, on PostgreSQL."""
    rows = measure_embed_intake(
        "SQLite", f"sqlite:///{folder / 'embed-intake.sqlite3'}", keys, args, options, folder
    )
    if args.no_postgres:
        return rows
    with postgres_database(args.postgres) as uri:
        if uri is None:
            for way in ("script", "form", "form-no-cookie"):
                rows.append(skipped(f"11. embed intake, {way}, PostgreSQL", "≥ 1.0", "no server answered"))
        else:
            rows += measure_embed_intake("PostgreSQL", uri, keys, args, options, folder)
    return rows


def timed_get(server: Server, path: str, take: Callable[[bytes], None]) -> float:
    """Seconds to read ``path`` to the end, each chunk of the body handed to ``take``."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=300)
    try:
        started = time.perf_counter()
        connection.request("GET", path)
        response = connection.getresponse()
        if response.status != 200:
            raise SystemExit(f"GET {path}: {response.status}")
        while chunk := response.read(1 << 20):
            take(chunk)
        elapsed = time.perf_counter() - started
        response.close()
    finally:
        connection.close()
    return elapsed


def download(server: Server, path: str) -> tuple[int, float]:
    """Rows (lines less the header) and seconds to read ``path`` to the end."""
    lines = [0]

    def count(chunk: bytes) -> None:
        lines[0] += chunk.count(b"\n")

    elapsed = timed_get(server, path, count)
    return lines[0] - 1, elapsed


def download_soi(server: Server, path: str) -> tuple[int, float]:
    """Ballots (the sum of the lines' counts) and seconds to read a ``.soi`` download to the end."""
    chunks: list[bytes] = []
    elapsed = timed_get(server, path, chunks.append)
    lines = b"".join(chunks).decode("utf-8").splitlines()
    return sum(int(line.partition(":")[0]) for line in lines if line and not line.startswith("#")), elapsed


# ---------------------------------------------------------------- the public setup


@contextmanager
def clients_running(count: int, client: Callable[[int, threading.Event], None]) -> Iterator[None]:
    """``count`` clients in threads, each ``client(number, stop)``, until the block ends."""
    stop = threading.Event()
    with ThreadPoolExecutor(max_workers=count) as pool:
        running = [pool.submit(client, number, stop) for number in range(count)]
        try:
            yield
        finally:
            stop.set()
            for each in running:
                each.result(timeout=300)


def voters_median(front: Front, keys: list[str], args: argparse.Namespace, label: str) -> float:
    """A voter's median latency in ms: one wrk connection casting ballots back to back."""
    vote = ("vote.lua", f"/api/polls/{SLUG}/ballots", str(args.revote), *keys)
    wrk(front.url, 1, 1, 1, *vote, headers=front.headers)
    got = wrk(front.url, args.latency_duration, 1, 1, *vote, headers=front.headers)
    if got["failed"] or got["socket_errors"]:
        raise SystemExit(f"voting failed ({label}): {got}")
    say(f"voters ({label}): median {got['p50_us'] / 1000:.2f} ms {got}")
    return got["p50_us"] / 1000


def measure_download_flood(
    keys: list[str], args: argparse.Namespace, options: Options, folder: Path, redis_url: str
) -> list[Row]:
    """Figure 5: voters' median latency while 8 clients download ballots.csv ÷ idle, through nginx."""
    uri = f"sqlite:///{folder / 'flood.sqlite3'}"
    ballots_file = folder / "flood.csv"
    write_ballots_csv(ballots_file, args.flood_ballots, keys)
    flask(uri, "init-db")
    flask(uri, "ballots", "import", "--poll", SLUG, str(ballots_file))
    # Limits as in public for downloads (in Redis); the voters' budgets are raised
    # because they are one load generator on one address.
    settings = proxy_settings(
        secrets.token_hex(32),
        RATELIMIT_ENABLED="true",
        RATELIMIT_STORAGE_URI=redis_url,
        RATELIMIT_BALLOTS="1000000 per minute",
        RATELIMIT_FIRST_BALLOTS="1000000 per minute",
    )
    seen: Counter[str] = Counter()
    lock = threading.Lock()
    rounds = iter(range(1000))
    with (
        serving("flood", "pollapp:create_app()", uri, options, folder, settings) as server,
        in_front(server, folder, through_nginx=True) as front,
    ):
        assert front.nginx is not None
        nginx = front.nginx

        def flooded() -> float:
            number = next(rounds)

            def downloader(client: int, stop: threading.Event) -> None:
                # Each client its own address, new each round: a full download budget every round.
                source = f"127.5.{number}.{client + 1}"
                while not stop.is_set():
                    connection = https(nginx, source)
                    try:
                        while not stop.is_set():
                            connection.request(
                                "GET",
                                f"/polls/{SLUG}/ballots.csv",
                                headers={"Host": "localhost", "Accept-Encoding": "gzip"},
                            )
                            with connection.getresponse() as response:
                                size = 0
                                while chunk := response.read(1 << 20):
                                    size += len(chunk)
                            with lock:
                                seen[str(response.status)] += 1
                                seen["bytes"] += size
                    except (OSError, http.client.HTTPException):
                        with lock:
                            seen["errors"] += 1
                    finally:
                        connection.close()

            with clients_running(8, downloader):
                return voters_median(front, keys, args, "during the download flood")

        medians = alternate(
            args.rounds, {"idle": lambda: voters_median(front, keys, args, "idle"), "flood": flooded}
        )
    say(f"the download flood: {dict(seen)}")
    ratio = medians["flood"] / medians["idle"]
    return [
        Row(
            "5. voting during a download flood",
            f"voters' median {medians['flood']:.2f} ms with 8 clients downloading ballots.csv at "
            f"{fmt(args.flood_ballots)} ballots ÷ {medians['idle']:.2f} ms idle, through nginx "
            f"(the flood: {fmt(seen['200'])} files, {seen['bytes'] / 1e9:.2f} GB, {fmt(seen['429'])} × 429)",
            ratio,
            "",
            "≤ 1.5",
            ratio <= 1.5,
        )
    ]


def measure_slow_clients(
    keys: list[str], args: argparse.Namespace, options: Options, folder: Path
) -> list[Row]:
    """Figure 6: voters' median latency with 8 slow-header clients open ÷ idle, both through nginx."""
    uri = f"sqlite:///{folder / 'slow.sqlite3'}"
    flask(uri, "init-db")
    slow = 8
    opened: Counter[str] = Counter()
    with (
        serving("slow", "pollapp:create_app()", uri, options, folder, proxy_settings()) as server,
        in_front(server, folder, through_nginx=True) as front,
    ):
        assert front.nginx is not None
        nginx = front.nginx
        context = nginx.client_context()
        open_now = [False] * slow
        lock = threading.Lock()

        def trickler(client: int, stop: threading.Event) -> None:
            """A request header a byte a second; when nginx cuts it off, another."""
            while not stop.is_set():
                try:
                    with (
                        socket.create_connection(("127.0.0.1", nginx.port), timeout=30) as raw,
                        context.wrap_socket(raw) as connection,
                    ):
                        connection.sendall(
                            f"GET /polls/{SLUG} HTTP/1.1\r\nHost: localhost\r\nX-Slow: ".encode()
                        )
                        open_now[client] = True
                        with lock:
                            opened["opened"] += 1
                        while not stop.wait(1):
                            connection.sendall(b"x")
                except OSError:
                    with lock:
                        opened["cut off"] += 1
                finally:
                    open_now[client] = False

        def with_slow_clients() -> float:
            with clients_running(slow, trickler):
                deadline = time.monotonic() + 30
                while not all(open_now):
                    if time.monotonic() > deadline:
                        raise SystemExit("the slow clients could not connect")
                    time.sleep(0.05)
                return voters_median(front, keys, args, "with slow clients")

        medians = alternate(
            args.rounds, {"idle": lambda: voters_median(front, keys, args, "idle"), "slow": with_slow_clients}
        )
    say(f"slow clients: {dict(opened)}")
    ratio = medians["slow"] / medians["idle"]
    return [
        Row(
            "6. voting with slow clients",
            f"voters' median {medians['slow']:.2f} ms with {slow} slow-header clients open ÷ "
            f"{medians['idle']:.2f} ms idle, both through nginx ({opened['opened']} slow connections, "
            f"{opened['cut off']} cut off by nginx)",
            ratio,
            "",
            "≤ 1.5",
            ratio <= 1.5,
        )
    ]


def reader_cookie(response: http.client.HTTPResponse) -> str | None:
    jar: SimpleCookie = SimpleCookie()
    for header in response.headers.get_all("Set-Cookie") or []:
        jar.load(header)
    return jar[READER_COOKIE].value if READER_COOKIE in jar else None


def measure_burst(
    keys: list[str], args: argparse.Namespace, options: Options, folder: Path, redis_url: str
) -> list[Row]:
    """Figure 7: a burst of readers, a tenth behind one address, and a stuffer, through nginx."""
    uri = f"sqlite:///{folder / 'burst.sqlite3'}"
    flask(uri, "init-db")
    # The limits as shipped (defaults, in Redis), counted afresh for this run.
    settings = proxy_settings(
        secrets.token_hex(32), RATELIMIT_ENABLED="true", RATELIMIT_STORAGE_URI=redis_url
    )
    readers, seconds = args.burst_readers, args.burst_seconds
    rng = random.Random(2026)
    shared = set(rng.sample(range(readers), readers // 10))
    rankings = [rng.sample(keys, rng.randint(1, len(keys))) for _ in range(readers)]
    outcome: dict[int, int | None] = {}
    stuffer: Counter[int] = Counter()
    with (
        serving("burst", "pollapp:create_app()", uri, options, folder, settings) as server,
        in_front(server, folder, through_nginx=True) as front,
    ):
        assert front.nginx is not None
        nginx = front.nginx
        started = time.monotonic() + 1

        def reader(number: int) -> None:
            """Load the poll page (which gives the cookie), then cast a ballot with it."""
            source = "127.7.0.1" if number in shared else f"127.6.{number // 250}.{number % 250 + 1}"
            time.sleep(max(0.0, started + number * seconds / readers - time.monotonic()))
            connection = https(nginx, source)
            try:
                connection.request("GET", f"/polls/{SLUG}", headers={"Host": "localhost"})
                with connection.getresponse() as page:
                    page.read()
                    cookie = reader_cookie(page)
                headers = {"Host": "localhost", "Content-Type": "application/json"}
                if cookie:
                    headers["Cookie"] = f"{READER_COOKIE}={cookie}"
                body = json.dumps({"ranking": rankings[number]})
                connection.request("POST", f"/api/polls/{SLUG}/ballots", body=body, headers=headers)
                with connection.getresponse() as ballot:
                    ballot.read()
                    outcome[number] = ballot.status
            except (OSError, http.client.HTTPException):
                outcome[number] = None
            finally:
                connection.close()

        def stuff(client: int, stop: threading.Event) -> None:
            """One client dropping its cookie: ballot after ballot, each a new reader."""
            connection = https(nginx, "127.8.0.1")
            try:
                while not stop.is_set() and time.monotonic() < started + seconds:
                    body = json.dumps({"ranking": rng.sample(keys, 3)})
                    headers = {"Host": "localhost", "Content-Type": "application/json"}
                    connection.request("POST", f"/api/polls/{SLUG}/ballots", body=body, headers=headers)
                    with connection.getresponse() as response:
                        response.read()
                        stuffer[response.status] += 1
            finally:
                connection.close()

        say(f"burst: {fmt(readers)} readers in {seconds:.0f} s, {fmt(len(shared))} behind one address")
        with clients_running(1, stuff), ThreadPoolExecutor(max_workers=64) as pool:
            list(pool.map(reader, range(readers)))
        took = time.monotonic() - started
    verify = flask(uri, "tally", "verify", "--poll", SLUG)
    honest = Counter(outcome.values())
    behind = Counter(outcome[number] for number in shared)
    got_in = honest[201] + honest[202]
    share = 100 * got_in / readers
    say(f"burst in {took:.1f} s: readers {dict(honest)}, behind one address {dict(behind)}")
    say(f"the cookie-dropping client: {dict(stuffer)}")
    say(f"after the burst: {verify.stdout.strip()}")
    return [
        Row(
            "7. burst, readers' ballots in",
            f"{fmt(got_in)} of {fmt(readers)} readers in {took:.0f} s got 201 or 202 through nginx "
            f"({fmt(len(shared))} behind one address: {fmt(behind[202])} of them held, "
            f"{fmt(len(shared) - behind[201] - behind[202])} refused or failed)",
            share,
            "%",
            "≥ 99 %",
            share >= 99,
        ),
        Row(
            "7. burst, a cookie-dropping client",
            f"{fmt(sum(stuffer.values()))} ballots without a cookie from one address in the same "
            f"{seconds:.0f} s: {stuffer[201]} counted, {fmt(stuffer[202])} held, {fmt(stuffer[429])} × 429",
            stuffer[201],
            "counted",
            "≤ 30",
            stuffer[201] <= 30,
        ),
    ]


def skipped(figure: str, target: str, why: str) -> Row:
    say(f"{figure}: skipped ({why})")
    return Row(figure, f"skipped: {why}", None, "", target, None)


def measure_public(keys: list[str], args: argparse.Namespace, options: Options, folder: Path) -> list[Row]:
    """Figures 5, 6 and 7, through nginx (5 and 7 with the limits in Redis), or rows saying why not."""
    no_nginx = "--no-nginx" if args.no_nginx else nginx_missing()
    no_redis = no_nginx or (None if redis_answers(args.redis) else f"Redis does not answer at {args.redis}")
    rows: list[Row] = []
    if no_redis:
        rows.append(skipped("5. voting during a download flood", "≤ 1.5", no_redis))
    else:
        rows += measure_download_flood(keys, args, options, folder, args.redis)
    if no_nginx:
        rows.append(skipped("6. voting with slow clients", "≤ 1.5", no_nginx))
    else:
        rows += measure_slow_clients(keys, args, options, folder)
    if no_redis:
        rows.append(skipped("7. burst, readers' ballots in", "≥ 99 %", no_redis))
        rows.append(skipped("7. burst, a cookie-dropping client", "≤ 30", no_redis))
    else:
        rows += measure_burst(keys, args, options, folder, args.redis)
    return rows


def measure_results_latency(small: Server, large: Server, args: argparse.Namespace) -> list[Row]:
    """Figure 2: the results JSON and page (head to head and the resampling
    included) at ``--ballots`` ÷ at ``--small`` ballots, served side by side."""
    rows: list[Row] = []
    # The figures are worked out once for a poll's ballots and kept; the first
    # request of all waits for them, every later one (in any worker) does not.
    for server in (small, large):
        with urllib.request.urlopen(f"{server.url}/api/polls/{SLUG}/results", timeout=300) as answer:
            answer.read()
    for name, path in (
        ("results JSON", f"/api/polls/{SLUG}/results"),
        ("results page", f"/polls/{SLUG}/results"),
    ):

        def median_latency(server: Server, name: str = name, path: str = path) -> Callable[[], float]:
            def run() -> float:
                wrk(server.url + path, 1, 1, 1, "get.lua")
                got = wrk(server.url + path, args.latency_duration, 1, 1, "get.lua")
                if got["failed"] or got["socket_errors"] or not got["requests"]:
                    raise SystemExit(f"GET {path} failed on {server.name}: {got}")
                say(f"{name} on {server.name}: median {got['p50_us'] / 1000:.2f} ms {got}")
                return got["p50_us"] / 1000

            return run

        medians = alternate(args.rounds, {"small": median_latency(small), "large": median_latency(large)})
        ratio = medians["large"] / medians["small"]
        rows.append(
            Row(
                f"2. {name} latency",
                f"median {medians['large']:.2f} ms at {fmt(args.ballots)} ÷ "
                f"{medians['small']:.2f} ms at {fmt(args.small)} ballots",
                ratio,
                "",
                "≤ 1.2",
                ratio <= 1.2,
            )
        )
    return rows


def measure_exports(large: Server, args: argparse.Namespace) -> list[Row]:
    """Figure 3: ballots.csv and ballots.soi of ``--ballots`` ballots, and the workers' peak memory."""
    rows: list[Row] = []
    for name, read in (("ballots.csv", download), ("ballots.soi", download_soi)):
        exports = []
        for _ in range(args.rounds):
            count, seconds = read(large, f"/polls/{SLUG}/{name}")
            if count != args.ballots:
                raise SystemExit(f"{name} held {count} ballots, expected {args.ballots}")
            say(f"export {name}: {fmt(count)} ballots in {seconds:.2f} s")
            exports.append(seconds)
        # The first download makes the file (the export itself); later ones
        # are the copy kept for the tally tag, served as it is.
        seconds = exports[0]
        kept = f"; the kept copy in {statistics.median(exports[1:]):.2f} s" if len(exports) > 1 else ""
        rows.append(
            Row(
                f"3. export {name}",
                f"{fmt(args.ballots)} ballots in {seconds:.2f} s (the first download, which makes it{kept})",
                args.ballots / seconds,
                "ballots/s",
                "≥ 200,000",
                args.ballots / seconds >= 200_000,
            )
        )
    peak = max(peak_rss_kib(pid) for pid in large.workers()) / 1024
    rows.append(
        Row(
            "3. export peak memory",
            "largest VmHWM of the serving gunicorn workers (after the CSV and .soi exports)",
            peak,
            "MB",
            "< 150",
            peak < 150,
        )
    )
    return rows


def filled_databases(keys: list[str], folder: Path, **counts: int) -> dict[str, str]:
    """A SQLite database per name, filled by importing that many ballots; name -> URI."""
    uris = {}
    for name, count in counts.items():
        uri, ballots = f"sqlite:///{folder / f'{name}.sqlite3'}", folder / f"{name}.csv"
        say(f"writing and importing {fmt(count)} ballots ({name})")
        write_ballots_csv(ballots, count, keys)
        flask(uri, "init-db")
        flask(uri, "ballots", "import", "--poll", SLUG, str(ballots))
        uris[name] = uri
    return uris


def measure_exports_alone(
    keys: list[str], args: argparse.Namespace, options: Options, folder: Path
) -> list[Row]:
    """Figure 3 alone: a large database filled by import, served, downloaded."""
    uris = filled_databases(keys, folder, large=args.ballots)
    with serving("large", "pollapp:create_app()", uris["large"], options, folder) as large:
        return measure_exports(large, args)


def measure_results_alone(
    keys: list[str], args: argparse.Namespace, options: Options, folder: Path
) -> list[Row]:
    """Figure 2 alone: a small and a large database filled by import, then served side by side."""
    uris = filled_databases(keys, folder, small=args.small, large=args.ballots)
    with ExitStack() as stack:
        small, large = (
            stack.enter_context(serving(name, "pollapp:create_app()", uri, options, folder))
            for name, uri in uris.items()
        )
        return measure_results_latency(small, large, args)


def measure_flood_alone(
    keys: list[str], args: argparse.Namespace, options: Options, folder: Path
) -> list[Row]:
    no_redis = nginx_missing()
    if not no_redis and not redis_answers(args.redis):
        no_redis = f"Redis does not answer at {args.redis}"
    if no_redis:
        return [skipped("5. voting during a download flood", "≤ 1.5", no_redis)]
    return measure_download_flood(keys, args, options, folder, args.redis)


def measure_slow_alone(
    keys: list[str], args: argparse.Namespace, options: Options, folder: Path
) -> list[Row]:
    no_nginx = nginx_missing()
    if no_nginx:
        return [skipped("6. voting with slow clients", "≤ 1.5", no_nginx)]
    return measure_slow_clients(keys, args, options, folder)


def measure_live(keys: list[str], args: argparse.Namespace, options: Options, folder: Path) -> list[Row]:
    """Figure 8: a live watcher's unchanged refresh (the results API answering 304 to its ETag) ÷ a bare
    Flask "hello" on the same kind of server."""
    uri = f"sqlite:///{folder / 'live.sqlite3'}"
    ballots = folder / "live.csv"
    write_ballots_csv(ballots, args.small, keys)
    flask(uri, "init-db")
    flask(uri, "ballots", "import", "--poll", SLUG, str(ballots))
    import minimal_app  # beside this script, so on sys.path already

    minimal_app.prepare(uri)
    path = f"/api/polls/{SLUG}/results"
    with ExitStack() as stack:
        real = stack.enter_context(serving("live", "pollapp:create_app()", uri, options, folder))
        minimal = stack.enter_context(serving("hello", "minimal_app:create_app()", uri, options, folder))
        with urllib.request.urlopen(real.url + path, timeout=30) as answer:
            etag = answer.headers["ETag"]

        def load(server: Server, route: str, headers: tuple[str, ...]) -> Callable[[], float]:
            def run() -> float:
                wrk(server.url + route, 1, args.connections, 2, "get.lua", headers=headers)
                got = wrk(server.url + route, args.duration, args.connections, 2, "get.lua", headers=headers)
                if got["failed"] or got["socket_errors"]:
                    raise SystemExit(f"GET {route} failed on {server.name}: {got}")
                rate = got["requests"] / (got["duration_us"] / 1e6)
                say(f"{server.name} {route}: {fmt(rate)}/s {got}")
                return rate

            return run

        rates = alternate(
            args.rounds,
            {
                "live": load(real, path, (f"If-None-Match: {etag}",)),
                "hello": load(minimal, "/hello", ()),
            },
        )
        try:
            urllib.request.urlopen(
                urllib.request.Request(real.url + path, headers={"If-None-Match": etag}), timeout=30
            ).close()
        except urllib.error.HTTPError as unchanged:
            if unchanged.code != 304:
                raise
        else:
            raise SystemExit("the unchanged refresh did not answer 304")
    ratio = rates["live"] / rates["hello"]
    return [
        Row(
            "8. live refresh, unchanged (304)",
            f"results API 304 {fmt(rates['live'])}/s ÷ bare Flask hello {fmt(rates['hello'])}/s",
            ratio,
            "",
            "≥ 0.8",
            ratio >= 0.8,
        )
    ]


def timed_import(uri: str, ballots: Path) -> float:
    """Seconds of ``flask ballots import`` of the file into a fresh database at ``uri``, as a whole
    command; the tally is then checked against a recount."""
    flask(uri, "init-db")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    flask(uri, "ballots", "import", "--poll", SLUG, str(ballots))
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    # On a busy machine the command waits for a CPU: its own CPU time says what it cost.
    say(f"import: {seconds:.2f} s, of which {cpu:.2f} s the command's own CPU time")
    verify = flask(uri, "tally", "verify", "--poll", SLUG)
    if "matches" not in verify.stdout:
        raise SystemExit(f"after the import, {verify.stdout}{verify.stderr}")
    return seconds


def measure_import_alone(
    keys: list[str], args: argparse.Namespace, options: Options, folder: Path
) -> list[Row]:
    """Figure 4 for the ``--import-ballots`` file alone, on SQLite and on PostgreSQL: the median of
    ``--rounds`` whole commands, each into a fresh database."""
    ballots = folder / "import.csv"
    write_ballots_csv(ballots, args.import_ballots, keys)

    def sqlite() -> float:
        database = folder / "import.sqlite3"
        for stale in folder.glob("import.sqlite3*"):
            stale.unlink()
        return timed_import(f"sqlite:///{database}", ballots)

    def postgresql() -> float:
        with postgres_database(args.postgres) as uri:
            if uri is None:
                return float("nan")
            return timed_import(uri, ballots)

    sides: dict[str, Callable[[], float]] = {"SQLite": sqlite}
    if not args.no_postgres:
        sides["PostgreSQL"] = postgresql
    rows = []
    for name, seconds in alternate(args.rounds, sides).items():
        figure = f"4. import {fmt(args.import_ballots)}, {name}"
        if seconds != seconds:  # NaN: no server answered
            rows.append(skipped(figure, "≥ 50,000", "no server answered"))
            continue
        say(f"import on {name}: {fmt(args.import_ballots)} in {seconds:.2f} s")
        rate = args.import_ballots / seconds
        rows.append(
            Row(
                figure,
                f"{fmt(args.import_ballots)} ballots in {seconds:.2f} s "
                f"(whole command, median of {args.rounds})",
                rate,
                "ballots/s",
                "≥ 50,000",
                rate >= 50_000,
            )
        )
    return rows


def measure_previews(keys: list[str], args: argparse.Namespace, options: Options, folder: Path) -> list[Row]:
    """Figure 9: a burst of crawlers asking for a poll's link preview image, once it is drawn and kept:
    answered whole (200, the PNG read from its file) and revalidated (304), each ÷ a bare Flask "hello"
    on the same kind of server."""
    uri = f"sqlite:///{folder / 'previews.sqlite3'}"
    ballots = folder / "previews.csv"
    write_ballots_csv(ballots, args.small, keys)
    flask(uri, "init-db")
    flask(uri, "ballots", "import", "--poll", SLUG, str(ballots))
    import minimal_app  # beside this script, so on sys.path already

    minimal_app.prepare(uri)
    path = f"/polls/{SLUG}/preview.png?lang=en"
    with ExitStack() as stack:
        real = stack.enter_context(serving("previews", "pollapp:create_app()", uri, options, folder))
        minimal = stack.enter_context(serving("hello", "minimal_app:create_app()", uri, options, folder))
        with urllib.request.urlopen(real.url + path, timeout=60) as answer:  # drawn once, then kept
            etag, size = answer.headers["ETag"], len(answer.read())
            if answer.headers.get_content_type() != "image/png":
                raise SystemExit(f"the preview image came as {answer.headers.get_content_type()}")
        results = f"/api/polls/{SLUG}/results"
        with urllib.request.urlopen(real.url + results, timeout=60) as answer:
            results_etag = answer.headers["ETag"]

        def load(server: Server, route: str, headers: tuple[str, ...]) -> Callable[[], float]:
            def run() -> float:
                wrk(server.url + route, 1, args.connections, 2, "get.lua", headers=headers)
                got = wrk(server.url + route, args.duration, args.connections, 2, "get.lua", headers=headers)
                if got["failed"] or got["socket_errors"]:
                    raise SystemExit(f"GET {route} failed on {server.name}: {got}")
                rate = got["requests"] / (got["duration_us"] / 1e6)
                say(f"{server.name} {route} {headers}: {fmt(rate)}/s {got}")
                return rate

            return run

        rates = alternate(
            args.rounds,
            {
                "whole": load(real, path, ()),
                "unchanged": load(real, path, (f"If-None-Match: {etag}",)),
                # For scale: the live refresh's own 304 (figure 8), on the same server in the same run.
                "results 304": load(real, results, (f"If-None-Match: {results_etag}",)),
                "hello": load(minimal, "/hello", ()),
            },
        )
    whole, unchanged = rates["whole"] / rates["hello"], rates["unchanged"] / rates["hello"]
    return [
        Row(
            "9. preview image, kept (200)",
            f"{fmt(size / 1024)} KB PNG {fmt(rates['whole'])}/s ÷ bare Flask hello {fmt(rates['hello'])}/s",
            whole,
            "",
            "",
            None,
        ),
        Row(
            "9. preview image, unchanged (304)",
            f"304 {fmt(rates['unchanged'])}/s ÷ bare Flask hello {fmt(rates['hello'])}/s "
            f"(results API 304 {fmt(rates['results 304'])}/s)",
            unchanged,
            "",
            "≥ 0.8",
            unchanged >= 0.8,
        ),
    ]


CHROMIUM = Path("/usr/bin/chromium")  # Debian's, as the browser tests use
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--no-first-run", "--disable-sync"]
EMBED_SECRET = "abcdefghij"
# A post on another site framing the embed as WordPress 6 does a discovered
# embed from a site it does not know: sandboxed to scripts alone, sized by the
# frame's height message.
EMBED_HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A blog post</title></head>
<body><h1>A blog post</h1>
<iframe id="poll" sandbox="allow-scripts" src="{src}" width="500" height="200" title="The poll"></iframe>
<script>
window.addEventListener("message", function (event) {{
  var data = event.data || {{}};
  if (data.secret === "{secret}" && data.message === "height") {{
    document.getElementById("poll").height = data.value;
  }}
}});
</script></body></html>"""
EMBED_REQUESTS = 5
EMBED_KB = 40


def chromium_missing() -> str | None:
    """Why the figures in a browser cannot run here, or None."""
    if not CHROMIUM.exists():
        return f"Chromium is not installed at {CHROMIUM} (Debian: apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -e '.[test]')"
    return None


@contextmanager
def host_page(source: str) -> Iterator[str]:
    """Another site (127.0.0.2) whose one page frames ``source``; the page's URL."""
    from werkzeug.serving import WSGIRequestHandler, make_server
    from werkzeug.wrappers import Request, Response

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args: object) -> None:
            pass

    page = EMBED_HOST_PAGE.format(src=source, secret=EMBED_SECRET)

    @Request.application
    def post(request: Request) -> Response:
        return Response(page, mimetype="text/html")

    server = make_server("127.0.0.2", 0, post, threaded=True, request_handler=Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.2:{server.server_port}/post"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


def measure_embed_weight(
    keys: list[str], args: argparse.Namespace, options: Options, folder: Path
) -> list[Row]:
    """Figure 10: what the embed's first view costs, in a post of another site with WordPress's
    sandbox, in Chromium, through the shipped nginx config: its requests, the bytes on the wire and
    the hosts other than pollapp's."""
    figures = ("10. embed's first view, requests", "10. embed's first view, transferred")
    targets = (f"≤ {EMBED_REQUESTS}", f"≤ {EMBED_KB} KB")
    missing = ("--no-nginx" if args.no_nginx else nginx_missing()) or chromium_missing()
    if missing:
        return [skipped(figure, target, missing) for figure, target in zip(figures, targets, strict=True)]
    from playwright.sync_api import sync_playwright

    uri = f"sqlite:///{folder / 'embed.sqlite3'}"
    ballots = folder / "embed.csv"
    write_ballots_csv(ballots, args.small, keys)
    flask(uri, "init-db")
    flask(uri, "ballots", "import", "--poll", SLUG, str(ballots))
    views: list[list[Fetched]] = []
    with ExitStack() as stack:
        server = stack.enter_context(
            serving("embed", "pollapp:create_app()", uri, options, folder, proxy_settings())
        )
        front = stack.enter_context(in_front(server, folder, through_nginx=True))
        assert front.nginx is not None
        pollapp_host = f"localhost:{front.nginx.port}"
        embed = f"https://{pollapp_host}/polls/{SLUG}/embed#?secret={EMBED_SECRET}"
        post = stack.enter_context(host_page(html.escape(embed)))
        playwright = stack.enter_context(sync_playwright())
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            # nginx listens on 127.0.0.1 only; the certificate is its own, made for the run.
            args=[*CHROMIUM_ARGS, "--host-resolver-rules=MAP localhost 127.0.0.1"],
        )
        stack.callback(browser.close)
        for _ in range(2):  # each a first view: a fresh context, nothing cached
            context = browser.new_context(ignore_https_errors=True, viewport={"width": 900, "height": 900})
            try:
                page = context.new_page()
                page.set_default_timeout(30_000)
                fetched = framed_requests(page, lambda page=page: page.goto(post))
                ready = page.frame_locator("#poll").locator(".ranker.is-ready")
                ready.wait_for(state="visible")
                views.append(fetched)
            finally:
                context.close()
    fetched = views[-1]
    for each in fetched:
        say(
            f"embed first view: {each.status} {each.url} {each.content_type} "
            f"{each.content_encoding or 'identity'}, {fmt(each.wire_bytes)} B transferred"
        )
    if [len(view) for view in views] != [len(fetched)] * len(views):
        say(f"the two first views made {[len(view) for view in views]} requests")
    failed = [each.url for each in fetched if each.status is None or each.status >= 400]
    if failed:
        raise SystemExit(f"the embed's first view had requests fail: {failed}")
    others = sorted({each.host for each in fetched} - {pollapp_host})
    requests = len(fetched)
    # As Chromium counts them on the wire (DevTools' "transferred"): over HTTP/2
    # it gives the headers no size of their own but counts them in the body's.
    weight = sum(each.wire_bytes for each in fetched) / 1024
    parts = ", ".join(
        f"{urlsplit(each.url).path.rsplit('/', 1)[-1]} {each.wire_bytes / 1024:.1f}"
        f"{'' if each.content_encoding else ' (plain)'}"
        for each in fetched
    )
    return [
        Row(
            figures[0],
            f"{requests} requests, to hosts other than pollapp's: {len(others)} {' '.join(others)}".rstrip(),
            requests,
            "requests",
            targets[0],
            requests <= EMBED_REQUESTS and not others,
        ),
        Row(
            figures[1],
            f"transferred, compressed as nginx sends it, in KB: {parts}",
            weight,
            "KB",
            targets[1],
            weight <= EMBED_KB,
        ),
    ]


def measure_public_alone(
    keys: list[str], args: argparse.Namespace, options: Options, folder: Path
) -> list[Row]:
    """The four figures of running it in public, side by side in one run: intake
    through nginx on PostgreSQL (figure 1), then 5, 6 and 7."""
    no_nginx = "--no-nginx" if args.no_nginx else nginx_missing()
    rows: list[Row] = []
    if no_nginx or args.no_postgres:
        rows.append(skipped("1. intake through nginx, PostgreSQL", "≥ 1.0", no_nginx or "--no-postgres"))
    else:
        with postgres_database(args.postgres) as uri:
            if uri is None:
                rows.append(skipped("1. intake through nginx, PostgreSQL", "≥ 1.0", "no server answered"))
            else:
                rows += measure_intake("PostgreSQL", uri, keys, args, options, folder, through_nginx=True)
    return rows + measure_public(keys, args, options, folder)


# The figures ``--only`` measures alone.
ONLY: dict[str, Callable[[list[str], argparse.Namespace, Options, Path], list[Row]]] = {
    "intake": measure_intake_alone,
    "flood": measure_flood_alone,
    "public": measure_public_alone,
    "slow": measure_slow_alone,
    "live": measure_live,
    "previews": measure_previews,
    "embed-weight": measure_embed_weight,
    "embed-intake": measure_embed_intake_alone,
    "results": measure_results_alone,
    "export": measure_exports_alone,
    "import": measure_import_alone,
}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke check: 20,000 ballots, short loads, 1 round"
    )
    parser.add_argument("--ballots", type=int, help="ballots for the large database (default 1,000,000)")
    parser.add_argument(
        "--import-ballots", type=int, help="ballots in the file whose whole import is timed (default 200,000)"
    )
    parser.add_argument("--small", type=int, default=100, help="ballots for the small database (default 100)")
    parser.add_argument("--duration", type=float, help="seconds per intake load run (default 10)")
    parser.add_argument("--latency-duration", type=float, help="seconds per latency run (default 5)")
    parser.add_argument("--rounds", type=int, help="alternating rounds per figure (default 3)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections for intake (default 16)")
    parser.add_argument("--revote", type=float, default=0.2, help="share of intake requests that re-vote")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1), help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=2, help="threads per gunicorn worker (gthread)")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("POLLAPP_TEST_DATABASE_URL") or POSTGRES_DEFAULT,
        help="PostgreSQL server for a scratch database (default: POLLAPP_TEST_DATABASE_URL or %(default)s)",
    )
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL intake figures")
    parser.add_argument(
        "--redis",
        default=os.environ.get("POLLAPP_TEST_REDIS_URL") or REDIS_DEFAULT,
        help="Redis for the rate limits of figures 5 and 7 (default: POLLAPP_TEST_REDIS_URL or %(default)s)",
    )
    parser.add_argument("--no-nginx", action="store_true", help="skip the figures through nginx")
    parser.add_argument(
        "--flood-ballots", type=int, help="ballots in the database the download flood reads (default 200,000)"
    )
    parser.add_argument("--burst-readers", type=int, help="readers in the burst (default 5,000)")
    parser.add_argument("--burst-seconds", type=float, help="seconds the burst is spread over (default 60)")
    parser.add_argument("--keep", action="store_true", help="keep the working folder (databases, logs, CSV)")
    parser.add_argument(
        "--only",
        choices=sorted(ONLY),
        help="measure one figure alone: intake (figure 1), results (2), export (3), import (4), flood (5), "
        "slow (6), live (8), previews (9), embed-weight (10) or embed-intake (11)",
    )
    args = parser.parse_args()
    args.ballots = args.ballots or (20_000 if args.quick else 1_000_000)
    args.duration = args.duration or (3 if args.quick else 10)
    args.latency_duration = args.latency_duration or (2 if args.quick else 5)
    args.rounds = args.rounds or (1 if args.quick else 3)
    args.flood_ballots = args.flood_ballots or (20_000 if args.quick else 200_000)
    args.import_ballots = args.import_ballots or (20_000 if args.quick else 200_000)
    args.burst_readers = args.burst_readers or (500 if args.quick else 5_000)
    args.burst_seconds = args.burst_seconds or (10 if args.quick else 60)

    if shutil.which("wrk") is None:
        print(
            "bench/run.py needs the wrk HTTP load generator, which is not on PATH.\n"
            "Install it (Debian/Ubuntu: apt-get install -y wrk; macOS: brew install wrk) and run again.",
            file=sys.stderr,
        )
        return 2

    options = Options(workers=args.workers, threads=args.threads)
    folder = Path(tempfile.mkdtemp(prefix="pollapp-bench-"))
    say(f"working in {folder}; gunicorn: {options.workers} gthread workers × {options.threads} threads")
    keys = entry_keys()
    rows: list[Row] = []
    try:
        if args.only:
            rows = ONLY[args.only](keys, args, options, folder)
            print_table(rows, args, options)
            return 0 if all(row.met is not False for row in rows) else 1
        # 4. Import, which also fills the large database for 2 and 3.
        large_uri = f"sqlite:///{folder / 'large.sqlite3'}"
        small_uri = f"sqlite:///{folder / 'small.sqlite3'}"
        ballots_file, small_file = folder / "ballots.csv", folder / "small.csv"
        say(f"writing {fmt(args.ballots)} ballots to {ballots_file}")
        write_ballots_csv(ballots_file, args.ballots, keys)
        write_ballots_csv(small_file, args.small, keys)
        flask(large_uri, "init-db")
        flask(small_uri, "init-db")
        flask(small_uri, "ballots", "import", "--poll", SLUG, str(small_file))
        say("importing")
        started = time.perf_counter()
        flask(large_uri, "ballots", "import", "--poll", SLUG, str(ballots_file))
        seconds = time.perf_counter() - started
        import_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        rate = args.ballots / seconds
        verify = flask(large_uri, "tally", "verify", "--poll", SLUG).stdout.strip()
        say(f"import: {fmt(args.ballots)} in {seconds:.1f} s; {verify}")
        import_row = Row(
            "4. import, SQLite",
            f"{fmt(args.ballots)} ballots in {seconds:.1f} s "
            f"(whole command; peak RSS {import_rss / 1024:.0f} MB)",
            rate,
            "ballots/s",
            "≥ 50,000",
            rate >= 50_000,
        )
        # The same for a file of 200,000, where the command's start weighs more.
        file_uri = f"sqlite:///{folder / 'import.sqlite3'}"
        import_file = folder / "import.csv"
        write_ballots_csv(import_file, args.import_ballots, keys)
        flask(file_uri, "init-db")
        started = time.perf_counter()
        flask(file_uri, "ballots", "import", "--poll", SLUG, str(import_file))
        seconds = time.perf_counter() - started
        say(f"import: {fmt(args.import_ballots)} in {seconds:.2f} s")
        file_row = Row(
            f"4. import {fmt(args.import_ballots)}, SQLite",
            f"{fmt(args.import_ballots)} ballots in {seconds:.2f} s (whole command)",
            args.import_ballots / seconds,
            "ballots/s",
            "≥ 50,000",
            args.import_ballots / seconds >= 50_000,
        )

        # 2 and 3. Results latency and export, both databases served side by side.
        with ExitStack() as stack:
            small = stack.enter_context(serving("small", "pollapp:create_app()", small_uri, options, folder))
            large = stack.enter_context(serving("large", "pollapp:create_app()", large_uri, options, folder))
            rows += measure_results_latency(small, large, args)

            rows += measure_exports(large, args)
        rows += [import_row, file_row]

        # 1. Intake, on SQLite and on PostgreSQL.
        rows = measure_intake_alone(keys, args, options, folder) + rows

        # 5, 6 and 7. The public setup: nginx in front, floods, slow clients, a burst.
        rows += measure_public(keys, args, options, folder)
        # 9. Link preview images asked for by a crowd of crawlers.
        rows += measure_previews(keys, args, options, folder)
        # 10 and 11. The embed's first view, in Chromium, through nginx; its ballot intake.
        rows += measure_embed_weight(keys, args, options, folder)
        rows += measure_embed_intake_alone(keys, args, options, folder)
    finally:
        if args.keep:
            say(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)

    print_table(rows, args, options)
    if args.quick:
        print(
            f"(--quick: {fmt(args.ballots)} ballots and short loads; a smoke check, not the figures to quote)"
        )
        return 0
    return 0 if all(row.met is not False for row in rows) else 1


def machine() -> str:
    """CPUs, CPU model and memory, as the results should be quoted with."""
    model = memory = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.partition(":")[2].strip()
            break
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return f"{os.cpu_count()} CPUs ({model}), {memory} memory, Python {sys.version.split()[0]}"


def print_table(rows: list[Row], args: argparse.Namespace, options: Options) -> None:
    def value(row: Row) -> str:
        if row.value is None:
            return "—"
        if row.unit in ("%", "KB"):
            return f"{row.value:.1f} {row.unit}"
        if row.unit in ("", "MB"):
            return f"{row.value:.2f}" if row.unit == "" else f"{row.value:.0f} MB"
        return f"{fmt(row.value)} {row.unit}"

    table = [("figure", "value", "target", "met", "measured")]
    for row in rows:
        met = "—" if row.met is None else ("yes" if row.met else "NO")
        table.append((row.figure, value(row), row.target, met, row.detail))
    widths = [max(len(line[i]) for line in table) for i in range(4)]
    print(
        f"pollapp benchmark: {fmt(args.ballots)} ballots, {options.workers} gunicorn gthread workers × "
        f"{options.threads} threads, wrk {args.connections} connections, {args.rounds} round(s)"
    )
    print(f"machine: {machine()}")
    for number, line in enumerate(table):
        cells = [cell.ljust(width) for cell, width in zip(line[:4], widths, strict=True)]
        print("  ".join([*cells, line[4]]))
        if number == 0:
            print("  ".join("-" * width for width in widths) + "  " + "-" * 8)


if __name__ == "__main__":
    sys.exit(main())
