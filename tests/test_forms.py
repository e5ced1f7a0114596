"""The ballot form that works without JavaScript: POST, redirect, flash; errors kept beside their fields."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import NamedTuple
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import (
    POLL,
    ballot_count,
    ballot_shown,
    csrf_token,
    database_state,
    post_streamed,
    set_poll,
    vote,
)

PAGE = f"/polls/{POLL}"
SIZE = 9


class BallotPage(HTMLParser):
    """The rank selects of a page, what each has selected, and the text that follows each one."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.selected: dict[str, list[str]] = {}
        self.options: dict[str, list[str]] = {}
        self.after: dict[str, str] = {}
        self._select: str | None = None
        self._last: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "select" and (attributes.get("name") or "").startswith("rank_"):
            self._select = self._last = attributes["name"]
            self.selected[self._select] = []
            self.options[self._select] = []
            self.after[self._select] = ""
        elif tag == "option" and self._select is not None:
            value = attributes.get("value") or ""
            self.options[self._select].append(value)
            if "selected" in attributes:
                self.selected[self._select].append(value)
        elif tag == "form" and self._last is not None:
            self._last = None

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "form":
            self._last = None

    def handle_data(self, data: str) -> None:
        if self._select is None and self._last is not None:
            self.after[self._last] += data

    def choice(self, position: int) -> str:
        """The value a rank select shows: the selected option, else the first."""
        name = f"rank_{position}"
        chosen = self.selected[name]
        assert len(chosen) <= 1, f"{name} has several options selected: {chosen}"
        return chosen[0] if chosen else self.options[name][0]

    def choices(self) -> list[str]:
        return [self.choice(p) for p in range(1, SIZE + 1)]


def form_data(client, ranking: list[str], token: str | None = "fetch") -> dict[str, str]:
    data = {f"rank_{p}": key for p, key in enumerate(ranking, start=1)}
    data.update({f"rank_{p}": "" for p in range(len(ranking) + 1, SIZE + 1)})
    if token == "fetch":
        data["csrf_token"] = csrf_token(client)
    elif token is not None:
        data["csrf_token"] = token
    return data


def post_ballot(client, ranking: list[str], **kwargs):
    return client.post(PAGE, data=form_data(client, ranking, **kwargs))


# ---------------------------------------------------------------- a good ballot


def test_a_valid_ballot_redirects_to_the_results_and_says_so(app, client, keys):
    response = post_ballot(client, [keys[3], keys[0], keys[8]])
    assert response.status_code == 302
    assert response.headers["Location"] == f"/polls/{POLL}/results#your-ranking"
    assert ballot_count(app) == 1
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your ballot is in" in page
    # A flash is shown once.
    assert "Your ballot is in" not in client.get(response.headers["Location"]).get_data(as_text=True)
    assert client.get(f"/api/polls/{POLL}/results").get_json()["entries"][0]["key"] == keys[3]


def test_a_revote_through_the_form_replaces_and_says_so(app, client, keys):
    post_ballot(client, [keys[3]])
    client.get(f"{PAGE}/results")  # the first flash is shown and gone
    response = post_ballot(client, [keys[5], keys[6]], token="fetch")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "replaced your earlier one" in page
    assert "Your ballot is in" not in page
    assert [row[3] for row in database_state(app)["ballots"]] == [f"{keys[5]},{keys[6]}"]


def test_the_form_and_the_api_share_one_reader(app, client, keys):
    vote(client, [keys[1]])
    response = post_ballot(client, [keys[2]])
    assert response.status_code == 302
    assert "replaced your earlier one" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert ballot_count(app) == 1


def test_a_ballot_of_all_nine_through_the_form(client, keys):
    assert post_ballot(client, list(reversed(keys))).status_code == 302
    entries = client.get(f"/api/polls/{POLL}/results").get_json()["entries"]
    assert [entry["key"] for entry in entries] == list(reversed(keys))


# ---------------------------------------------------------------- pre-filling


