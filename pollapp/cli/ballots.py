"""``ballots export`` and ``ballots import``: a poll's ballots as CSV, PrefLib
``.soi`` or CEF."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

import click
from flask.cli import AppGroup

from ..ballots.files import FORMATS, BallotFileError, file_format, read_ballots_csv, read_cef, read_soi
from ..ballots.service import AlreadyImported, release_held
from ..ballots.service import import_ballots as store_ballots
from ..polls.service import entry_keys
from ..results.downloads import ballots_cef, ballots_csv, ballots_soi, entry_name
from ..words import ballot_problem
from .common import poll_named, poll_option

ballots = AppGroup("ballots", help="Export and import ballots as CSV, PrefLib .soi or CEF.")

_WRITERS = {"csv": ballots_csv, "soi": ballots_soi, "cef": ballots_cef}


def _ballots(count: int) -> str:
    return f"{count} {'ballot' if count == 1 else 'ballots'}"


@ballots.command("export")
@poll_option
@click.option(
    "--format",
    "kind",
    type=click.Choice(FORMATS),
    default="csv",
    show_default=True,
    help="The file's format.",
)
@click.argument("file", type=click.File("wb", lazy=True), default="-")
def export_ballots(slug: str, kind: str, file: BinaryIO) -> None:
    """Write every ballot of a poll to FILE (default: standard output)."""
    for chunk in _WRITERS[kind](poll_named(slug)):
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
@click.option(
    "--format",
    "kind",
    type=click.Choice(FORMATS),
    help="The file's format (default: by its name, else its first line).",
)
@click.option("--again", is_flag=True, help="Import a file that was imported into this poll before.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_ballots(slug: str, kind: str | None, again: bool, file: Path) -> None:
    """Add the ballots in FILE (CSV, .soi or CEF) to a poll; one bad line and nothing is imported.

    A CSV's source column keeps each ballot's source; ballots of a file without
    one (a .soi or CEF file, a CSV without the column) count as imported.
    """
    poll = poll_named(slug)
    content = file.read_bytes()
    keys = entry_keys(poll)
    try:
        try:
            content.decode("utf-8")  # checked whole; only a file that is not UTF-8 is decoded line by line
        except UnicodeDecodeError:
            lines: Iterable[str] = _utf8_lines(io.BytesIO(content))  # which names the line with the bad byte
        else:
            lines = map(bytes.decode, io.BytesIO(content))
        kind = kind or file_format(file.name, content[:200].decode("utf-8", "replace"))
        sources = None  # a .soi or CEF file cannot say where its ballots were cast
        if kind == "soi":
            rankings = read_soi(lines, keys, [entry_name(entry) for entry in poll.entries])
        elif kind == "cef":
            rankings = read_cef(lines, keys)
        else:
            rankings, sources = read_ballots_csv(lines, keys)
    except BallotFileError as error:
        raise click.ClickException(f"{file}: {describe(error)} Nothing was imported.") from error
    try:
        count = store_ballots(
            poll, rankings, hashlib.sha256(content).hexdigest(), again=again, sources=sources
        )
    except AlreadyImported as earlier:
        raise click.ClickException(
            f"{file} was imported into {slug} before ({_ballots(earlier.ballots)}, "
            f"{earlier.at:%Y-%m-%d %H:%M} UTC). Nothing was imported; "
            "to import it once more, add --again."
        ) from None
    click.echo(f"Imported {_ballots(count)} into {slug}.")


@ballots.command("release")
@poll_option
def release_ballots(slug: str) -> None:
    """Count the ballots held for a check (first ballots over their address's budget)."""
    poll = poll_named(slug)
    if not poll.is_open:
        raise click.ClickException(f"{slug} is closed: its results are final, so held ballots stay held.")
    released = release_held(poll)
    click.echo(f"Released {released} held {'ballot' if released == 1 else 'ballots'} into {slug}.")
