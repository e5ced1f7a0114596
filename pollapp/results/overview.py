"""Every poll at a glance, for the editors' desk: its status and how many
ballots are counted and held, from the running tally (never the ballots)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..ballots.tally import read_tally
from ..core import ranking
from ..core.terms import PollPhase, PollStatus
from ..polls.service import all_polls


@dataclass(frozen=True)
class PollSummary:
    slug: str
    title: str
    status: PollStatus
    counted: int  # ballots in the results
    held: int  # ballots stored but held for a check, not counted yet
    phase: PollPhase  # the status with the schedule applied, when the summary was made
    opens_at: datetime | None
    closes_at: datetime | None

    @property
    def is_open(self) -> bool:
        """Whether the poll takes ballots now."""
        return self.phase == PollPhase.OPEN

    @property
    def is_draft(self) -> bool:
        return self.status == PollStatus.DRAFT


def poll_summaries() -> list[PollSummary]:
    """Each poll, oldest first, with its counted and held ballots."""
    summaries = []
    for poll in all_polls():
        tally = read_tally(poll)
        summaries.append(
            PollSummary(
                poll.slug,
                poll.title,
                poll.status,
                ranking.ballot_count(tally.counts),
                tally.held,
                poll.phase,
                poll.opens_at,
                poll.closes_at,
            )
        )
    return summaries