def test_a_new_reader_gets_an_empty_ballot_not_the_editors_order(client, keys):
    page = BallotPage(client.get(PAGE).get_data(as_text=True))
    assert sorted(page.selected) == sorted(f"rank_{p}" for p in range(1, SIZE + 1))
    assert page.choices() == [""] * SIZE
    # Every select offers every scene, so nothing is decided for the reader.
    assert all(set(keys) < set(options) for options in page.options.values())


def test_a_returning_reader_sees_their_own_ballot(client, keys):
    vote(client, [keys[7], keys[2], keys[4]])
    page = BallotPage(client.get(PAGE).get_data(as_text=True))
    assert page.choices() == [keys[7], keys[2], keys[4]] + [""] * 6


def test_another_reader_does_not_see_someone_elses_ballot(app, client, keys):
    vote(client, [keys[7], keys[2]])
    page = BallotPage(app.test_client().get(PAGE).get_data(as_text=True))
    assert page.choices() == [""] * SIZE


# ---------------------------------------------------------------- bad ballots


class BadBallot(NamedTuple):
    name: str
    choices: dict[int, str]  # position -> index into keys, or a literal value
    fields: tuple[int, ...]  # the ranks the error belongs beside
    words: str


BAD_BALLOTS = [
    BadBallot("a gap at rank 2", {1: "k0", 3: "k1"}, (2,), "close the gap"),
    BadBallot("a gap at rank 1", {2: "k4"}, (1,), "close the gap"),
    BadBallot("a gap of several ranks", {1: "k0", 2: "k1", 6: "k2"}, (3, 4, 5), "close the gap"),
    BadBallot("the same scene twice", {1: "k0", 2: "k0"}, (2,), "Already ranked at 1"),
    BadBallot("a repeat further down", {1: "k3", 2: "k5", 3: "k6", 4: "k5"}, (4,), "Already ranked at 2"),
    BadBallot("nothing ranked", {}, (1,), "Pick your favourite first"),
    BadBallot("a scene that does not exist", {1: "k0", 2: "no-such-scene"}, (2,), "Not a valid choice"),
]


def resolve(keys: list[str], choices: dict[int, str]) -> list[str]:
    values = [""] * SIZE
    for position, choice in choices.items():
        values[position - 1] = keys[int(choice[1:])] if choice[:1] == "k" and choice[1:].isdigit() else choice
    return values


@pytest.mark.parametrize("case", BAD_BALLOTS, ids=[case.name for case in BAD_BALLOTS])
def test_a_bad_ballot_is_refused_beside_the_field_and_keeps_the_choices(app, client, keys, case):
    vote(client, [keys[8]])  # an earlier ballot, which a refused one must leave alone
    before = database_state(app)
    values = resolve(keys, case.choices)
    data = {f"rank_{p}": value for p, value in enumerate(values, start=1)}
    data["csrf_token"] = csrf_token(client)
    response = client.post(PAGE, data=data)
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    page = BallotPage(html)
    beside = [p for p in range(1, SIZE + 1) if case.words in page.after[f"rank_{p}"]]
    assert beside == list(case.fields), page.after
    # The reader's choices are still selected (an unknown value cannot be, and falls back to empty).
    known = set(keys)
    assert page.choices() == [value if value in known else "" for value in values]
    assert "Traceback" not in html
    assert database_state(app) == before


def test_a_refused_ballot_does_not_flash_success(client, keys):
    data = form_data(client, [keys[0], keys[0]])
    client.post(PAGE, data=data)
    page = client.get(PAGE).get_data(as_text=True)
    assert "Your ballot is in" not in page


# ---------------------------------------------------------------- CSRF


class BadToken(NamedTuple):
    name: str
    token: str | None


BAD_TOKENS = [
    BadToken("no token", None),
    BadToken("an empty token", ""),
    BadToken("a made-up token", "IjAxMjM0NTY3ODlhYmNkZWYi.Zm9v.YmFy"),
]


