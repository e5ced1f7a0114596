"""Readers' suggestions: "Is something missing?" and "Anything you'd take away?"

Each form posts to its own URL and the reader is sent back to the page it
was on with a message (POST, redirect, GET). A form with a mistake comes back
on a page of its own with the mistake beside the field, and 400.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext, lazy_gettext

from ..polls.models import Poll
from ..suggestions.service import SuggestionError, suggest_missing, suggest_take_away
from ..web.limits import limit_suggestions
from ..web.lookup import poll_or_404
from ..web.readers import ensure_reader
from ..web.suggestions import CLOSED_TO_SUGGESTIONS, suggestion_problem
from .suggestion_forms import MissingForm, TakeAwayForm, missing_form, take_away_form
from .views import bp

EXPIRED = lazy_gettext(
    "This form has expired or did not come from this site. Reload the page and send your suggestion again."
)
# Their expired forms are answered in site/refusals.py.
ENDPOINTS = {"site.suggest_missing_entry", "site.suggest_taking_away"}


def _open_poll(slug: str) -> Poll:
    poll = poll_or_404(slug)
    if not poll.is_open:
        abort(409, str(CLOSED_TO_SUGGESTIONS))
    return poll


def _back(poll: Poll, form: MissingForm | TakeAwayForm) -> ResponseReturnValue:
    page = "site.results" if form.back.data == "results" else "site.show_poll"
    return redirect(url_for(page, slug=poll.slug, _anchor="suggestions"), 303)


def _refused(poll: Poll, form: MissingForm | TakeAwayForm) -> ResponseReturnValue:
    return render_template("site/suggestion_refused.html", poll=poll, form=form), 400


@bp.post("/polls/<slug>/suggestions/missing")
@limit_suggestions
def suggest_missing_entry(slug: str) -> ResponseReturnValue:
    """Take a reader's suggestion of something the poll is missing."""
    poll = _open_poll(slug)
    form = missing_form()
    if not form.validate_on_submit():
        return _refused(poll, form)
    try:
        title = suggest_missing(poll, ensure_reader(), str(form.title.data), str(form.note.data or ""))
    except SuggestionError as error:
        form.title.errors = [suggestion_problem(error)]
        return _refused(poll, form)
    flash(gettext("Thank you: your suggestion “%(title)s” is with the editors.", title=title), "success")
    return _back(poll, form)


@bp.post("/polls/<slug>/suggestions/take-away")
@limit_suggestions
def suggest_taking_away(slug: str) -> ResponseReturnValue:
    """Take a reader's suggestion of an entry to take away."""
    poll = _open_poll(slug)
    form = take_away_form(poll)
    if not form.validate_on_submit():
        return _refused(poll, form)
    key = str(form.entry.data)
    try:
        suggest_take_away(poll, ensure_reader(), key)
    except SuggestionError as error:
        form.entry.errors = [suggestion_problem(error)]
        return _refused(poll, form)
    label = next(entry.label for entry in poll.entries if entry.key == key)
    flash(
        gettext("Thank you: the editors will hear that you would take away “%(label)s”.", label=label),
        "success",
    )
    return _back(poll, form)
