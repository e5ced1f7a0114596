"""The embed: its page and form (JavaScript off), its partitioned reader
cookie and the reader key made from it, its ballot endpoint for a sandboxed
frame (CORS with ``Origin: null``, the key as Idempotency-Key), the
first-ballot budget, who may frame what, and the script and styles its page
carries inside itself (allowed by hash)."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import NamedTuple
from urllib.parse import parse_qs, urlsplit

import pytest
from pollapp.ballots.service import stored_rankings
from pollapp.polls.service import find_poll
from pollapp.web.readers import embed_key, sign

from helpers import POLL, ballot_count, ballot_shown, database_state, set_poll, vote

EMBED = f"/polls/{POLL}/embed"
ENDPOINT = f"{EMBED}/ballots"
KEY = "0123456789abcdef0123"
EMBED_COOKIE = "pollapp_embed_reader"


def reader_key(page: str) -> str:
    match = re.search(r'name="reader_key" type="hidden" value="([^"]+)"', page)
    assert match, "the embed's form has no reader key"
    return match.group(1)


def form_ballot(keys: list[str], key: str) -> dict[str, str]:
    return {"reader_key": key, **{f"rank_{p}": k for p, k in enumerate(keys, start=1)}}


def from_frame(client, ranking: list[str], key: str = KEY, **headers: str):
    """A ballot as the script in WordPress's sandboxed frame sends it."""
    return client.post(
        ENDPOINT,
        json={"ranking": ranking},
        headers={"Origin": "null", "Idempotency-Key": key, "Accept": "application/json", **headers},
    )


def counted(client) -> int:
    return client.get(f"/api/polls/{POLL}/results").get_json()["ballots"]


# ---------------------------------------------------------------- the page


def test_the_embed_page_holds_the_ballot_and_gives_the_embed_cookie(client, keys):
    response = client.get(EMBED)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'class="ballot-form"' in page
    assert f'action="{EMBED}#ballot-message"' in page
    assert f'data-endpoint="{ENDPOINT}"' in page
    for key in keys:
        assert f'data-key="{key}"' in page
    assert 'aria-live="polite"' in page
    assert 'name="csrf_token"' not in page
    assert 'target="_top"' in page
    # The embed's own partitioned cookie, and not the site's reader cookie.
    (cookie,) = response.headers.getlist("Set-Cookie")
    name, _, attributes = cookie.partition("; ")
    assert name.startswith(f"{EMBED_COOKIE}=")
    assert set(attributes.split("; ")) >= {
        "Secure",
        "HttpOnly",
        "SameSite=None",
        "Partitioned",
        "Path=/polls/",
    }


def test_each_load_of_the_embed_without_its_cookie_gets_its_own_reader_key(app):
    first, second = app.test_client(), app.test_client()
    assert reader_key(first.get(EMBED).get_data(as_text=True)) != reader_key(
        second.get(EMBED).get_data(as_text=True)
    )


def test_with_the_embed_cookie_kept_every_load_is_the_same_reader(app, client, keys):
    first = reader_key(client.get(EMBED).get_data(as_text=True))
    again = client.get(EMBED)
    assert "Set-Cookie" not in again.headers  # the kept cookie is not sent anew
    assert reader_key(again.get_data(as_text=True)) == first
    assert client.post(EMBED, data=form_ballot([keys[0]], first)).status_code == 303
    # A new load of the frame, then a ballot sent by its script: it replaces.
    key = reader_key(client.get(EMBED).get_data(as_text=True))
    replaced = from_frame(client, [keys[1]], key=key)
    assert replaced.status_code == 200 and replaced.get_json()["replaced"] is True
    assert replaced.headers["Access-Control-Allow-Credentials"] == "true"
    assert ballot_count(app) == 1


def test_the_embed_cookie_alone_does_not_reach_the_readers_ballot(app, client, keys):
    key = reader_key(client.get(EMBED).get_data(as_text=True))
    client.post(EMBED, data=form_ballot([keys[0]], key))
    # Another site's page sends the cookie but cannot know the key made from it.
    forged = from_frame(client, [keys[1]], key="a-key-made-up-elsewhere")
    assert forged.status_code == 201 and forged.get_json()["replaced"] is False
    assert ballot_count(app) == 2


