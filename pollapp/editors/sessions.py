"""Editors' sessions, kept by Flask-Login in Flask's signed session cookie:
which editor a session names and for how long, what someone who is not
logged in gets, and where a login may lead afterwards."""

from __future__ import annotations

import time
from typing import cast
from urllib.parse import unquote, urlsplit

from flask import current_app, flash, jsonify, redirect, request, session, url_for
from flask.sansio.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext
from flask_login import current_user, login_user, logout_user

from ..accounts.models import Editor
from ..accounts.service import editor_by_login_key
from ..extensions import login_manager
from ..web.errors import wants_json

PREFIX = "/editors"
LOGGED_IN_AT = "desk_logged_in_at"  # in the session: when its login was, in seconds since the epoch
# Flask-Login's key in the session for the editor it names.
EDITOR_KEY = "_user_id"

LOG_IN_FIRST = lazy_gettext("Log in to use the editors' desk.")
SESSION_ENDED = lazy_gettext("Your session on the editors' desk has ended. Log in again.")


def editor() -> Editor:
    """The editor making this request (resolved once per request by Flask-Login)."""
    return cast(Editor, current_user._get_current_object())


def logged_in() -> bool:
    return bool(current_user.is_authenticated)


def start(editor: Editor) -> None:
    """Begin a session for an editor. Nothing of the session before survives
    it: a value planted in it, or its CSRF token, is gone."""
    session.clear()
    login_user(editor, remember=False)
    session[LOGGED_IN_AT] = int(time.time())


def end() -> None:
    logout_user()
    session.clear()


def _load_editor(login_key: str) -> Editor | None:
    """The editor the session names while it lasts: DESK_SESSION_LIFETIME from its login."""
    since = session.get(LOGGED_IN_AT)
    lifetime = float(current_app.config["DESK_SESSION_LIFETIME"])
    if not isinstance(since, int) or not 0 <= time.time() - since <= lifetime:
        return None
    return editor_by_login_key(login_key)


def desk_path(value: str | None) -> str | None:
    """``value`` if it is a path of the desk on this site, else None: a login
    leads back to the desk, never elsewhere."""
    if not value or len(value) > 2000 or "\\" in value or not all("!" <= c <= "~" for c in value):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not parts.path.startswith(PREFIX + "/"):
        return None
    # A browser resolves dot segments, written plainly or percent-encoded.
    if {".", ".."} & set(unquote(parts.path).split("/")):
        return None
    return value


def _not_logged_in() -> ResponseReturnValue:
    """401 JSON for a client that asks for JSON; the login page for a browser,
    with the page it wanted to come back to."""
    ended = EDITOR_KEY in session
    if wants_json():
        return jsonify(error=str(SESSION_ENDED if ended else LOG_IN_FIRST), code="not_logged_in"), 401
    flash(str(SESSION_ENDED if ended else LOG_IN_FIRST), "error")
    wanted = desk_path(request.full_path.rstrip("?")) if request.method == "GET" else None
    return redirect(url_for("editors.login", next=wanted))


def set_up(state: BlueprintSetupState) -> None:
    """Tell Flask-Login how to find an editor and what to do without one."""
    login_manager.user_loader(_load_editor)
    login_manager.unauthorized_handler(_not_logged_in)
