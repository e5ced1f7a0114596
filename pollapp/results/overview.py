"""Every poll at a glance, for the editors' desk and the readers' index: its
status and how many ballots are counted and held, from the running tally
(never the ballots)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..ballots.tally import read_tally
from ..core import ranking
from ..core.terms import PollPhase, PollStatus
from ..polls.models import Poll
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
    poll: Poll = field(compare=False, repr=False)  # for its text in the reader's language

    @property
    def is_open(self) -> bool:
        """Whether the poll takes ballots now."""
        return self.phase == PollPhase.OPEN

    @property
    def is_draft(self) -> bool:
        return self.status == PollStatus.DRAFT


def _summary(poll: Poll) -> PollSummary:
    tally = read_tally(poll)
    counted = ranking.ballot_count(tally.counts)
    return PollSummary(
        poll.slug,
        poll.title,
        poll.status,
        counted,
        tally.held,
        poll.phase,
        poll.opens_at,
        poll.closes_at,
        poll,
    )


def poll_summaries() -> list[PollSummary]:
    """Each poll, oldest first, with its counted and held ballots."""
    return [_summary(poll) for poll in all_polls()]


def reader_index() -> list[PollSummary]:
    """The polls readers may see: those still open (or to open) first, then
    the closed ones, each newest first; never a draft."""
    shown = [poll for poll in all_polls() if not poll.is_draft]
    shown.sort(key=lambda poll: (poll.is_closed, -poll.id))
    return [_summary(poll) for poll in shown]
