"""Commands: ``flask --app pollapp init-db | ballots | results | poll | polls | tally | editors``,
one module per group."""

from __future__ import annotations

from flask import Flask

from .ballots import ballots
from .database import init_db
from .editors import editors
from .polls import poll_group, polls_group
from .results import results
from .tally import tally


def register(app: Flask) -> None:
    for command in (init_db, ballots, results, poll_group, polls_group, tally, editors):
        app.cli.add_command(command)
