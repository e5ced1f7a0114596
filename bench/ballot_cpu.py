"""CPU time per accepted ballot in one process, through Flask's test client on
a fresh SQLite database: the API's path (figure 1) beside the embed script's
(figure 11, as from WordPress's sandbox: ``Origin: null``, a new reader key
each time) and the embed form's (figure 11, JavaScript off, in a frame that
kept the embed's cookie), with no server, proxy or network in between. What it measures is
the app's own work per ballot, which a shared machine's load does not move
as much as it moves the rates of ``run.py``.

    .venv/bin/python bench/ballot_cpu.py                  # both paths, best of 3 rounds
    .venv/bin/python bench/ballot_cpu.py --profile embed  # and where the embed's time goes

``POLLAPP_*`` settings apply, e.g. ``POLLAPP_EMBED_TOP_FRESH_FOR=0`` for a
readers' top worked out exactly after every ballot.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

SLUG = "kdrama-kisses-2014"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ballots", type=int, default=1000, help="ballots per round (default 1,000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per path; the best is shown")
    parser.add_argument("--warm", type=int, default=300, help="ballots cast first, not timed (default 300)")
    parser.add_argument(
        "--profile", choices=("api", "embed", "form"), help="profile one more round of this path"
    )
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="pollapp-ballot-cpu-"))
    os.environ["POLLAPP_SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{folder / 'ballots.sqlite3'}"
    os.environ["POLLAPP_RATELIMIT_ENABLED"] = "false"
    from pollapp import create_app  # after the settings above: create_app reads them
    from pollapp.web import readers

    app = create_app()
    app.test_cli_runner().invoke(args=["init-db"])
    frame = app.test_client()
    keys = [entry["key"] for entry in frame.get(f"/api/polls/{SLUG}").get_json()["entries"]]
    draw = random.Random(1)

    def ranking() -> list[str]:
        return draw.sample(keys, draw.randint(1, len(keys)))

    def api() -> int:
        # A client of its own each time: a new reader, as most of figure 1's are.
        return app.test_client().post(f"/api/polls/{SLUG}/ballots", json={"ranking": ranking()}).status_code

    def embed() -> int:
        return frame.post(
            f"/polls/{SLUG}/embed/ballots",
            json={"ranking": ranking()},
            headers={"Origin": "null", "Idempotency-Key": uuid.uuid4().hex},
        ).status_code

    def form() -> int:
        # The embed's form with JavaScript off, as from its own page in a frame that kept the
        # embed's cookie: a new reader each time, its cookie and key made as the page makes them.
        client = app.test_client()
        with app.app_context():
            token = readers.new_embed_token()
            cookie = readers.embed_cookie_value(token)
            key = readers.embed_key(token)
        client.set_cookie(app.config["EMBED_READER_COOKIE"], cookie, path="/polls/")
        picks = {f"rank_{position}": entry for position, entry in enumerate(ranking(), start=1)}
        return client.post(
            f"/polls/{SLUG}/embed", data={"reader_key": key, **picks}, headers={"Origin": "http://localhost"}
        ).status_code

    paths: dict[str, Callable[[], int]] = {"api": api, "embed": embed, "form": form}

    def cast(path: str, ballots: int) -> None:
        for _ in range(ballots):
            status = paths[path]()
            assert status in (200, 201, 202, 303), f"{path}: {status}"

    for path in paths:
        cast(path, args.warm)
    best = dict.fromkeys(paths, float("inf"))
    for _ in range(args.rounds):
        for path in paths:  # alternated, so a busy moment falls on both
            started = time.process_time()
            cast(path, args.ballots)
            best[path] = min(best[path], (time.process_time() - started) / args.ballots * 1000)
    for path, ms in best.items():
        print(f"{path:6} {ms:.2f} ms CPU per ballot (best of {args.rounds} rounds of {args.ballots:,})")
    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(cast, args.profile, args.ballots)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
