"""Readers' suggestions: the service (grouping, replacing, merging, counting),
the readers' forms (taken, refused, limited, closed polls), the desk's queue
and trail, the results page, and hostile text through every place it is shown."""

from __future__ import annotations

import html as html_module
import re
from typing import NamedTuple

import jsonschema_rs
import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from pollapp.core.terms import PollStatus, ResultsVisibility
from pollapp.extensions import db
from pollapp.polls.service import find_poll
from pollapp.suggestions.models import Nomination, Suggestion
from pollapp.suggestions.service import (
    SuggestionError,
    SuggestionProblem,
    merge,
    pending_counts,
    public_suggestions,
    queue,
    reader_suggestions,
    suggest_missing,
    suggest_take_away,
)
from pollapp.suggestions.text import normal_title
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from helpers import POLL, csrf_token, set_poll, vote
from test_editors import EMAIL, add_editor, flashes, log_in, trail

POLL_PATH = f"/polls/{POLL}"
RESULTS = f"/polls/{POLL}/results"
MISSING = f"/polls/{POLL}/suggestions/missing"
TAKE_AWAY = f"/polls/{POLL}/suggestions/take-away"
QUEUE = f"/editors/polls/{POLL}/suggestions"
TRAIL = f"/editors/polls/{POLL}/trail"
TITLE = "The most romantic K-drama kisses of 2014"


def suggest(
    client: FlaskClient, title: str, note: str = "", back: str = "poll", **kw: object
) -> TestResponse:
    """Send the "Is something missing?" form as a browser does: the page, then the form."""
    client.get(POLL_PATH, **kw)
    token = csrf_token(client, POLL_PATH)
    return client.post(
        MISSING,
        data={
            "missing-csrf_token": token,
            "missing-title": title,
            "missing-note": note,
            "missing-back": back,
        },
        **kw,
    )


def take_away(client: FlaskClient, key: str, back: str = "poll") -> TestResponse:
    token = csrf_token(client, POLL_PATH)
    return client.post(TAKE_AWAY, data={"away-csrf_token": token, "away-entry": key, "away-back": back})


def stored(app: Flask) -> list[tuple[str, str, str | None, str | None, str]]:
    """(reader, kind, nomination title, entry key, note) of every suggestion, in order."""
    from pollapp.polls.models import Entry

    with app.app_context():
        rows = db.session.execute(
            select(Suggestion.reader, Suggestion.kind, Nomination.title, Entry.key, Suggestion.note)
            .outerjoin(Nomination, Nomination.id == Suggestion.nomination_id)
            .outerjoin(Entry, Entry.id == Suggestion.entry_id)
            .order_by(Suggestion.id)
        ).all()
        db.session.remove()
    return [(reader, str(kind), title, key, note) for reader, kind, title, key, note in rows]


def nomination_ids(app: Flask) -> dict[str, int]:
    with app.app_context():
        rows = db.session.execute(select(Nomination.title, Nomination.id)).all()
        db.session.remove()
    return dict(rows)


def moderate(desk: FlaskClient, nomination: int, action: str, **data: str) -> TestResponse:
    token = csrf_token(desk, QUEUE)
    return desk.post(f"{QUEUE}/{nomination}/{action}", data={"csrf_token": token, **data})


# ---------------------------------------------------------------- the service


class Same(NamedTuple):
    one: str
    other: str


SAME_TITLES = [
    Same("The Heirs", "the heirs"),
    Same("The Heirs", "  The   Heirs!!  "),
    Same("Boys Over Flowers", "boys-over-flowers"),
    Same("It's Okay", "It’s okay"),
    Same("ＦＵＬＬ ＨＯＵＳＥ", "full house"),  # full-width letters fold to their plain forms
    Same("상속자들", " 상속자들. "),
]
DIFFERENT_TITLES = [("The Heirs", "Heirs"), ("Pinocchio", "Pinocchio 2"), ("상속자들", "상속자")]


@pytest.mark.parametrize("case", SAME_TITLES, ids=[case.other for case in SAME_TITLES])
def test_titles_the_same_but_for_case_spaces_and_punctuation_match(case):
    assert normal_title(case.one) == normal_title(case.other)


@pytest.mark.parametrize(("one", "other"), DIFFERENT_TITLES)
def test_titles_with_other_words_do_not_match(one, other):
    assert normal_title(one) != normal_title(other)