class BadCookie(NamedTuple):
    name: str
    value: str


def site_cookie_value(app) -> str:
    with app.test_request_context():
        return sign("x" * 43, str(app.config["SECRET_KEY"]))


BAD_COOKIES = [
    BadCookie("unsigned", "x" * 43),
    BadCookie("signed for the site's reader cookie", ""),
    BadCookie("garbage", "not.a.signature"),
]


@pytest.mark.parametrize("case", BAD_COOKIES, ids=[case.name for case in BAD_COOKIES])
def test_a_bad_embed_cookie_is_not_honoured(app, client, case):
    value = case.value or site_cookie_value(app)
    client.set_cookie(EMBED_COOKIE, value, path="/polls/")
    response = client.get(EMBED)
    assert response.status_code == 200
    # A new cookie replaces it, and the key is not one made from the bad token.
    assert response.headers["Set-Cookie"].startswith(f"{EMBED_COOKIE}=")
    with app.test_request_context():
        assert reader_key(response.get_data(as_text=True)) != embed_key("x" * 43)


def test_the_embed_page_names_its_icon_so_no_browser_asks_for_favicon_ico(client):
    page = client.get(EMBED).get_data(as_text=True)
    match = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page)
    assert match, "the embed names no icon"
    icon = client.get(match.group(1))
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    icon.close()
    assert client.get("/favicon.ico").status_code == 404  # what a page naming no icon would cost


def test_a_poll_that_does_not_exist_has_no_embed(client):
    response = client.get("/polls/no-such-poll/embed")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


# ---------------------------------------------------------------- the form, JavaScript off


def test_the_form_casts_a_ballot_that_counts_and_the_page_it_lands_on_shows_the_tops(app, client, keys):
    key = reader_key(client.get(EMBED).get_data(as_text=True))
    response = client.post(EMBED, data=form_ballot([keys[2], keys[0]], key))
    # Sent on to the page (Post/Redirect/Get), at the message; the frame's cookie
    # finds the reader again there, so the address carries no key.
    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    assert (location.path, location.fragment) == (EMBED, "ballot-message")
    assert parse_qs(location.query) == {"taken": ["new"]}
    assert counted(client) == 1
    landed = client.get(response.headers["Location"])
    assert landed.status_code == 200
    page = landed.get_data(as_text=True)
    assert "Thank you! Your ballot is in." in page
    assert "Your picks" in page and "Readers' top" in page and "Editors' top" in page
    assert f'href="http://localhost/polls/{POLL}/results" target="_top"' in page
    # The page keeps the key and the picks, so sending the form again replaces the ballot.
    assert reader_key(page) == key
    assert ballot_shown(page).selects[:3] == [keys[2], keys[0], ""]
    # A reload of the page it landed on sends nothing again.
    assert client.get(response.headers["Location"]).status_code == 200
    assert counted(client) == 1
    again = client.post(EMBED, data=form_ballot([keys[1]], key), follow_redirects=True)
    assert "replaced your earlier one" in again.get_data(as_text=True)
    assert counted(client) == 1
    assert ballot_count(app) == 1


def test_without_a_cookie_the_page_answers_the_ballot_and_no_key_goes_in_an_address(app, client, keys):
    key = reader_key(client.get(EMBED).get_data(as_text=True))
    client.delete_cookie(EMBED_COOKIE, path="/polls/")  # the frame kept none
    response = client.post(EMBED, data=form_ballot([keys[4]], key), headers={"Origin": "null"})
    # Nothing finds the reader again after a redirect, and a key in an address would be
    # kept by logs, history and Referer: the answer is the page, the key in its form.
    assert response.status_code == 200 and "Location" not in response.headers
    page = response.get_data(as_text=True)
    assert "Thank you! Your ballot is in." in page and "Your picks" in page
    assert reader_key(page) == key
    assert page.count(key) == 1  # in the form's hidden field, and in no link or address
    again = client.post(EMBED, data=form_ballot([keys[5]], key), headers={"Origin": "null"})
    assert again.status_code == 200
    assert "replaced your earlier one" in again.get_data(as_text=True)
    with app.app_context():
        assert list(stored_rankings(find_poll(POLL))) == [keys[5]]


