"""The pages readers see."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Blueprint, Response, abort, flash, redirect, render_template, stream_with_context, url_for
from flask.typing import ResponseReturnValue

from ..ballots.service import InvalidBallot, NoSuchPoll, PollClosed, cast_ballot
from ..polls.models import Poll
from ..polls.service import first_poll
from ..results import downloads
from ..results.service import can_see_results, reader_view, results_of, visible_to
from ..web import charts, policy
from ..web.limits import limit_ballots
from ..web.lookup import NOT_PUBLIC_BALLOTS, NOT_PUBLIC_RESULTS, closed, no_such_poll, poll_or_404
from ..web.readers import current_reader, ensure_reader
from ..words import POLL_CHANGED, RULE_DESCRIPTIONS, ballot_problem
from .forms import add_error, ballot_form

bp = Blueprint("site", __name__)
# Readers' pages may be shown in the frames the embed setting names.
policy.declare(bp, policy.Policy(frame_ancestors_setting="EMBED_ALLOWED_ORIGINS"))


@bp.get("/")
def index() -> ResponseReturnValue:
    """Show the current poll."""
    poll = first_poll()
    if poll is None:
        abort(404, "No poll is loaded yet. Run `flask --app pollapp init-db` to load the shipped polls.")
    return poll_page(poll)


@bp.route("/polls/<slug>", methods=["GET", "POST"])
@limit_ballots
def show_poll(slug: str) -> ResponseReturnValue:
    """Show the editors' list beside the ballot, and take a ballot."""
    return poll_page(poll_or_404(slug))


def poll_page(poll: Poll) -> ResponseReturnValue:
    view = reader_view(poll, current_reader())
    form = ballot_form(view.entries)
    if form.is_submitted() and not poll.is_open:
        closed()
    if form.validate_on_submit():
        try:
            replaced = cast_ballot(poll, ensure_reader(), form.ranking)
        except NoSuchPoll:
            no_such_poll(poll.slug)
        except PollClosed:
            closed()
        except InvalidBallot as error:
            reason = POLL_CHANGED if error.cause is None else ballot_problem(error.cause)
            add_error(form.position_fields()[0], reason)
        else:
            if replaced:
                flash("Your new ballot replaced your earlier one.", "success")
            else:
                flash("Thank you! Your ballot is in.", "success")
            # A poll that shows results only later sends the reader back to it.
            shown = "site.results" if visible_to(poll, has_ballot=True) else "site.show_poll"
            return redirect(url_for(shown, slug=poll.slug))
    elif not form.is_submitted() and view.mine:
        for field, key in zip(form.position_fields(), view.mine, strict=False):
            field.data = key
    status = 400 if form.errors else 200
    return render_template(
        "site/poll.html",
        poll=poll,
        entries=view.entries,
        form=form,
        earlier=view.mine,
        results_visible=view.visible,
    ), status


@bp.get("/polls/<slug>/results")
def results(slug: str) -> ResponseReturnValue:
    """Show the readers' ranking beside the editors'."""
    view = reader_view(poll_or_404(slug), current_reader(), with_results=True)
    if view.results is None:
        return render_template("site/results_hidden.html", poll=view.poll), 403
    return render_template(
        "site/results.html",
        result=view.results,
        charts=charts.draw_all(view.results),
        poll=view.poll,
        mine=view.mine,
        rule_description=RULE_DESCRIPTIONS[view.poll.borda_rule],
    )


def csv_download(chunks: Iterator[str], filename: str) -> Response:
    response = Response(stream_with_context(chunks), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8; header=present"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/polls/<slug>/results.csv")
def results_csv(slug: str) -> Response:
    """Download the results as CSV."""
    poll = poll_or_404(slug)
    if not can_see_results(poll, current_reader()):
        abort(403, NOT_PUBLIC_RESULTS)
    return csv_download(downloads.results_csv(results_of(poll)), f"{slug}-results.csv")


@bp.get("/polls/<slug>/ballots.csv")
def ballots_csv(slug: str) -> Response:
    """Download every ballot as CSV, streamed."""
    poll = poll_or_404(slug)
    if not can_see_results(poll, current_reader()):
        abort(403, NOT_PUBLIC_BALLOTS)
    return csv_download(downloads.ballots_csv(poll), f"{slug}-ballots.csv")
