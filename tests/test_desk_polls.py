"""Making and editing polls in the editors' desk: the form, its refusals,
the keys entries keep, and what readers then see."""

from __future__ import annotations

import re
from typing import NamedTuple

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pollapp.core.terms import TITLE_LENGTH, PollStatus
from pollapp.extensions import db
from pollapp.polls.models import Poll
from pollapp.polls.service import find_poll
from sqlalchemy import select

from helpers import POLL, csrf_token, database_state, tally_differences, vote
from test_editors import trail

NEW = "/editors/polls/new"
EDIT = f"/editors/polls/{POLL}/edit"
HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


@pytest.fixture
def app(make_app, database_uri: str) -> Flask:
    """Every test here on SQLite and on PostgreSQL."""
    return make_app(database_uri=database_uri)


def poll_form(
    title: str = "Best endings", entries: list[dict[str, str]] | None = None, **fields: str
) -> dict:
    """What a browser sends for the poll form: the poll's fields, then one row per entry."""
    rows = entries if entries is not None else [{"title": "Goblin"}, {"title": "Signal"}]
    data = {
        "title": title,
        "intro": "Which ending stayed with you?",
        "slug": "",
        "entry_noun": "",
        "entry_noun_plural": "",
        "borda_rule": "averaged",
        "results_visibility": "always",
        **fields,
    }
    for number, row in enumerate(rows):
        for name, value in row.items():
            data[f"entries-{number}-{name}"] = value
    return data


def send(client: FlaskClient, path: str, data: dict) -> object:
    return client.post(path, data={"csrf_token": csrf_token(client, path), **data})


def open_poll(desk: FlaskClient, slug: str) -> None:
    """Open a poll from the desk's home, as an editor does once a new poll (a draft) is ready."""
    token = csrf_token(desk, "/editors/")
    opened = desk.post(f"/editors/polls/{slug}/status", data={"csrf_token": token, "status": "open"})
    assert opened.status_code == 302


def stored(app: Flask, slug: str) -> Poll | None:
    with app.app_context():
        poll = find_poll(slug)
        if poll is not None:
            db.session.expunge(poll)
        return poll


def entries_of(app: Flask, slug: str) -> list[tuple[str, str, str, str, str, str | None]]:
    with app.app_context():
        poll = find_poll(slug)
        assert poll is not None
        return [(e.key, e.title, e.subtitle, e.credit, e.blurb, e.link) for e in poll.entries]


