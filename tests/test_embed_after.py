"""The frame's answer to a ballot (``embed/after.py``, ``results/top.py``):
the same HTML as a full render, from parts kept per poll, revision and
language; a readers' top that is exact for a small poll and at most
``EMBED_TOP_FRESH_FOR`` seconds old past ``EMBED_TOP_KEPT_FROM`` ballots.

The full render is the fragment's template as it was before its parts were
kept (``data/embed_after_before.html``), given everything it was given then:
the poll from the database, its results worked out whole (``results_of``).
The fragment must stay byte for byte what it renders."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from html import unescape
from itertools import count
from pathlib import Path
from typing import NamedTuple

import pollapp.embed.after
import pollapp.results.top
import pollapp.web.casting
import pytest
from flask import Flask
from pollapp.catalogue.files import shipped_polls
from pollapp.catalogue.sync import sync_polls
from pollapp.core.ranking import Rule
from pollapp.core.terms import PollStatus, ResultsVisibility
from pollapp.extensions import db
from pollapp.polls.service import PollState, entry_views, find_poll, find_poll_state
from pollapp.results.service import results_of, visible_to
from pollapp.web import languages
from pollapp.web.limits import FirstBallotPlace

from helpers import POLL, set_poll, vote_many

EMBED = f"/polls/{POLL}/embed"
ENDPOINT = f"{EMBED}/ballots"
BEFORE = (Path(__file__).parent / "data" / "embed_after_before.html").read_text(encoding="utf-8")
ESCAPED_TITLE = "Tom & Jerry <b>\"kiss\"</b> 'n' more"

_keys = count()


def new_key() -> str:
    """A reader key of its own: each call is a new reader."""
    return f"reader-key-{next(_keys):08d}"


class Clock:
    """``monotonic`` for results/top.py, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(pollapp.results.top, "monotonic", fake)
    return fake


def from_frame(
    client, ranking: list[str], query: str = "", headers: dict[str, str] | None = None, **request: str
) -> str:
    """Cast a ballot as the script in WordPress's sandboxed frame does, as a new reader; the
    fragment it is answered with."""
    response = client.post(
        ENDPOINT + query,
        json={"ranking": ranking},
        headers={"Origin": "null", "Idempotency-Key": new_key(), **(headers or {})},
        **request,
    )
    assert response.status_code in (200, 201, 202), response.get_data(as_text=True)
    body = response.get_json()
    assert body["ranking"] == ranking
    return str(body["html"])


def full_render(
    app: Flask,
    mine: list[str],
    fragment: str,
    path: str = ENDPOINT,
    headers: dict[str, str] | None = None,
    **request: str,
) -> str:
    """The fragment rendered whole, as before its parts were kept, for the request a
    ballot was sent with (its language, its address) and the message it was told."""
    message = re.search(r'<h2 id="after-heading" tabindex="-1">(.*?)</h2>', fragment)
    assert message is not None, fragment
    with app.test_request_context(path, method="POST", headers=headers or {}, **request):
        poll = find_poll(POLL)
        assert poll is not None
        context = {
            "poll": poll,
            "entries": languages.entries_shown(entry_views(poll)),
            "mine": mine,
            "results": (
                languages.results_shown(results_of(poll)) if visible_to(poll, has_ballot=True) else None
            ),
            "message": unescape(message.group(1)),
            "top": 3,
        }
        app.update_template_context(context)
        return app.jinja_env.from_string(BEFORE).render(context)


def readers_top(html: str) -> list[str]:
    """The labels under the readers' top in an English fragment."""
    found = re.search(r"<h3>Readers' top 3</h3>\s*<ol>(.*?)</ol>", html)
    assert found is not None, html
    return [unescape(label) for label in re.findall(r"<li>(.*?)</li>", found.group(1))]