def test_an_address_saying_a_ballot_was_taken_shows_nothing_for_a_reader_without_one(client):
    page = client.get(EMBED, query_string={"taken": "new"}).get_data(as_text=True)
    assert "Your picks" not in page and "Thank you" not in page
    assert "Cast my ballot" in page


def test_a_plain_ballot_from_the_form_is_taken_without_reading_the_poll_or_building_its_form(
    app, client, keys, monkeypatch
):
    import pollapp.embed.views as views

    def not_needed(*args, **kwargs):
        raise AssertionError("a plain ballot needs neither the poll nor its form")

    key = reader_key(client.get(EMBED).get_data(as_text=True))
    monkeypatch.setattr(views, "poll_or_404", not_needed)
    monkeypatch.setattr(views, "ballot_form", not_needed)
    # As a browser sends the page's form: every rank, the unranked ones empty.
    data = {
        "reader_key": key,
        **{f"rank_{p}": "" for p in range(1, 10)},
        "rank_1": keys[6],
        "rank_2": keys[1],
    }
    response = client.post(EMBED, data=data)
    assert response.status_code == 303
    monkeypatch.undo()
    assert "Thank you! Your ballot is in." in client.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert list(stored_rankings(find_poll(POLL))) == [f"{keys[6]},{keys[1]}"]


class LongWay(NamedTuple):
    name: str
    data: dict[str, str]  # the form's ranks (the reader key is added); "k<n>" is the poll's nth key
    status: int
    words: str


LONG_WAYS = [
    LongWay(
        "an entry the poll does not have",
        {"rank_1": "k0", "rank_2": "no-such-scene"},
        400,
        "Not a valid choice",
    ),
    LongWay("a rank left out between two", {"rank_1": "k0", "rank_3": "k1"}, 400, "close the gap"),
    LongWay("the same entry twice", {"rank_1": "k2", "rank_2": "k2"}, 400, "pick each one once"),
    LongWay("nothing ranked", {"rank_1": ""}, 400, "Pick your favourite first"),
]


@pytest.mark.parametrize("case", LONG_WAYS, ids=[case.name for case in LONG_WAYS])
def test_a_ballot_with_something_to_say_goes_the_long_way_and_stores_nothing(app, client, keys, case):
    data = {
        name: keys[int(value[1:])] if value[:1] == "k" and value[1:].isdigit() else value
        for name, value in case.data.items()
    }
    # A reader whose frame kept the cookie, so that the short way is tried first.
    key = reader_key(client.get(EMBED).get_data(as_text=True))
    before = database_state(app)
    response = client.post(EMBED, data={"reader_key": key, **data})
    assert response.status_code == case.status
    assert case.words in response.get_data(as_text=True)
    assert database_state(app) == before


def test_a_ballot_refused_on_the_short_way_spends_no_first_ballot_place(make_app, keys):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_FIRST_BALLOTS="1 per minute")
    client = app.test_client()
    key = reader_key(client.get(EMBED).get_data(as_text=True))
    refused = client.post(EMBED, data={"reader_key": key, "rank_1": keys[0], "rank_2": "no-such-scene"})
    assert refused.status_code == 400
    # The address's one first ballot counted at once is still there for this one.
    taken = client.post(EMBED, data=form_ballot([keys[0]], key))
    assert taken.status_code == 303 and "taken=new" in taken.headers["Location"]
    other = app.test_client()
    second = reader_key(other.get(EMBED).get_data(as_text=True))
    held = other.post(EMBED, data=form_ballot([keys[1]], second))
    assert held.status_code == 303 and "taken=held" in held.headers["Location"]
    assert counted(client) == 1 and ballot_count(app) == 2


