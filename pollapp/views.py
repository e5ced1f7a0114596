"""The pages readers see."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import NoReturn, ParamSpec, TypeVar

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    stream_with_context,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from . import charts, exports, readers, services
from .extensions import limiter
from .forms import ballot_form
from .models import Poll
from .ranking import RULE_DESCRIPTIONS

bp = Blueprint("views", __name__)
P = ParamSpec("P")
R = TypeVar("R")


@bp.app_template_filter("points")
def points_filter(points: object) -> str:
    return exports.format_points(points)


@bp.app_template_filter("correlation")
def correlation_filter(value: float | None) -> str:
    return "undefined" if value is None else f"{value:.3f}".replace("-", "−")


def ballot_limit() -> str:
    return str(current_app.config["RATELIMIT_BALLOTS"])


# One budget per client address for every way of casting a ballot (form and API).
_shared_ballot_limit = limiter.shared_limit(ballot_limit, scope="ballots", methods=["POST"])


def limit_ballots(view: Callable[P, R]) -> Callable[P, R]:
    """Count a view's POSTs against the shared ballot budget; no cost at all when limits are off."""
    limited = _shared_ballot_limit(view)

    @wraps(view)
    def checked(*args: P.args, **kwargs: P.kwargs) -> R:
        if current_app.config["RATELIMIT_ENABLED"]:
            return limited(*args, **kwargs)
        return view(*args, **kwargs)

    return checked


CLOSED = "This poll is closed and no longer takes ballots. The results are final."


def results_visible(poll: Poll) -> bool:
    return services.can_see_results(poll, readers.current_reader())


def poll_or_404(slug: str) -> Poll:
    poll = services.find_poll(slug)
    if poll is None:
        no_such_poll(slug)
    return poll


def no_such_poll(slug: str) -> NoReturn:
    abort(404, f"There is no poll called “{slug[:80]}”.")


@bp.get("/")
def index() -> str:
    """Show the current poll."""
    poll = services.first_poll()
    if poll is None:
        abort(404, "No poll is loaded yet. Run `flask --app pollapp init-db` to load the shipped polls.")
    return poll_page(poll)


@bp.route("/polls/<slug>", methods=["GET", "POST"])
@limit_ballots
def show_poll(slug: str) -> str | BaseResponse:
    """Show the editors' list beside the ballot, and take a ballot."""
    return poll_page(poll_or_404(slug))


def poll_page(poll: Poll) -> str | BaseResponse:
    slug = poll.slug
    entries = services.entry_views(poll)
    earlier = services.reader_ballot(poll, readers.current_reader())
    form = ballot_form(entries)
    if form.is_submitted() and not poll.is_open:
        abort(409, CLOSED)
    if form.validate_on_submit():
        reader = readers.ensure_reader()
        try:
            replaced = services.cast_ballot(poll, reader, form.ranking)
        except services.NoSuchPoll:
            no_such_poll(slug)
        except services.PollClosed:
            abort(409, CLOSED)
        except services.InvalidBallot as error:
            form.position_fields()[0].errors.append(str(error))
        else:
            if replaced:
                flash("Your new ballot replaced your earlier one.", "success")
            else:
                flash("Thank you! Your ballot is in.", "success")
            # A poll that shows results only later sends the reader back to it.
            shown = "views.results" if services.can_see_results(poll, reader) else "views.show_poll"
            return redirect(url_for(shown, slug=slug))
    elif not form.is_submitted() and earlier:
        for field, key in zip(form.position_fields(), earlier, strict=False):
            field.data = key
    status = 400 if form.errors else 200
    return render_template(
        "poll.html",
        poll=poll,
        entries=entries,
        form=form,
        earlier=earlier,
        results_visible=results_visible(poll),
    ), status  # type: ignore[return-value]


@bp.get("/polls/<slug>/results")
def results(slug: str) -> str | tuple[str, int]:
    """Show the readers' ranking beside the editors'."""
    poll = poll_or_404(slug)
    mine = services.reader_ballot(poll, readers.current_reader())
    if not results_visible(poll):
        return render_template("results_hidden.html", poll=poll), 403
    result = services.results(poll)
    return render_template(
        "results.html",
        result=result,
        charts=charts.draw_all(result),
        poll=poll,
        mine=mine,
        rule_description=RULE_DESCRIPTIONS[poll.borda_rule],  # type: ignore[index]
    )


def csv_download(rows: object, filename: str) -> Response:
    response = Response(stream_with_context(rows), mimetype="text/csv")  # type: ignore[arg-type]
    response.headers["Content-Type"] = "text/csv; charset=utf-8; header=present"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/polls/<slug>/results.csv")
def results_csv(slug: str) -> Response:
    """Download the results as CSV."""
    poll = poll_or_404(slug)
    if not results_visible(poll):
        abort(403, "The results of this poll are not public yet.")
    return csv_download(exports.results_csv(services.results(poll)), f"{slug}-results.csv")


@bp.get("/polls/<slug>/ballots.csv")
def ballots_csv(slug: str) -> Response:
    """Download every ballot as CSV, streamed."""
    poll = poll_or_404(slug)
    if not results_visible(poll):
        abort(403, "The ballots of this poll are not public yet.")
    return csv_download(exports.ballots_csv(poll), f"{slug}-ballots.csv")
