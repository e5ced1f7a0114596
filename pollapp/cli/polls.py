"""``poll open`` and ``poll close``; ``polls import`` and ``polls export``, poll files in and out."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from ..ballots.service import has_ballots
from ..catalogue.files import PollFileError, poll_file_text, read_poll_file
from ..catalogue.sync import spec_of, sync_polls
from ..core.terms import PollStatus
from ..polls.service import find_poll, rescores_needed, set_status
from ..words import rescore_sentence
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
@click.option(
    "--rescore",
    is_flag=True,
    help="Go ahead where the file changes the points of ballots already cast (another rule, added entries).",
)
def import_poll(file: Path, rescore: bool) -> None:
    """Create a poll from its file, or update the poll of that slug; ballots are kept.

    As in the desk, a file that re-scores the ballots already cast is refused,
    saying what it would do, until it is confirmed with --rescore."""
    try:
        spec = read_poll_file(file)
        poll = find_poll(spec.slug)
        if poll is not None and not rescore and has_ballots(poll):
            changes = rescores_needed(poll, [entry.key for entry in spec.entries], spec.borda_rule)
            if changes:
                said = " ".join(rescore_sentence(change) for change in changes)
                raise click.ClickException(
                    f"Nothing was imported: {spec.slug} has ballots. {said} "
                    "To do so, import the file again with --rescore."
                )
        lines = sync_polls([spec])
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