def test_the_same_title_from_many_readers_is_one_nomination(make_app, database_uri):
    app = make_app(database_uri=database_uri)
    with app.app_context():
        poll = find_poll(POLL)
        assert suggest_missing(poll, "reader-1", "The Heirs", "rooftop kiss") == "The Heirs"
        assert suggest_missing(poll, "reader-2", "the heirs!") == "The Heirs"
        suggest_missing(poll, "reader-3", "Healer")
        [heirs, healer] = queue(poll).nominations
        assert (heirs.title, heirs.readers, heirs.notes) == ("The Heirs", 2, ("rooftop kiss",))
        assert (healer.title, healer.readers, healer.notes) == ("Healer", 1, ())
        assert pending_counts() == {POLL: 2}
        db.session.remove()


def test_a_second_suggestion_of_a_kind_replaces_the_first(make_app, database_uri):
    app = make_app(database_uri=database_uri)
    with app.app_context():
        poll = find_poll(POLL)
        keys = [entry.key for entry in poll.entries]
        suggest_missing(poll, "reader-1", "The Heirs", "rooftop kiss")
        suggest_missing(poll, "reader-1", "Healer", "")
        suggest_take_away(poll, "reader-1", keys[0])
        suggest_take_away(poll, "reader-1", keys[3])
        mine = reader_suggestions(poll, "reader-1")
        assert (mine.missing, mine.note, mine.take_away) == ("Healer", "", keys[3])
        assert [(n.title, n.readers) for n in queue(poll).nominations] == [("Healer", 1)]
        assert [(t.key, t.readers) for t in queue(poll).take_away] == [(keys[3], 1)]
        assert db.session.scalar(select(func.count()).select_from(Suggestion)) == 2
        db.session.remove()


def test_a_merged_title_counts_for_the_one_it_joined_even_when_suggested_later(make_app, database_uri):
    app = make_app(database_uri=database_uri)
    with app.app_context():
        poll = find_poll(POLL)
        suggest_missing(poll, "reader-1", "The Heirs")
        suggest_missing(poll, "reader-2", "Heirs")
        suggest_missing(poll, "reader-3", "The Inheritors")
        ids = {n.title: n.id for n in queue(poll).nominations}

        kept, merged = merge(poll, ids["The Heirs"], [ids["Heirs"], ids["The Inheritors"]])
        suggest_missing(poll, "reader-4", "the inheritors")

        assert (kept, merged) == ("The Heirs", ["Heirs", "The Inheritors"])
        [heirs] = queue(poll).nominations
        assert (heirs.title, heirs.readers, heirs.spellings) == ("The Heirs", 4, ("Heirs", "The Inheritors"))
        with pytest.raises(SuggestionError) as refused:
            merge(poll, ids["The Heirs"], [ids["Heirs"]])
        assert refused.value.problem == SuggestionProblem.MERGED_ALREADY
        with pytest.raises(SuggestionError) as itself:
            merge(poll, ids["The Heirs"], [ids["The Heirs"]])
        assert itself.value.problem == SuggestionProblem.MERGE_INTO_ITSELF
        db.session.remove()


class Refusal(NamedTuple):
    name: str
    title: str
    note: str
    problem: SuggestionProblem


REFUSALS = [
    Refusal("only punctuation", "?!…", "", SuggestionProblem.NO_TITLE),
    Refusal("a title too long", "x" * 121, "", SuggestionProblem.TITLE_TOO_LONG),
    Refusal("a sentence too long", "The Heirs", "y" * 281, SuggestionProblem.NOTE_TOO_LONG),
    Refusal("a control character", "The\x00Heirs", "", SuggestionProblem.NOT_PLAIN),
    Refusal("a direction override", "The Heirs\u202e", "", SuggestionProblem.NOT_PLAIN),
    Refusal("an escape in the sentence", "The Heirs", "\x1b[31mred", SuggestionProblem.NOT_PLAIN),
]


@pytest.mark.parametrize("case", REFUSALS, ids=[case.name for case in REFUSALS])
def test_the_service_refuses_what_is_not_a_plain_title(app, case):
    with app.app_context():
        with pytest.raises(SuggestionError) as refused:
            suggest_missing(find_poll(POLL), "reader-1", case.title, case.note)
        assert refused.value.problem == case.problem
        assert db.session.scalar(select(func.count()).select_from(Suggestion)) == 0
        db.session.remove()


