"""The order a reader's ballot lists a poll's entries in: a seed of their
own for each poll, from the reader and the poll, keyed with the app's secret
so that a seed in a download says nothing of who cast the ballot."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from flask import current_app

from ..core.order import SEED_BITS, shown_order
from ..polls.models import Poll
from ..polls.service import EntryView


def order_seed(slug: str, reader: str) -> int:
    """The seed of the order this reader's ballot shows this poll's entries in."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(key, f"ballot-order:{slug}:{reader}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:4], "big") & ((1 << SEED_BITS) - 1)


def ballot_entries(poll: Poll, entries: Sequence[EntryView], reader: str | None) -> list[EntryView]:
    """The entries as the reader's ballot lists them: in their own order when
    the poll shuffles its entries, else in the editors'."""
    if not poll.shuffle_entries or reader is None:
        return list(entries)
    by_key = {entry.key: entry for entry in entries}
    return [by_key[key] for key in shown_order(list(by_key), order_seed(poll.slug, reader))]