@pytest.mark.parametrize("case", BAD_TOKENS, ids=[case.name for case in BAD_TOKENS])
def test_a_post_without_a_valid_csrf_token_is_refused(app, client, keys, case):
    client.get(PAGE)  # the reader has a session, as a real visitor would
    before = database_state(app)
    response = client.post(PAGE, data=form_data(client, [keys[0]], token=case.token))
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "did not come from this site" in html
    assert "send them again" in html
    assert database_state(app) == before


def test_a_token_from_another_session_is_refused(app, client, keys):
    stranger = app.test_client()
    token = csrf_token(stranger)
    client.get(PAGE)
    response = client.post(PAGE, data=form_data(client, [keys[0]], token=token))
    assert response.status_code == 400
    assert "did not come from this site" in response.get_data(as_text=True)
    assert ballot_count(app) == 0


def test_a_cross_site_form_without_a_session_is_refused(app, keys):
    browser = app.test_client()
    response = browser.post(PAGE, data={"rank_1": keys[0]}, headers={"Origin": "https://evil.example"})
    assert response.status_code == 400
    assert ballot_count(app) == 0


class Sender(NamedTuple):
    name: str
    headers: dict[str, str]
    taken: bool


SITE = "https://localhost"
SENDERS = [
    Sender("neither Origin nor Referer (privacy settings)", {}, True),
    Sender("Origin, no Referer", {"Origin": SITE}, True),
    Sender("Origin null (a no-referrer policy)", {"Origin": "null"}, True),
    Sender("Referer, no Origin", {"Referer": f"{SITE}{PAGE}"}, True),
    Sender("Origin and Referer", {"Origin": SITE, "Referer": f"{SITE}{PAGE}"}, True),
    Sender("another site's Origin", {"Origin": "https://evil.example"}, False),
    Sender(
        "another site's Origin, this site's Referer",
        {"Origin": "https://evil.example", "Referer": SITE},
        False,
    ),
    Sender("a name ending like this one", {"Origin": "https://localhost.evil.example"}, False),
    Sender("this site over plain HTTP", {"Origin": "http://localhost"}, False),
    Sender("this name on another port", {"Origin": "https://localhost:8443"}, False),
    Sender("an Origin that is no URL", {"Origin": "http://["}, False),
    Sender("another site's Referer, no Origin", {"Referer": "https://evil.example/page"}, False),
]


@pytest.mark.parametrize("case", SENDERS, ids=[case.name for case in SENDERS])
def test_an_https_form_with_its_token_is_judged_by_its_origin_not_by_a_missing_referer(make_app, case):
    from helpers import PRODUCTION

    app = make_app(**PRODUCTION)
    browser = app.test_client()
    token = csrf_token(browser, SITE + PAGE)
    keys = ["pinocchio-toast"]
    response = browser.post(SITE + PAGE, data=form_data(browser, keys, token=token), headers=case.headers)
    if case.taken:
        assert response.status_code == 302, response.get_data(as_text=True)
        assert ballot_count(app) == 1
    else:
        assert response.status_code == 400
        assert "did not come from this site" in response.get_data(as_text=True)
        assert ballot_count(app) == 0


def test_a_form_from_another_served_name_is_taken(make_app, keys):
    from helpers import PRODUCTION

    app = make_app(**{**PRODUCTION, "TRUSTED_HOSTS": ["localhost", "poll.example.org"]})
    browser = app.test_client()
    token = csrf_token(browser, SITE + PAGE)
    response = browser.post(
        SITE + PAGE,
        data=form_data(browser, keys[:2], token=token),
        headers={"Origin": "https://poll.example.org"},
    )
    assert response.status_code == 302
    assert ballot_count(app) == 1


# ---------------------------------------------------------------- other refusals


def test_a_closed_poll_refuses_the_form_with_409(app, client, runner, keys):
    token = csrf_token(client)
    runner.invoke(args=["poll", "close", POLL])
    before = database_state(app)
    response = client.post(PAGE, data={**form_data(client, [keys[0]], token=None), "csrf_token": token})
    assert response.status_code == 409
    assert response.mimetype == "text/html"
    assert "closed" in response.get_data(as_text=True)
    assert database_state(app) == before


