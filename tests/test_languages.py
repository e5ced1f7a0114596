"""The interface in English and Korean: the catalogue, the choice of language,
the switch on every page, Korean pages without English words, API errors in
both languages with their codes."""

from __future__ import annotations

import dataclasses
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import NamedTuple

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import Flask, url_for
from flask.testing import FlaskClient
from pollapp.core.terms import time_zones
from pollapp.extensions import db
from pollapp.polls.service import entry_views, find_poll
from tests.helpers import POLL, csrf_token, vote
from tests.test_editors import log_in

CATALOGUES = Path(__file__).resolve().parents[1] / "pollapp" / "translations"
KOREAN_PO = CATALOGUES / "ko" / "LC_MESSAGES" / "messages.po"
KOREAN_MO = CATALOGUES / "ko" / "LC_MESSAGES" / "messages.mo"
BALLOTS = f"/api/polls/{POLL}/ballots"
HANGUL = re.compile(r"[\uac00-\ud7a3]")
# Latin words a Korean page may show: names, file formats, commands and the
# keyboard's own key names.
KEPT_IN_LATIN = {"pollapp", "CSV", "JSON", "Delete", "English", "flask", "app", "init", "db", "editors"}
KEPT_IN_LATIN |= {
    "add",
    "EMAIL",
    "b",
    "n",
    "p",
    "k",
    "PrefLib",
    "soi",
    "Condorcet",
    "Election",
    "Format",
}  # and the Borda formulas' letters
KEPT_IN_LATIN |= {"X", "Facebook", "Reddit", "WhatsApp", "LINE"}  # the sites a link is shared to
# The IANA time zones' names (the desk's choice of zone) are identifiers, the same in every language.
KEPT_IN_LATIN |= {word for zone in time_zones() for word in re.findall(r"[A-Za-z][A-Za-z'’-]*", zone)}


# ---------------------------------------------------------------- the catalogue


def test_the_korean_catalogue_translates_every_message_and_none_is_fuzzy():
    with KOREAN_PO.open("rb") as file:
        catalogue = read_po(file)
    assert len(catalogue) > 100
    untranslated, fuzzy = [], []
    for message in catalogue:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            untranslated.append(message.id)
        if message.fuzzy:
            fuzzy.append(message.id)
    assert untranslated == [] and fuzzy == []


def test_the_shipped_compiled_catalogue_matches_its_source():
    """An editable install shows Korean at once: the .mo is in the checkout, and up to date."""

    def flat(value: object) -> object:
        return tuple(value) if isinstance(value, list | tuple) else value

    with KOREAN_PO.open("rb") as file:
        source = {flat(m.id): flat(m.string) for m in read_po(file) if m.id}
    with KOREAN_MO.open("rb") as file:
        compiled = {flat(m.id): flat(m.string) for m in read_mo(file) if m.id}
    assert compiled == source