def test_a_closed_poll_takes_no_suggestions_in_the_service(app, keys):
    set_poll(app, status=PollStatus.CLOSED)
    with app.app_context():
        poll = find_poll(POLL)
        for attempt in (
            lambda: suggest_missing(poll, "reader-1", "The Heirs"),
            lambda: suggest_take_away(poll, "reader-1", keys[0]),
        ):
            with pytest.raises(SuggestionError) as refused:
                attempt()
            assert refused.value.problem == SuggestionProblem.POLL_NOT_OPEN
        db.session.remove()
    assert stored(app) == []


def test_a_long_title_is_kept_to_its_length_and_spaces_collapse(app):
    with app.app_context():
        title = suggest_missing(find_poll(POLL), "reader-1", " A\n" + "b" * 118 + "  ")
        assert title == "A " + "b" * 118
        db.session.remove()


# ---------------------------------------------------------------- the readers' forms


def test_a_reader_suggests_something_missing_and_is_sent_back_with_thanks(app, client):
    response = suggest(client, "The Heirs", "the rooftop kiss")

    assert response.status_code == 303
    assert response.headers["Location"] == f"{POLL_PATH}#suggestions"
    page = client.get(POLL_PATH).get_data(as_text=True)
    assert "Thank you: your suggestion “The Heirs” is with the editors." in flashes(page)
    assert "You suggested “The Heirs”. Sending this again replaces it." in page
    assert 'value="The Heirs"' in page and "the rooftop kiss</textarea>" in page
    [(reader, kind, title, key, note)] = stored(app)
    assert (kind, title, key, note) == ("missing", "The Heirs", None, "the rooftop kiss")
    assert len(reader) == 64  # the hashed identity, as ballots keep it


def test_a_reader_suggests_taking_an_entry_away_and_may_change_it(app, client, keys):
    assert take_away(client, keys[1]).status_code == 303
    response = take_away(client, keys[2], back="results")

    assert response.headers["Location"] == f"{RESULTS}#suggestions"
    assert [(kind, key) for _, kind, _, key, _ in stored(app)] == [("take_away", keys[2])]
    page = client.get(POLL_PATH).get_data(as_text=True)
    assert f'<option selected value="{keys[2]}">' in page
    assert "You would take away “My Love From Another Star: Final kiss”." in page.replace("&#39;", "'")


def test_the_forms_are_beside_the_ballot_and_after_voting(client, keys):
    page = client.get(POLL_PATH).get_data(as_text=True)
    assert "Is something missing?" in page and "Anything you’d take away?" in page
    assert 'action="/polls/kdrama-kisses-2014/suggestions/missing"' in page
    vote(client, [keys[0]])
    results = client.get(RESULTS).get_data(as_text=True)
    assert (
        "Is something missing?" in results and 'name="missing-back" type="hidden" value="results"' in results
    )


class BadForm(NamedTuple):
    name: str
    data: dict[str, str]
    message: str


BAD_FORMS = [
    BadForm("no title", {"missing-title": "  "}, "Write the title you would add."),
    BadForm("only punctuation", {"missing-title": "!!!"}, "Write a title with at least one letter or digit."),
    BadForm(
        "a title too long",
        {"missing-title": "x" * 130},
        "A title is at most 120 characters; this one has 130.",
    ),
    BadForm(
        "a sentence too long",
        {"missing-title": "The Heirs", "missing-note": "y" * 300},
        "The sentence is at most 280 characters; this one has 300.",
    ),
    BadForm(
        "a control character",
        {"missing-title": "The\x07Heirs"},
        "Use only letters, digits, spaces and punctuation.",
    ),
    BadForm(
        "a made-up page to go back to", {"missing-title": "Healer", "missing-back": "//evil.example"}, ""
    ),
]


@pytest.mark.parametrize("case", BAD_FORMS, ids=[case.name for case in BAD_FORMS])
def test_a_bad_suggestion_is_refused_with_a_sentence_beside_the_field_and_nothing_stored(app, client, case):
    token = csrf_token(client, POLL_PATH)
    data = {"missing-csrf_token": token, "missing-back": "poll", "missing-note": "", **case.data}

    response = client.post(MISSING, data=data)

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Your suggestion was not sent" in page
    assert case.message in page
    assert stored(app) == []


