"""How sure the ranking is, and head to head: worked out from the distinct
rankings' counts, once per tally tag, and off the request path for a large poll.

The database counts the ballots of each distinct ranking (one grouped query), so
what Python works on is as long as the rankings are varied, not as long as the
poll. The figures carry the tag of exactly the ballots they came from: their own
tally is derived from the same counts, so they never claim a tag they were not
worked out from.

A large poll's tag changes with every ballot, while one more ballot cannot move
its ranges. Past ``LARGE`` ballots a reader gets the latest figures at once,
with their tag, and when they are older than ``REFRESH_SECONDS`` a thread works
out new ones beside the request: no reader waits for a resampling, and a busy
poll is resampled at most that often by each process. The latest figures are
also kept in a file (``FIGURES_FOLDER``) that a new process starts from, so only
the first reader of a large poll ever, or after its entries or rule changed,
waits for its figures.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass
from pathlib import Path
from time import monotonic
from typing import Any

from flask import Flask, current_app

from ..ballots.service import counted_rankings
from ..ballots.tally import Tally, held_ballots, read_tally, tally_tag
from ..core import confidence, pairwise, ranking
from ..extensions import db
from ..polls.models import Poll
from ..polls.service import entry_ids, entry_keys

# Below this many ballots the ranges say little: pages call it too early.
FEW_BALLOTS = 30

_KEPT = 32  # how many polls' figures stay in memory
LARGE = 10_000  # ballots past which one more cannot move the ranges
REFRESH_SECONDS = 60.0


@dataclass(frozen=True)
class HowSure:
    """The bootstrap and head-to-head figures of one poll's counted ballots."""

    ballots: int
    sureness: dict[str, confidence.Sureness[str]]  # empty without ballots
    too_close_to_call: list[list[str]]
    pairwise: dict[str, dict[str, int]]
    condorcet_winner: str | None
    orders: dict[ranking.Rule, list[str]]
    tag: str = ""  # the tally tag of the ballots these figures were worked out from

    @property
    def too_early(self) -> bool:
        """Whether there are too few ballots for the ranges to mean much."""
        return self.ballots < FEW_BALLOTS


# (the database, a poll's id, its revision, its rule) -> (when worked out, the figures)
Key = tuple[str, int, int, str]
_kept: OrderedDict[Key, tuple[float, HowSure]] = OrderedDict()
_refreshing: dict[Key, threading.Thread] = {}
_lock = threading.Lock()
_working = threading.Lock()


def how_sure(poll: Poll, tally: Tally | None = None) -> HowSure:
    """The figures for the ballots the tally counts (read here unless given).

    A poll below ``LARGE`` ballots is worked out for this very tag; a larger one
    gets the latest figures, renewed beside the request when they have aged.
    """
    tally = tally or read_tally(poll)
    key = (_database(), poll.id, poll.revision, str(poll.borda_rule))
    with _lock:
        kept = _kept.get(key)
    if kept is None:
        kept = _stored(key)
    with _lock:
        if kept is not None:
            _kept[key] = _kept.get(key, kept)
            _kept.move_to_end(key)
            at, figures = kept
            if figures.tag == tally.tag:
                return figures
            if figures.ballots >= LARGE:
                if monotonic() - at >= REFRESH_SECONDS and key not in _refreshing:
                    _refresh_beside(current_app._get_current_object(), key)  # type: ignore[attr-defined]  # werkzeug's LocalProxy hides the method from mypy
                return figures
    return _worked_out(poll, key, tally.tag)


def wait_for_refreshes() -> None:
    """Wait until the figures being worked out beside requests are kept."""
    with _lock:
        running = list(_refreshing.values())
    for thread in running:
        thread.join()


def forget() -> None:
    """Drop every figure kept in this process's memory, as a new process starts:
    the next reader of each poll starts from the kept files, or works them out."""
    wait_for_refreshes()
    with _lock:
        _kept.clear()


def _refresh_beside(app: Flask, key: Key) -> None:
    thread = threading.Thread(target=_refresh, args=(app, key), name=f"how-sure-{key[1]}", daemon=True)
    _refreshing[key] = thread
    thread.start()


