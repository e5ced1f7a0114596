"""Reading a ballot sent as JSON, and where it came from: shared by the API and the embed."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from flask import abort, request

from ..core.terms import KEY_LENGTH


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
        abort(415, "Send the ballot as JSON with Content-Type: application/json.")
    data = request.get_data(cache=False)  # a streamed body is capped before the view (security.py)
    try:
        body = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        abort(400, "The body is not valid UTF-8 text.")
    except RecursionError:
        abort(400, 'The body is nested far too deeply to be a ballot. Send {"ranking": ["key", ...]}.')
    except ValueError:
        abort(400, 'The body is not valid JSON. Send {"ranking": ["key", ...]}.')
    if not isinstance(body, dict):
        abort(400, 'The body must be a JSON object: {"ranking": ["key", ...]}.')
    extra = sorted(str(name)[:40] for name in body if name != "ranking")
    if extra:
        abort(400, f"Unexpected field(s): {', '.join(extra)}. Only 'ranking' is accepted.")
    ranking = body.get("ranking")
    if not isinstance(ranking, list):
        abort(400, "'ranking' must be a list of entry keys, most loved first.")
    if not all(isinstance(key, str) for key in ranking):
        abort(400, "Every item of 'ranking' must be an entry key (a string).")
    if any(len(key) > KEY_LENGTH for key in ranking):
        abort(400, "An entry key in 'ranking' is far too long to be real.")
    return ranking
