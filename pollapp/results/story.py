"""What the results page leads with, in the order a reader asks: who the
readers put first and how sure that is, where they part most from the
editors, and how this reader's own ballot compares; each named only when the
resampling supports it (``core.story``)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ..core import closeness, pairwise, story
from ..core.ranking import Rule
from .service import Results
from .sureness import HowSure


class Stage(StrEnum):
    """How far a poll's results go."""

    NO_BALLOTS = "no_ballots"  # an invitation to vote, nothing else
    TOO_EARLY = "too_early"  # fewer than the poll's min_ballots: counts, no ranking
    RANKED = "ranked"


@dataclass(frozen=True)
class Story:
    stage: Stage
    min_ballots: int
    favourite: str | None  # the one entry clearly first
    top: list[str]  # without a favourite: the entries too close to call (or tied) at the top
    rise: story.Move[str] | None  # the biggest supported rise, every entry sharing it
    fall: story.Move[str] | None
    orders: dict[str, list[str]]  # each Borda rule's order and the head-to-head (Copeland) one
    head_to_head_agrees: bool  # the Copeland order is the poll's Borda order
    yours: closeness.Comparison[str] | None  # the reader's ballot against both orders
    close: dict[str, tuple[int, int]]  # an entry too close to call: its group's readers' ranks, best to worst

    @property
    def ranked(self) -> bool:
        return self.stage == Stage.RANKED


COPELAND = "copeland"


def story_of(result: Results, sure: HowSure, mine: list[str] | None) -> Story:
    """The story of a poll's results for one reader (``mine``: their ballot, if any)."""
    outcome = result.outcome
    keys = [entry.key for entry in sorted(result.entries.values(), key=lambda e: e.editor_rank)]
    least = result.poll.min_ballots
    stage = (
        Stage.NO_BALLOTS
        if not outcome.ballots
        else Stage.TOO_EARLY
        if outcome.ballots < least
        else Stage.RANKED
    )
    orders: dict[str, list[str]] = {str(rule): order for rule, order in sure.orders.items()}
    orders[COPELAND] = pairwise.copeland_order(sure.pairwise, keys) if sure.ballots else list(keys)
    borda = [s.entry for s in outcome.standings]
    if stage != Stage.RANKED or not sure.sureness:
        return Story(stage, least, None, [], None, None, orders, orders[COPELAND] == borda, None, {})
    placed = [
        story.Placed(s.entry, s.editor_rank, s.community_rank, spread.low, spread.high)
        for s in outcome.standings
        if (spread := sure.sureness.get(s.entry)) is not None
    ]
    favourite = story.favourite(placed, sure.too_close_to_call)
    top: list[str] = []
    if favourite is None:
        first = [s.entry for s in outcome.standings if s.community_rank == 1]
        group = next((g for g in sure.too_close_to_call if set(first) & set(g)), [])
        top = list(group) if group else first
    rise, fall = story.supported_moves(placed)
    ranks = {s.entry: s.community_rank for s in outcome.standings}
    yours = closeness.compare(mine, keys, ranks) if mine else None
    close = {}
    for group in sure.too_close_to_call:
        span = (min(ranks[key] for key in group), max(ranks[key] for key in group))
        close.update(dict.fromkeys(group, span))
    return Story(stage, least, favourite, top, rise, fall, orders, orders[COPELAND] == borda, yours, close)


RULE_ORDER: tuple[str, ...] = (*(str(rule) for rule in Rule), COPELAND)
