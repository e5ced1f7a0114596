"""The embed: the ballot in a frame on another site (a WordPress post, any
page, an AMP article), and the ballot endpoint its script sends to.

The embed's reader is the key its page holds: the form's hidden
``reader_key``, which the script sends as its ``Idempotency-Key``. The same key
is the same reader, so voting again, or a request sent again after a lost
answer, replaces the ballot and never counts twice. A ballot sent with the form
from a frame that keeps the cookie is sent on to the embed's page (``?taken=``),
which finds the reader again by the cookie and shows their picks; where the frame
keeps none, the page answers the ballot itself, the key in its form, so that no
reader key is ever put in an address (logs, history, a Referer would keep it).

Where the frame may keep a cookie, the key is made from the embed's own
partitioned reader cookie (``readers.set_embed_cookie``), so every load of the
embed on that site is the same reader. Where it may not (WordPress's sandbox
in a browser that blocks third-party cookies, Safari), each page load is a new
key and a new reader: the address's budget of first ballots counted at once
(``web.limits``) is what bounds a reader reloading to vote again, and what
lies past it is held, not counted.

Why the form needs no CSRF token: the key is the token. A request from
another site's page may carry the embed cookie, but without the key made from
it, which only the embed's own page holds, it is a reader of its own, not the
cookie's: at most it spends the victim's address budget, as the forger's own
ballots would spend theirs, and past the budget it is held.
"""

from __future__ import annotations

from typing import NamedTuple

from flask import Blueprint, Response, jsonify, make_response, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_limiter import RateLimitExceeded
from markupsafe import Markup
from werkzeug.exceptions import Conflict, HTTPException

from ..ballots.service import Cast, reader_ballot
from ..core.terms import BallotSource
from ..polls.models import Poll
from ..polls.service import EntryView, entry_views, find_poll
from ..results.service import visible_to
from ..web import languages, policy
from ..web.ballot_requests import ranking_from_json, same_origin
from ..web.casting import Refused, take_ballot
from ..web.errors import fail, handle_rate_limit, rate_limit_words
from ..web.forms import BallotForm, add_error, ballot_form
from ..web.limits import limit_ballots
from ..web.lookup import not_taking_reason, poll_or_404
from ..web.ordering import ballot_entries
from ..web.readers import (
    IDEMPOTENCY_KEY,
    embed_key,
    embed_token,
    new_embed_token,
    request_key_reader,
    set_embed_cookie,
    with_embed_cookie,
)
from ..web.security import vary
from ..words import ballot_taken
from .after import after_ballot

bp = Blueprint("embed", __name__)
# Shown in frames on the sites EMBED_ALLOWED_ORIGINS names (by default any);
# errors are pages, as they are shown in the frame. What only the embed uses
# is in its page, so that its first view is few requests (bench figure 10).
policy.declare(
    bp,
    policy.Policy(
        frame_ancestors_setting="EMBED_ALLOWED_ORIGINS",
        errors="html",
        inline=("js-on.js", "embed.css", "embed.js"),
    ),
)

PREFLIGHT_MAX_AGE = 600  # seconds a browser may keep the preflight's answer


def _ballot_entries(poll: Poll, entries: list[EntryView], key: str) -> list[EntryView]:
    """The entries in the order the ballot of the reader this key stands for lists them."""
    reader = request_key_reader(key) if IDEMPOTENCY_KEY.fullmatch(key) else None
    return ballot_entries(poll, entries, reader)


def _page(
    poll: Poll,
    entries: list[EntryView],
    form: BallotForm,
    after: str | None,
    status: int,
    refusal: str | None = None,
) -> tuple[str, int]:
    """The frame's page; ``refusal`` says why the ballot the form holds was not taken."""
    return render_template(
        "embed/embed.html",
        poll=poll,
        entries=entries,
        ballot_entries=_ballot_entries(poll, entries, str(form["reader_key"].data or "")),
        form=form,
        after=None if after is None else Markup(after),  # rendered by the template above, escaped there
        # Before a ballot, the link to the results is there only if they are public.
        results_visible=visible_to(poll, has_ballot=after is not None),
        endpoint=url_for("embed.cast", slug=poll.slug),
        refusal=refusal,
    ), status