@pytest.mark.parametrize("entry", ["", "no-such-entry", "pinocchio"])
def test_taking_away_an_entry_the_poll_lacks_is_refused(app, client, entry):
    token = csrf_token(client, POLL_PATH)
    response = client.post(
        TAKE_AWAY, data={"away-csrf_token": token, "away-entry": entry, "away-back": "poll"}
    )
    assert response.status_code == 400
    assert "Choose the entry you would take away." in response.get_data(as_text=True)
    assert stored(app) == []


@pytest.mark.parametrize("token", [None, "", "IjAxMjM0NTY3ODlhYmNkZWYi.Zm9v.YmFy"])
@pytest.mark.parametrize("path", [MISSING, TAKE_AWAY])
def test_a_suggestion_without_a_valid_csrf_token_is_refused(app, client, keys, path, token):
    client.get(POLL_PATH)
    data = {"missing-title": "The Heirs", "away-entry": keys[0]}
    if token is not None:
        data["missing-csrf_token"] = data["away-csrf_token"] = token

    response = client.post(path, data=data)

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert (
        "This form has expired or did not come from this site. Reload the page and send your suggestion"
        in page
    )
    assert stored(app) == []


def test_a_closed_poll_refuses_suggestions_with_a_sentence(app, client, keys):
    token = csrf_token(client, POLL_PATH)
    set_poll(app, status=PollStatus.CLOSED)

    for path, data in ((MISSING, {"missing-title": "The Heirs"}), (TAKE_AWAY, {"away-entry": keys[0]})):
        response = client.post(path, data={"missing-csrf_token": token, "away-csrf_token": token, **data})
        assert response.status_code == 409
        assert "This poll is closed, so it takes no more suggestions." in response.get_data(as_text=True)
    assert stored(app) == []
    assert "Is something missing?" not in client.get(POLL_PATH).get_data(as_text=True)


def test_a_suggestion_for_an_unknown_poll_is_404(client):
    token = csrf_token(client, POLL_PATH)
    response = client.post(
        "/polls/no-such-poll/suggestions/missing", data={"missing-csrf_token": token, "missing-title": "x"}
    )
    assert response.status_code == 404


def test_suggestions_are_limited_per_address_and_refusals_spend_nothing(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_SUGGESTIONS="3 per minute")
    client = app.test_client()
    for _ in range(3):
        assert suggest(client, "!!!").status_code == 400  # refused: costs nothing
    for title in ("The Heirs", "Healer", "Pinocchio 2"):
        assert suggest(client, title).status_code == 303

    limited = suggest(client, "One too many")

    assert limited.status_code == 429
    assert re.search(
        r"Too many suggestions from your connection\. Please try again in \d+ seconds\.",
        limited.get_data(as_text=True),
    )
    assert [title for _, _, title, _, _ in stored(app)] == ["Pinocchio 2"]
    # Another address has its own budget; ballots have theirs.
    other = app.test_client()
    assert suggest(other, "Healer", environ_base={"REMOTE_ADDR": "198.51.100.7"}).status_code == 303


# ---------------------------------------------------------------- the desk


def readers_suggest(app: Flask, titles: list[tuple[str, str]]) -> None:
    """Each (title, note) from a reader of its own, through the form."""
    for title, note in titles:
        assert suggest(app.test_client(), title, note).status_code == 303


def test_the_queue_groups_titles_counts_readers_and_never_names_one(app, desk):
    readers_suggest(app, [("The Heirs", "rooftop"), ("the heirs!", ""), ("Healer", "the rain one")])
    readers = {reader for reader, *_ in stored(app)}

    page = desk.get(QUEUE).get_data(as_text=True)

    assert re.search(r"The Heirs</h3>\s*<p[^>]*><strong>2 readers</strong> · Waiting", page)
    assert re.search(r"Healer</h3>\s*<p[^>]*><strong>1 reader</strong> · Waiting", page)
    assert "rooftop" in page and "the rain one" in page
    assert not any(reader in page for reader in readers)
    home = desk.get("/editors/").get_data(as_text=True)
    assert "<dt>Pending suggestions</dt><dd>2</dd>" in home
    assert f'href="{QUEUE}"' in home and f'href="{TRAIL}"' in home


