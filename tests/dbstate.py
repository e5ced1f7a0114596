"""What the database holds, to show that a refused request changed nothing."""

from __future__ import annotations

from flask import Flask
from pollapp.ballots import recount
from pollapp.ballots.models import Ballot, TallyCell
from pollapp.extensions import db
from pollapp.polls.models import Poll
from pollapp.polls.service import find_poll
from sqlalchemy import select


def database_state(app: Flask) -> dict[str, list[tuple[object, ...]]]:
    """Every ballot and tally cell, and each poll's status, visibility and revision."""
    with app.app_context():
        state = {
            "ballots": [
                tuple(row)
                for row in db.session.execute(
                    select(
                        Ballot.id, Ballot.poll_id, Ballot.reader, Ballot.ranking, Ballot.updated_at
                    ).order_by(Ballot.id)
                )
            ],
            "tally": [
                tuple(row)
                for row in db.session.execute(
                    select(
                        TallyCell.poll_id,
                        TallyCell.entry_id,
                        TallyCell.length,
                        TallyCell.position,
                        TallyCell.ballots,
                    ).order_by(TallyCell.poll_id, TallyCell.entry_id, TallyCell.length, TallyCell.position)
                )
            ],
            "polls": [
                tuple(row)
                for row in db.session.execute(
                    select(Poll.slug, Poll.status, Poll.results_visibility, Poll.revision).order_by(Poll.id)
                )
            ],
        }
        db.session.remove()
    return state


def ballot_count(app: Flask) -> int:
    return len(database_state(app)["ballots"])


def tally_differences(app: Flask, slug: str) -> list[str]:
    """Where the running tally disagrees with a recount of the stored ballots."""
    with app.app_context():
        differences = recount.tally_differences(find_poll(slug))
        db.session.remove()
    return differences
