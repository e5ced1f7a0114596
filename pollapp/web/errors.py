"""Errors for every blueprint: an HTML page, or ``{"error": ...}`` JSON, as the
blueprint's policy and the client's ``Accept`` header say."""

from __future__ import annotations

import time

from flask import Flask, Response, jsonify, render_template, request
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from ..extensions import db, limiter
from .policy import current_policy

MESSAGES = {
    400: "The request could not be understood.",
    404: "There is nothing here. The link may be mistyped, or the poll may have moved.",
    405: "That page does not accept this kind of request.",
    413: "The request is too large. A ballot is only a few hundred bytes.",
    415: "The request body must be JSON (Content-Type: application/json).",
    500: "Something went wrong on our side. Nothing was saved; please try again.",
}


def wants_json() -> bool:
    """JSON for a blueprint that speaks it, or for a client that prefers it to HTML."""
    if current_policy().errors == "json":
        return True
    accepted = request.accept_mimetypes
    return accepted.quality("application/json") > accepted.quality("text/html")


def error_response(status: int, message: str) -> tuple[Response | str, int]:
    if wants_json():
        return jsonify(error=message), status
    return render_template("error.html", status=status, message=message), status


def _retry_after() -> int:
    current = limiter.current_limit
    if current is None:
        return 60
    return max(1, int(current.reset_at - time.time()))


def handle_http_error(error: HTTPException) -> tuple[Response | str, int, list[tuple[str, str]]]:
    status = error.code or 500
    custom = error.description and error.description != type(error).description
    message = error.description if custom else MESSAGES.get(status, error.description)
    body, status = error_response(status, message or "The request failed.")
    # Keep the headers the error carries, such as Allow on a 405.
    headers = [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]
    return body, status, headers


def handle_csrf_error(error: CSRFError) -> tuple[Response | str, int]:
    return error_response(
        400, "This form has expired or did not come from this site. Reload the page and vote again."
    )


def handle_rate_limit(error: RateLimitExceeded) -> tuple[Response | str, int]:
    seconds = _retry_after()
    return error_response(
        429, f"Too many ballots from your connection. Please try again in {seconds} seconds."
    )


def handle_server_error(error: Exception) -> tuple[Response | str, int]:
    db.session.rollback()
    return error_response(500, MESSAGES[500])


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(RateLimitExceeded, handle_rate_limit)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(InternalServerError, handle_server_error)
