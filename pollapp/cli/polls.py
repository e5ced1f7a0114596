"""``poll open`` and ``poll close``."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..core.terms import PollStatus
from ..polls.service import set_status
from .common import poll_named

poll_group = AppGroup("poll", help="Open or close a poll.")


@poll_group.command("open")
@click.argument("slug")
def open_poll(slug: str) -> None:
    """Let a poll take ballots."""
    set_status(poll_named(slug), PollStatus.OPEN)
    click.echo(f"{slug} is open.")


@poll_group.command("close")
@click.argument("slug")
def close_poll(slug: str) -> None:
    """Stop a poll taking ballots; its results become final."""
    set_status(poll_named(slug), PollStatus.CLOSED)
    click.echo(f"{slug} is closed.")
