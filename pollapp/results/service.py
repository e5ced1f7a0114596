"""What a poll's results are, and who may see them now."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..ballots.service import reader_ballot
from ..ballots.tally import Tally, read_tally
from ..core import ranking, story
from ..core.terms import ResultsVisibility
from ..polls.models import Poll
from ..polls.service import EntryView, PollState, Rescored, entry_keys, entry_views, rescores_of


@dataclass(frozen=True)
class Results:
    """A poll's outcome with the entries' text attached."""

    poll: Poll
    outcome: ranking.Outcome[str]
    entries: dict[str, EntryView]
    positions: dict[str, list[int]]
    held: int = 0  # ballots stored but held for a check, not counted yet
    top_three: dict[str, int] = field(default_factory=dict)  # ballots with the entry in their first three
    tally: Tally | None = None  # the tally these results were read from (None: built without a database)
    rescores: tuple[Rescored, ...] = ()  # when the ballots were scored anew, and why; oldest first


@dataclass(frozen=True)
class ReaderView:
    """What a page shows one reader about a poll, gathered in one call."""

    poll: Poll
    entries: list[EntryView]
    mine: list[str] | None  # the reader's own ballot, if they have cast one
    visible: bool  # whether they may see the results now
    results: Results | None  # when asked for and visible


def visible_to(poll: Poll | PollState, has_ballot: bool) -> bool:
    """Whether a reader who has (or has not) cast a ballot may see the results now."""
    if poll.results_visibility == ResultsVisibility.ALWAYS or poll.is_closed:
        return True
    return poll.results_visibility == ResultsVisibility.AFTER_VOTE and has_ballot


def can_see_results(poll: Poll, reader: str | None) -> bool:
    """Whether this reader may see the poll's results now (asks for their ballot only if it matters)."""
    if visible_to(poll, has_ballot=False):
        return True
    return visible_to(poll, has_ballot=reader_ballot(poll, reader) is not None)


def reader_view(poll: Poll, reader: str | None, *, with_results: bool = False) -> ReaderView:
    """The reader's ballot, whether they may see the results, and (if asked
    for and visible) the results: the reader's ballot is read once."""
    mine = reader_ballot(poll, reader)
    visible = visible_to(poll, has_ballot=mine is not None)
    return ReaderView(
        poll=poll,
        entries=entry_views(poll),
        mine=mine,
        visible=visible,
        results=results_of(poll) if with_results and visible else None,
    )


def results_of(poll: Poll, tally: Tally | None = None) -> Results:
    """The comparison of the editors' order with the readers', from the tally."""
    tally = tally or read_tally(poll)
    counts = tally.counts
    keys = entry_keys(poll)
    return Results(
        poll=poll,
        outcome=ranking.outcome(counts, keys, poll.borda_rule),
        entries={view.key: view for view in entry_views(poll)},
        positions=ranking.position_matrix(counts, keys),
        held=tally.held,
        top_three=story.top_counts(counts, keys),
        tally=tally,
        rescores=tuple(rescores_of(poll)),
    )