def test_an_approved_suggestion_is_on_the_results_page_with_how_many_asked(app, desk, keys):
    readers_suggest(app, [("The Heirs", ""), ("the heirs", ""), ("Healer", "")])
    ids = nomination_ids(app)

    approved = moderate(desk, ids["The Heirs"], "approve", title="The Heirs, rooftop kiss")

    assert approved.status_code == 303 and approved.headers["Location"] == QUEUE
    queue_page = desk.get(QUEUE).get_data(as_text=True)
    assert "Approved “The Heirs, rooftop kiss”: the results page shows it with how many readers asked." in (
        html_module.unescape(queue_page)
    )
    moderate(desk, ids["Healer"], "approve")
    results = client_results(app)
    assert "Also nominated by readers" in results
    assert "<li>The Heirs, rooftop kiss, 2 readers</li>" in results
    assert "<li>Healer, 1 reader</li>" in results
    assert "<dt>Pending suggestions</dt><dd>0</dd>" in desk.get("/editors/").get_data(as_text=True)
    poll = poll_id_of(app)
    assert trail(app)[1:] == [
        (EMAIL, "approved", poll, None),
        (EMAIL, "approved", poll, None),
    ]


def client_results(app: Flask) -> str:
    return app.test_client().get(RESULTS).get_data(as_text=True)


def poll_id_of(app: Flask) -> int:
    with app.app_context():
        found = find_poll(POLL).id
        db.session.remove()
    return found


def test_a_rejected_or_pending_suggestion_is_not_on_the_results_page(app, desk):
    readers_suggest(app, [("The Heirs", ""), ("Healer", "")])
    moderate(desk, nomination_ids(app)["Healer"], "reject")

    results = client_results(app)

    assert "The Heirs" not in results and "Healer" not in results
    assert "Also nominated by readers" not in results
    assert [action for _, action, _, _ in trail(app)] == ["logged_in", "rejected"]


def test_the_take_away_counts_are_on_the_results_page(app, keys):
    for key in (keys[0], keys[0], keys[4]):
        assert take_away(app.test_client(), key).status_code == 303

    results = client_results(app).replace("&#39;", "'")

    assert "Readers would take away" in results
    assert "<li>Pinocchio: Hand-to-mouth kiss, 2 readers</li>" in results
    assert "<li>My Lovable Girl: First kiss, 1 reader</li>" in results


def test_an_editor_merges_a_suggestion_into_another(app, desk):
    readers_suggest(app, [("The Heirs", ""), ("The Inheritors", ""), ("Heirs", "")])
    ids = nomination_ids(app)

    response = moderate(desk, ids["The Inheritors"], "merge", into=str(ids["The Heirs"]))
    moderate(desk, ids["Heirs"], "merge", into=str(ids["The Heirs"]))
    moderate(desk, ids["The Heirs"], "approve")

    assert response.status_code == 303
    assert "<li>The Heirs, 3 readers</li>" in client_results(app)
    page = desk.get(QUEUE).get_data(as_text=True)
    assert "Merged into it: “The Inheritors”, “Heirs”" in page
    assert [action for _, action, _, _ in trail(app)] == ["logged_in", "merged", "merged", "approved"]
    trail_page = html_module.unescape(desk.get(TRAIL).get_data(as_text=True))
    assert "Merged readers' suggestions: “Heirs” into “The Heirs”" in trail_page


class BadModeration(NamedTuple):
    name: str
    action: str
    data: dict[str, str]
    status: int
    message: str


def test_moderation_refusals_say_why_and_change_nothing(app, desk):
    readers_suggest(app, [("The Heirs", ""), ("Heirs", "")])
    ids = nomination_ids(app)
    moderate(desk, ids["Heirs"], "merge", into=str(ids["The Heirs"]))
    before = stored(app)
    cases = [
        BadModeration("an unknown nomination", "approve", {}, 303, "That suggestion is not in this poll"),
        BadModeration("a merged one", "reject", {}, 303, "was merged into another suggestion already"),
        BadModeration("merged into itself", "merge", {"into": "self"}, 303, "Choose other suggestions"),
        BadModeration("into nothing", "merge", {"into": ""}, 400, "Choose the suggestion to merge it into."),
        BadModeration("into a word", "merge", {"into": "drop table"}, 400, "Choose the suggestion"),
        BadModeration("a title too long", "approve", {"title": "x" * 121}, 303, "A title is at most 120"),
    ]
    for case in cases:
        target = {
            "an unknown nomination": 9999,
            "a merged one": ids["Heirs"],
        }.get(case.name, ids["The Heirs"])
        data = {
            name: str(ids["The Heirs"]) if value == "self" else value for name, value in case.data.items()
        }

        response = moderate(desk, target, case.action, **data)

        assert response.status_code == case.status, case.name
        shown = (
            response.get_data(as_text=True) if case.status == 400 else desk.get(QUEUE).get_data(as_text=True)
        )
        assert case.message in html_module.unescape(shown), case.name
    assert stored(app) == before
    assert [action for _, action, _, _ in trail(app)] == ["logged_in", "merged"]
    with app.app_context():
        assert public_suggestions(find_poll(POLL)).nominated == []
        db.session.remove()


