"""The desk's queue of readers' suggestions for a poll (approve, reject,
merge) and the poll's trail of what editors did. Readers are never named:
the desk sees how many asked and what they wrote, never who."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import InputRequired, Optional

from ..accounts.models import EditorAction
from ..accounts.service import TrailEntry, poll_trail, record
from ..core.ranking import Rule
from ..core.terms import RescoreCause
from ..polls.models import Poll
from ..suggestions.models import SUGGESTED_TITLE_LENGTH
from ..suggestions.service import SuggestionError, approve, merge, queue, reject
from ..web.forms import AppForm
from ..web.lookup import poll_or_404
from ..web.suggestions import suggestion_problem
from ..words import RULE_NAMES
from . import sessions
from .views import bp


class ApproveForm(AppForm):
    """Approve a nomination, optionally under a better title."""

    title = StringField(
        _l("Shown on the results as"),
        validators=[Optional()],
        render_kw={"maxlength": SUGGESTED_TITLE_LENGTH, "autocomplete": "off"},
    )


class RejectForm(AppForm):
    """Reject a nomination: the form carries only its CSRF token."""


class MergeForm(AppForm):
    """Merge a nomination into another: the one it joins."""

    into = IntegerField(
        _l("Merge into"), validators=[InputRequired(_l("Choose the suggestion to merge it into."))]
    )


def quoted(titles: list[str]) -> str:
    return ", ".join(f"“{title}”" for title in titles)


def rescore_line(token: str) -> str:
    """A confirmed re-score in the trail, from what was confirmed (``RescoreView.token``)."""
    cause, _, after = token.partition(":")
    if cause == RescoreCause.RULE_CHANGED and after in {rule.value for rule in Rule}:
        return str(gettext("Re-scored every ballot under the %(rule)s rule", rule=RULE_NAMES[Rule(after)]))
    if cause == RescoreCause.ENTRIES_ADDED and after.isdigit():
        return str(gettext("Re-scored every ballot with n = %(n)s", n=after))
    return str(gettext("Re-scored every ballot"))


def trail_line(entry: TrailEntry) -> str:
    """What an entry of the trail says an editor did, in a few words."""
    match entry.action:
        case EditorAction.OPENED:
            return str(gettext("Opened the poll"))
        case EditorAction.CLOSED:
            return str(gettext("Closed the poll"))
        case EditorAction.RELEASED:
            count = entry.ballots or 0
            return str(ngettext("Counted %(num)d held ballot", "Counted %(num)d held ballots", count))
        case EditorAction.APPROVED:
            return str(gettext("Approved the readers' suggestion %(detail)s", detail=entry.detail))
        case EditorAction.REJECTED:
            return str(gettext("Rejected the readers' suggestion %(detail)s", detail=entry.detail))
        case EditorAction.MERGED:
            return str(gettext("Merged readers' suggestions: %(detail)s", detail=entry.detail))
        case EditorAction.CREATED:
            return str(gettext("Made the poll"))
        case EditorAction.EDITED:
            return str(gettext("Edited the poll"))
        case EditorAction.RESCORED:
            return rescore_line(entry.detail or "")
    return str(entry.action).replace("_", " ").capitalize()


def _to_queue(poll: Poll) -> ResponseReturnValue:
    return redirect(url_for("editors.suggestions", slug=poll.slug), 303)


def _refused(poll: Poll, error: SuggestionError) -> ResponseReturnValue:
    flash(suggestion_problem(error), "error")
    return _to_queue(poll)


@bp.get("/polls/<slug>/suggestions")
def suggestions(slug: str) -> ResponseReturnValue:
    """Show the readers' suggestions for a poll, pending first."""
    poll = poll_or_404(slug, drafts=True)
    return render_template(
        "editors/suggestions.html",
        poll=poll,
        queue=queue(poll),
        approve_form=ApproveForm(formdata=None),
        reject_form=RejectForm(),
        merge_form=MergeForm(formdata=None),
    )


def _moderated(
    slug: str, form: FlaskForm, act: Callable[[Poll], str], action: EditorAction, said: str
) -> ResponseReturnValue:
    """Approve or reject: check the form, act on the poll's nomination (which
    returns its title), record it in the trail and say so (``said`` has a
    place for the title)."""
    poll = poll_or_404(slug, drafts=True)
    if not form.validate_on_submit():
        abort(400)
    try:
        title = act(poll)
    except SuggestionError as error:
        return _refused(poll, error)
    record(sessions.editor(), action, poll, detail=quoted([title]))
    flash(str(said) % {"title": title}, "success")
    return _to_queue(poll)


@bp.post("/polls/<slug>/suggestions/<int:nomination_id>/approve")
def approve_suggestion(slug: str, nomination_id: int) -> ResponseReturnValue:
    """Approve a readers' nomination for the results page."""
    form = ApproveForm()
    return _moderated(
        slug,
        form,
        lambda poll: approve(poll, nomination_id, form.title.data),
        EditorAction.APPROVED,
        _l("Approved “%(title)s”: the results page shows it with how many readers asked."),
    )


@bp.post("/polls/<slug>/suggestions/<int:nomination_id>/reject")
def reject_suggestion(slug: str, nomination_id: int) -> ResponseReturnValue:
    """Keep a readers' nomination off the results page."""
    return _moderated(
        slug,
        RejectForm(),
        lambda poll: reject(poll, nomination_id),
        EditorAction.REJECTED,
        _l("Rejected “%(title)s”."),
    )


@bp.post("/polls/<slug>/suggestions/<int:nomination_id>/merge")
def merge_suggestion(slug: str, nomination_id: int) -> ResponseReturnValue:
    """Count a nomination's readers for another one."""
    poll = poll_or_404(slug, drafts=True)
    form = MergeForm()
    if not form.validate_on_submit() or form.into.data is None:
        abort(400, gettext("Choose the suggestion to merge it into."))
    try:
        kept, merged = merge(poll, form.into.data, [nomination_id])
    except SuggestionError as error:
        return _refused(poll, error)
    record(sessions.editor(), EditorAction.MERGED, poll, detail=f"{quoted(merged)} into {quoted([kept])}")
    flash(
        gettext(
            "Merged %(merged)s into “%(kept)s”: its readers count there now.",
            merged=quoted(merged),
            kept=kept,
        ),
        "success",
    )
    return _to_queue(poll)


@bp.get("/polls/<slug>/trail")
def trail(slug: str) -> ResponseReturnValue:
    """Show what editors did to a poll, newest first."""
    poll = poll_or_404(slug, drafts=True)
    entries = [(entry, trail_line(entry)) for entry in poll_trail(poll)]
    return render_template("editors/trail.html", poll=poll, entries=entries)
