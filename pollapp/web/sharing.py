"""Share links: the plain share addresses of the big sites, made here with
proper URL encoding, so that sharing needs no script from any of them (the
page's own script adds only "copy the link" and the phone's share sheet)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

from flask import Flask, url_for
from flask_babel import gettext

from ..polls.models import Poll
from . import languages


@dataclass(frozen=True)
class ShareLink:
    site: str  # the site's own name, shown as it writes it
    href: str


@dataclass(frozen=True)
class Sharing:
    """What a share block shows: the address shared, the sentence that goes with it, the sites' links."""

    url: str
    text: str
    links: list[ShareLink]


def _query(values: dict[str, str]) -> str:
    # %20 for a space, not "+": WhatsApp and LINE show a "+" as it is.
    return urlencode(values, quote_via=quote)


def share_links(url: str, text: str) -> list[ShareLink]:
    """The sites' share addresses for ``url`` with ``text`` beside it.

    >>> [link.href for link in share_links("https://p.example/polls/a?lang=ko", "A & B")][:2]
    ['https://x.com/intent/post?text=A%20%26%20B&url=https%3A%2F%2Fp.example%2Fpolls%2Fa%3Flang%3Dko', \
'https://www.facebook.com/sharer/sharer.php?u=https%3A%2F%2Fp.example%2Fpolls%2Fa%3Flang%3Dko']
    """
    return [
        ShareLink("X", "https://x.com/intent/post?" + _query({"text": text, "url": url})),
        ShareLink("Facebook", "https://www.facebook.com/sharer/sharer.php?" + _query({"u": url})),
        ShareLink("Reddit", "https://www.reddit.com/submit?" + _query({"url": url, "title": text})),
        ShareLink("WhatsApp", "https://wa.me/?" + _query({"text": f"{text} {url}"})),
        ShareLink(
            "LINE", "https://social-plugins.line.me/lineit/share?" + _query({"url": url, "text": text})
        ),
    ]


def poll_sharing(poll: Poll) -> Sharing:
    """Sharing a poll: its page (where a friend can vote too), in the reader's language."""
    url = url_for("site.show_poll", slug=poll.slug, lang=languages.current_language(), _external=True)
    text = gettext("Rank them yourself: %(title)s", title=poll.shown("title", languages.current_language()))
    return Sharing(url, text, share_links(url, text))


def ranking_sharing(poll: Poll, token: str) -> Sharing:
    """Sharing a reader's published ranking: its own address, in the reader's language."""
    url = url_for("site.shared_ranking", token=token, lang=languages.current_language(), _external=True)
    text = gettext("My ranking: %(title)s", title=poll.shown("title", languages.current_language()))
    return Sharing(url, text, share_links(url, text))


def init_app(app: Flask) -> None:
    # The share block (templates/shared/_share.html) asks for a poll's sharing itself, so a page
    # adds it with one line.
    app.add_template_global(poll_sharing, "poll_sharing")
