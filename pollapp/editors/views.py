"""The desk's pages. Every one but the login page is for editors only."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext, lazy_gettext, ngettext
from flask_wtf.csrf import CSRFError

from ..accounts.models import EditorAction
from ..accounts.service import authenticate, record, record_refused_login
from ..ballots.service import release_held
from ..core.terms import PollStatus
from ..extensions import client_address, login_manager
from ..polls.service import entry_views, set_status
from ..results.overview import poll_summaries
from ..suggestions.service import pending_counts
from ..web import languages, policy
from ..web.errors import error_response
from ..web.lookup import poll_or_404
from . import logins, sessions
from .forms import LoginForm, LogoutForm, ReleaseForm, StatusForm

bp = Blueprint("editors", __name__, url_prefix=sessions.PREFIX)
# Never framed, whatever the embed setting says; nothing kept by any cache.
policy.declare(bp, policy.Policy(frame_ancestors_setting=None, no_store=True))
bp.record_once(sessions.set_up)

OPEN_TO_ALL = {"editors.login"}
LOGIN_REFUSED = lazy_gettext("That email and password do not match an editor's account.")
EXPIRED_FORM = lazy_gettext(
    "This form has expired or did not come from this site. Reload the page and try again."
)


def _locked_out(seconds: int) -> str:
    minutes = max(1, round(seconds / 60))
    return str(
        ngettext(
            "Too many failed logins from your connection or for this account. "
            "Logins are refused for now: try again in a minute.",
            "Too many failed logins from your connection or for this account. "
            "Logins are refused for now: try again in %(num)d minutes.",
            minutes,
        )
    )


@bp.before_request
def editors_only() -> ResponseReturnValue | None:
    if request.endpoint in OPEN_TO_ALL or sessions.logged_in():
        return None
    return login_manager.unauthorized()  # type: ignore[no-any-return]  # Flask-Login is untyped; it returns what sessions._not_logged_in does


@bp.errorhandler(CSRFError)
def expired_form(error: CSRFError) -> ResponseReturnValue:
    return error_response(400, str(EXPIRED_FORM), "expired_form")


@bp.context_processor
def desk_context() -> dict[str, object]:
    return {"logout_form": LogoutForm(), "editor": sessions.editor() if sessions.logged_in() else None}


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Log an editor in."""
    next_path = sessions.desk_path(request.args.get("next"))
    if request.method == "GET" and sessions.logged_in():
        return redirect(next_path or url_for("editors.home"))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("editors/login.html", form=form, next=next_path), 400 if form.errors else 200
    email, password = str(form.email.data), str(form.password.data)
    wait = logins.locked_for(email)
    if wait is not None:
        record_refused_login(email, client_address(), locked_out=True)
        message = _locked_out(wait)
        page = render_template("editors/login.html", form=form, next=next_path, refused=message)
        return page, 429, {"Retry-After": str(wait)}
    editor = authenticate(email, password)
    if editor is None:
        logins.spend(email)
        record_refused_login(email, client_address())
        return render_template(
            "editors/login.html", form=form, next=next_path, refused=str(LOGIN_REFUSED)
        ), 400
    sessions.start(editor)
    record(editor, EditorAction.LOGGED_IN)
    flash(gettext("Logged in as %(email)s.", email=editor.email), "success")
    return redirect(next_path or url_for("editors.home"))


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """Log the editor out."""
    if not LogoutForm().validate_on_submit():
        abort(400)
    record(sessions.editor(), EditorAction.LOGGED_OUT)
    sessions.end()
    flash(gettext("You are logged out."), "success")
    return redirect(url_for("editors.login"))


@bp.get("/")
def home() -> ResponseReturnValue:
    """Show every poll with its ballots, and what can be done with it."""
    return render_template(
        "editors/home.html",
        polls=poll_summaries(),
        pending=pending_counts(),
        status_form=StatusForm(),
        release_form=ReleaseForm(),
    )


@bp.post("/polls/<slug>/status")
def change_status(slug: str) -> ResponseReturnValue:
    """Open or close a poll."""
    poll = poll_or_404(slug, drafts=True)
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)
    status = PollStatus(str(form.status.data))
    if (status == PollStatus.OPEN and poll.is_open) or (status == PollStatus.CLOSED and poll.is_closed):
        already = (
            gettext("“%(title)s” is open already.", title=poll.title)
            if poll.is_open
            else gettext("“%(title)s” is closed already.", title=poll.title)
        )
        flash(already, "success")
    elif poll.is_draft and status == PollStatus.CLOSED:
        flash(
            gettext("“%(title)s” is a draft: open it first, then close it.", title=poll.title),
            "error",
        )
    else:
        was_draft = poll.is_draft
        set_status(poll, status)
        record(
            sessions.editor(), EditorAction.OPENED if status == PollStatus.OPEN else EditorAction.CLOSED, poll
        )
        if poll.is_open and was_draft:
            flash(gettext("“%(title)s” is open: readers can see it and vote.", title=poll.title), "success")
        elif poll.is_open:
            flash(gettext("“%(title)s” is open: it takes ballots again.", title=poll.title), "success")
        else:
            flash(
                gettext(
                    "“%(title)s” is closed: it takes no more ballots, and its results are final.",
                    title=poll.title,
                ),
                "success",
            )
    return redirect(url_for("editors.home"))


@bp.get("/polls/<slug>/preview")
def preview(slug: str) -> ResponseReturnValue:
    """Show a poll as readers will see it, a draft too."""
    poll = poll_or_404(slug, drafts=True)
    return render_template(
        "editors/preview.html", poll=poll, entries=languages.entries_shown(entry_views(poll))
    )


@bp.post("/polls/<slug>/release")
def release(slug: str) -> ResponseReturnValue:
    """Count a poll's held ballots."""
    poll = poll_or_404(slug, drafts=True)
    if not ReleaseForm().validate_on_submit():
        abort(400)
    if not poll.is_open:
        flash(
            gettext(
                "“%(title)s” is closed: its results are final, so its held ballots stay held.",
                title=poll.title,
            ),
            "error",
        )
        return redirect(url_for("editors.home"))
    released = release_held(poll)
    record(sessions.editor(), EditorAction.RELEASED, poll, ballots=released)
    flash(
        ngettext(
            "Counted %(num)d held ballot in “%(title)s”.",
            "Counted %(num)d held ballots in “%(title)s”.",
            released,
            title=poll.title,
        ),
        "success",
    )
    return redirect(url_for("editors.home"))