def _sent_by_the_embed() -> bool:
    """Whether a ballot comes from the embed's own document: in an opaque origin (a
    sandboxed frame, ``Origin: null``) or on this site (a frame that is not
    sandboxed). No real embed sends any other origin."""
    return request.headers.get("Origin") == "null" or same_origin()


def _from_the_embed() -> None:
    """403 for a ballot sent by another site's page."""
    if not _sent_by_the_embed():
        fail(403, "cross_site", gettext("Ballots are accepted here only from the poll's own embed."))


def _source(key: str) -> BallotSource:
    """Whether a ballot sent with this reader key came with the embed cookie it was made from."""
    return BallotSource.EMBED_COOKIE if with_embed_cookie(key) else BallotSource.EMBED_NO_COOKIE


class _Outcome(NamedTuple):
    """What became of a ballot, as the address after the form says (``words.Taken``)."""

    replaced: bool
    held: bool


# ``?taken=`` on the address the form's ballot is sent on to.
_TAKEN = {
    "new": _Outcome(replaced=False, held=False),
    "replaced": _Outcome(replaced=True, held=False),
    "held": _Outcome(replaced=False, held=True),
    "replaced-held": _Outcome(replaced=True, held=True),
}
_TAKEN_WORD = {outcome: word for word, outcome in _TAKEN.items()}


@bp.route("/polls/<slug>/embed", methods=["GET", "POST"])
@limit_ballots
def embed(slug: str) -> ResponseReturnValue:
    """Show the ballot made for a frame, and take a ballot sent with its form."""
    if request.method == "POST" and (taken := _plainly_taken(slug)) is not None:
        return taken
    poll = poll_or_404(slug)
    entries = languages.entries_shown(entry_views(poll))
    if request.method == "GET":
        return _frame_page(poll, entries)
    key = request.form.get("reader_key", "")
    form = ballot_form(_ballot_entries(poll, entries, key), reader_key=True, meta={"csrf": False})
    _from_the_embed()
    if not poll.is_open:
        return _page(poll, entries, form, None, 409, not_taking_reason(poll))
    if not form.validate():
        return _page(poll, entries, form, None, 400)
    key = form["reader_key"].data
    source = _source(key)
    try:
        cast = take_ballot(poll, request_key_reader(key), form.ranking, source)
    except Refused as refusal:
        add_error(form.position_fields()[0], refusal.reason)
        return _page(poll, entries, form, None, 400)
    except Conflict as refused:  # closed while the ballot was on its way
        return _page(poll, entries, form, None, 409, str(refused.description))
    if source is BallotSource.EMBED_COOKIE:
        return _sent_on(poll.slug, cast)
    # No cookie to find the reader by after a redirect: the page answers the ballot
    # itself, and sent again it carries the same key and replaces.
    return _page(poll, entries, form, after_ballot(poll, form.ranking, ballot_taken(cast)), 200)


def _plainly_taken(slug: str) -> Response | None:
    """Take a ballot sent with the form of a frame that keeps the cookie when nothing
    about it needs saying, without reading the poll or building its form: what most
    such ballots are. None when something does (a mistake, an entry the poll does
    not have, a closed poll, no such poll, another site's page) or when the frame
    keeps no cookie: nothing was stored, and the long way, with the poll and its
    form, says what or answers with the page."""
    key = request.form.get("reader_key", "")
    ranking = BallotForm.plain_ranking(request.form)
    if ranking is None or not IDEMPOTENCY_KEY.fullmatch(key) or not _sent_by_the_embed():
        return None
    if _source(key) is not BallotSource.EMBED_COOKIE:
        return None
    try:
        cast = take_ballot(slug, request_key_reader(key), ranking, BallotSource.EMBED_COOKIE)
    except (Refused, HTTPException):
        return None
    return _sent_on(slug, cast)


def _sent_on(slug: str, cast: Cast) -> Response:
    """Send the frame on to the page, which finds the reader again by their cookie and
    shows the picks and what became of them, so that a reload there does not send
    the ballot again."""
    taken = _TAKEN_WORD[_Outcome(replaced=cast.replaced, held=cast.held)]
    # No page of its own to show while the browser goes on, so none is made.
    location = url_for("embed.embed", slug=slug, taken=taken, _anchor="ballot-message")
    return Response(status=303, headers={"Location": location}, mimetype="text/plain")