def test_a_ballot_for_a_poll_that_does_not_exist_is_404_whichever_way(app, client, keys):
    key = reader_key(client.get(EMBED).get_data(as_text=True))  # the cookie is for every poll's embed
    for sent in (key, KEY):  # with the cookie's key (the short way tried first), and without
        response = client.post("/polls/no-such-poll/embed", data=form_ballot([keys[0]], sent))
        assert response.status_code == 404, sent
    assert ballot_count(app) == 0


def test_the_form_needs_no_token_and_takes_no_cookie(make_app, keys):
    # CSRF protection on for real: the embed's form still works, the site's still refuses.
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    # A sandboxed frame's form says Origin: null.
    response = client.post(EMBED, data=form_ballot([keys[0]], KEY), headers={"Origin": "null"})
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert client.post(f"/polls/{POLL}", data={"rank_1": keys[0]}).status_code == 400
    assert ballot_count(app) == 1


def test_a_form_without_its_reader_key_is_refused(app, client, keys):
    for key in ("", "short", "has spaces in it"):
        response = client.post(EMBED, data=form_ballot([keys[0]], key))
        assert response.status_code == 400, key
        assert "lost its reader key" in response.get_data(as_text=True)
    assert ballot_count(app) == 0


def test_a_form_with_mistakes_comes_back_with_them(app, client, keys):
    response = client.post(EMBED, data={"reader_key": KEY, "rank_1": keys[0], "rank_2": keys[0]})
    assert response.status_code == 400
    assert "pick each one once" in response.get_data(as_text=True)
    assert ballot_count(app) == 0


def test_a_closed_poll_refuses_the_form(app, client, keys):
    set_poll(app, status="closed")
    response = client.post(EMBED, data=form_ballot([keys[0]], KEY))
    assert response.status_code == 409
    assert "closed" in response.get_data(as_text=True)


class Refusal(NamedTuple):
    name: str
    status: int
    words: str


REFUSALS = [
    Refusal("too many ballots", 429, "Too many ballots from your connection."),
    Refusal("a closed poll", 409, "This poll is closed and no longer takes ballots."),
    Refusal("a ranking with a gap", 400, "Please fix the marked ranks below."),
]


@pytest.mark.parametrize("case", REFUSALS, ids=[case.name for case in REFUSALS])
def test_a_refused_form_comes_back_with_the_picks_at_the_message(make_app, keys, case):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_BALLOTS="1 per minute")
    client = app.test_client()
    picks = [keys[5], keys[2], keys[7]]
    data = form_ballot(picks, KEY)
    if case.name == "too many ballots":
        assert vote(client, [keys[8]]).status_code == 201  # the address's one ballot this minute
    elif case.name == "a closed poll":
        set_poll(app, status="closed")
    else:
        del data["rank_2"]
    before = database_state(app)
    response = client.post(EMBED, data=data)
    assert database_state(app) == before
    assert response.status_code == case.status
    html = response.get_data(as_text=True)
    shown = ballot_shown(html)
    assert shown.message is not None and case.words in shown.message, shown.message
    assert shown.action == f"{EMBED}#ballot-message"
    if case.name == "a ranking with a gap":
        picks = [picks[0], "", picks[2]]
    assert shown.selects == picks + [""] * (9 - len(picks))
    ranked = [key for key in picks if key]
    assert shown.ranked == ranked
    assert sorted(shown.unranked) == sorted(key for key in keys if key not in ranked)
    # Sent again, it is the same reader: the key came back with the picks.
    assert reader_key(html) == KEY
    if case.name == "too many ballots":
        assert 0 < int(response.headers["Retry-After"]) <= 60


def test_the_script_s_endpoint_still_answers_too_many_ballots_as_json(make_app, keys):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_BALLOTS="1 per minute")
    client = app.test_client()
    assert from_frame(client, [keys[0]]).status_code == 201
    response = from_frame(client, [keys[1]], key="another-page-load")
    assert response.status_code == 429
    assert response.headers["Access-Control-Allow-Origin"] == "null"
    assert "Too many ballots" in response.get_json()["error"]


