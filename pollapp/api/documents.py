"""The JSON documents the API answers with."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import url_for

from ..core.ranking import points_value
from ..core.terms import BallotSource, PollPhase, PollStatus
from ..polls.models import Poll
from ..polls.service import entry_views
from ..results.history import Point
from ..results.overview import PollSummary
from ..results.service import Results
from ..results.sureness import HowSure
from ..suggestions.service import PublicSuggestions
from ..web.shared_rankings import SharedView


def index_document(polls: list[PollSummary]) -> list[dict[str, Any]]:
    return [
        {
            "slug": summary.slug,
            "title": summary.title,
            # As readers meet it: a poll past its closing time is closed.
            "status": PollStatus.CLOSED if summary.phase == PollPhase.CLOSED else PollStatus.OPEN,
            "ballots": summary.counted,
            "closes_at": _moment(summary.closes_at),
            "url": url_for("site.show_poll", slug=summary.slug, _external=True),
        }
        for summary in polls
    ]


def _moment(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def poll_document(poll: Poll) -> dict[str, Any]:
    return {
        "slug": poll.slug,
        "title": poll.title,
        # As readers meet it: a poll past its closing time is closed.
        "status": PollStatus.CLOSED if poll.is_closed else poll.status,
        "borda_rule": poll.borda_rule,
        "entries": [
            {
                "key": e.key,
                "editor_rank": e.editor_rank,
                "title": e.title,
                "subtitle": e.subtitle,
                "credit": e.credit,
                "blurb": e.blurb,
                "link": e.link,
            }
            for e in entry_views(poll)
        ],
    }


def history_document(points: list[Point]) -> list[dict[str, Any]]:
    return [
        {"at": point.at.isoformat().replace("+00:00", "Z"), "ballots": point.ballots, "ranks": point.ranks}
        for point in points
    ]


def results_document(result: Results, sure: HowSure, sources: dict[BallotSource, int]) -> dict[str, Any]:
    outcome = result.outcome
    return {
        "slug": result.poll.slug,
        "ballots": outcome.ballots,
        "held_ballots": result.held,
        # Where the counted ballots were cast; they add up to "ballots".
        "sources": {str(source): sources.get(source, 0) for source in BallotSource},
        "min_ballots": result.poll.min_ballots,
        "borda_rule": outcome.rule,
        "entries": [
            {
                "key": (entry := result.entries[s.entry]).key,
                "title": entry.title,
                "subtitle": entry.subtitle,
                "editor_rank": s.editor_rank,
                "community_rank": s.community_rank,
                "points": points_value(s.points),
                "first_place_votes": s.first_place_votes,
                "top_three_ballots": result.top_three.get(s.entry, 0),
                "rank_range": [spread.low, spread.high] if (spread := sure.sureness.get(s.entry)) else None,
                "first_share": spread.first_share if spread else None,
            }
            for s in outcome.standings
        ],
        "agreement": {"kendall_tau": outcome.kendall_tau, "spearman_rho": outcome.spearman_rho},
        "too_close_to_call": sure.too_close_to_call,
        "pairwise": sure.pairwise,
        "condorcet_winner": sure.condorcet_winner,
        "orders": {str(rule): order for rule, order in sure.orders.items()},
        "figures_tag": sure.tag,
        "rescores": [
            {
                "at": change.at.isoformat().replace("+00:00", "Z"),
                "cause": change.cause,
                "entries_before": change.entries_before,
                "entries_after": change.entries_after,
                "rule_before": change.rule_before,
                "rule_after": change.rule_after,
            }
            for change in result.rescores
        ],
    }


def suggestions_document(poll: Poll, public: PublicSuggestions) -> dict[str, Any]:
    """What the results page shows of readers' suggestions: approved nominations and take-away counts."""
    return {
        "slug": poll.slug,
        "nominated": [{"title": each.title, "readers": each.readers} for each in public.nominated],
        "take_away": [{"key": each.key, "readers": each.readers} for each in public.take_away],
    }


def shared_document(view: SharedView) -> dict[str, Any]:
    return {
        "poll": view.poll.slug,
        "title": view.poll.title,
        "ranking": view.picks,
        "editors_top": view.editors,
        "readers_top": view.readers,
        # SQLite hands the time back without its zone; it was stored in UTC.
        "shared_at": view.shared.created_at.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z"),
    }
