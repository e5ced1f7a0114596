"""Share my ranking: a reader publishes their own ballot at an address nobody
can guess, beside the editors' and the readers' top, and takes it down again.

Publishing and taking down are forms (POST with the site's CSRF token, then a
redirect). Only the reader's own cookie can take a shared ranking down; its
address then answers 410 Gone with a sentence. Shared pages are kept out of
search engines and out of shared caches: who sees the take-down button
depends on the cookie.
"""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext, lazy_gettext

from ..ballots.sharing import NothingToShare, find_share, share_ranking, take_down
from ..extensions import db
from ..polls.models import Poll
from ..polls.service import entry_views
from ..results.service import visible_to
from ..web import languages, previews
from ..web.lookup import poll_or_404
from ..web.readers import current_reader
from ..web.shared_rankings import NOT_HERE, TOP, share_or_error, shared_view
from ..web.sharing import ranking_sharing
from .views import bp

ENDPOINTS = frozenset({"site.share_my_ranking", "site.shared_ranking", "site.take_down_shared"})
EXPIRED = lazy_gettext(
    "This form has expired or did not come from this site. Reload the page and press the button again."
)


@bp.post("/polls/<slug>/shared")
def share_my_ranking(slug: str) -> ResponseReturnValue:
    """Publish the reader's ballot at an address of its own."""
    poll = poll_or_404(slug)
    try:
        shared = share_ranking(poll, current_reader())
    except NothingToShare:
        abort(400, gettext("There is no ballot of yours in this poll to share yet. Cast one first."))
    flash(
        gettext(
            "Your ranking is public at this page's address: anyone with the link sees your picks, "
            "never who you are. You can take it down here at any time."
        ),
        "success",
    )
    return redirect(url_for("site.shared_ranking", token=shared.token), 303)


@bp.get("/shared/<token>")
def shared_ranking(token: str) -> ResponseReturnValue:
    """Show a reader's shared ranking beside the editors' and the readers' top."""
    view = shared_view(token)
    return render_template(
        "site/shared.html",
        poll=view.poll,
        shared=view.shared,
        entries={entry.key: entry for entry in languages.entries_shown(entry_views(view.poll))},
        picks=view.picks[:TOP],
        more=len(view.picks) - TOP,
        readers=view.readers,
        editors=view.editors,
        top=TOP,
        own=current_reader() == view.shared.reader,
        sharing=ranking_sharing(view.poll, view.shared.token),
    )


@bp.post("/shared/<token>/remove")
def take_down_shared(token: str) -> ResponseReturnValue:
    """Take down the reader's shared ranking."""
    shared = find_share(token)
    if shared is None:
        abort(404, str(NOT_HERE))
    if current_reader() != shared.reader:
        abort(403, gettext("Only the browser that shared this ranking can take it down."))
    take_down(shared)
    previews.forget_shared(shared.token)
    poll = db.session.get(Poll, shared.poll_id)
    assert poll is not None
    flash(gettext("Your ranking is no longer shared: its address now says it was taken down."), "success")
    page = "site.results" if visible_to(poll, has_ballot=True) else "site.show_poll"
    return redirect(url_for(page, slug=poll.slug, _anchor="share-mine"), 303)


def _private(response: Response) -> Response:
    """Shared pages, their errors included: not indexed, kept by no shared cache."""
    if request.endpoint in ENDPOINTS:
        response.headers["X-Robots-Tag"] = "noindex"
        response.cache_control.private = True
        response.cache_control.no_cache = True
    return response


bp.after_request(_private)


@bp.get("/shared/<token>/preview.png")
def shared_preview_image(token: str) -> ResponseReturnValue:
    """Draw a shared ranking's preview image: the reader's first three picks."""
    shared, poll, picks = share_or_error(token)
    response = previews.shared_preview(shared, poll, picks)
    response.headers["X-Robots-Tag"] = "noindex"
    return response
