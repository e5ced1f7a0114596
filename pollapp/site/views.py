"""The pages readers see."""

from __future__ import annotations

import gzip
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import Conflict
from werkzeug.wsgi import wrap_file

from ..ballots.sharing import live_share
from ..ballots.tally import read_tally
from ..core.terms import BallotSource
from ..polls.models import Poll
from ..polls.service import find_poll
from ..results import downloads
from ..results.history import history_of
from ..results.overview import reader_index
from ..results.service import ReaderView, can_see_results, reader_view, results_of, visible_to
from ..results.sources import sources_of
from ..results.story import RULE_ORDER, story_of
from ..results.sureness import how_sure
from ..web import charts, filecache, languages, policy
from ..web.casting import Refused, take_ballot
from ..web.filters import moment_filter
from ..web.forms import BallotForm, add_error, ballot_form
from ..web.history_chart import history_chart
from ..web.limits import limit_ballots, limit_downloads
from ..web.lookup import NOT_PUBLIC_BALLOTS, NOT_PUBLIC_RESULTS, not_taking_reason, poll_or_404
from ..web.ordering import ballot_entries
from ..web.readers import current_reader, ensure_reader
from ..words import RULE_DESCRIPTIONS, RULE_NAMES, ballot_sources, ballot_taken, rescored_sentence
from .suggestion_forms import suggestion_panel

bp = Blueprint("site", __name__)
# Readers' pages are never framed: the embed (its own blueprint) is what other sites show.
policy.declare(bp, policy.Policy())
# What the poll page's form sends; a refused body of any other type is not a ballot to give back.
FORM_MIMETYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


@bp.get("/")
def index() -> ResponseReturnValue:
    """Show the newest open poll, or every poll when none is open."""
    polls = reader_index()
    if polls and not polls[0].poll.is_closed:
        return poll_page(polls[0].poll)
    return render_template("site/index.html", polls=polls)


@bp.get("/polls")
def every_poll() -> ResponseReturnValue:
    """List every poll readers may see, open ones first."""
    return render_template("site/index.html", polls=reader_index())


@bp.route("/polls/<slug>", methods=["GET", "POST"])
@limit_ballots
def show_poll(slug: str) -> ResponseReturnValue:
    """Show the editors' list beside the ballot, and take a ballot."""
    return poll_page(poll_or_404(slug))


def poll_page(poll: Poll) -> ResponseReturnValue:
    # The reader's cookie comes with the page that holds the ballot, so a
    # ballot retried after a lost response is the same reader's, never a second.
    reader = ensure_reader()
    view = reader_view(poll, reader)
    form = ballot_form(ballot_entries(poll, view.entries, reader))
    if form.is_submitted() and not poll.is_open:
        return _ballot_page(view, form, 409, not_taking_reason(poll))
    if form.validate_on_submit():
        try:
            cast = take_ballot(poll, reader, form.ranking, BallotSource.SITE)
        except Refused as refusal:
            add_error(form.position_fields()[0], refusal.reason)
        except Conflict as refused:  # closed while the ballot was on its way
            return _ballot_page(view, form, 409, str(refused.description))
        else:
            flash(ballot_taken(cast), "success")
            # A poll that shows results only later sends the reader back to it.
            # Either way the page opens at the reader's own ranking, not at
            # the top, which on a phone is a long scroll away.
            if visible_to(poll, has_ballot=True):
                return redirect(url_for("site.results", slug=poll.slug, _anchor="your-ranking"))
            return redirect(url_for("site.show_poll", slug=poll.slug, _anchor="ballot"))
    elif not form.is_submitted() and view.mine:
        form.show(view.mine)
    return _ballot_page(view, form, 400 if form.errors else 200)


def _ballot_page(
    view: ReaderView, form: BallotForm, status: int, refusal: str | None = None
) -> tuple[str, int]:
    """The poll page with the ballot as the form holds it, and why it was
    refused, if it was (``refusal``)."""
    return render_template(
        "site/poll.html",
        poll=view.poll,
        entries=languages.entries_shown(view.entries),
        # The ballot lists them in the reader's own order, the editors' list in theirs.
        ballot_entries=languages.entries_shown(ballot_entries(view.poll, view.entries, current_reader())),
        form=form,
        earlier=view.mine,
        results_visible=view.visible,
        my_share=live_share(view.poll, current_reader()) if view.mine else None,
        suggestions=suggestion_panel(view.poll, current_reader()),
        refusal=refusal,
    ), status


def refused_ballot(message: str, status: int) -> tuple[str, int] | None:
    """The poll page with the ballot just sent from it, as the reader left it,
    and the sentence that says why it was not taken; None for any request
    that is not a ballot sent with the poll page's form.

    For refusals that come before the view can read the form (an expired
    form, too many ballots), so no refusal ever loses a reader's picks."""
    slug = (request.view_args or {}).get("slug")
    if request.endpoint != "site.show_poll" or request.method != "POST" or not isinstance(slug, str):
        return None
    if request.mimetype not in FORM_MIMETYPES:
        return None  # not the page's form (the form would try to read a JSON body and fail)
    poll = find_poll(slug)
    if poll is None:
        return None
    view = reader_view(poll, current_reader())
    return _ballot_page(
        view, ballot_form(ballot_entries(poll, view.entries, current_reader())), status, message
    )


