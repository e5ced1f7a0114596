"""A real gunicorn with several workers, hammered by concurrent readers.

Each test gets its own database (SQLite in the test folder, or a PostgreSQL
database created for it when a server answers), brought up by ``init-db`` and
served by gunicorn on a free loopback port. Clients are threads speaking plain
HTTP; each reader keeps its own cookie. Afterwards the ballots CSV, the results
JSON, an independent recount and ``tally verify`` must all agree.
"""

from __future__ import annotations

import http.client
import os
import random
import secrets
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import pytest
from itsdangerous import URLSafeSerializer
from pollapp.testing import app_environment, children, free_port, gunicorn_command, run_flask, stop_process
from pollapp.web.readers import SALT

from helpers import POLL, Reply, exchange
from oracle import read_ballots, recount

pytestmark = pytest.mark.server

SECRET_KEY = "server test secret key"
WORKERS = 3
THREADS = 4
REQUEST_TIMEOUT = 30.0
START_TIMEOUT = 60.0
BALLOTS_PATH = f"/api/polls/{POLL}/ballots"


# ---------------------------------------------------------------- databases


# ---------------------------------------------------------------- the server


class Server:
    """gunicorn serving pollapp on a loopback port."""

    def __init__(self, uri: str, folder: Path) -> None:
        self.env = app_environment(uri, SECRET_KEY)
        # Downloads remade at once, so that they can be compared with the live results.
        self.env["POLLAPP_DOWNLOADS_FRESH_FOR"] = "0"
        self.folder = folder
        self.log = folder / "gunicorn.log"
        init = self.flask("init-db")
        assert init.returncode == 0, init.stderr
        self.port = free_port()
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                gunicorn_command(
                    "pollapp:create_app()",
                    self.port,
                    WORKERS,
                    THREADS,
                    "--timeout",
                    "60",
                    "--graceful-timeout",
                    "5",
                ),
                cwd=folder,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def flask(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_flask(self.env, self.folder, *args)

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert self.process.poll() is None, f"gunicorn exited early:\n{self.log.read_text()}"
            try:
                if self.request("GET", f"/api/polls/{POLL}").status == 200 and len(self.workers()) == WORKERS:
                    return
            except OSError:
                pass
            assert time.monotonic() < deadline, f"gunicorn did not start in time:\n{self.log.read_text()}"
            time.sleep(0.1)

    def workers(self) -> set[int]:
        return children(self.process.pid)

    def request(self, method: str, path: str, body: object = None, cookie: str | None = None) -> Reply:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        return exchange(connection, method, path, body, cookie)

    def stop(self) -> None:
        stop_process(self.process, timeout=20)


@pytest.fixture
def server(database_uri: str, tmp_path: Path) -> Iterator[Server]:
    running = Server(database_uri, tmp_path)
    try:
        running.wait_until_ready()
        yield running
    finally:
        running.stop()


# ---------------------------------------------------------------- readers


@dataclass(frozen=True)
class Attempt:
    reader: int
    vote: int
    ranking: tuple[str, ...]
    status: int | None  # None: the connection failed before a response


def distinct_rankings(keys: list[str], count: int, seed: int) -> list[tuple[str, ...]]:
    """``count`` different ballots of every length, so a stored ballot names its sender."""
    rng = random.Random(seed)
    seen: set[tuple[str, ...]] = set()
    while len(seen) < count:
        seen.add(tuple(rng.sample(keys, rng.randint(1, len(keys)))))
    ordered = sorted(seen)
    rng.shuffle(ordered)
    return ordered


def plan_readers(keys: list[str], readers: int, votes: int, seed: int) -> list[list[tuple[str, ...]]]:
    """Every reader's ballots in order: the first, then re-votes."""
    rankings = distinct_rankings(keys, readers * votes, seed)
    return [rankings[r * votes : (r + 1) * votes] for r in range(readers)]


def vote_as_reader(server: Server, reader: int, plan: list[tuple[str, ...]]) -> list[Attempt]:
    """One reader with their own cookie: vote, then vote again with the cookie."""
    attempts = []
    cookie = None
    for number, ranking in enumerate(plan):
        if number and cookie is None:
            break  # the first ballot's fate is unknown, and so is this reader's identity
        try:
            reply = server.request("POST", BALLOTS_PATH, {"ranking": list(ranking)}, cookie)
        except (OSError, http.client.HTTPException):
            attempts.append(Attempt(reader, number, ranking, None))
            continue
        attempts.append(Attempt(reader, number, ranking, reply.status))
        if reply.status == 201:
            assert cookie is None, "a reader with a cookie was counted as a new reader"
            assert reply.cookie, "a new reader got no cookie"
            cookie = reply.cookie
        if reply.status in (200, 201):
            assert reply.json() == {"ranking": list(ranking), "replaced": reply.status == 200, "held": False}
    return attempts


def run_load(
    server: Server,
    plans: list[list[tuple[str, ...]]],
    clients: int,
    during: Callable[[Callable[[], int]], None] | None = None,
) -> list[Attempt]:
    """Send every reader's ballots from ``clients`` threads; ``during`` runs meanwhile."""
    done: list[Attempt] = []
    lock = threading.Lock()

    def one_reader(reader: int) -> None:
        attempts = vote_as_reader(server, reader, plans[reader])
        with lock:
            done.extend(attempts)

    def progress() -> int:
        with lock:
            return len(done)

    with ThreadPoolExecutor(max_workers=clients) as pool:
        futures = [pool.submit(one_reader, reader) for reader in range(len(plans))]
        if during is not None:
            during(progress)
        for future in futures:
            future.result(timeout=300)
    return done


# ---------------------------------------------------------------- checks


def entry_keys(server: Server) -> list[str]:
    poll = server.request("GET", f"/api/polls/{POLL}").json()
    return [entry["key"] for entry in poll["entries"]]  # type: ignore[index]


def stored_rankings(server: Server, keys: list[str]) -> list[tuple[str, ...]]:
    reply = server.request("GET", f"/polls/{POLL}/ballots.csv")
    assert reply.status == 200
    return [tuple(ranking) for ranking in read_ballots(reply.body.decode("utf-8"), keys)]


def assert_results_match_a_recount(server: Server, keys: list[str]) -> list[tuple[str, ...]]:
    """The results JSON equals a recount of ballots.csv, and ``tally verify`` agrees."""
    stored = stored_rankings(server, keys)
    shown = server.request("GET", f"/api/polls/{POLL}/results").json()
    assert isinstance(shown, dict)
    expected = recount(stored, keys, shown["borda_rule"])
    assert shown["ballots"] == expected.ballots == len(stored)
    assert [
        (e["key"], e["editor_rank"], e["community_rank"], Fraction(e["points"]), e["first_place_votes"])
        for e in shown["entries"]
    ] == [(r.key, r.editor_rank, r.community_rank, r.points, r.first_place_votes) for r in expected.rows]
    for name, value in (("kendall_tau", expected.kendall_tau), ("spearman_rho", expected.spearman_rho)):
        assert shown["agreement"][name] == pytest.approx(value)
    verify = server.flask("tally", "verify", "--poll", POLL)
    assert verify.returncode == 0, verify.stderr
    return stored


def assert_clean_log(server: Server) -> None:
    log = server.log.read_text(errors="replace")
    assert "database is locked" not in log
    assert "Traceback" not in log, log


def owners(plans: list[list[tuple[str, ...]]]) -> dict[tuple[str, ...], tuple[int, int]]:
    return {ranking: (reader, vote) for reader, plan in enumerate(plans) for vote, ranking in enumerate(plan)}


# ---------------------------------------------------------------- tests


def test_concurrent_readers_are_all_counted_once(server):
    keys = entry_keys(server)
    plans = plan_readers(keys, readers=60, votes=3, seed=1)

    attempts = run_load(server, plans, clients=16)

    assert len(attempts) == 180
    statuses = Counter(attempt.status for attempt in attempts)
    assert statuses == {201: 60, 200: 120}
    stored = assert_results_match_a_recount(server, keys)
    assert len(stored) == statuses[201]
    # Every reader's last ballot, and nothing else, is what was stored.
    assert Counter(stored) == Counter(plan[-1] for plan in plans)
    assert_clean_log(server)


def test_ten_simultaneous_ballots_with_one_cookie_leave_one(server):
    keys = entry_keys(server)
    cookie = URLSafeSerializer(SECRET_KEY, salt=SALT).dumps(secrets.token_urlsafe(32))
    for round_number, seed in enumerate((2, 3)):
        rankings = distinct_rankings(keys, 10, seed)
        start = threading.Barrier(10, timeout=REQUEST_TIMEOUT)

        def post(ranking: tuple[str, ...], start: threading.Barrier = start) -> Reply:
            start.wait()
            return server.request("POST", BALLOTS_PATH, {"ranking": list(ranking)}, cookie)

        with ThreadPoolExecutor(max_workers=10) as pool:
            replies = list(pool.map(post, rankings, timeout=120))

        statuses = Counter(reply.status for reply in replies)
        # The first round creates the ballot once and replaces it nine times;
        # the second only replaces.
        assert statuses == ({201: 1, 200: 9} if round_number == 0 else {200: 10})
        stored = assert_results_match_a_recount(server, keys)
        assert len(stored) == 1
        assert stored[0] in rankings
    assert_clean_log(server)


def test_a_worker_killed_mid_load_loses_no_acknowledged_ballot(server):
    keys = entry_keys(server)
    plans = plan_readers(keys, readers=60, votes=3, seed=4)
    before = server.workers()
    killed: list[int] = []

    def kill_a_worker(progress: Callable[[], int]) -> None:
        deadline = time.monotonic() + 120
        while progress() < 40:
            assert time.monotonic() < deadline, "the load made no progress"
            time.sleep(0.005)
        victim = min(server.workers())
        os.kill(victim, signal.SIGKILL)
        killed.append(victim)

    attempts = run_load(server, plans, clients=16, during=kill_a_worker)

    # The master noticed and replaced the worker, and the load carried on.
    assert killed and killed[0] in before
    deadline = time.monotonic() + START_TIMEOUT
    while killed[0] in server.workers() or len(server.workers()) < WORKERS:
        assert time.monotonic() < deadline, "gunicorn did not replace the killed worker"
        time.sleep(0.1)
    statuses = Counter(attempt.status for attempt in attempts)
    assert set(statuses) <= {200, 201, None}, statuses
    assert statuses[200] + statuses[201] > 40

    stored = assert_results_match_a_recount(server, keys)
    owner = owners(plans)
    assert set(stored) <= set(owner), "a stored ballot nobody sent"
    stored_by_reader = {owner[ranking][0]: owner[ranking][1] for ranking in stored}
    assert len(stored_by_reader) == len(stored), "a reader has two ballots"
    for reader in range(len(plans)):
        mine = [attempt for attempt in attempts if attempt.reader == reader]
        acknowledged = [attempt.vote for attempt in mine if attempt.status is not None]
        unknown = [attempt.vote for attempt in mine if attempt.status is None]
        if acknowledged:
            last = max(acknowledged)
            # The last acknowledged ballot, or a later one whose reply was lost.
            assert stored_by_reader.get(reader) in [last, *[v for v in unknown if v > last]]
        else:
            assert stored_by_reader.get(reader) in [None, *unknown]
    assert_clean_log(server)
    assert (
        statuses[201]
        <= len(stored)
        <= statuses[201] + sum(1 for attempt in attempts if attempt.vote == 0 and attempt.status is None)
    )