def test_a_suggestion_of_another_poll_cannot_be_moderated_through_this_one(make_app):
    app = make_app()
    other = "another-poll"
    with app.app_context():
        from pollapp.polls.models import Poll

        poll = find_poll(POLL)
        db.session.add(
            Poll(slug=other, title="Another", intro="", borda_rule=poll.borda_rule, status=PollStatus.OPEN)
        )
        db.session.commit()
        suggest_missing(find_poll(other), "reader-1", "Elsewhere")
        db.session.remove()
    add_editor(app)
    desk = app.test_client()
    log_in(desk)

    moderate(desk, nomination_ids(app)["Elsewhere"], "approve")

    assert "That suggestion is not in this poll" in html_module.unescape(
        desk.get(QUEUE).get_data(as_text=True)
    )
    with app.app_context():
        assert public_suggestions(find_poll(other)).nominated == []
        db.session.remove()


def test_the_trail_shows_who_did_what_and_when_newest_first(app, desk):
    readers_suggest(app, [("The Heirs", "")])
    token = csrf_token(desk, "/editors/")
    desk.post(f"/editors/polls/{POLL}/status", data={"csrf_token": token, "status": "closed"})
    moderate(desk, nomination_ids(app)["The Heirs"], "approve")

    page = html_module.unescape(desk.get(TRAIL).get_data(as_text=True))

    rows = re.findall(
        r'<tr><td><time datetime="([^"]+)">[^<]+</time></td><td>([^<]+)</td><td>([^<]+)</td></tr>', page
    )
    assert [(who, what) for _, who, what in rows] == [
        (EMAIL, "Approved the readers' suggestion “The Heirs”"),
        (EMAIL, "Closed the poll"),
    ]
    assert rows[0][0] >= rows[1][0]
    assert "logged" not in page.lower().split("what editors did")[1]  # logins are no poll's


# ---------------------------------------------------------------- hostile text

HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    '=HYPERLINK("http://evil.example","x")',
    "</textarea><svg onload=alert(1)>",
    "{{ 7*7 }} {% raw %}",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_in_every_suggestion_field_is_only_ever_text(app, desk, text):
    title = "Heirs " + text
    assert suggest(app.test_client(), title, text).status_code == 303
    reader = app.test_client()
    assert suggest(reader, title, text).status_code == 303
    readers_suggest(app, [("Healer", "")])
    ids = nomination_ids(app)
    refused = suggest(reader, text + "x" * 200, text)  # too long: shown back on the refusal page
    moderate(desk, ids["Healer"], "merge", into=str(ids[title]))
    moderate(desk, ids[title], "approve", title=text + " approved")

    pages = {
        "poll page": reader.get(POLL_PATH),
        "refusal": refused,
        "queue": desk.get(QUEUE),
        "trail": desk.get(TRAIL),
        "results": app.test_client().get(RESULTS),
    }
    for name, response in pages.items():
        page = response.get_data(as_text=True)
        if "<" in text:
            assert text not in page, name
        assert "<script>alert" not in page and "<img src=x" not in page and "<svg onload" not in page, name
    # Shown as the very text typed, escaped.
    assert str(escape(text + " approved, 3 readers")) in pages["results"].get_data(as_text=True)
    assert str(escape(text)) in pages["queue"].get_data(as_text=True)
    assert "approved, 3 readers" in html_module.unescape(pages["results"].get_data(as_text=True))


# ---------------------------------------------------------------- the API


