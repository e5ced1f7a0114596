#!/usr/bin/env python3
"""Benchmark pollapp under gunicorn on loopback and print one table of ratios.

    python bench/run.py              # the full run: 1,000,000 ballots
    python bench/run.py --quick      # a smoke check: 20,000 ballots, short loads

Every figure is measured side by side in the same run (alternating rounds, the
median of each side), so a noisy machine moves both sides alike. See
bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from pollapp.catalogue.files import shipped_polls

# The process and database helpers the server tests use too.
from pollapp.testing import (
    app_environment,
    children,
    free_port,
    gunicorn_command,
    read_soi,
    run_flask,
    scratch_postgres,
    stop_process,
)

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
SLUG = "kdrama-kisses-2014"
DEBIAN = ROOT / "tests" / "data" / "debian-2007-leader.soi"
START_TIMEOUT = 60.0
POSTGRES_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


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
    """gunicorn on a loopback port; ``app`` is pollapp or the minimal baseline."""

    def __init__(self, name: str, app: str, uri: str, options: Options, folder: Path) -> None:
        self.name = name
        self.port = free_port()
        self.log = folder / f"gunicorn-{name}-{self.port}.log"
        self.options = options
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                gunicorn_command(app, self.port, options.workers, options.threads, "--timeout", "300"),
                cwd=BENCH,
                env=app_environment(uri, SECRET_KEY),
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
                    connection.request("GET", "/")
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
def serving(name: str, app: str, uri: str, options: Options, folder: Path) -> Iterator[Server]:
    server = Server(name, app, uri, options, folder)
    try:
        yield server
    finally:
        server.stop()
    server.check_log()


@contextmanager
def postgres_database(url: str) -> Iterator[str | None]:
    """A database of our own on the PostgreSQL server at ``url``; None if it does not answer."""
    with scratch_postgres(url, "bench") as uri:
        if uri is None:
            say(f"PostgreSQL does not answer at {url}: skipped")
        yield uri


# ---------------------------------------------------------------- load


def wrk(url: str, seconds: float, connections: int, threads: int, script: str, *args: str) -> dict[str, int]:
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",  # wrk takes whole seconds only
        "--timeout",
        "30s",
        "-s",
        str(BENCH / script),
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


def measure_intake(
    label: str, uri: str, keys: list[str], args: argparse.Namespace, options: Options, folder: Path
) -> list[Row]:
    flask(uri, "init-db")
    import minimal_app  # beside this script, so on sys.path already

    minimal_app.prepare(uri)
    with ExitStack() as stack:
        real = stack.enter_context(serving(f"vote-{label}", "pollapp:create_app()", uri, options, folder))
        minimal = stack.enter_context(
            serving(f"minimal-{label}", "minimal_app:create_app()", uri, options, folder)
        )
        failures: list[str] = []

        def load(server: Server, path: str) -> Callable[[], float]:
            def run() -> float:
                wrk(server.url, 1, args.connections, 2, "vote.lua", path, str(args.revote), *keys)
                got = wrk(
                    server.url, args.duration, args.connections, 2, "vote.lua", path, str(args.revote), *keys
                )
                if got["failed"] or got["socket_errors"]:
                    failures.append(f"{server.name}: {got}")
                rate = (got["created"] + got["replaced"]) / (got["duration_us"] / 1e6)
                say(f"intake {server.name}: {fmt(rate)} accepted/s {got}")
                return rate

            return run

        rates = alternate(
            args.rounds,
            {"vote": load(real, f"/api/polls/{SLUG}/ballots"), "minimal": load(minimal, "/ballots")},
        )
    if failures:
        raise SystemExit("intake requests failed:\n" + "\n".join(failures))
    verify = flask(uri, "tally", "verify", "--poll", SLUG)
    say(f"after the {label} intake load: {verify.stdout.strip()}")
    ratio = rates["vote"] / rates["minimal"]
    return [
        Row(
            f"1. intake, {label}",
            f"vote path {fmt(rates['vote'])}/s ÷ minimal insert {fmt(rates['minimal'])}/s",
            ratio,
            "",
            "≥ 1.0",
            ratio >= 1.0,
        )
    ]


def download(server: Server, path: str) -> tuple[int, float]:
    """Rows (lines less the header) and seconds to read ``path`` to the end."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=300)
    try:
        started = time.perf_counter()
        connection.request("GET", path)
        response = connection.getresponse()
        if response.status != 200:
            raise SystemExit(f"GET {path}: {response.status}")
        lines = 0
        while chunk := response.read(1 << 20):
            lines += chunk.count(b"\n")
        elapsed = time.perf_counter() - started
        response.close()
    finally:
        connection.close()
    return lines - 1, elapsed


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke check: 20,000 ballots, short loads, 1 round"
    )
    parser.add_argument("--ballots", type=int, help="ballots for the large database (default 1,000,000)")
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
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL intake figure")
    parser.add_argument("--keep", action="store_true", help="keep the working folder (databases, logs, CSV)")
    args = parser.parse_args()
    args.ballots = args.ballots or (20_000 if args.quick else 1_000_000)
    args.duration = args.duration or (3 if args.quick else 10)
    args.latency_duration = args.latency_duration or (2 if args.quick else 5)
    args.rounds = args.rounds or (1 if args.quick else 3)

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

        # 2 and 3. Results latency and export, both databases served side by side.
        with ExitStack() as stack:
            small = stack.enter_context(serving("small", "pollapp:create_app()", small_uri, options, folder))
            large = stack.enter_context(serving("large", "pollapp:create_app()", large_uri, options, folder))
            for name, path in (
                ("results JSON", f"/api/polls/{SLUG}/results"),
                ("results page", f"/polls/{SLUG}/results"),
            ):

                def median_latency(server: Server, name: str = name, path: str = path) -> Callable[[], float]:
                    def run() -> float:
                        wrk(server.url + path, 1, 1, 1, "get.lua")
                        got = wrk(server.url + path, args.latency_duration, 1, 1, "get.lua")
                        if got["failed"] or got["socket_errors"]:
                            raise SystemExit(f"GET {path} failed on {server.name}: {got}")
                        say(f"{name} on {server.name}: median {got['p50_us'] / 1000:.2f} ms {got}")
                        return got["p50_us"] / 1000

                    return run

                medians = alternate(
                    args.rounds, {"small": median_latency(small), "large": median_latency(large)}
                )
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

            exports = []
            for _ in range(args.rounds):
                count, seconds = download(large, f"/polls/{SLUG}/ballots.csv")
                if count != args.ballots:
                    raise SystemExit(f"ballots.csv had {count} rows, expected {args.ballots}")
                say(f"export: {fmt(count)} rows in {seconds:.2f} s")
                exports.append(seconds)
            seconds = statistics.median(exports)
            peak = max(peak_rss_kib(pid) for pid in large.workers()) / 1024
            rows.append(
                Row(
                    "3. export ballots.csv",
                    f"{fmt(args.ballots)} rows in {seconds:.2f} s (median of {args.rounds})",
                    args.ballots / seconds,
                    "rows/s",
                    "≥ 200,000",
                    args.ballots / seconds >= 200_000,
                )
            )
            rows.append(
                Row(
                    "3. export peak memory",
                    "largest VmHWM of the serving gunicorn workers",
                    peak,
                    "MB",
                    "< 150",
                    peak < 150,
                )
            )
        rows.append(import_row)

        # 1. Intake, on SQLite and on PostgreSQL.
        intake = measure_intake(
            "SQLite", f"sqlite:///{folder / 'intake.sqlite3'}", keys, args, options, folder
        )
        if not args.no_postgres:
            with postgres_database(args.postgres) as uri:
                if uri is not None:
                    intake += measure_intake("PostgreSQL", uri, keys, args, options, folder)
                else:
                    skipped = Row(
                        "1. intake, PostgreSQL", "no server answered: skipped", None, "", "≥ 1.0", None
                    )
                    intake.append(skipped)
        rows = intake + rows
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
