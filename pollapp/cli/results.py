"""``results``: the editors' order beside the readers' as a table."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..core.ranking import format_points
from ..results.service import results_of
from .common import poll_named, poll_option


@click.command("results")
@poll_option
@with_appcontext
def results(slug: str) -> None:
    """Print the editors' order beside the readers' as a table."""
    result = results_of(poll_named(slug))
    outcome = result.outcome
    click.echo(f"{result.poll.title}")
    counted = f"{outcome.ballots} {'ballot' if outcome.ballots == 1 else 'ballots'}"
    held = f" ({result.held} more held for a check)" if result.held else ""
    click.echo(f"{counted}{held}, Borda rule: {outcome.rule}\n")
    header = f"{'Readers':>7}  {'Editors':>7}  {'Move':>5}  {'Points':>9}  {'1st':>5}  Entry"
    click.echo(header)
    click.echo("-" * len(header) + "-" * 30)
    for s in outcome.standings:
        entry = result.entries[s.entry]
        move = f"+{s.move}" if s.move > 0 else ("=" if s.move == 0 else str(s.move))
        click.echo(
            f"{s.community_rank:>7}  {s.editor_rank:>7}  {move:>5}  "
            f"{format_points(s.points):>9}  {s.first_place_votes:>5}  {entry.label}"
        )
    click.echo("")
    for name, value in (("Kendall's tau-b", outcome.kendall_tau), ("Spearman's rho", outcome.spearman_rho)):
        click.echo(f"{name}: {'undefined' if value is None else f'{value:.3f}'}")
