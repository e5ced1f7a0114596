"""What the frame shows once a ballot is in, made mostly once per process.

Of the fragment (``templates/embed/after.html``) only the message, the
reader's picks and the readers' top change from one ballot to the next. The
rest (its headings, the editors' top, the way to the results and the share
block) depends on the poll and its revision, the language, the address the
request came to (its links are absolute, and carry the ``?lang=`` the URL
asked for) and whether the reader may see the results: each app renders it
once for those (``templates/embed/after_parts.html``, block by block) and
keeps it with the entries' ids and labels. Every edit bumps the revision, so
nothing kept outlives the text it was made from. A ballot's answer then costs
the poll's row, the readers' top (``results.top``) and a small render, or not
even that: each app keeps the last fragments it made, by what they were made
of (the parts, the message, the picks and the readers' top they show).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app, request
from markupsafe import Markup

from ..polls.models import Poll
from ..polls.service import PollState, entry_views, find_poll
from ..results.service import visible_to
from ..results.top import readers_top
from ..web import languages
from ..web.lookup import no_such_poll

TOP = 3  # how many of each ranking the frame shows after a ballot
_KEPT = 64  # how many polls' parts (in each language, each way of showing results) each app keeps


@dataclass(frozen=True)
class Parts:
    """What the fragment shows that depends only on the poll, the language and the results being shown."""

    entries: dict[int, str]  # entry id -> key, in the editors' order
    labels: dict[str, str]  # entry key -> its label in the language
    rendered: dict[str, Markup]  # each block of embed/after_parts.html, by name


# (a poll's id, its revision, the language, the language asked for, the address asked, results shown) -> parts
PartsKey = tuple[int, int, str, str | None, tuple[str | None, ...], bool]
Kept = OrderedDict[PartsKey, Parts]
_lock = threading.Lock()


def _kept() -> Kept:
    """This app's parts: kept on the app, so that two apps in one process never share them."""
    kept: Kept = current_app.extensions.setdefault("pollapp_embed_after", OrderedDict())
    return kept


def _key(poll: Poll | PollState, results_shown: bool) -> PartsKey:
    environ = request.environ
    return (
        poll.id,
        poll.revision,
        languages.current_language(),
        languages.asked_language() if environ.get("QUERY_STRING") else None,
        # What the links' absolute URLs are made of (as they stand after ProxyFix, when
        # configured): the WSGI values themselves, cheaper to read than the URL they make.
        tuple(environ.get(name) for name in _ADDRESS),
        results_shown,
    )


_ADDRESS = ("wsgi.url_scheme", "HTTP_HOST", "SERVER_NAME", "SERVER_PORT", "SCRIPT_NAME")


def _made(poll: Poll, results_shown: bool) -> Parts:
    """Render the parts for this request's language and address."""
    entries = languages.entries_shown(entry_views(poll))
    template = current_app.jinja_env.get_template("embed/after_parts.html")
    context = {"poll": poll, "entries": entries, "top": TOP, "results_shown": results_shown}
    current_app.update_template_context(context)  # what render_template gives a template
    rendered = template.new_context(context)
    return Parts(
        entries={entry.id: entry.key for entry in poll.entries},
        labels={entry.key: entry.label for entry in entries},
        rendered={name: Markup("".join(block(rendered))) for name, block in template.blocks.items()},
    )


def _parts(poll: Poll | PollState, results_shown: bool) -> tuple[PartsKey, Parts]:
    """The kept parts for this poll and request, made now if there are none, with their key."""
    kept = _kept()
    key = _key(poll, results_shown)
    with _lock:
        found = kept.get(key)
    if found is not None:
        return key, found
    full = poll if isinstance(poll, Poll) else find_poll(poll.slug)
    if full is None:  # removed since the ballot was taken
        no_such_poll(poll.slug)
    parts = _made(full, results_shown)
    key = _key(full, results_shown)  # the revision of the text just rendered
    with _lock:
        _keep(kept, key, parts, _KEPT)
    return key, parts


def _keep(kept: OrderedDict[Any, Any], key: Any, value: Any, most: int) -> None:
    """Keep ``value`` as the newest of at most ``most`` (the caller holds ``_lock``)."""
    kept[key] = value
    kept.move_to_end(key)
    while len(kept) > most:
        kept.popitem(last=False)


# A fragment made: what it was made of (the parts' key, the message, the picks and the
# readers' top shown) -> its text, the least recently given first out. A poll of 9
# entries has 585 ways its picks can begin (1, 2 or 3 of them, in order): the popular
# ones stay, so most ballots find theirs made.
FragmentKey = tuple[PartsKey, str, tuple[str, ...], tuple[str, ...] | None]
_FRAGMENTS = 1024  # how many fragments each app keeps


def _fragments() -> OrderedDict[FragmentKey, str]:
    made: OrderedDict[FragmentKey, str] = current_app.extensions.setdefault(
        "pollapp_embed_fragments", OrderedDict()
    )
    return made


def after_ballot(poll: Poll | PollState, mine: Sequence[str], message: str) -> str:
    """The frame's answer to a ballot: ``message``, the reader's picks (``mine``)
    beside the readers' top (when the poll shows the results to a reader who
    voted) and the editors', and the way to the full results."""
    results_shown = visible_to(poll, has_ballot=True)
    parts_key, parts = _parts(poll, results_shown)
    readers = None
    if results_shown:
        top = readers_top(poll, parts.entries, TOP)
        readers = tuple(parts.labels[key] for key in top.entries) if top.ballots else ()
    picks = tuple(parts.labels[key] for key in mine[:TOP] if key in parts.labels)
    made = _fragments()
    key = (parts_key, message, picks, readers)
    with _lock:
        found = made.get(key)
        if found is not None:
            made.move_to_end(key)
    if found is not None:
        return found
    # Straight from the template, given only these: it needs none of what render_template
    # adds for a page, nor the environment's globals (``shared``).
    template = current_app.jinja_env.get_template("embed/after.html")
    context = {"message": message, "picks": picks, "readers": readers, "parts": parts.rendered}
    fragment = "".join(template.root_render_func(template.new_context(context, shared=True)))
    with _lock:
        _keep(made, key, fragment, _FRAGMENTS)
    return fragment
