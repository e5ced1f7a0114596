"""A live watcher's unchanged refresh, answered before the app does any work.

An open poll's results page asks the results API every few seconds with the
ETag it last saw (``static/live.js``). When the app has just answered such a
request 304 itself, that answer (its tag and headers) is kept per URL for
``LIVE_UNCHANGED_SECONDS``; until then the same question is answered here,
in front of the app: no request context, no database.

What keeps it true:

- Only an answer the app marked as the same for every caller is kept: the
  results API marks its results when they are public to all (``public``),
  and an answer that sets a cookie is never kept.
- An answer is kept from the moment the app began to work it out, so a kept
  304 never says "unchanged" of results that changed longer ago than
  ``LIVE_UNCHANGED_SECONDS`` (the other processes' ballots, the CLI's).
- Any request that may write (not GET, HEAD or OPTIONS) drops everything kept
  by this app, as do a commit of its session and an answer of the app with
  another tag: a ballot cast or a change made through this process is seen at
  once.
"""

from __future__ import annotations

from collections.abc import Iterable
from time import monotonic
from typing import TYPE_CHECKING

from flask import Flask, current_app, has_app_context, request
from sqlalchemy import event
from werkzeug.http import parse_etags

from ..extensions import db

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

# The environ key the app's answer leaves its tag under when it may be kept.
_PUBLIC = "pollapp.unchanged.public"
_READING = ("GET", "HEAD", "OPTIONS")
_EXTENSION = "pollapp.unchanged"


def public(tag: str) -> None:
    """Mark this request's answer (with this ETag) as the same for every caller."""
    request.environ[_PUBLIC] = tag


class UnchangedRefreshes:
    """WSGI middleware answering a kept 304 to a GET whose If-None-Match holds its tag."""

    def __init__(self, app: WSGIApplication, seconds: float) -> None:
        self.app = app
        self.seconds = seconds
        # PATH_INFO -> (when the app began to work it out, its tag, its headers)
        self.kept: dict[str, tuple[float, str, list[tuple[str, str]]]] = {}

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        if method != "GET":
            if method in _READING:
                return self.app(environ, start_response)
            try:
                return self.app(environ, start_response)
            finally:
                self.kept.clear()
        path = environ.get("PATH_INFO", "")
        plain = not environ.get("QUERY_STRING")
        kept = self.kept.get(path) if plain else None
        if kept is not None:
            at, tag, headers = kept
            asked = environ.get("HTTP_IF_NONE_MATCH")
            if monotonic() - at < self.seconds and asked and parse_etags(asked).contains(tag):
                start_response("304 NOT MODIFIED", list(headers))
                return []
        began = monotonic()

        def watching(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> object:
            tag: str | None = environ.get(_PUBLIC)
            if (
                plain
                and tag is not None
                and status.startswith("304")
                and not any(name.lower() == "set-cookie" for name, _ in headers)
            ):
                self.kept[path] = (began, tag, list(headers))
            else:
                current = self.kept.get(path)
                if current is not None and current[1] != tag:
                    self.kept.pop(path, None)
            return start_response(status, headers, exc_info)  # type: ignore[arg-type]  # exc_info is passed on as given

        return self.app(environ, watching)  # type: ignore[arg-type]  # watching is a start_response


def _forget(_session: object) -> None:
    """After this app's session commits (the desk, the CLI), nothing kept is trusted."""
    refreshes = current_app.extensions.get(_EXTENSION) if has_app_context() else None
    if refreshes is not None:
        refreshes.kept.clear()


def init_app(app: Flask) -> None:
    seconds = float(app.config["LIVE_UNCHANGED_SECONDS"])
    if seconds > 0:
        refreshes = app.extensions[_EXTENSION] = UnchangedRefreshes(app.wsgi_app, seconds)
        app.wsgi_app = refreshes  # type: ignore[method-assign]  # Flask's documented way to wrap the WSGI app
        if not event.contains(db.session, "after_commit", _forget):
            event.listen(db.session, "after_commit", _forget)
