"""Errors for every blueprint: an HTML page, or ``{"error": ..., "code": ...}``
JSON, as the blueprint's policy and the client's ``Accept`` header say. The
sentence is in the reader's language; the code beside it never changes, so a
script need not read the words."""

from __future__ import annotations

import time
from typing import NoReturn

from flask import Flask, Response, abort, current_app, g, jsonify, render_template, request, url_for
from flask_babel import gettext, lazy_gettext, ngettext
from flask_babel.speaklater import LazyString
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

from ..extensions import db, limiter
from ..storage.driver import unavailable_errors
from .policy import current_policy

MESSAGES = {
    400: lazy_gettext("The request could not be understood."),
    404: lazy_gettext("There is nothing here. The link may be mistyped, or the poll may have moved."),
    405: lazy_gettext("That page does not accept this kind of request."),
    413: lazy_gettext("The request is too large. A ballot is only a few hundred bytes."),
    415: lazy_gettext("The request body must be JSON (Content-Type: application/json)."),
    500: lazy_gettext("Something went wrong on our side. Nothing was saved; please try again."),
    503: lazy_gettext(
        "The poll cannot reach its database just now. Nothing was saved; please try again in a minute."
    ),
}
# The code an error carries when nothing more particular was said (``fail``).
CODES = {
    400: "bad_request",
    401: "not_logged_in",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "poll_closed",
    410: "gone",
    413: "too_large",
    415: "not_json",
    429: "too_many_requests",
    500: "server_error",
    501: "not_implemented",
    503: "database_unavailable",
}
UNAVAILABLE_RETRY_AFTER = 30  # seconds


def wants_json() -> bool:
    """JSON for a blueprint that speaks it, or for a client that prefers it to HTML."""
    if current_policy().errors == "json":
        return True
    accepted = request.accept_mimetypes
    return accepted.quality("application/json") > accepted.quality("text/html")


def fail(status: int, code: str, message: str) -> NoReturn:
    """Abort with a sentence and the stable code scripts read instead of it."""
    g.error_code = (status, code)
    abort(status, message)


def error_response(status: int, message: str, code: str | None = None) -> tuple[Response | str, int]:
    said = g.pop("error_code", None)
    code = code or (said[1] if said and said[0] == status else None) or CODES.get(status, "error")
    if wants_json():
        return jsonify(error=str(message), code=code), status
    return render_template("error.html", status=status, message=message, back=_back_to()), status


def _back_to() -> str:
    """Where an error page leads: the page of the poll the URL names, unless
    there is no such poll; else the home page. Read from the URL alone, so an
    error page asks nothing of a database that may be the trouble."""
    slug = (request.view_args or {}).get("slug")
    if isinstance(slug, str) and not g.get("no_such_poll") and request.blueprint != "editors":
        return url_for("site.show_poll", slug=slug)
    return url_for("site.index")


def _retry_after() -> int:
    current = limiter.current_limit
    if current is None:
        return 60
    return max(1, int(current.reset_at - time.time()))


def handle_http_error(error: HTTPException) -> tuple[Response | str, int, list[tuple[str, str]]]:
    status = error.code or 500
    custom = error.description and error.description != type(error).description
    message = error.description if custom else MESSAGES.get(status, error.description)
    body, status = error_response(status, message or gettext("The request failed."))
    # Keep the headers the error carries, such as Allow on a 405.
    headers = [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]
    return body, status, headers


def handle_csrf_error(error: CSRFError) -> tuple[Response | str, int]:
    return error_response(
        400,
        gettext("This form has expired or did not come from this site. Reload the page and vote again."),
        "expired_form",
    )


def rate_limit_words(error: RateLimitExceeded) -> tuple[str, int]:
    """The sentence a refusal past a rate limit shows, and the seconds to wait."""
    seconds = _retry_after()
    # A limit may carry its own sentence (translated, with a place for the seconds).
    said = error.limit.error_message
    if isinstance(said, str | LazyString):
        return str(said).format(seconds=seconds), seconds
    message = ngettext(
        "Too many ballots from your connection. Please try again in %(num)d second.",
        "Too many ballots from your connection. Please try again in %(num)d seconds.",
        seconds,
    )
    return message, seconds


def handle_rate_limit(error: RateLimitExceeded) -> tuple[Response | str, int, dict[str, str]]:
    message, seconds = rate_limit_words(error)
    body, status = error_response(429, message)
    return body, status, {"Retry-After": str(seconds)}


def handle_server_error(error: Exception) -> tuple[Response | str, int]:
    db.session.rollback()
    return error_response(500, str(MESSAGES[500]))


def handle_database_unavailable(error: Exception) -> tuple[Response | str, int, dict[str, str]]:
    """503 with a sentence and Retry-After, and one line in the log, no traceback."""
    try:
        db.session.rollback()
    except unavailable_errors():
        pass  # the connection is gone with the database; the pool has let it go
    first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
    current_app.logger.error("database unavailable (%s): %s", type(error).__name__, first_line[:300])
    body, status = error_response(503, str(MESSAGES[503]))
    return body, status, {"Retry-After": str(UNAVAILABLE_RETRY_AFTER)}


def handle_untrusted_host(error: SecurityError) -> tuple[Response | str, int, dict[str, str]]:
    """A Host the app does not serve: a short answer that links nowhere (no URL
    can be built for a host the app does not know)."""
    message = gettext("This site does not answer to that host name.")
    if wants_json():
        return jsonify(error=message, code="unknown_host"), 400, {}
    return message + "\n", 400, {"Content-Type": "text/plain; charset=utf-8"}


def register_error_handlers(app: Flask) -> None:
    on_sqlite = str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite")
    for unavailable in unavailable_errors(postgresql=not on_sqlite):
        app.register_error_handler(unavailable, handle_database_unavailable)
    app.register_error_handler(SecurityError, handle_untrusted_host)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(RateLimitExceeded, handle_rate_limit)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(InternalServerError, handle_server_error)
