"""An editor starts a new draft poll from approved readers' suggestions: the
queue offers them to choose, the new poll form comes prefilled with them as
entries, and anything but approved suggestions of that poll is refused."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from helpers import POLL, vote
from test_desk_polls import entries_of, poll_form, send, stored
from test_suggestions import QUEUE, moderate, nomination_ids, suggest

NEW = "/editors/polls/new"
HOSTILE = '<script>alert(1)</script>"><svg onload=alert(2)>'


@pytest.fixture
def app(make_app) -> Flask:
    return make_app()


def suggestions_made(app: Flask, desk: FlaskClient, titles: list[str]) -> dict[str, int]:
    """Each title suggested by a reader of its own; the ids of their nominations."""
    for title in titles:
        assert suggest(app.test_client(), title).status_code in (302, 303)
    return nomination_ids(app)


def test_chosen_approved_suggestions_start_a_new_draft_poll_as_its_entries(app, desk):
    ids = suggestions_made(app, desk, ["The Heirs, rooftop kiss", "Healer", "Pinocchio, again"])
    for title in ("The Heirs, rooftop kiss", "Healer"):
        assert moderate(desk, ids[title], "approve").status_code == 303
    queue = desk.get(QUEUE).get_data(as_text=True)
    # Only approved ones are offered, each a labelled checkbox of one GET form.
    offered = re.findall(
        r'name="suggestion" value="(\d+)" id="start-\d+"> <label for="start-\d+">([^<]+)<', queue
    )
    assert sorted(offered) == sorted(
        [(str(ids["The Heirs, rooftop kiss"]), "The Heirs, rooftop kiss"), (str(ids["Healer"]), "Healer")]
    )

    page = desk.get(
        NEW, query_string={"from": POLL, "suggestion": [ids["Healer"], ids["The Heirs, rooftop kiss"]]}
    )

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'name="entries-0-title" type="text" value="Healer"' in html
    assert 'name="entries-1-title" type="text" value="The Heirs, rooftop kiss"' in html
    assert 'name="entries-2-title" type="text" value=""' in html
    assert "readers’ suggestions approved in" in html
    form = poll_form("Readers' picks", [{"title": "Healer"}, {"title": "The Heirs, rooftop kiss"}])
    assert send(desk, NEW, form).status_code == 302
    made = stored(app, "readers-picks")
    assert made is not None and str(made.status) == "draft"
    assert [title for _, title, *_ in entries_of(app, "readers-picks")] == [
        "Healer",
        "The Heirs, rooftop kiss",
    ]
    assert app.test_client().get("/polls/readers-picks").status_code == 404
    korean = desk.get(QUEUE, query_string={"lang": "ko"}).get_data(as_text=True)
    assert "이 제안들로 초안 투표 시작하기" in korean


@pytest.mark.parametrize(
    "query",
    [
        {"from": POLL},  # none chosen
        {"from": POLL, "suggestion": "pending"},  # not approved (replaced by the id below)
        {"from": POLL, "suggestion": "x1"},  # no number
        {"from": POLL, "suggestion": "999999"},  # no such suggestion
    ],
    ids=["none chosen", "a pending one", "no number", "no such one"],
)
def test_anything_but_approved_suggestions_is_refused_with_a_sentence(app, desk, query):
    ids = suggestions_made(app, desk, ["Healer"])
    if query.get("suggestion") == "pending":
        query = {**query, "suggestion": str(ids["Healer"])}

    page = desk.get(NEW, query_string=query)

    assert page.status_code == 400
    text = page.get_data(as_text=True)
    assert (
        "Choose at least one approved suggestion" in text or "Only suggestions the editors approved" in text
    )
    assert "Traceback" not in text


def test_a_suggestion_of_another_poll_does_not_start_one_here(app, desk):
    ids = suggestions_made(app, desk, ["Healer"])
    assert moderate(desk, ids["Healer"], "approve").status_code == 303
    assert send(desk, NEW, poll_form("Other poll")).status_code == 302

    page = desk.get(NEW, query_string={"from": "other-poll", "suggestion": ids["Healer"]})

    assert page.status_code == 400
    assert desk.get(NEW, query_string={"from": "no-such-poll", "suggestion": 1}).status_code == 404


def test_a_reader_cannot_start_a_poll_from_suggestions(app):
    response = app.test_client().get(NEW, query_string={"from": POLL, "suggestion": 1})
    assert response.status_code in (302, 401)
    assert "/editors/login" in response.headers.get("Location", "/editors/login")


def test_hostile_suggested_titles_come_into_the_form_as_text(app, desk):
    assert vote(app.test_client(), [entries_of(app, POLL)[0][0]]).status_code == 201
    ids = suggestions_made(app, desk, [HOSTILE])
    (nomination,) = ids.values()
    assert moderate(desk, nomination, "approve").status_code == 303

    page = desk.get(NEW, query_string={"from": POLL, "suggestion": nomination}).get_data(as_text=True)

    assert "<script>alert" not in page and "<svg onload" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
