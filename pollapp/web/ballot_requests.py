"""Reading a ballot sent as JSON, and where it came from: shared by the API and the embed."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from flask import request
from flask_babel import gettext

from ..core.terms import KEY_LENGTH
from .errors import fail


def same_origin() -> bool:
    """Whether the request comes from this site's own pages or from no page at all (a script)."""
    origin = request.headers.get("Origin")
    if not origin or origin == "null":
        return origin is None
    try:
        return urlsplit(origin).netloc == request.host
    except ValueError:  # not a URL at all, e.g. "http://["
        return False


def ranking_from_json() -> list[str]:
    """The ranking a JSON ballot carries, or 400 (415) saying what is wrong with the body."""
    if request.mimetype != "application/json":
        fail(415, "not_json", gettext("Send the ballot as JSON with Content-Type: application/json."))
    data = request.get_data(cache=False)  # a streamed body is capped before the view (security.py)
    try:
        body = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        fail(400, "not_utf8", gettext("The body is not valid UTF-8 text."))
    except RecursionError:
        fail(
            400,
            "too_deep",
            gettext('The body is nested far too deeply to be a ballot. Send {"ranking": ["key", ...]}.'),
        )
    except ValueError:
        fail(400, "invalid_json", gettext('The body is not valid JSON. Send {"ranking": ["key", ...]}.'))
    if not isinstance(body, dict):
        fail(400, "not_an_object", gettext('The body must be a JSON object: {"ranking": ["key", ...]}.'))
    extra = sorted(str(name)[:40] for name in body if name != "ranking")
    if extra:
        fail(
            400,
            "unexpected_fields",
            gettext("Unexpected field(s): %(fields)s. Only 'ranking' is accepted.", fields=", ".join(extra)),
        )
    ranking = body.get("ranking")
    if not isinstance(ranking, list):
        fail(400, "ranking_not_a_list", gettext("'ranking' must be a list of entry keys, most loved first."))
    if not all(isinstance(key, str) for key in ranking):
        fail(400, "key_not_a_string", gettext("Every item of 'ranking' must be an entry key (a string)."))
    if any(len(key) > KEY_LENGTH for key in ranking):
        fail(400, "key_too_long", gettext("An entry key in 'ranking' is far too long to be real."))
    return ranking