def _frame_page(poll: Poll, entries: list[EntryView]) -> Response:
    """The frame's page: the ballot of the reader its cookie stands for (a new one
    without), and where the form's ballot was sent on to, its picks beside the tops."""
    kept = embed_token()
    # A new token is kept only where the frame may keep a cookie; elsewhere
    # the next load brings none and makes another, so another key.
    token = kept or new_embed_token()
    key = embed_key(token)
    form = ballot_form(_ballot_entries(poll, entries, key), reader_key=True, meta={"csrf": False})
    form["reader_key"].data = key
    outcome = _TAKEN.get(request.args.get("taken", ""))
    mine = reader_ballot(poll, request_key_reader(key)) if outcome else None
    after = None
    if outcome and mine:
        form.show(mine)
        after = after_ballot(poll, mine, ballot_taken(outcome))
    response = make_response(_page(poll, entries, form, after, 200))
    if kept is None:
        set_embed_cookie(response, token)
    return response


@bp.errorhandler(RateLimitExceeded)
def too_many(error: RateLimitExceeded) -> ResponseReturnValue:
    """Past the address's ballot budget: the frame's form comes back with the
    reader's picks and the sentence; the script's endpoint answers JSON."""
    message, seconds = rate_limit_words(error)
    slug = (request.view_args or {}).get("slug")
    poll = find_poll(slug) if request.endpoint == "embed.embed" and isinstance(slug, str) else None
    if poll is None:
        return handle_rate_limit(error)
    entries = languages.entries_shown(entry_views(poll))
    key = request.form.get("reader_key", "")
    form = ballot_form(_ballot_entries(poll, entries, key), reader_key=True, meta={"csrf": False})
    body, status = _page(poll, entries, form, None, 429, message)
    return body, status, {"Retry-After": str(seconds)}


def _cross_origin_headers(response: Response) -> Response:
    """Let a script in a sandboxed frame (``Origin: null``) read the answer."""
    if request.endpoint in ("embed.cast", "embed.preflight") and request.headers.get("Origin") == "null":
        response.headers["Access-Control-Allow-Origin"] = "null"
        # The script sends the embed cookie where the frame kept one.
        response.headers["Access-Control-Allow-Credentials"] = "true"
        if "Retry-After" in response.headers:  # a refusal past the budget says when to try again
            response.headers["Access-Control-Expose-Headers"] = "Retry-After"
    vary(response, "Origin")
    return response


bp.after_request(_cross_origin_headers)


@bp.route("/polls/<slug>/embed/ballots", methods=["OPTIONS"])
def preflight(slug: str) -> Response:
    """Answer a sandboxed frame's preflight for a ballot."""
    response = Response(status=204)
    if request.headers.get("Origin") == "null":
        response.headers["Access-Control-Allow-Methods"] = "POST"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type, Idempotency-Key"
        response.headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
    response.headers["Allow"] = "POST, OPTIONS"
    return response


@bp.post("/polls/<slug>/embed/ballots", provide_automatic_options=False)
@limit_ballots
def cast(slug: str) -> tuple[Response, int]:
    """Cast or replace the ballot of the reader an ``Idempotency-Key`` stands for."""
    _from_the_embed()
    key = request.headers.get("Idempotency-Key")
    if key is None or not IDEMPOTENCY_KEY.fullmatch(key):
        fail(
            400,
            "bad_idempotency_key",
            gettext("Send an Idempotency-Key header of 8 to 200 printable characters without spaces."),
        )
    try:
        ranking = ranking_from_json()
    except HTTPException:
        poll_or_404(slug)  # a ballot for a poll that does not exist is refused for that first
        raise
    try:
        # With the poll's row as the ballot found it: the rest of the answer is kept per
        # poll and revision (embed/after.py).
        taken = take_ballot(slug, request_key_reader(key), ranking, _source(key), with_poll=True)
    except Refused as refusal:
        fail(400, refusal.code, refusal.reason)
    message = ballot_taken(taken)
    poll = taken.poll
    assert poll is not None, "asked for with the ballot"
    status = 202 if taken.held else 200 if taken.replaced else 201
    return jsonify(
        ranking=ranking,
        replaced=taken.replaced,
        held=taken.held,
        message=message,
        html=after_ballot(poll, ranking, message),
    ), status
