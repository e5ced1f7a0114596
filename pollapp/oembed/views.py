"""The oEmbed 1.0 endpoint (oembed.com): a poll's or its results' URL in, a
``rich`` answer out, whose ``html`` is a fallback link in a ``<blockquote>``
and the embed's ``<iframe>``: the shape WordPress keeps from a provider it
does not know (it drops anything else)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app, jsonify, request, url_for
from flask_babel import gettext
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from ..polls.models import Poll
from ..polls.service import find_poll
from ..web import policy
from ..web.languages import PREVIEW_SIZE, current_language

bp = Blueprint("oembed", __name__)
# A JSON endpoint outside /api/: its errors are JSON too, and nothing frames it.
policy.declare(bp, policy.Policy(errors="json"))

# The pages whose URL stands for a poll's embed.
POLL_PAGES = ("site.show_poll", "site.results", "embed.embed")
MAX_WIDTH = 700  # the embed is made for frames 300 to 700 px wide
DEFAULT_WIDTH = 600
DEFAULT_HEIGHT = 900  # a first guess; the frame then says its real height
CACHE_AGE = 3600  # seconds


def _poll_at(url: str) -> Poll:
    """The poll a URL of this site names, or 404."""
    nothing = gettext("There is no poll of this site at that URL.")
    try:
        parts = urlsplit(url)
    except ValueError:
        abort(404, nothing)
    if parts.scheme not in ("http", "https") or parts.netloc != request.host:
        abort(404, nothing)
    adapter = current_app.url_map.bind(request.host)
    try:
        endpoint, arguments = adapter.match(parts.path, method="GET")
    except HTTPException:
        abort(404, nothing)
    poll = find_poll(str(arguments.get("slug", ""))) if endpoint in POLL_PAGES else None
    if poll is None or poll.is_draft:
        abort(404, nothing)
    return poll


def _pixels(name: str) -> int | None:
    value = request.args.get(name)
    if value is None or value == "":
        return None
    if not (value.isascii() and value.isdigit()) or not 0 < int(value) < 100_000:
        abort(400, gettext("%(name)s must be a whole number of pixels.", name=name))
    return int(value)


@bp.get("/oembed")
def oembed() -> Response:
    """Describe a poll's embed for an oEmbed consumer."""
    url = request.args.get("url")
    if not url:
        abort(400, gettext("Give the poll's URL in the url parameter."))
    if request.args.get("format", "json") != "json":
        abort(501, gettext("Only format=json is served."))
    max_width, max_height = _pixels("maxwidth"), _pixels("maxheight")
    poll = _poll_at(url)
    width = min(DEFAULT_WIDTH, MAX_WIDTH, max_width or DEFAULT_WIDTH)
    height = min(DEFAULT_HEIGHT, max_height or DEFAULT_HEIGHT)
    page = url_for("site.show_poll", slug=poll.slug, _external=True)
    frame = url_for("embed.embed", slug=poll.slug, _external=True)
    title = f"{poll.title}: rank them yourself"
    html = Markup(
        '<blockquote class="pollapp-embed"><a href="{page}">{title}</a></blockquote>'
        '<iframe src="{frame}" width="{width}" height="{height}" title="{title}" '
        'frameborder="0" marginwidth="0" marginheight="0" scrolling="no"></iframe>'
    ).format(page=page, frame=frame, width=width, height=height, title=title)
    answer: dict[str, object] = {
        "type": "rich",
        "version": "1.0",
        "title": title,
        "provider_name": "pollapp",
        "provider_url": url_for("site.index", _external=True),
        "cache_age": CACHE_AGE,
        "html": str(html),
        "width": width,
        "height": height,
    }
    # A thumbnail must respect maxwidth and maxheight too; there is one size.
    thumb_width, thumb_height = PREVIEW_SIZE
    if (max_width or thumb_width) >= thumb_width and (max_height or thumb_height) >= thumb_height:
        # The poll's own picture (site/previews.py), in the language asked for.
        answer["thumbnail_url"] = url_for(
            "site.preview_image", slug=poll.slug, lang=current_language(), _external=True
        )
        answer["thumbnail_width"] = thumb_width
        answer["thumbnail_height"] = thumb_height
    return jsonify(answer)
