"""The JSON API. Exempt from CSRF tokens; a cross-site form cannot send JSON."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request
from flask_babel import get_locale, gettext
from werkzeug.exceptions import HTTPException

from ..ballots.tally import read_tally
from ..core.terms import BallotSource
from ..results.history import history_of
from ..results.overview import reader_index
from ..results.service import can_see_results, results_of, visible_to
from ..results.sources import sources_of
from ..results.sureness import how_sure
from ..suggestions.service import public_suggestions
from ..web import policy
from ..web import unchanged as unchanged_refreshes
from ..web.ballot_requests import ranking_from_json, same_origin
from ..web.casting import Refused, take_ballot
from ..web.errors import fail
from ..web.limits import limit_ballots
from ..web.lookup import NOT_PUBLIC_RESULTS, poll_or_404
from ..web.readers import IDEMPOTENCY_KEY, current_reader, ensure_reader, request_key_reader
from ..web.shared_rankings import shared_view
from .documents import (
    history_document,
    index_document,
    poll_document,
    results_document,
    shared_document,
    suggestions_document,
)
from .openapi import openapi_document

bp = Blueprint("api", __name__, url_prefix="/api")
_KEPT_DOCUMENTS = (
    "pollapp.api.results_documents"  # poll id -> ((poll id, tally tag, figures tag, ..., language), JSON)
)
policy.declare(bp, policy.Policy(errors="json"))


@bp.get("/polls")
def polls() -> Response:
    """Every poll readers may see, open ones first, newest first."""
    return jsonify(index_document(reader_index()))


@bp.get("/polls/<slug>")
def poll(slug: str) -> Response:
    """Describe a poll and its entries in the editors' order."""
    return jsonify(poll_document(poll_or_404(slug)))


def _reader() -> str:
    """The reader's cookie identity; for a caller without one that sends an
    ``Idempotency-Key``, the reader that key stands for; else a new reader."""
    reader = current_reader()
    if reader is not None:
        return reader
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return ensure_reader()
    if not IDEMPOTENCY_KEY.fullmatch(key):
        fail(
            400,
            "bad_idempotency_key",
            gettext("Idempotency-Key must be 8 to 200 printable characters without spaces, e.g. a UUID."),
        )
    return request_key_reader(key)


@bp.post("/polls/<slug>/ballots")
@limit_ballots
def cast(slug: str) -> tuple[Response, int]:
    """Cast or replace the calling reader's ballot."""
    if not same_origin():
        fail(
            403,
            "cross_site",
            gettext("Ballots are accepted only from this site's own pages or from scripts."),
        )
    try:
        ranking = ranking_from_json()
    except HTTPException:
        # A ballot for a poll that does not exist is refused for that first.
        poll_or_404(slug)
        raise
    reader = _reader()
    try:
        cast = take_ballot(slug, reader, ranking, BallotSource.API)
    except Refused as refusal:
        fail(400, refusal.code, refusal.reason)
    status = 202 if cast.held else 200 if cast.replaced else 201
    return jsonify(ranking=ranking, replaced=cast.replaced, held=cast.held), status


@bp.get("/polls/<slug>/results")
def results(slug: str) -> Response:
    """The community ranking beside the editors', with agreement figures."""
    found = poll_or_404(slug)
    if not can_see_results(found, current_reader()):
        fail(403, "results_not_public", str(NOT_PUBLIC_RESULTS))
    tally = read_tally(found)
    if visible_to(found, has_ballot=False):
        unchanged_refreshes.public(tally.tag)  # the same for every caller: a 304 may be kept
    if request.if_none_match.contains(tally.tag):
        unchanged = Response(status=304)
        unchanged.set_etag(tally.tag)
        return unchanged
    sure = how_sure(found, tally)
    # Every counted ballot puts one entry first.
    sources = sources_of(
        found, tally, sum(n for (_, _, position), n in tally.counts.items() if position == 1)
    )
    # The document is a function of the ballots the tally counts (its tag), the
    # figures and source counts worked out for them and the language: kept per
    # app for the latest of these, it is sent again without a new encoding.
    kept = current_app.extensions.setdefault(_KEPT_DOCUMENTS, {})
    key = (
        found.id,
        tally.tag,
        sure.tag,
        tuple(sorted(sources.items())),
        str(get_locale()),
        # Also stated in the document; every change the app makes bumps the
        # revision in the tag too, these guard a change made beside it.
        found.slug,
        str(found.borda_rule),
        found.min_ballots,
    )
    body = kept.get(found.id, (None, b""))
    if body[0] == key:
        response = current_app.response_class(body[1], mimetype="application/json")
    else:
        response = jsonify(results_document(results_of(found, tally), sure, sources))
        kept[found.id] = (key, response.get_data())
    response.set_etag(tally.tag)
    return response


@bp.get("/shared/<token>")
def shared(token: str) -> Response:
    """A reader's shared ranking: their current ballot beside the editors' and the readers' top."""
    response = jsonify(shared_document(shared_view(token)))
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.get("/polls/<slug>/suggestions")
def suggestions(slug: str) -> Response:
    """Readers' suggestions the editors approved, and how many readers would take each entry away."""
    found = poll_or_404(slug)
    if not can_see_results(found, current_reader()):
        fail(403, "results_not_public", str(NOT_PUBLIC_RESULTS))
    return jsonify(suggestions_document(found, public_suggestions(found)))


@bp.get("/polls/<slug>/history")
def history(slug: str) -> Response:
    """The community ranking as it stood through the poll's life, oldest first."""
    found = poll_or_404(slug)
    if not can_see_results(found, current_reader()):
        fail(403, "results_not_public", str(NOT_PUBLIC_RESULTS))
    return jsonify(history_document(history_of(found)))


@bp.get("/openapi.json")
def openapi() -> Response:
    """This API described as OpenAPI 3.1."""
    return jsonify(openapi_document())