# ---------------------------------------------------------------- the script's endpoint


def test_the_preflight_lets_a_sandboxed_frame_send_a_ballot(client):
    response = client.options(
        ENDPOINT,
        headers={
            "Origin": "null",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,idempotency-key",
        },
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "null"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    allowed = {h.strip().lower() for h in response.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"content-type", "idempotency-key"} <= allowed
    # The script sends the embed cookie where the frame kept one.
    assert response.headers["Access-Control-Allow-Credentials"] == "true"


def test_the_preflight_allows_no_other_site(client):
    response = client.options(
        ENDPOINT, headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    )
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Access-Control-Allow-Methods" not in response.headers
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_a_ballot_from_a_sandboxed_frame_counts_and_is_readable_there(client, keys):
    response = from_frame(client, [keys[3], keys[1]])
    assert response.status_code == 201
    assert response.headers["Access-Control-Allow-Origin"] == "null"
    body = response.get_json()
    assert body["ranking"] == [keys[3], keys[1]]
    assert body["replaced"] is False and body["held"] is False
    assert "Your picks" in body["html"]
    assert "Set-Cookie" not in response.headers
    assert counted(client) == 1


def test_the_same_key_replaces_and_a_retry_never_counts_twice(app, client, keys):
    assert from_frame(client, [keys[0]]).status_code == 201
    retried = from_frame(client, [keys[0]])
    assert retried.status_code == 200 and retried.get_json()["replaced"] is True
    changed = from_frame(client, [keys[5], keys[6]])
    assert changed.status_code == 200
    assert ballot_count(app) == 1 and counted(client) == 1
    assert from_frame(client, [keys[0]], key="another-page-load-key").status_code == 201
    assert counted(client) == 2


def test_a_ballot_needs_a_well_formed_key(app, client, keys):
    for key in ("", "short", "has spaces in it", "x" * 201):
        response = from_frame(client, [keys[0]], key=key)
        assert response.status_code == 400, key
        assert "Idempotency-Key" in response.get_json()["error"]
        assert response.headers["Access-Control-Allow-Origin"] == "null"
    response = client.post(ENDPOINT, json={"ranking": [keys[0]]}, headers={"Origin": "null"})
    assert response.status_code == 400
    assert ballot_count(app) == 0


def test_the_endpoint_ignores_the_reader_cookie(app, client, keys):
    client.get(f"/polls/{POLL}")  # the site's page gives this client a reader cookie
    client.post(f"/api/polls/{POLL}/ballots", json={"ranking": [keys[0]]})
    from_frame(client, [keys[1]])
    assert ballot_count(app) == 2


class Refused(NamedTuple):
    name: str
    origin: str


REFUSED = [
    Refused("another site", "https://evil.example"),
    Refused("another port", "http://localhost:8080"),
    Refused("not a URL at all", "http://["),
]


@pytest.mark.parametrize("case", REFUSED, ids=[case.name for case in REFUSED])
def test_ballots_from_another_sites_page_are_refused(app, client, keys, case):
    before = database_state(app)
    response = from_frame(client, [keys[0]], Origin=case.origin)
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response.headers
    # The form without JavaScript too: no real embed's form sends another site's origin.
    form = client.post(EMBED, data=form_ballot([keys[0]], KEY), headers={"Origin": case.origin})
    assert form.status_code == 403 and form.mimetype == "text/html"
    assert "own embed." in form.get_data(as_text=True)
    assert database_state(app) == before


def test_the_embeds_own_page_outside_a_sandbox_may_send_a_ballot(client, keys):
    assert from_frame(client, [keys[0]], Origin="http://localhost").status_code == 201


def test_errors_reach_the_frame_as_json(app, client, keys):
    wrong = from_frame(client, [keys[0], keys[0]])
    assert wrong.status_code == 400 and "once" in wrong.get_json()["error"]
    set_poll(app, status="closed")
    shut = from_frame(client, [keys[0]])
    assert shut.status_code == 409 and shut.headers["Access-Control-Allow-Origin"] == "null"
    assert from_frame(client, [keys[0]]).get_json()["error"]
    missing = client.post(
        "/polls/no-such-poll/embed/ballots",
        json={"ranking": [keys[0]]},
        headers={"Origin": "null", "Idempotency-Key": KEY, "Accept": "application/json"},
    )
    assert missing.status_code == 404


# ---------------------------------------------------------------- the budget


def test_cookieless_ballots_past_the_address_budget_are_held_and_the_frame_says_so(make_app, keys):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_FIRST_BALLOTS="2 per minute")
    client = app.test_client()
    answers = [from_frame(client, [keys[0]], key=f"page-load-{n:04d}") for n in range(4)]
    assert [a.status_code for a in answers] == [201, 201, 202, 202]
    assert answers[2].get_json()["held"] is True
    assert "waits for a quick check" in answers[2].get_json()["message"]
    # The form without JavaScript spends the same budget and says the same.
    form = client.post(EMBED, data=form_ballot([keys[1]], "form-page-load-key"), follow_redirects=True)
    page = form.get_data(as_text=True)
    assert "waits for a quick check" in page
    assert counted(client) == 2
    assert ballot_count(app) == 5


