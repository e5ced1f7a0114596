"""The interface's languages: which one a request is answered in, the switch
between them on every page, and the catalogues Flask-Babel reads.

The choice, in order: ``?lang=`` on the URL (what the switch's links carry;
it is then remembered in a cookie and kept on the page's links), the cookie,
the browser's ``Accept-Language``, English. The embed sets no cookie (a frame
on another site keeps none); its links and its script's endpoint carry
``?lang=`` instead.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from babel import Locale
from flask import Flask, Response, has_request_context, request, url_for
from flask_babel import get_locale, pgettext

from ..extensions import babel
from ..polls.models import Poll
from ..polls.service import EntryView
from ..results.service import Results
from .security import vary

LANGUAGES: dict[str, str] = {"en": "English", "ko": "한국어"}  # each named in itself, for the switch
DEFAULT = "en"
PARAMETER = "lang"
COOKIE = "pollapp_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600  # seconds: a reader's choice lasts a year
NO_COOKIE_BLUEPRINTS = frozenset({"embed"})
# The link preview's picture (a static file in pollapp/static/), with its words in each language.
PREVIEW_CARDS = {"en": "og-card.png", "ko": "og-card-ko.png"}
PREVIEW_SIZE = (1200, 630)


def asked_language() -> str | None:
    """The language the URL asks for, if it is one the interface speaks."""
    asked = request.args.get(PARAMETER)
    return asked if asked in LANGUAGES else None


def select_language() -> str:
    """The language of this request (``DEFAULT`` outside one, e.g. on the command line)."""
    if not has_request_context():
        return DEFAULT
    # Asked for on every request that speaks: a header is parsed only when it was sent.
    environ = request.environ
    chosen = asked_language() if environ.get("QUERY_STRING") else None
    if chosen is None and environ.get("HTTP_COOKIE"):
        chosen = request.cookies.get(COOKIE)
    if chosen in LANGUAGES:
        return str(chosen)
    if not environ.get("HTTP_ACCEPT_LANGUAGE"):
        return DEFAULT
    return request.accept_languages.best_match(list(LANGUAGES), default=DEFAULT) or DEFAULT


# Each language's locale, made once: Flask-Babel takes a locale as it is, where
# a code would be parsed again (and its locale data looked for) on every request.
_LOCALES = {code: Locale.parse(code) for code in LANGUAGES}


def _selected_locale() -> Locale:
    return _LOCALES[select_language()]


def current_language() -> str:
    locale = get_locale()
    return DEFAULT if locale is None else str(locale.language)


def entries_shown(entries: list[EntryView]) -> list[EntryView]:
    """The entries with the editors' text in the reader's language, where given."""
    language = current_language()
    return [entry.in_language(language) for entry in entries]


def results_shown(results: Results) -> Results:
    """Results whose entries speak the reader's language (the figures are the same)."""
    language = current_language()
    return replace(results, entries={key: e.in_language(language) for key, e in results.entries.items()})


def shown_filter(poll: Poll, field: str) -> str:
    """``{{ poll|shown('title') }}``: the poll's own text in the reader's language, where given."""
    return poll.shown(field, current_language())


def nouns_shown(poll: Poll) -> tuple[str, str]:
    """What one and several of the poll's entries are called in the reader's language.

    The editors' own word where they gave one in that language; in another
    language without one, the interface's plain word ("항목"), never the
    original's word dropped into a sentence of another language. Korean has
    one form for both.
    """
    language = current_language()
    if language == DEFAULT:
        return poll.entry_noun, poll.entry_noun_plural
    given = (poll.translations or {}).get(language, {})
    one = given.get("entry_noun") or pgettext("what a poll's entries are called", "entry")
    several = given.get("entry_noun_plural") or given.get("entry_noun")
    return one, several or pgettext("what a poll's entries are called", "entries")


def noun_filter(poll: Poll) -> str:
    """``{{ poll|noun }}``: one of the poll's entries, in the reader's language."""
    return nouns_shown(poll)[0]


def nouns_filter(poll: Poll) -> str:
    """``{{ poll|nouns }}``: several of the poll's entries, in the reader's language."""
    return nouns_shown(poll)[1]


def preview_card() -> str:
    """The static file of the link preview's picture in the reader's language."""
    return PREVIEW_CARDS.get(current_language(), PREVIEW_CARDS[DEFAULT])


def _keep_on_links(endpoint: str, values: dict[str, Any]) -> None:
    """A page asked for in a language links on in it (the static files aside)."""
    if endpoint == "static" or not has_request_context():
        return
    asked = asked_language()
    if asked is not None:
        values.setdefault(PARAMETER, asked)


def language_url(code: str, external: bool = False) -> str:
    """This page in another language: the switch's link."""
    if request.endpoint is None or request.url_rule is None:  # e.g. a 404 page
        return (request.base_url if external else request.path) + "?" + urlencode({PARAMETER: code})
    # Only the page's own path and the language: other query values are not echoed back.
    arguments = {**(request.view_args or {}), PARAMETER: code}
    return url_for(request.endpoint, _external=external, **arguments)


def _remember(response: Response) -> Response:
    """Keep a language chosen with the switch, and say that pages vary by language."""
    # Run for every answer: the query string is parsed only when there is one.
    asked = asked_language() if request.environ.get("QUERY_STRING") else None
    if (
        asked is not None
        and request.cookies.get(COOKIE) != asked
        and request.blueprint not in NO_COOKIE_BLUEPRINTS
    ):
        response.set_cookie(COOKIE, asked, max_age=COOKIE_MAX_AGE, samesite="Lax", httponly=True)
    if response.headers.get("Content-Type", "").startswith(("text/html", "application/json")):
        vary(response, "Accept-Language")
    return response


def _template_globals() -> dict[str, Any]:
    return {
        "current_language": current_language(),
        "languages": LANGUAGES,
        "language_url": language_url,
        "preview_card": preview_card(),
    }


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=_selected_locale)
    app.url_defaults(_keep_on_links)
    app.after_request(_remember)
    app.context_processor(_template_globals)
    app.add_template_filter(shown_filter, "shown")
    app.add_template_filter(noun_filter, "noun")
    app.add_template_filter(nouns_filter, "nouns")
