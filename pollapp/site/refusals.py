"""Refusals that come before a view reads its form (an expired form, too many
requests): a ballot comes back on its page as the reader left it, a
suggestion or a shared ranking on a page of its own, anything else as the app's error page."""

from __future__ import annotations

from flask import request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError

from ..web.errors import error_response, handle_csrf_error, handle_rate_limit, rate_limit_words
from . import shared, suggestions
from .views import bp, refused_ballot

EXPIRED_BALLOT = lazy_gettext(
    "This form had expired or did not come from this site. Your picks are still here: send them again."
)


@bp.errorhandler(CSRFError)
def expired_form(error: CSRFError) -> ResponseReturnValue:
    if request.endpoint in suggestions.ENDPOINTS:
        return error_response(400, str(suggestions.EXPIRED), "expired_form")
    if request.endpoint in shared.ENDPOINTS:
        return error_response(400, str(shared.EXPIRED), "expired_form")
    return refused_ballot(str(EXPIRED_BALLOT), 400) or handle_csrf_error(error)


@bp.errorhandler(RateLimitExceeded)
def too_many(error: RateLimitExceeded) -> ResponseReturnValue:
    message, seconds = rate_limit_words(error)
    page = refused_ballot(message, 429)
    if page is None:
        return handle_rate_limit(error)
    body, status = page
    return body, status, {"Retry-After": str(seconds)}