def labels(app: Flask, *keys: str) -> list[str]:
    with app.app_context():
        poll = find_poll(POLL)
        assert poll is not None
        shown = {entry.key: entry.label for entry in entry_views(poll)}
    return [shown[key] for key in keys]


def edit_entry(app: Flask, key: str, title: str) -> None:
    """Change an entry's title as `flask polls sync` does: through the catalogue, which bumps the revision."""
    with app.app_context():
        (spec,) = [spec for spec in shipped_polls() if spec.slug == POLL]
        entries = tuple(replace(entry, title=title) if entry.key == key else entry for entry in spec.entries)
        sync_polls([replace(spec, entries=entries)])
        db.session.remove()


def kept_parts(app: Flask) -> int:
    return len(app.extensions.get("pollapp_embed_after", {}))


def kept_fragments(app: Flask) -> int:
    return len(app.extensions.get("pollapp_embed_fragments", {}))


# ---------------------------------------------------------------- the same HTML as a full render


class Way(NamedTuple):
    name: str
    query: str = ""
    headers: dict[str, str] = {}
    setup: str = ""  # what is done to the poll first


WAYS = [
    Way("english"),
    Way("korean-asked-for-in-the-url", query="?lang=ko"),
    # Korean from the browser: the same words, but links without ?lang=, so kept apart.
    Way("korean-from-the-browser", headers={"Accept-Language": "ko"}),
    Way("results-shown-when-closed", setup="results-after-close"),
    Way("every-ballot-held", setup="hold-every-ballot"),
    Way("titles-to-escape", setup="escaped-title"),
    Way("titles-to-escape-in-korean", query="?lang=ko", setup="escaped-title"),
]


@pytest.mark.parametrize("way", WAYS, ids=[way.name for way in WAYS])
def test_the_fragment_made_and_kept_is_what_a_full_render_makes(app, client, keys, clock, monkeypatch, way):
    if way.setup == "results-after-close":
        set_poll(app, results_visibility="after_close")
    elif way.setup == "hold-every-ballot":
        monkeypatch.setattr(pollapp.web.casting, "first_ballot_place", lambda: FirstBallotPlace(held=True))
    elif way.setup == "escaped-title":
        edit_entry(app, keys[1], ESCAPED_TITLE)
    path = ENDPOINT + way.query
    # The parts made by the first and kept for the others; the last fragment is one made before.
    rankings = [[keys[1], keys[4]], [keys[1]], keys[::-1], [keys[1], keys[4], keys[0]]]
    for ranking in rankings:
        html = from_frame(client, ranking, way.query, way.headers)
        assert html == full_render(app, ranking, html, path, way.headers)
        assert "share.js" in html
    assert kept_parts(app) == 1


def test_the_forms_answer_holds_the_same_fragment(app, client, keys, clock):
    for query in ("", "?lang=ko"):
        page = client.get(EMBED + query).get_data(as_text=True)
        key = re.search(r'name="reader_key" type="hidden" value="([^"]+)"', page)
        assert key is not None
        ranking = [keys[2], keys[0]]
        answer = client.post(
            EMBED + query,
            data={"reader_key": key.group(1), "rank_1": ranking[0], "rank_2": ranking[1]},
            follow_redirects=True,
        )
        assert answer.status_code == 200
        page = answer.get_data(as_text=True)
        fragment = page[page.index('<section class="embed-after"') :]
        fragment = fragment[: fragment.index("</section>\n</section>") + len("</section>\n</section>")]
        assert fragment == full_render(app, ranking, fragment, EMBED + query)


