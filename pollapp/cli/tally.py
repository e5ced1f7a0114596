"""``tally verify`` and ``tally rebuild``."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..ballots.recount import rebuild_tally as rebuild
from ..ballots.recount import tally_differences
from .common import poll_named, poll_option

tally = AppGroup("tally", help="Check or repair a poll's running tally.")


@tally.command("verify")
@poll_option
def verify_tally(slug: str) -> None:
    """Recount from the raw ballots and report any difference from the tally."""
    differences = tally_differences(poll_named(slug))
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
    rebuild(poll_named(slug))
    click.echo(f"{slug}: tally rebuilt from the ballots.")