def test_the_api_gives_the_approved_suggestions_and_take_away_counts_by_its_schema(app, desk, keys):
    readers_suggest(app, [("The Heirs", ""), ("the heirs", ""), ("Healer", "")])
    for key in (keys[4], keys[4], keys[0]):
        assert take_away(app.test_client(), key).status_code == 303
    moderate(desk, nomination_ids(app)["The Heirs"], "approve")

    response = app.test_client().get(f"/api/polls/{POLL}/suggestions")

    assert response.status_code == 200 and response.mimetype == "application/json"
    document = response.get_json()
    assert document == {
        "slug": POLL,
        "nominated": [{"title": "The Heirs", "readers": 2}],
        "take_away": [{"key": keys[4], "readers": 2}, {"key": keys[0], "readers": 1}],
    }
    schemas = app.test_client().get("/api/openapi.json").get_json()["components"]["schemas"]
    validator = jsonschema_rs.validator_for({**schemas["Suggestions"], "components": {"schemas": schemas}})
    assert validator.is_valid(document)
    assert not validator.is_valid({**document, "nominated": [{"title": "x", "readers": 0}]})


def test_the_api_keeps_suggestions_hidden_while_the_results_are(app, client):
    set_poll(app, results_visibility=ResultsVisibility.AFTER_CLOSE)
    assert client.get(f"/api/polls/{POLL}/suggestions").status_code == 403
    assert client.get("/api/polls/no-such-poll/suggestions").status_code == 404


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_in_the_api_is_a_json_string_and_nothing_more(app, desk, text):
    readers_suggest(app, [(text, text)])
    moderate(desk, nomination_ids(app)[text], "approve")

    response = app.test_client().get(f"/api/polls/{POLL}/suggestions")

    assert response.mimetype == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.get_json()["nominated"] == [{"title": text, "readers": 1}]
    assert "note" not in response.get_data(as_text=True)  # the sentences stay on the desk


@pytest.mark.parametrize("text", HOSTILE)
def test_a_hostile_entry_title_is_only_text_wherever_a_take_away_shows_it(app, desk, keys, text):
    with app.app_context():
        find_poll(POLL).entries[0].title = text
        db.session.commit()
        db.session.remove()
    reader = app.test_client()
    taken = take_away(reader, keys[0])
    assert taken.status_code == 303

    pages = {
        "poll page with the flash": reader.get(POLL_PATH),
        "results": app.test_client().get(RESULTS),
        "queue": desk.get(QUEUE),
        "API": app.test_client().get(f"/api/polls/{POLL}/suggestions"),
    }
    for name, response in pages.items():
        page = response.get_data(as_text=True)
        if "<" in text:
            assert text not in page, name
        assert "<script>alert" not in page and "<img src=x" not in page and "<svg onload" not in page, name
    assert str(escape(f"{text}: Hand-to-mouth kiss, 1 reader")) in pages["results"].get_data(as_text=True)
    assert f"Thank you: the editors will hear that you would take away “{escape(text)}" in (
        pages["poll page with the flash"].get_data(as_text=True)
    )


def test_two_readers_making_the_same_new_nomination_at_once_both_count(make_app, database_uri, monkeypatch):
    """The second reader's insert meets the first's row (the unique constraint
    refuses it); the suggestion is taken again and joins that nomination."""
    from pollapp.suggestions import service

    app = make_app(database_uri=database_uri)
    finding = service._nomination_for
    raced: list[str] = []

    def after_another_reader(poll, title):
        if not raced:  # another reader's transaction commits the same title first
            raced.append(title)
            with db.engine.begin() as connection:
                connection.execute(
                    Nomination.__table__.insert().values(
                        poll_id=poll.id, title="THE HEIRS", normal="the heirs", status="pending"
                    )
                )
                nomination = connection.execute(select(Nomination.id)).scalar_one()
                connection.execute(
                    Suggestion.__table__.insert().values(
                        poll_id=poll.id,
                        reader="first-reader",
                        kind="missing",
                        nomination_id=nomination,
                        note="",
                    )
                )
            # This session looked before that commit and saw no such nomination: it makes its own.
            db.session.add(Nomination(poll_id=poll.id, title=title, normal="the heirs", status="pending"))
            db.session.flush()
        return finding(poll, title)

    monkeypatch.setattr(service, "_nomination_for", after_another_reader)
    with app.app_context():
        poll = find_poll(POLL)
        db.session.rollback()  # nothing of this session's is open while the other commits
        assert suggest_missing(poll, "second-reader", "The Heirs!") == "THE HEIRS"
        [nomination] = queue(poll).nominations
        assert (nomination.title, nomination.readers) == ("THE HEIRS", 2)
        db.session.remove()
    assert raced == ["The Heirs!"]