def test_korean_and_english_are_kept_apart(app, client, keys, clock):
    english = from_frame(client, [keys[0]])
    korean = from_frame(client, [keys[0]], "?lang=ko")
    english_again = from_frame(client, [keys[0]])
    assert "Your picks" in english and "Your picks" in english_again
    assert "Your picks" not in korean
    assert labels(app, keys[0])[0] in english_again
    assert labels(app, keys[0])[0] not in korean
    assert "lang=ko" in korean and "lang=ko" not in english_again
    assert korean == full_render(app, [keys[0]], korean, ENDPOINT + "?lang=ko")
    assert english_again == full_render(app, [keys[0]], english_again)
    # Korean chosen by the browser: the same words, but links that do not ask for it.
    browser = {"Accept-Language": "ko"}
    by_browser = from_frame(client, [keys[0]], headers=browser)
    assert "Your picks" not in by_browser and "lang=ko" in korean and "results?lang=ko" not in by_browser
    assert by_browser == full_render(app, [keys[0]], by_browser, headers=browser)


def test_each_address_the_app_answers_to_gets_its_own_links(app, client, keys, clock):
    here = from_frame(client, [keys[0]])
    there = from_frame(client, [keys[0]], base_url="https://poll.example")
    assert f"https://poll.example/polls/{POLL}/results" in there
    assert there == full_render(app, [keys[0]], there, base_url="https://poll.example")
    assert "poll.example" not in here


def test_results_hidden_since_are_hidden_at_once(app, client, keys, clock):
    assert "Readers' top" in from_frame(client, [keys[0]])
    set_poll(app, results_visibility="after_close")  # straight in the database: no revision bump
    hidden = from_frame(client, [keys[0]])
    assert "Readers' top" not in hidden
    assert hidden == full_render(app, [keys[0]], hidden)


# ---------------------------------------------------------------- the readers' top


def test_a_small_polls_top_is_exact_after_every_ballot(app, client, keys, clock):
    # The first reader sees their own ballot counted, never "no ballot counts yet".
    first = from_frame(client, [keys[4]])
    assert "No ballot counts yet." not in first
    # keys[4] leads; the rest tie, in the editors' order, as on the results page.
    assert readers_top(first) == labels(app, keys[4], keys[0], keys[1])
    for ranking in ([keys[8]], [keys[8], keys[2]], [keys[2]], keys[::-1], [keys[3], keys[2]]):
        html = from_frame(client, ranking)  # all at the same moment: within any freshness
        assert html == full_render(app, ranking, html)


def test_held_ballots_stay_out_of_the_top(app, client, keys, clock, monkeypatch):
    from_frame(client, [keys[5]])
    monkeypatch.setattr(pollapp.web.casting, "first_ballot_place", lambda: FirstBallotPlace(held=True))
    for _ in range(3):
        held = from_frame(client, [keys[7], keys[6]])
        assert readers_top(held) == labels(app, keys[5], keys[0], keys[1])


def a_hundred_ballots(app: Flask, keys: list[str]) -> None:
    """100 counted ballots (EMBED_TOP_KEPT_FROM's default), each for keys[0] alone:
    keys[0] leads, and the rest tie."""
    vote_many(app, [[keys[0]]] * 100)


def test_past_the_threshold_a_top_is_kept_for_a_moment_then_worked_out_again(app, client, keys, clock):
    a_hundred_ballots(app, keys)
    first = from_frame(client, [keys[0]])  # worked out now, from 101 ballots
    assert readers_top(first) == labels(app, keys[0], keys[1], keys[2])
    clock.now += 0.9
    # keys[8] is second now; the kept top does not say so yet.
    kept = from_frame(client, [keys[8]])
    assert readers_top(kept) == labels(app, keys[0], keys[1], keys[2])
    assert kept != full_render(app, [keys[8]], kept)
    clock.now += 0.1  # EMBED_TOP_FRESH_FOR's default: a second since it was worked out
    fresh = from_frame(client, [keys[7]])
    # keys[7] and keys[8] tie: the editors' order decides, as on the results page.
    assert readers_top(fresh) == labels(app, keys[0], keys[7], keys[8])
    assert fresh == full_render(app, [keys[7]], fresh)


