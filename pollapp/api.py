"""The JSON API. Exempt from CSRF tokens; a cross-site form cannot send JSON."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, jsonify, request
from werkzeug.exceptions import HTTPException

from . import exports, readers, services
from .openapi import openapi_document
from .views import CLOSED, limit_ballots, no_such_poll, poll_or_404, results_visible

bp = Blueprint("api", __name__, url_prefix="/api")

RANKING_KEY_LIMIT = 200


def results_document(result: services.Results) -> dict[str, Any]:
    outcome = result.outcome
    return {
        "slug": result.poll.slug,
        "ballots": outcome.ballots,
        "borda_rule": outcome.rule,
        "entries": [
            {
                "key": (entry := result.entries[str(s.entry)]).key,
                "drama": entry.drama,
                "scene": entry.scene,
                "editor_rank": s.editor_rank,
                "community_rank": s.community_rank,
                "points": exports.points_value(s.points),
                "first_place_votes": s.first_place_votes,
            }
            for s in outcome.standings
        ],
        "agreement": {"kendall_tau": outcome.kendall_tau, "spearman_rho": outcome.spearman_rho},
    }


@bp.get("/polls/<slug>")
def poll(slug: str) -> Response:
    """Describe a poll and its entries in the editors' order."""
    found = poll_or_404(slug)
    return jsonify(
        slug=found.slug,
        title=found.title,
        status=found.status,
        borda_rule=found.borda_rule,
        entries=[
            {
                "key": e.key,
                "editor_rank": e.editor_rank,
                "drama": e.drama,
                "scene": e.scene,
                "couple": e.couple,
                "blurb": e.blurb,
            }
            for e in services.entry_views(found)
        ],
    )


def _same_origin() -> bool:
    origin = request.headers.get("Origin")
    if not origin or origin == "null":
        return origin is None
    try:
        return urlsplit(origin).netloc == request.host
    except ValueError:  # not a URL at all, e.g. "http://["
        return False


def _ranking_from_body() -> list[str]:
    if request.mimetype != "application/json":
        abort(415, "Send the ballot as JSON with Content-Type: application/json.")
    data = request.get_data(cache=False)  # a streamed body is capped before the view (security.py)
    try:
        body = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        abort(400, "The body is not valid UTF-8 text.")
    except RecursionError:
        abort(400, 'The body is nested far too deeply to be a ballot. Send {"ranking": ["key", ...]}.')
    except ValueError:
        abort(400, 'The body is not valid JSON. Send {"ranking": ["key", ...]}.')
    if not isinstance(body, dict):
        abort(400, 'The body must be a JSON object: {"ranking": ["key", ...]}.')
    extra = sorted(str(name)[:40] for name in body if name != "ranking")
    if extra:
        abort(400, f"Unexpected field(s): {', '.join(extra)}. Only 'ranking' is accepted.")
    ranking = body.get("ranking")
    if not isinstance(ranking, list):
        abort(400, "'ranking' must be a list of scene keys, most loved first.")
    if not all(isinstance(key, str) for key in ranking):
        abort(400, "Every item of 'ranking' must be a scene key (a string).")
    if any(len(key) > RANKING_KEY_LIMIT for key in ranking):
        abort(400, "A scene key in 'ranking' is far too long to be real.")
    return ranking


@bp.post("/polls/<slug>/ballots")
@limit_ballots
def cast(slug: str) -> tuple[Response, int]:
    """Cast or replace the calling reader's ballot."""
    if not _same_origin():
        abort(403, "Ballots are accepted only from this site's own pages or from scripts.")
    try:
        ranking = _ranking_from_body()
    except HTTPException:
        # A ballot for a poll that does not exist is refused for that first.
        poll_or_404(slug)
        raise
    try:
        replaced = services.cast_ballot(slug, readers.ensure_reader(), ranking)
    except services.NoSuchPoll:
        no_such_poll(slug)
    except services.PollClosed:
        abort(409, CLOSED)
    except services.InvalidBallot as error:
        abort(400, str(error))
    return jsonify(ranking=ranking, replaced=replaced), 200 if replaced else 201


@bp.get("/polls/<slug>/results")
def results(slug: str) -> Response:
    """The community ranking beside the editors', with agreement figures."""
    found = poll_or_404(slug)
    if not results_visible(found):
        abort(403, "The results of this poll are not public yet.")
    tally = services.read_tally(found)
    if request.if_none_match.contains(tally.tag):
        unchanged = Response(status=304)
        unchanged.set_etag(tally.tag)
        return unchanged
    response = jsonify(results_document(services.results(found, tally)))
    response.set_etag(tally.tag)
    return response


@bp.get("/openapi.json")
def openapi() -> Response:
    """This API described as OpenAPI 3.1."""
    return jsonify(openapi_document())
