"""``ballots export`` and ``ballots import``: a poll's ballots as CSV."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import click
from flask.cli import AppGroup

from ..ballots.files import BallotFileError, read_ballots_csv
from ..ballots.service import import_ballots as store_ballots
from ..ballots.service import release_held
from ..polls.service import entry_keys
from ..results.downloads import ballots_csv
from ..words import ballot_problem
from .common import poll_named, poll_option

ballots = AppGroup("ballots", help="Export and import ballots as CSV.")


@ballots.command("export")
@poll_option
@click.argument("file", type=click.File("wb", lazy=True), default="-")
def export_ballots(slug: str, file: BinaryIO) -> None:
    """Write every ballot of a poll as CSV to FILE (default: standard output)."""
    for chunk in ballots_csv(poll_named(slug)):
        file.write(chunk.encode("utf-8"))


def _utf8_lines(handle: BinaryIO) -> Iterator[str]:
    """Decode a file line by line, so a bad byte is reported with its line."""
    for number, line in enumerate(handle, start=1):
        try:
            yield line.decode("utf-8")
        except UnicodeDecodeError as error:
            raise BallotFileError(
                number, f"not UTF-8 text ({error.reason} at byte {error.start + 1} of the line)"
            ) from error


def describe(error: BallotFileError) -> str:
    """``line N: what is wrong``, ending in a full stop."""
    problem = error.problem if isinstance(error.problem, str) else ballot_problem(error.problem)
    return f"line {error.line}: {problem}" + ("" if problem.endswith(".") else ".")


@ballots.command("import")
@poll_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_ballots(slug: str, file: Path) -> None:
    """Add the ballots in a CSV FILE to a poll; one bad row and nothing is imported."""
    poll = poll_named(slug)
    try:
        with file.open("rb") as handle:
            rankings = read_ballots_csv(_utf8_lines(handle), entry_keys(poll))
    except BallotFileError as error:
        raise click.ClickException(f"{file}: {describe(error)} Nothing was imported.") from error
    count = store_ballots(poll, rankings)
    click.echo(f"Imported {count} ballots into {slug}.")


@ballots.command("release")
@poll_option
def release_ballots(slug: str) -> None:
    """Count the ballots held for a check (first ballots over their address's budget)."""
    poll = poll_named(slug)
    if not poll.is_open:
        raise click.ClickException(f"{slug} is closed: its results are final, so held ballots stay held.")
    released = release_held(poll)
    click.echo(f"Released {released} held {'ballot' if released == 1 else 'ballots'} into {slug}.")