def test_past_the_ballot_limit_the_script_may_read_when_to_try_again(make_app, keys):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_BALLOTS="1 per minute")
    client = app.test_client()
    taken = from_frame(client, [keys[0]], key="page-load-first")
    assert taken.status_code == 201
    assert "Access-Control-Expose-Headers" not in taken.headers  # nothing there to read
    refused = from_frame(client, [keys[1]], key="page-load-second")
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["Access-Control-Allow-Origin"] == "null"
    assert refused.headers["Access-Control-Expose-Headers"] == "Retry-After"
    assert ballot_count(app) == 1


# ---------------------------------------------------------------- framing


def test_only_the_embed_may_be_framed_by_other_sites(client):
    for path in (EMBED,):
        response = client.get(path)
        assert "frame-ancestors *" in response.headers["Content-Security-Policy"], path
        assert "X-Frame-Options" not in response.headers, path
    for path in ("/", f"/polls/{POLL}", f"/polls/{POLL}/results", "/oembed?url=x", "/api/openapi.json"):
        response = client.get(path)
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], path
        assert response.headers["X-Frame-Options"] == "DENY", path


def test_the_setting_names_who_may_frame_the_embed(make_app):
    client = make_app(EMBED_ALLOWED_ORIGINS="https://blog.example").test_client()
    csp = client.get(EMBED).headers["Content-Security-Policy"]
    assert "frame-ancestors https://blog.example" in csp


def test_results_hidden_until_close_are_not_shown_in_the_frame(app, client, keys):
    set_poll(app, results_visibility="after_close")
    body = from_frame(client, [keys[0]]).get_json()
    assert "Readers' top" not in body["html"]
    assert "shown when the poll closes" in body["html"]
    assert "/results" not in client.get(EMBED).get_data(as_text=True)


# ---------------------------------------------------------------- what the page carries inside itself


def hash_source(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def test_the_embeds_inline_script_and_styles_are_exactly_what_its_policy_lets_run(client):
    response = client.get(EMBED)
    page = response.get_data(as_text=True)
    policy = dict(part.split(maxsplit=1) for part in response.headers["Content-Security-Policy"].split("; "))
    for tag, directive in (("script", "script-src"), ("style", "style-src")):
        inline = re.findall(rf"<{tag}>(.*?)</{tag}>", page, flags=re.S)
        assert inline, f"the embed carries no {tag} inside itself"
        allowed = policy[directive].split()
        assert allowed[0] == "'self'" and "'unsafe-inline'" not in allowed
        assert sorted(allowed[1:]) == sorted(hash_source(text) for text in inline), directive
    # Every other script comes from the site's own files.
    for attributes in re.findall(r"<script\b([^>]*)>", page):
        assert attributes == "" or "src=" in attributes, attributes
    assert not re.search(r"\son[a-z]+\s*=", page), "an inline event handler"
