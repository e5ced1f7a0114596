"""``init-db``: the schema to the latest migration, and the shipped polls
loaded into a database that has none."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade

from ..catalogue.files import PollFileError, shipped_polls
from ..catalogue.sync import sync_polls
from ..polls.service import has_polls


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create or upgrade the schema, and load the shipped polls into an empty database. Safe to repeat."""
    upgrade(directory=current_app.extensions["migrate"].directory)
    # Once there are polls they are the editors' (the desk, `polls import`):
    # a shipped file never writes over what an editor changed.
    if has_polls():
        click.echo("The database has its polls: the shipped ones are loaded only into an empty database.")
        click.echo("Database ready.")
        return
    try:
        lines = sync_polls(shipped_polls())
    except PollFileError as error:
        raise click.ClickException(str(error)) from error
    for line in lines:
        click.echo(line)
    click.echo("Database ready.")
