"""Commands: ``flask --app pollapp init-db | ballots | results | poll | tally``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext
from flask_migrate import upgrade

from . import exports, services
from .catalogue import PollFileError, shipped_polls
from .models import Poll


def _poll(slug: str) -> Poll:
    poll = services.find_poll(slug)
    if poll is None:
        known = ", ".join(p.slug for p in services.all_polls()) or "none; run init-db first"
        raise click.ClickException(f"There is no poll called {slug!r} (known polls: {known}).")
    return poll


poll_option = click.option("--poll", "slug", required=True, metavar="SLUG", help="The poll's slug.")


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create or upgrade the schema and load the shipped polls. Safe to repeat."""
    from flask import current_app

    upgrade(directory=current_app.extensions["migrate"].directory)
    try:
        lines = services.sync_polls(shipped_polls())
    except PollFileError as error:
        raise click.ClickException(str(error)) from error
    for line in lines:
        click.echo(line)
    click.echo("Database ready.")


ballots = AppGroup("ballots", help="Export and import ballots as CSV.")


@ballots.command("export")
@poll_option
@click.argument("file", type=click.File("wb", lazy=True), default="-")
def export_ballots(slug: str, file: BinaryIO) -> None:
    """Write every ballot of a poll as CSV to FILE (default: standard output)."""
    for chunk in exports.ballots_csv(_poll(slug)):
        file.write(chunk.encode("utf-8"))


def _utf8_lines(handle: BinaryIO) -> Iterator[str]:
    """Decode a file line by line, so a bad byte is reported with its line."""
    for number, line in enumerate(handle, start=1):
        try:
            yield line.decode("utf-8")
        except UnicodeDecodeError as error:
            raise exports.BallotFileError(
                f"line {number}: not UTF-8 text ({error.reason} at byte {error.start + 1} of the line)"
            ) from error


@ballots.command("import")
@poll_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_ballots(slug: str, file: Path) -> None:
    """Add the ballots in a CSV FILE to a poll; one bad row and nothing is imported."""
    poll = _poll(slug)
    try:
        with file.open("rb") as handle:
            rankings = exports.read_ballots_csv(_utf8_lines(handle), services.entry_keys(poll))
    except exports.BallotFileError as error:
        stop = "" if str(error).endswith(".") else "."
        raise click.ClickException(f"{file}: {error}{stop} Nothing was imported.") from error
    count = services.import_ballots(poll, rankings)
    click.echo(f"Imported {count} ballots into {slug}.")


@click.command("results")
@poll_option
@with_appcontext
def results(slug: str) -> None:
    """Print the editors' order beside the readers' as a table."""
    result = services.results(_poll(slug))
    outcome = result.outcome
    click.echo(f"{result.poll.title}")
    click.echo(
        f"{outcome.ballots} {'ballot' if outcome.ballots == 1 else 'ballots'}, Borda rule: {outcome.rule}\n"
    )
    header = f"{'Readers':>7}  {'Editors':>7}  {'Move':>5}  {'Points':>9}  {'1st':>5}  Scene"
    click.echo(header)
    click.echo("-" * len(header) + "-" * 30)
    for s in outcome.standings:
        entry = result.entries[str(s.entry)]
        move = f"+{s.move}" if s.move > 0 else ("=" if s.move == 0 else str(s.move))
        click.echo(
            f"{s.community_rank:>7}  {s.editor_rank:>7}  {move:>5}  "
            f"{exports.format_points(s.points):>9}  {s.first_place_votes:>5}  {entry.drama}: {entry.scene}"
        )
    click.echo("")
    for name, value in (("Kendall's tau-b", outcome.kendall_tau), ("Spearman's rho", outcome.spearman_rho)):
        click.echo(f"{name}: {'undefined' if value is None else f'{value:.3f}'}")


poll_group = AppGroup("poll", help="Open or close a poll.")


@poll_group.command("open")
@click.argument("slug")
def open_poll(slug: str) -> None:
    """Let a poll take ballots."""
    services.set_status(_poll(slug), "open")
    click.echo(f"{slug} is open.")


@poll_group.command("close")
@click.argument("slug")
def close_poll(slug: str) -> None:
    """Stop a poll taking ballots; its results become final."""
    services.set_status(_poll(slug), "closed")
    click.echo(f"{slug} is closed.")


tally = AppGroup("tally", help="Check or repair a poll's running tally.")


@tally.command("verify")
@poll_option
def verify_tally(slug: str) -> None:
    """Recount from the raw ballots and report any difference from the tally."""
    differences = services.tally_differences(_poll(slug))
    if differences:
        for line in differences:
            click.echo(line, err=True)
        raise click.ClickException(
            f"The tally differs from a recount in {len(differences)} places; run `tally rebuild`."
        )
    click.echo(f"{slug}: the tally matches a recount of every ballot.")


@tally.command("rebuild")
@poll_option
def rebuild_tally(slug: str) -> None:
    """Replace the running tally with a recount of the raw ballots."""
    services.rebuild_tally(_poll(slug))
    click.echo(f"{slug}: tally rebuilt from the ballots.")


def register(app: Flask) -> None:
    for command in (init_db, ballots, results, poll_group, tally):
        app.cli.add_command(command)
