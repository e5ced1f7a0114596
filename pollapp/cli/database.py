"""``init-db``: the schema to the latest migration, and the shipped polls loaded."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade

from ..catalogue.files import PollFileError, shipped_polls
from ..catalogue.sync import sync_polls


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create or upgrade the schema and load the shipped polls. Safe to repeat."""
    upgrade(directory=current_app.extensions["migrate"].directory)
    try:
        lines = sync_polls(shipped_polls())
    except PollFileError as error:
        raise click.ClickException(str(error)) from error
    for line in lines:
        click.echo(line)
    click.echo("Database ready.")