@bp.get("/polls/<slug>/results")
def results(slug: str) -> ResponseReturnValue:
    """Show the readers' ranking beside the editors'."""
    view = reader_view(poll_or_404(slug), current_reader(), with_results=True)
    if view.results is None:
        return render_template("site/results_hidden.html", poll=view.poll), 403
    shown = languages.results_shown(view.results)
    tally = view.results.tally
    assert tally is not None, "results read from the database carry their tally"
    sure = how_sure(view.poll, tally)
    return render_template(
        "site/results.html",
        result=shown,
        charts=charts.draw_all(shown),
        history=history_chart(history_of(view.poll), shown),
        poll=view.poll,
        mine=view.mine,
        my_share=live_share(view.poll, current_reader()) if view.mine else None,
        rule_description=RULE_DESCRIPTIONS[view.poll.borda_rule],
        suggestions=suggestion_panel(view.poll, current_reader(), back="results"),
        rule_names=RULE_NAMES,
        sure=sure,
        story=story_of(shown, sure, view.mine),
        counted_by=RULE_ORDER,
        sources_sentence=ballot_sources(sources_of(view.poll, tally, shown.outcome.ballots)),
        rescores=[rescored_sentence(change, moment_filter(change.at)) for change in view.results.rescores],
    )


# What each download's file ends in, and its Content-Type.
DOWNLOAD_TYPES = {
    "csv": "text/csv; charset=utf-8; header=present",
    "soi": "text/plain; charset=utf-8",
    "cef": "text/plain; charset=utf-8",
}


def kept_download(
    poll: Poll, kind: str, make: Callable[[], Iterable[str]], public: bool, suffix: str = "csv"
) -> Response:
    """A download made once per tally tag and kept (``web.filecache``): with a
    weak ETag (304 on revalidation), gzip to a client that takes it, and a
    Cache-Control that says how stale it may be."""
    tag = f"{read_tally(poll).tag}-v{downloads.LAYOUT}"
    fresh_for = float(current_app.config["DOWNLOADS_FRESH_FOR"])
    folder = Path(current_app.config["DOWNLOADS_FOLDER"] or Path(current_app.instance_path) / "downloads")
    # The rule is in the name: results under another rule are another file.
    made = filecache.kept(folder, f"{poll.slug}-{kind}-{suffix}-{poll.borda_rule}", tag, fresh_for, make)
    if request.if_none_match.contains_weak(made.tag):
        response = Response(status=304)
    elif request.accept_encodings["gzip"]:
        handle = open(made.path, "rb")  # noqa: SIM115  # closed by the response when it is sent
        response = Response(wrap_file(request.environ, handle), direct_passthrough=True, mimetype="text/csv")
        response.headers["Content-Encoding"] = "gzip"
        response.content_length = os.fstat(handle.fileno()).st_size
    else:
        response = Response(filecache.unpacked(gzip.open(made.path, "rb")), mimetype="text/csv")
    response.headers["Content-Type"] = DOWNLOAD_TYPES[suffix]
    response.headers["Content-Disposition"] = f'attachment; filename="{poll.slug}-{kind}.{suffix}"'
    response.headers["Vary"] = "Accept-Encoding, Cookie"
    response.set_etag(made.tag, weak=True)
    response.cache_control.max_age = made.max_age(tag, fresh_for)
    if public:
        response.cache_control.public = True
    else:  # who may see it depends on the reader's own ballot
        response.cache_control.private = True
    return response


def _public(poll: Poll) -> bool:
    """Whether every reader may see the poll's results (none needs a ballot of their own)."""
    return visible_to(poll, has_ballot=False)


@bp.get("/polls/<slug>/results.csv")
@limit_downloads
def results_csv(slug: str) -> Response:
    """Download the results as CSV."""
    poll = poll_or_404(slug)
    if not can_see_results(poll, current_reader()):
        abort(403, str(NOT_PUBLIC_RESULTS))
    return kept_download(poll, "results", lambda: downloads.results_csv(results_of(poll)), _public(poll))


@bp.get("/polls/<slug>/ballots.csv")
@limit_downloads
def ballots_csv(slug: str) -> Response:
    """Download every counted ballot as CSV."""
    return _ballots_download(slug, "csv")


def _ballots_download(slug: str, suffix: str) -> Response:
    """Every counted ballot of the poll as the file of that suffix, to a reader who may see them."""
    poll = poll_or_404(slug)
    if not can_see_results(poll, current_reader()):
        abort(403, str(NOT_PUBLIC_BALLOTS))
    make = {"csv": downloads.ballots_csv, "soi": downloads.ballots_soi, "cef": downloads.ballots_cef}[suffix]
    return kept_download(poll, "ballots", lambda: make(poll), _public(poll), suffix)


@bp.get("/polls/<slug>/ballots.soi")
@limit_downloads
def ballots_soi(slug: str) -> Response:
    """Download every counted ballot as a PrefLib .soi file."""
    return _ballots_download(slug, "soi")


@bp.get("/polls/<slug>/ballots.cef")
@limit_downloads
def ballots_cef(slug: str) -> Response:
    """Download every counted ballot as a Condorcet Election Format file."""
    return _ballots_download(slug, "cef")
