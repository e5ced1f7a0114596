"""``poll open`` and ``poll close``; ``polls import`` and ``polls export``, poll files in and out."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from ..catalogue.files import PollFileError, poll_file_text, read_poll_file
from ..catalogue.sync import spec_of, sync_polls
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


polls_group = AppGroup("polls", help="Poll files in and out (TOML, as in the catalogue).")


@polls_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def import_poll(file: Path) -> None:
    """Create a poll from its file, or update the poll of that slug; ballots are kept."""
    try:
        lines = sync_polls([read_poll_file(file)])
    except PollFileError as error:
        raise click.ClickException(f"Nothing was imported: {error}.") from error
    for line in lines:
        click.echo(line)


@polls_group.command("export")
@click.argument("slug")
@click.argument("file", required=False, type=click.Path(dir_okay=False, writable=True, path_type=Path))
def export_poll(slug: str, file: Path | None) -> None:
    """Write a poll's file to FILE, or to the standard output."""
    text = poll_file_text(spec_of(poll_named(slug)))
    if file is None:
        click.echo(text, nl=False)
        return
    file.write_text(text, encoding="utf-8")
    click.echo(f"{slug} written to {file}.")
