"""What the command groups share: finding the poll a command names."""

from __future__ import annotations

import click

from ..polls.models import Poll
from ..polls.service import all_polls, find_poll


def poll_named(slug: str) -> Poll:
    """The poll called ``slug``, or a ClickException listing the polls there are."""
    poll = find_poll(slug)
    if poll is None:
        known = ", ".join(p.slug for p in all_polls()) or "none; run init-db first"
        raise click.ClickException(f"There is no poll called {slug!r} (known polls: {known}).")
    return poll


poll_option = click.option("--poll", "slug", required=True, metavar="SLUG", help="The poll's slug.")
