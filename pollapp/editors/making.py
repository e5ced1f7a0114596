"""Making and editing a poll in the desk."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from ..accounts.models import EditorAction
from ..accounts.service import record
from ..catalogue.sync import save_poll
from ..suggestions.service import SuggestionError, SuggestionProblem, approved_titles
from ..web.errors import error_response
from ..web.lookup import poll_or_404
from ..web.suggestions import suggestion_problem
from . import sessions
from .poll_forms import PollForm
from .views import bp


@bp.route("/polls/new", methods=["GET", "POST"])
def new_poll() -> ResponseReturnValue:
    """Make a poll; ``?from=<slug>&suggestion=<id>...`` starts one with those approved suggestions."""
    source = None
    if request.method == "GET" and "from" in request.args:
        source = poll_or_404(request.args["from"], drafts=True)
        raw = request.args.getlist("suggestion")
        try:
            titles = approved_titles(source, [int(each) for each in raw if each.isdigit()])
            if len(titles) < len(set(raw)):  # an id that is no number
                raise SuggestionError(SuggestionProblem.NOT_APPROVED)
        except SuggestionError as error:
            return error_response(400, suggestion_problem(error), str(error.problem))
        form = PollForm(entries=[{"title": title} for title in titles])
    else:
        form = PollForm()
    if not form.validate_on_submit():
        page = render_template("editors/poll_form.html", form=form, poll=None, source=source)
        return page, 400 if form.errors else 200
    poll = save_poll(form.spec())
    record(sessions.editor(), EditorAction.CREATED, poll, detail=poll.title)
    flash(gettext("“%(title)s” is made.", title=poll.title), "success")
    return redirect(url_for("editors.edit_poll", slug=poll.slug))


@bp.route("/polls/<slug>/edit", methods=["GET", "POST"])
def edit_poll(slug: str) -> ResponseReturnValue:
    """Change a poll's text, entries or settings."""
    poll = poll_or_404(slug, drafts=True)
    form = PollForm(poll)
    if not form.validate_on_submit():
        return render_template("editors/poll_form.html", form=form, poll=poll), 400 if form.errors else 200
    save_poll(form.spec(), poll)
    record(sessions.editor(), EditorAction.EDITED, poll, detail=poll.title)
    for change in form.rescores:
        record(sessions.editor(), EditorAction.RESCORED, poll, detail=change.token)
    flash(gettext("“%(title)s” is saved.", title=poll.title), "success")
    if form.rescores:
        flash(gettext("Every ballot of “%(title)s” is re-scored.", title=poll.title), "success")
    return redirect(url_for("editors.edit_poll", slug=poll.slug))