def test_an_editor_makes_a_poll_readers_can_rank(app, desk):
    rows = [
        {
            "title": "Goblin",
            "subtitle": "The last snow",
            "credit": "Gong Yoo",
            "link": "https://example.org/g",
        },
        {"title": ""},  # a blank row is no entry
        {"title": "Signal", "blurb": "The radio goes quiet."},
        {"title": "Goblin"},  # the same title again gets a key of its own
    ]
    response = send(
        desk, NEW, poll_form("Best endings", rows, entry_noun="ending", entry_noun_plural="endings")
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/editors/polls/best-endings/edit"
    poll = stored(app, "best-endings")
    assert poll is not None and poll.title == "Best endings" and poll.entry_noun_plural == "endings"
    assert entries_of(app, "best-endings") == [
        ("goblin", "Goblin", "The last snow", "Gong Yoo", "", "https://example.org/g"),
        ("signal", "Signal", "", "", "The radio goes quiet.", None),
        ("goblin-2", "Goblin", "", "", "", None),
    ]
    assert "“Best endings” is made." in desk.get(response.headers["Location"]).get_data(as_text=True)
    assert trail(app)[-1][:3] == ("editor@example.org", "created", poll.id)
    assert poll.status == PollStatus.DRAFT
    assert vote(app.test_client(), ["signal", "goblin-2"], slug="best-endings").status_code == 404
    open_poll(desk, "best-endings")
    assert vote(app.test_client(), ["signal", "goblin-2"], slug="best-endings").status_code == 201


def translations_of(app: Flask, slug: str) -> tuple[object, dict[str, object]]:
    with app.app_context():
        poll = find_poll(slug)
        assert poll is not None
        return poll.translations, {e.key: e.translations for e in poll.entries}


def test_an_edit_keeps_each_entrys_key_and_its_ballots(app, desk):
    before = entries_of(app, POLL)
    translated = translations_of(app, POLL)
    assert translated[0] and all(translated[1].values())  # the shipped poll has its Korean text
    assert vote(app.test_client(), [before[0][0], before[1][0]]).status_code == 201
    rows = [{"key": key, "title": title.upper()} for key, title, *_ in reversed(before)]
    rows.insert(1, {"title": "A new one"})

    # Adding an entry after a ballot re-scores every ballot: the editor confirms it (test_rescores).
    response = send(desk, EDIT, poll_form("Renamed", rows, slug=POLL, rescore="entries_added:10"))

    assert response.status_code == 302
    after = entries_of(app, POLL)
    assert [key for key, *_ in after] == [
        before[-1][0],
        "a-new-one",
        *[key for key, *_ in reversed(before[:-1])],
    ]
    assert [title for _, title, *_ in after][0] == before[-1][1].upper()
    assert stored(app, POLL).title == "Renamed"
    assert [action for _, action, *_ in trail(app)][-2:] == ["edited", "rescored"]
    poll_text, entry_texts = translations_of(app, POLL)
    assert poll_text == translated[0] and entry_texts == {**translated[1], "a-new-one": {}}


def test_an_editor_sets_how_many_ballots_the_results_wait_for(app, desk):
    assert send(desk, NEW, poll_form("Few readers", min_ballots="5")).status_code == 302
    assert stored(app, "few-readers").min_ballots == 5
    assert send(desk, NEW, poll_form("Default readers")).status_code == 302
    assert stored(app, "default-readers").min_ballots == 30


def test_an_editor_chooses_whether_each_ballot_lists_the_entries_in_its_own_order(app, desk):
    page = desk.get(NEW).get_data(as_text=True)
    assert re.search(r'<input checked id="shuffle_entries" name="shuffle_entries" type="checkbox"', page)
    assert send(desk, NEW, poll_form("Own orders", shuffle_entries="y")).status_code == 302
    assert stored(app, "own-orders").shuffle_entries is True
    # A checkbox left unticked is not sent at all.
    assert send(desk, NEW, poll_form("Editors order")).status_code == 302
    assert stored(app, "editors-order").shuffle_entries is False
    edit = desk.get("/editors/polls/editors-order/edit").get_data(as_text=True)
    assert re.search(r'<input id="shuffle_entries" name="shuffle_entries" type="checkbox"', edit)


class Refusal(NamedTuple):
    fields: dict[str, str]
    rows: list[dict[str, str]] | None
    says: str


REFUSALS = [
    Refusal({"title": ""}, None, "Give the poll a title."),
    Refusal({"intro": ""}, None, "Write an introduction for readers."),
    Refusal({}, [{"title": "Only one"}, {"title": " "}], "A poll needs at least two entries."),
    Refusal({"slug": "Not A Slug"}, None, "Use lowercase letters and digits"),
    Refusal({"slug": POLL}, None, "Another poll has this address already."),
    Refusal({}, [{"title": "A", "link": "javascript:alert(1)"}, {"title": "B"}], "http:// or https://"),
    Refusal({"title": "x" * 301}, None, "At most 300 characters."),
    Refusal({"min_ballots": "0"}, None, "Give a whole number from 1 to 1000000."),
    # PostgreSQL cannot keep a NUL at all: it is refused before it reaches the database.
    Refusal({"title": "Best\x00endings"}, None, "invisible control character (U+0000)"),
    Refusal({"intro": "Ring \x07 the bell"}, None, "invisible control character (U+0007)"),
    Refusal({}, [{"title": "A", "blurb": "x\x1b[31m"}, {"title": "B"}], "control character (U+001B)"),
]


@pytest.mark.parametrize("case", REFUSALS, ids=lambda case: case.says)
def test_a_poll_that_cannot_be_stored_is_refused_with_a_sentence_and_nothing_stored(app, desk, case):
    before = database_state(app)
    with app.app_context():
        polls_before = len(db.session.execute(select(Poll.id)).all())

    response = send(desk, NEW, poll_form(**{"title": "Best endings", **case.fields}, entries=case.rows))

    assert response.status_code == 400
    assert case.says in response.get_data(as_text=True)
    assert database_state(app) == before
    with app.app_context():
        assert len(db.session.execute(select(Poll.id)).all()) == polls_before


def test_an_entry_with_ballots_cannot_be_removed(app, desk):
    before = entries_of(app, POLL)
    assert vote(app.test_client(), [before[0][0]]).status_code == 201
    rows = [{"key": key, "title": title} for key, title, *_ in before[1:]]

    response = send(desk, EDIT, poll_form("Renamed", rows, slug=POLL))

    assert response.status_code == 400
    assert (
        f"Readers have ranked these entries, so they stay in the poll: “{before[0][1]}”."
        in response.get_data(as_text=True)
    )
    assert entries_of(app, POLL) == before and stored(app, POLL).title != "Renamed"


def test_an_entry_may_be_removed_before_any_ballot(app, desk):
    before = entries_of(app, POLL)
    rows = [{"key": key, "title": title} for key, title, *_ in before[1:]]

    assert send(desk, EDIT, poll_form("Renamed", rows, slug=POLL)).status_code == 302

    assert [key for key, *_ in entries_of(app, POLL)] == [key for key, *_ in before[1:]]


def test_the_slug_changes_before_the_first_ballot_and_never_after(app, desk):
    rows = [{"key": key, "title": title} for key, title, *_ in entries_of(app, POLL)]
    assert send(desk, EDIT, poll_form("Renamed", rows, slug="renamed")).status_code == 302
    assert stored(app, POLL) is None and stored(app, "renamed") is not None

    assert vote(app.test_client(), [rows[0]["key"]], slug="renamed").status_code == 201
    response = send(desk, "/editors/polls/renamed/edit", poll_form("Renamed", rows, slug="again"))

    assert response.status_code == 400
    assert "This poll has ballots, so its address stays “renamed”." in response.get_data(as_text=True)
    assert stored(app, "again") is None


def test_hostile_text_in_every_field_is_shown_as_text(app, desk):
    row = {"title": HOSTILE, "subtitle": HOSTILE, "credit": HOSTILE, "blurb": HOSTILE}
    fields = {
        "intro": HOSTILE,
        "entry_noun": HOSTILE[:40],
        "entry_noun_plural": HOSTILE[:40],
        "slug": "hostile",
    }
    assert send(desk, NEW, poll_form(HOSTILE, [row, {"title": "=1+2"}], **fields)).status_code == 302
    open_poll(desk, "hostile")

    pages = [
        desk.get("/editors/polls/hostile/edit"),
        desk.get("/editors/"),
        app.test_client().get("/polls/hostile"),
        app.test_client().get("/polls/hostile/results"),
    ]
    for page in pages:
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    csv = app.test_client().get("/polls/hostile/results.csv").get_data(as_text=True)
    assert not re.search(r"(^|,)=1\+2", csv, re.MULTILINE)


# ---------------------------------------------------------------- the editors' text in Korean

KOREAN_ROWS = [
    {"title": "Goblin", "subtitle": "Snowfall kiss", "title_ko": "도깨비", "subtitle_ko": "첫눈 키스"},
    {"title": "Signal", "credit_ko": "박해영 & 차수현", "blurb_ko": "무전기 너머로 이어진 마음."},
]
KOREAN_POLL = {"title_ko": "최고의 결말", "intro_ko": "어떤 결말이 오래 남았나요?", "entry_noun_ko": "결말"}


def test_an_editor_gives_the_poll_in_korean_and_each_reader_sees_their_language(app, desk):
    form = poll_form(
        "Best endings",
        KOREAN_ROWS,
        slug="endings",
        entry_noun="ending",
        entry_noun_plural="endings",
        **KOREAN_POLL,
    )
    assert send(desk, NEW, form).status_code == 302
    open_poll(desk, "endings")
    poll = stored(app, "endings")
    assert poll is not None
    assert poll.translations == {
        "ko": {
            "title": "최고의 결말",
            "intro": "어떤 결말이 오래 남았나요?",
            "entry_noun": "결말",
            "entry_noun_plural": "결말",
        }
    }
    korean = app.test_client().get("/polls/endings?lang=ko").get_data(as_text=True)
    assert "<h1>최고의 결말</h1>" in korean and "어떤 결말이 오래 남았나요?" in korean
    assert "도깨비" in korean and "첫눈 키스" in korean and "박해영 &amp; 차수현" in korean
    assert "좋아하는 결말부터" in korean  # the poll's own Korean noun in the interface's sentences
    assert "ending" not in korean.lower().replace("endings", "")  # the slug aside
    english = app.test_client().get("/polls/endings?lang=en").get_data(as_text=True)
    assert "<h1>Best endings</h1>" in english and "도깨비" not in english and "Tap the endings" in english


def test_the_desk_shows_the_korean_text_again_and_an_emptied_field_drops_it(app, desk):
    assert (
        send(desk, NEW, poll_form("Best endings", KOREAN_ROWS, slug="endings", **KOREAN_POLL)).status_code
        == 302
    )
    open_poll(desk, "endings")
    page = desk.get("/editors/polls/endings/edit").get_data(as_text=True)
    assert 'value="최고의 결말"' in page and 'value="도깨비"' in page and "무전기 너머로 이어진 마음." in page
    assert 'lang="ko"' in page

    rows = [
        {"key": "goblin", "title": "Goblin", "title_ko": "도깨비", "subtitle_ko": ""},
        {"key": "signal", "title": "Signal", "credit_ko": "", "blurb_ko": ""},
    ]
    assert (
        send(
            desk,
            "/editors/polls/endings/edit",
            poll_form("Best endings", rows, slug="endings", title_ko="", intro_ko="", entry_noun_ko=""),
        ).status_code
        == 302
    )
    with app.app_context():
        poll = find_poll("endings")
        assert poll is not None
        assert poll.translations == {}
        assert [e.translations for e in poll.entries] == [{"ko": {"title": "도깨비"}}, {}]
    korean = app.test_client().get("/polls/endings?lang=ko").get_data(as_text=True)
    assert "<h1>Best endings</h1>" in korean and "도깨비" in korean and "좋아하는 항목부터" in korean


def test_a_form_without_the_korean_fields_leaves_the_korean_text_alone(app, desk):
    """A script that sends only the original text does not wipe the translations."""
    with app.app_context():
        before = find_poll(POLL)
        assert before is not None
        poll_text, entry_texts = dict(before.translations or {}), [e.translations for e in before.entries]
        rows = [
            {"key": e.key, "title": e.title, "subtitle": e.subtitle, "credit": e.credit}
            for e in before.entries
        ]
    form = poll_form(
        before.title, rows, slug=POLL, intro=before.intro, entry_noun="scene", entry_noun_plural="scenes"
    )
    assert send(desk, EDIT, form).status_code == 302
    with app.app_context():
        after = find_poll(POLL)
        assert after is not None
        assert after.translations == poll_text and [e.translations for e in after.entries] == entry_texts


def test_korean_text_too_long_or_hostile_is_refused_or_shown_as_text(app, desk):
    too_long = poll_form("Best endings", KOREAN_ROWS, slug="endings", title_ko="가" * (TITLE_LENGTH + 1))
    answer = send(desk, NEW, too_long)
    assert answer.status_code == 400 and stored(app, "endings") is None
    assert f"At most {TITLE_LENGTH} characters." in answer.get_data(as_text=True)

    hostile_rows = [{"title": "Goblin", "title_ko": HOSTILE, "blurb_ko": HOSTILE}, {"title": "Signal"}]
    assert (
        send(desk, NEW, poll_form("Best endings", hostile_rows, slug="endings", intro_ko=HOSTILE)).status_code
        == 302
    )
    open_poll(desk, "endings")
    for page in (
        app.test_client().get("/polls/endings?lang=ko"),
        desk.get("/editors/polls/endings/edit?lang=ko"),
    ):
        html = page.get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_desks_korean_text_travels_in_the_poll_file(app, desk, tmp_path):
    assert (
        send(desk, NEW, poll_form("Best endings", KOREAN_ROWS, slug="endings", **KOREAN_POLL)).status_code
        == 302
    )
    exported = tmp_path / "endings.toml"
    done = app.test_cli_runner().invoke(args=["polls", "export", "endings", str(exported)])
    assert done.exit_code == 0, done.output
    text = exported.read_text(encoding="utf-8")
    assert "[translations.ko]" in text and 'title = "최고의 결말"' in text and 'entry_noun = "결말"' in text
    assert "[entries.translations.ko]" in text and 'title = "도깨비"' in text


# ---------------------------------------------------------------- reordering without script


def test_the_places_reorder_the_entries_and_keep_their_keys_and_ballots(app, desk):
    before = entries_of(app, POLL)
    keys = [key for key, *_ in before]
    assert vote(app.test_client(), [keys[0], keys[1]]).status_code == 201
    page = desk.get(EDIT).get_data(as_text=True)
    assert 'name="entries-0-position" type="number" value="1"' in page
    # The last entry to the top, the first to place 5; rows without a place keep theirs after.
    places = {0: "5", len(keys) - 1: "1"}
    rows = [
        {"key": key, "title": title, "position": places.get(i, "")}
        for i, (key, title, *_) in enumerate(before)
    ]
    rows[2]["position"] = "3"

    assert send(desk, EDIT, poll_form("Renamed", rows, slug=POLL)).status_code == 302

    after = [key for key, *_ in entries_of(app, POLL)]
    assert after == [keys[-1], keys[2], keys[0], *[k for k in keys[1:-1] if k != keys[2]]]
    assert tally_differences(app, POLL) == []


def test_a_place_out_of_range_is_refused_with_a_sentence_and_nothing_stored(app, desk):
    before = entries_of(app, POLL)
    rows = [
        {"key": key, "title": title, "position": "0" if i == 0 else ""}
        for i, (key, title, *_) in enumerate(before)
    ]

    response = send(desk, EDIT, poll_form("Renamed", rows, slug=POLL))

    assert response.status_code == 400
    assert "Give a whole number from 1 to 200." in response.get_data(as_text=True)
    assert entries_of(app, POLL) == before


def test_hostile_text_from_the_desk_is_text_in_the_charts_the_json_and_the_downloads(app, desk):
    rows = [{"title": HOSTILE, "subtitle": "</svg><script>alert(3)</script>"}, {"title": "=HYPERLINK(1)"}]
    rows.append({"title": "@SUM(1)", "subtitle": '{"json": "</script>"}'})
    form = poll_form(HOSTILE, rows, slug="hostile", min_ballots="1")
    assert send(desk, NEW, form).status_code == 302
    keys = [key for key, *_ in entries_of(app, "hostile")]
    opened = desk.post(
        "/editors/polls/hostile/status", data={"csrf_token": csrf_token(desk, "/editors/"), "status": "open"}
    )
    assert opened.status_code == 302
    for ranking in ([keys[0], keys[1]], [keys[2]], [keys[1], keys[2], keys[0]]):
        assert vote(app.test_client(), ranking, slug="hostile").status_code == 201

    page = app.test_client().get("/polls/hostile/results").get_data(as_text=True)
    charts = re.findall(r"<svg.*?</svg>", page, re.DOTALL)
    assert len(charts) >= 3  # the slope chart, the points and the heatmap are drawn
    for chart in charts:
        assert "<script" not in chart and "<img" not in chart
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in chart
    document = app.test_client().get("/api/polls/hostile/results")
    assert document.mimetype == "application/json"
    assert {entry["title"] for entry in document.get_json()["entries"]} == {
        HOSTILE,
        "=HYPERLINK(1)",
        "@SUM(1)",
    }
    for download in ("results.csv", "ballots.csv"):
        text = app.test_client().get(f"/polls/hostile/{download}").get_data(as_text=True)
        assert not re.search(r"(^|,)\"?[=@+\-]", text, re.MULTILINE), text