# ---------------------------------------------------------------- every refusal keeps the picks


class Refusal(NamedTuple):
    name: str
    status: int
    words: str


REFUSALS = [
    Refusal("an expired form", 400, "This form had expired or did not come from this site."),
    Refusal("too many ballots", 429, "Too many ballots from your connection."),
    Refusal("a closed poll", 409, "This poll is closed and no longer takes ballots."),
    Refusal("a gap in the ranks", 400, "Please fix the marked ranks below."),
]


def refuse(make_app, keys: list[str], case: Refusal, picks: list[str]):
    """Send ``picks`` with the poll page's form in a way that ``case`` refuses."""
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_BALLOTS="1 per minute")
    client = app.test_client()
    listed = ballot_shown(client.get(PAGE).get_data(as_text=True)).listed
    token = csrf_token(client)
    data = {**form_data(client, picks, token=token)}
    if case.name == "an expired form":
        data["csrf_token"] = token[:-4] + "AAAA"
    elif case.name == "too many ballots":
        assert vote(client, [keys[8]]).status_code == 201  # the address's one ballot this minute
    elif case.name == "a closed poll":
        set_poll(app, status="closed")
    elif case.name == "a gap in the ranks":
        data["rank_2"] = ""
    before = database_state(app)
    response = client.post(PAGE, data=data)
    assert database_state(app) == before
    return response, listed


@pytest.mark.parametrize("case", REFUSALS, ids=[case.name for case in REFUSALS])
def test_a_refused_ballot_comes_back_as_the_reader_left_it_at_the_message(make_app, keys, case):
    picks = [keys[3], keys[0], keys[6]]
    response, listed = refuse(make_app, keys, case, picks)
    assert response.status_code == case.status
    assert response.mimetype == "text/html"
    shown = ballot_shown(response.get_data(as_text=True))
    assert shown.message is not None and case.words in shown.message, shown.message
    assert shown.message.startswith("Your ballot was not saved.")
    # The form is sent to the message, so the answer opens there, not at the top.
    assert shown.action == f"{PAGE}#ballot-message"
    if case.name == "a gap in the ranks":
        picks = [picks[0]] + [""] + picks[2:]
    assert shown.selects == picks + [""] * (SIZE - len(picks))
    ranked = [key for key in picks if key]
    assert shown.ranked == ranked
    # The rest in the order the reader's ballot lists them.
    assert shown.unranked == [key for key in listed if key not in ranked]


def test_too_many_ballots_says_when_to_try_again(make_app, keys):
    response, _ = refuse(make_app, keys, REFUSALS[1], [keys[0]])
    assert 0 < int(response.headers["Retry-After"]) <= 60


def test_a_ballot_refused_for_an_expired_form_can_be_sent_again_as_it_came_back(make_app, keys):
    app = make_app()
    client = app.test_client()
    client.get(PAGE)
    response = client.post(PAGE, data=form_data(client, [keys[4], keys[1]], token="expired"))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert token, "the form came back without a fresh token"
    shown = ballot_shown(html)
    data = {f"rank_{p}": key for p, key in enumerate(shown.selects, start=1)}
    assert client.post(PAGE, data={**data, "csrf_token": token.group(1)}).status_code == 302
    assert ballot_count(app) == 1
    assert ballot_shown(client.get(PAGE).get_data(as_text=True)).ranked == [keys[4], keys[1]]


def test_the_form_of_an_unknown_poll_is_404(app, client, keys):
    token = csrf_token(client)
    response = client.post("/polls/no-such-poll", data={"csrf_token": token, "rank_1": keys[0]})
    assert response.status_code == 404
    assert "There is no poll called" in response.get_data(as_text=True)
    assert ballot_count(app) == 0


def test_an_oversized_form_is_413(app, client, keys):
    data = form_data(client, [keys[0]])
    data["padding"] = "x" * 70_000
    response = client.post(PAGE, data=data)
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert "too large" in response.get_data(as_text=True)
    assert ballot_count(app) == 0