def test_below_the_threshold_nothing_is_kept(make_app, keys, clock):
    app = make_app(EMBED_TOP_KEPT_FROM=102)
    client = app.test_client()
    a_hundred_ballots(app, keys)
    from_frame(client, [keys[0]])  # 101 ballots
    html = from_frame(client, [keys[8]])
    assert readers_top(html) == labels(app, keys[0], keys[8], keys[1])


def test_no_freshness_means_always_exact(make_app, keys, clock):
    app = make_app(EMBED_TOP_FRESH_FOR=0)
    client = app.test_client()
    a_hundred_ballots(app, keys)
    from_frame(client, [keys[0]])
    html = from_frame(client, [keys[8]])
    assert readers_top(html) == labels(app, keys[0], keys[8], keys[1])


def test_an_edit_drops_what_was_kept(app, client, keys, clock):
    a_hundred_ballots(app, keys)
    from_frame(client, [keys[0]])  # the parts and a top of 101 ballots kept
    edit_entry(app, keys[1], ESCAPED_TITLE)
    html = from_frame(client, [keys[8], keys[1]])  # the same moment: the top would still be fresh
    assert readers_top(html)[1:] == labels(app, keys[8], keys[1])
    assert "Tom &amp; Jerry &lt;b&gt;" in html
    assert html == full_render(app, [keys[8], keys[1]], html)


def test_the_polls_row_read_on_the_driver_is_what_the_orm_reads(app):
    opens, closes = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), datetime(2031, 6, 7, 8, 9, 10, tzinfo=UTC)
    set_poll(
        app,
        status="closed",
        results_visibility="after_vote",
        borda_rule="modified",
        opens_at=opens,
        closes_at=closes,
    )
    with app.test_request_context():
        state = find_poll_state(POLL)
        poll = find_poll(POLL)
        assert state is not None and poll is not None
        assert state == PollState(
            poll.id,
            POLL,
            poll.revision,
            PollStatus.CLOSED,
            ResultsVisibility.AFTER_VOTE,
            Rule.MODIFIED,
            opens,
            closes,
        )
        assert isinstance(state.status, PollStatus) and isinstance(state.borda_rule, Rule)
        assert state.opens_at == opens and state.opens_at.tzinfo is not None
        assert state.is_closed and not state.is_draft
        assert find_poll_state("no-such-poll") is None
        assert find_poll_state("not a slug") is None


def test_a_fragment_made_once_is_given_again_for_the_same_picks_message_and_top(
    app, client, keys, clock, monkeypatch
):
    a_hundred_ballots(app, keys)  # past the threshold, so the readers' top stays put for a moment
    first = from_frame(client, [keys[3], keys[5], keys[6], keys[7]])
    real = app.jinja_env.get_template

    def not_again(name, *args, **kwargs):
        assert name != "embed/after.html", "the fragment was made again"
        return real(name, *args, **kwargs)

    monkeypatch.setattr(app.jinja_env, "get_template", not_again)
    again = from_frame(client, [keys[3], keys[5], keys[6]])  # the same top three picks, another reader
    monkeypatch.setattr(app.jinja_env, "get_template", real)
    assert again == first and kept_fragments(app) == 1
    assert again == full_render(app, [keys[3], keys[5], keys[6]], again)
    other = from_frame(client, [keys[5], keys[3]])
    assert other != first and kept_fragments(app) == 2
    # The readers' top moves (worked out again a second on): a fragment of its own.
    vote_many(app, [[keys[8]]] * 150)
    clock.now += 1
    moved = from_frame(client, [keys[3], keys[5], keys[6]])
    assert readers_top(moved) == labels(app, keys[8], keys[0], keys[3])
    assert moved == full_render(app, [keys[3], keys[5], keys[6]], moved) and kept_fragments(app) == 3


def test_the_fragments_kept_are_bounded(app, client, keys, clock, monkeypatch):
    monkeypatch.setattr(pollapp.embed.after, "_FRAGMENTS", 4)
    for first in keys:
        from_frame(client, [first])
    assert kept_fragments(app) == 4