def test_every_message_in_the_code_is_in_the_catalogue():
    """A string wrapped for translation but never extracted would show in English."""
    from babel.messages.extract import extract_from_dir

    config = CATALOGUES.parent / "babel.cfg"
    from babel.messages.frontend import parse_mapping_cfg

    with config.open() as file:
        method_map, options_map = parse_mapping_cfg(file)
    found = set()
    for _name, _line, message, _comments, _context in extract_from_dir(
        str(CATALOGUES.parents[1]),
        method_map,
        options_map,
        keywords={"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None},
    ):
        found.add(message if isinstance(message, str) else tuple(message))
    with KOREAN_PO.open("rb") as file:
        known = {m.id for m in read_po(file) if m.id}
    assert sorted(map(str, found - known)) == []


# ---------------------------------------------------------------- choosing the language


class Choice(NamedTuple):
    name: str
    query: str
    cookie: str | None
    accept: str | None
    expected: str


CHOICES = [
    Choice("nothing said: English", "", None, None, "en"),
    Choice("the browser asks for Korean", "", None, "ko-KR,ko;q=0.9,en;q=0.5", "ko"),
    Choice("the browser prefers English", "", None, "en-GB,en;q=0.9,ko;q=0.3", "en"),
    Choice("a language the interface lacks", "", None, "fr-FR,fr;q=0.9", "en"),
    Choice("the cookie beats the browser", "", "en", "ko", "en"),
    Choice("the cookie says Korean", "", "ko", "en", "ko"),
    Choice("the switch beats the cookie", "?lang=ko", "en", "en", "ko"),
    Choice("an unknown lang is ignored", "?lang=xx", None, "ko", "ko"),
]


@pytest.mark.parametrize("case", CHOICES, ids=[case.name for case in CHOICES])
def test_the_language_is_the_switch_then_the_cookie_then_the_browser_then_english(client, case):
    if case.cookie:
        client.set_cookie("pollapp_lang", case.cookie)
    headers = {"Accept-Language": case.accept} if case.accept else {}
    page = client.get(f"/polls/{POLL}{case.query}", headers=headers).get_data(as_text=True)
    assert f'<html lang="{case.expected}">' in page
    assert ("투표" in page) == (case.expected == "ko")


def test_the_switch_is_remembered_and_kept_on_links(client):
    response = client.get(f"/polls/{POLL}?lang=ko")
    assert any(c.startswith("pollapp_lang=ko;") for c in response.headers.getlist("Set-Cookie"))
    page = response.get_data(as_text=True)
    assert f'href="/polls/{POLL}/results?lang=ko"' in page or "results_visible" not in page
    assert '/static/style.css"' in page  # static files are the same in every language
    again = client.get(f"/polls/{POLL}").get_data(as_text=True)  # the cookie now says Korean
    assert '<html lang="ko">' in again
    assert "Accept-Language" in response.headers["Vary"]


# How to fill each URL variable of a page's rule when walking the url_map; a
# page whose rule holds a variable not named here fails the walk, so a new page
# cannot escape the checks below.
# A shared ranking's token is filled with a real one by pages(), once the ballot is shared.
FILLERS: dict[str, str] = {"slug": POLL, "token": "0" * 43}
# Pages asked for with more than their rule: an error page, a refused form.
EXTRA_PAGES = {"not found": "/polls/no-such-poll"}


def pages(app: Flask, client: FlaskClient) -> dict[str, str]:
    """Every reader's and desk page's path (each GET rule that answers HTML),
    with a ballot in so the results show."""
    with app.app_context():
        keys = [e.key for e in entry_views(find_poll(POLL))]
    assert vote(client, keys[:3]).status_code == 201
    shared = client.post(f"/polls/{POLL}/shared", data={"csrf_token": csrf_token(client, f"/polls/{POLL}")})
    assert shared.status_code == 303
    fillers = {**FILLERS, "token": shared.headers["Location"].rsplit("/", 1)[1]}
    found = dict(EXTRA_PAGES)
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint == "static":
            continue
        unknown = set(rule.arguments) - set(FILLERS)
        assert not unknown, f"{rule.rule}: add a way to fill {sorted(unknown)} to FILLERS"
        with app.test_request_context():
            path = url_for(rule.endpoint, **{name: fillers[name] for name in rule.arguments})
        answer = (app.test_client() if rule.endpoint == "editors.login" else client).get(path)
        if answer.mimetype == "text/html":
            found[rule.endpoint] = path
    expected = {"site.show_poll", "site.results", "site.shared_ranking", "embed.embed", "editors.home"}
    assert expected | {"editors.login"} <= set(found)
    return found


@pytest.fixture
def desk_client(app: Flask) -> FlaskClient:
    done = app.test_cli_runner().invoke(
        args=["editors", "add", "desk@example.org", "--password-stdin"], input="a long enough password\n"
    )
    assert done.exit_code == 0, done.output
    client = app.test_client()
    assert log_in(client, "desk@example.org", "a long enough password").status_code == 302
    return client


def browse(app: Flask, desk_client: FlaskClient) -> list[tuple[str, str, FlaskClient]]:
    """Each page with a client that sees it: the login page is for an editor not logged in."""
    return [
        (name, path, app.test_client() if name == "editors.login" else desk_client)
        for name, path in pages(app, desk_client).items()
    ]


def test_every_page_carries_the_switch_the_lang_attribute_and_the_alternates(app, desk_client):
    for name, path, client in browse(app, desk_client):
        page = client.get(path + "?lang=ko").get_data(as_text=True)
        assert '<html lang="ko"' in page, name
        assert 'class="language-switch"' in page, name
        assert 'hreflang="en"' in page and ">English</a>" in page and ">한국어</a>" in page, name
        if name != "embed.embed":
            assert '<link rel="alternate" hreflang="ko"' in page, name


class VisibleText(HTMLParser):
    """The words a reader sees or hears: text and the attributes read aloud."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.hidden += 1
        said = dict(attrs)
        for name, value in attrs:
            if name in ("aria-label", "alt", "title", "placeholder") and value:
                self.parts.append(value)
        shown_in_previews = ("description", "og:title", "og:description", "og:image:alt")
        if tag == "meta" and (said.get("name") or said.get("property")) in shown_in_previews:
            self.parts.append(said.get("content") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def visible_words(html: str) -> set[str]:
    parser = VisibleText()
    parser.feed(html)
    return set(re.findall(r"[A-Za-z][A-Za-z'’-]*", " ".join(parser.parts)))


def content_words(app: Flask) -> set[str]:
    """The editors' own text (title, intro, entries) and the desk's email: not interface."""
    with app.app_context():
        poll = find_poll(POLL)
        texts = [poll.title, poll.intro, poll.slug, "desk@example.org", "no-such-poll"]
        for entry in entry_views(poll):
            texts += [str(value) for value in dataclasses.asdict(entry).values()]
    return set(re.findall(r"[A-Za-z][A-Za-z'’-]*", " ".join(texts)))


def test_korean_pages_show_no_english_interface_text(app, desk_client):
    with app.app_context():  # an entry with a link shows the words that lead to it
        find_poll(POLL).entries[0].link = "https://clips.example.org/kiss"
        db.session.commit()
        db.session.remove()
    allowed = content_words(app) | KEPT_IN_LATIN
    for name, path, client in browse(app, desk_client):
        korean = client.get(path + "?lang=ko").get_data(as_text=True)
        english = client.get(path + "?lang=en").get_data(as_text=True)
        assert HANGUL.search(korean), name
        interface_words = visible_words(english) - allowed
        left_in_english = (visible_words(korean) - allowed) & interface_words
        assert left_in_english == set(), name


# ---------------------------------------------------------------- API errors


class ApiError(NamedTuple):
    name: str
    body: object
    status: int
    code: str
    english: str
    korean: str


API_ERRORS = [
    ApiError(
        "unknown entry", {"ranking": ["nope"]}, 400, "ballot_unknown", "no entry called", "항목이 없습니다"
    ),
    ApiError("empty ranking", {"ranking": []}, 400, "ballot_empty", "at least one", "하나 이상"),
    ApiError("extra field", {"ranking": [], "x": 1}, 400, "unexpected_fields", "Unexpected", "예상하지 못한"),
    ApiError("not a list", {"ranking": "a"}, 400, "ranking_not_a_list", "must be a list", "목록이어야"),
]


@pytest.mark.parametrize("case", API_ERRORS, ids=[case.name for case in API_ERRORS])
def test_api_errors_come_in_the_readers_language_with_the_same_code(client, case):
    english = client.post(BALLOTS, json=case.body, headers={"Accept-Language": "en"})
    korean = client.post(BALLOTS, json=case.body, headers={"Accept-Language": "ko"})
    for response, words in ((english, case.english), (korean, case.korean)):
        assert response.status_code == case.status
        body = response.get_json()
        assert body["code"] == case.code
        assert words in body["error"], body
    assert not HANGUL.search(english.get_json()["error"])


def test_a_missing_poll_answers_not_found_in_korean_by_the_lang_parameter(client):
    response = client.get("/api/polls/nothing-here?lang=ko")
    assert response.status_code == 404
    assert response.get_json() == {"error": "“nothing-here”라는 투표는 없습니다.", "code": "not_found"}


# ---------------------------------------------------------------- the editors' text


def test_a_korean_reader_sees_the_editors_korean_text_and_an_english_reader_the_original(app, client):
    with app.app_context():
        keys = [e.key for e in entry_views(find_poll(POLL))]
    assert vote(client, keys[:2]).status_code == 201
    korean = client.get(f"/polls/{POLL}?lang=ko").get_data(as_text=True)
    english = client.get(f"/polls/{POLL}?lang=en").get_data(as_text=True)
    assert "<h1>2014년 가장 로맨틱한 K-드라마 키스신</h1>" in korean
    assert "별에서 온 그대" in korean and "피노키오" in korean and "최인하 &amp; 최달포" in korean
    assert "<h1>The most romantic K-drama kisses of 2014</h1>" in english and "별에서" not in english
    results = client.get(f"/polls/{POLL}/results?lang=ko").get_data(as_text=True)
    assert "응급남녀: 버스 정류장 키스" in results and "2014년 가장 로맨틱한" in results
    embed = client.get(f"/polls/{POLL}/embed?lang=ko").get_data(as_text=True)
    assert "하이스쿨: 러브온" in embed
    # Downloads and the API are data: the same for every reader, in the poll file's own words.
    assert "Pinocchio" in client.get(f"/polls/{POLL}/results.csv?lang=ko").get_data(as_text=True)
    assert client.get(f"/api/polls/{POLL}?lang=ko").get_json()["title"].startswith("The most romantic")


def test_a_poll_file_may_translate_only_the_editors_text():
    from pollapp.catalogue.files import PollFileError, parse_poll

    entries = [
        {"key": "a", "title": "A"},
        {"key": "b", "title": "B", "translations": {"ko": {"title": "비"}}},
    ]
    base = {"slug": "p", "title": "T", "intro": "I", "entries": entries}
    spec = parse_poll({**base, "translations": {"ko": {"title": "티"}}}, "p.toml")
    assert spec.translations == {"ko": {"title": "티"}}
    assert spec.entries[1].translations == {"ko": {"title": "비"}}
    with pytest.raises(PollFileError, match="only title, intro"):
        parse_poll({**base, "translations": {"ko": {"slug": "q"}}}, "p.toml")
    with pytest.raises(PollFileError, match="two-letter language code"):
        parse_poll({**base, "translations": {"korean": {"title": "티"}}}, "p.toml")


def test_the_interface_calls_entries_by_the_polls_own_word_in_each_language(app, client):
    korean = client.get(f"/polls/{POLL}?lang=ko").get_data(as_text=True)
    assert "좋아하는 장면부터 차례로 누르세요." in korean and "항목" not in korean
    english = client.get(f"/polls/{POLL}?lang=en").get_data(as_text=True)
    assert "Tap the scenes in the order you love them" in english
    with app.app_context():
        keys = [e.key for e in entry_views(find_poll(POLL))]
    assert vote(client, keys[:2]).status_code == 201
    results = client.get(f"/polls/{POLL}/results?lang=ko").get_data(as_text=True)
    assert '<th scope="col" role="columnheader">장면</th>' in results


def test_without_a_korean_word_the_korean_interface_says_항목_not_the_english_word(app, client):
    with app.app_context():
        poll = find_poll(POLL)
        assert poll is not None
        poll.translations = {"ko": {"title": "키스신", "intro": "순위를 매겨 보세요."}}
        db.session.commit()
    korean = client.get(f"/polls/{POLL}?lang=ko").get_data(as_text=True)
    assert "좋아하는 항목부터 차례로 누르세요." in korean
    assert "scene" not in visible_words(korean) and "scenes" not in visible_words(korean)


def test_the_link_preview_picture_speaks_the_readers_language(client):
    korean = client.get(f"/polls/{POLL}?lang=ko").get_data(as_text=True)
    english = client.get(f"/polls/{POLL}?lang=en").get_data(as_text=True)
    drawn = f"http://localhost/polls/{POLL}/preview.png"
    assert f'property="og:image" content="{drawn}?lang=ko"' in korean
    assert f'property="og:image" content="{drawn}?lang=en"' in english
    url = f"http://localhost/polls/{POLL}"
    answer = client.get("/oembed", query_string={"url": url, "lang": "ko"}).get_json()
    assert answer["thumbnail_url"] == f"{drawn}?lang=ko"
    picture = client.get(answer["thumbnail_url"])
    assert picture.status_code == 200 and picture.mimetype == "image/png"
    width, height = int.from_bytes(picture.data[16:20], "big"), int.from_bytes(picture.data[20:24], "big")
    picture.close()
    assert (width, height) == (answer["thumbnail_width"], answer["thumbnail_height"]) == (1200, 630)