def test_an_oversized_form_streamed_without_length_is_413(app, client, keys):
    # The ballot's fields come first: cut off at the cap, the form would still pass.
    body = urlencode(form_data(client, [keys[0]])).encode() + b"&padding=" + b"x" * 70_000
    response = post_streamed(client, PAGE, body, "application/x-www-form-urlencoded")
    assert response.request.content_length is None
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)
    assert ballot_count(app) == 0


def test_a_small_form_streamed_without_length_is_a_ballot(app, client, keys):
    body = urlencode(form_data(client, [keys[0]])).encode()
    response = post_streamed(client, PAGE, body, "application/x-www-form-urlencoded")
    assert response.status_code == 302
    assert ballot_count(app) == 1


def test_the_poll_page_refuses_other_methods_with_405(client):
    response = client.delete(PAGE)
    assert response.status_code == 405
    assert response.mimetype == "text/html"
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


@pytest.mark.parametrize(
    ("visibility", "lands_on"),
    [("after_close", f"/polls/{POLL}#ballot"), ("after_vote", f"/polls/{POLL}/results#your-ranking")],
)
def test_after_voting_the_reader_lands_where_they_may_look(app, client, keys, visibility, lands_on):
    set_poll(app, results_visibility=visibility)
    response = client.post(f"/polls/{POLL}", data={"csrf_token": csrf_token(client), "rank_1": keys[2]})
    assert response.status_code == 302
    assert response.headers["Location"] == lands_on
    page = client.get(lands_on)
    assert page.status_code == 200
    assert "Your ballot is in" in page.get_data(as_text=True)
    # What the address opens at is on the page: the reader's own ranking, or their ballot.
    assert f'id="{lands_on.split("#")[1]}"' in page.get_data(as_text=True)


def test_wtforms_own_messages_speak_the_readers_language_and_are_read_once(app, client, keys, monkeypatch):
    from babel import support
    from pollapp.web import forms

    forms._wtforms_translations.cache_clear()
    loads: list[list[str]] = []
    real = support.Translations.load

    def load(*args, **kwargs):
        if kwargs.get("domain") == "wtforms":
            loads.append([str(locale) for locale in args[1]])
        return real(*args, **kwargs)

    monkeypatch.setattr(support.Translations, "load", load)
    for language, words in (("ko", "올바르지 않은 선택값입니다."), ("en", "Not a valid choice.")) * 2:
        data = {"csrf_token": csrf_token(client), "rank_1": keys[0], "rank_2": "no-such-scene"}
        response = client.post(f"{PAGE}?lang={language}", data=data)
        assert response.status_code == 400
        assert words in BallotPage(response.get_data(as_text=True)).after["rank_2"], language
    assert sorted(loads) == [["en"], ["ko"]]  # once each, not once a request


# ---------------------------------------------------------------- the form's rules without the form

NAMES = ["a", "b", "c", "d"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    sent=st.dictionaries(
        st.sampled_from([f"rank_{p}" for p in range(1, 5)] + ["rank_0", "rank_x", "reader_key"]),
        st.sampled_from(["", *NAMES]),
    )
)
def test_a_plain_ranking_is_exactly_what_the_whole_form_takes(app, sent):
    """``BallotForm.plain_ranking`` (the embed's form taken without building it) says there is a
    ranking exactly when the whole form finds nothing wrong, and it is the same ranking, for
    every form of the poll's own positions and entries (or none) and of stray fields. Ranks
    past the poll's size or entries it does not have are the ballot statement's to refuse,
    which sends the ballot the long way (test_embed)."""
    from pollapp.polls.service import EntryView
    from pollapp.web.forms import BallotForm, ballot_form
    from werkzeug.datastructures import MultiDict

    entries = [EntryView(key, rank, key.upper(), "", "", "", None) for rank, key in enumerate(NAMES, 1)]
    with app.test_request_context(method="POST", data=sent):
        form = ballot_form(entries, meta={"csrf": False})
        whole = form.ranking if form.validate() else None
        assert BallotForm.plain_ranking(MultiDict(sent)) == whole