def _refresh(app: Flask, key: Key) -> None:
    try:
        with app.app_context():
            poll = db.session.get(Poll, key[1])
            if poll is not None and (_database(), poll.id, poll.revision, str(poll.borda_rule)) == key:
                _worked_out(poll, key, None)
    except Exception:  # a failed refresh leaves the figures as they were; the next one tries again
        app.logger.exception("working out how sure the results of poll %s are", key[1])
    finally:
        with _lock:
            _refreshing.pop(key, None)


def _worked_out(poll: Poll, key: Key, tag: str | None) -> HowSure:
    """Work the figures out (one at a time in a process: others wait, then find them kept) and keep them."""
    with _working:
        with _lock:
            kept = _kept.get(key)
            if kept is not None and tag is not None and kept[1].tag == tag:
                return kept[1]
        figures = _work_out(poll)
        with _lock:
            _kept[key] = (monotonic(), figures)
            _kept.move_to_end(key)
            while len(_kept) > _KEPT:
                _kept.popitem(last=False)
        _store(key, figures)
    return figures


def _database() -> str:
    """Which database the app uses: polls are numbered per database, so figures are kept per database."""
    return hashlib.sha256(db.engine.url.render_as_string().encode()).hexdigest()[:16]


def _path(key: Key) -> Path:
    folder = current_app.config["FIGURES_FOLDER"] or Path(current_app.instance_path) / "figures"
    database, poll, revision, rule = key
    return Path(folder) / database / f"{poll}-{revision}-{rule}.json"


def _store(key: Key, figures: HowSure) -> None:
    """Keep the figures in a file, written whole and then renamed into place."""
    path = _path(key)
    document = {
        "ballots": figures.ballots,
        "sureness": [[s.entry, s.low, s.high, s.first_share] for s in figures.sureness.values()],
        "too_close_to_call": figures.too_close_to_call,
        "pairwise": figures.pairwise,
        "condorcet_winner": figures.condorcet_winner,
        "orders": {str(rule): order for rule, order in figures.orders.items()},
        "tag": figures.tag,
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.part")
        partial.write_text(json.dumps(document), encoding="utf-8")
        os.replace(partial, path)
    except OSError:  # the figures stay in memory; a new process works them out again
        current_app.logger.exception("keeping the figures of poll %s in %s", key[1], path)


def _stored(key: Key) -> tuple[float, HowSure] | None:
    """The figures kept in a file by this or another process, with when they were worked out."""
    path = _path(key)
    try:
        document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        age = time.time() - path.stat().st_mtime
        figures = HowSure(
            ballots=int(document["ballots"]),
            sureness={
                entry: confidence.Sureness(entry, int(low), int(high), float(share))
                for entry, low, high, share in document["sureness"]
            },
            too_close_to_call=document["too_close_to_call"],
            pairwise=document["pairwise"],
            condorcet_winner=document["condorcet_winner"],
            orders={ranking.Rule(rule): order for rule, order in document["orders"].items()},
            tag=str(document["tag"]),
        )
    except (OSError, ValueError, KeyError, TypeError):  # none kept yet, or unreadable: work them out
        return None
    return monotonic() - max(age, 0.0), figures


def _work_out(poll: Poll) -> HowSure:
    keys = entry_keys(poll)
    rankings = counted_rankings(poll)
    counts: Counter[tuple[str, int, int]] = Counter()
    for ranked, times in rankings.items():
        for cell in ranking.ballot_cells(ranked):
            counts[cell] += times
    ids = entry_ids(poll)
    cells = sorted((ids[key], k, p, n) for (key, k, p), n in counts.items())
    orders = pairwise.tally_orders(counts, keys)
    rule = ranking.Rule(poll.borda_rule)
    sureness = confidence.weighted_bootstrap(rankings, keys, rule)
    table = pairwise.weighted_pairwise_table(rankings, keys)
    return HowSure(
        ballots=sum(rankings.values()),
        sureness={s.entry: s for s in sureness},
        too_close_to_call=confidence.too_close_to_call(orders[rule], sureness) if rankings else [],
        pairwise=table,
        condorcet_winner=pairwise.condorcet_winner(table) if rankings else None,
        orders=orders,
        tag=tally_tag(poll, cells, held_ballots(poll)),
    )
