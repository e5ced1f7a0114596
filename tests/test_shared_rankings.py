"""Share my ranking: a reader publishes their own ballot at an address nobody
can guess, the page shows their current picks beside the editors' and the
readers' top, and only their own cookie takes it down (then 410 Gone)."""

from __future__ import annotations

import html
import re

from pollapp.ballots.models import SharedRanking
from pollapp.extensions import db
from pollapp.polls.service import entry_views, find_poll
from sqlalchemy import select

from helpers import POLL, csrf_token, set_poll, vote

RESULTS = f"/polls/{POLL}/results"
PUBLISH = f"/polls/{POLL}/shared"


def publish(client) -> str:
    """Share the client's ranking from the results page; the shared page's path."""
    answer = client.post(PUBLISH, data={"csrf_token": csrf_token(client, RESULTS)})
    assert answer.status_code == 303, answer.get_data(as_text=True)
    path = answer.headers["Location"]
    assert re.fullmatch(r"/shared/[A-Za-z0-9_-]{43}", path), path
    return path


def shared_rows(app) -> list[SharedRanking]:
    with app.app_context():
        rows = list(db.session.execute(select(SharedRanking)).scalars())
        db.session.expunge_all()
        db.session.remove()
    return rows


def listed(page: str, heading_id: str) -> list[str]:
    """The items of the list under the heading with that id."""
    match = re.search(rf'id="{heading_id}".*?<ol>(.*?)</ol>', page, re.S)
    assert match, f"no list under {heading_id}"
    return [html.unescape(item) for item in re.findall(r"<li>(.*?)</li>", match.group(1))]


def labels(app, keys: list[str]) -> list[str]:
    with app.app_context():
        by_key = {entry.key: entry.label for entry in entry_views(find_poll(POLL))}
    return [by_key[key] for key in keys]


def test_nothing_about_a_reader_is_public_until_they_share(app, client, keys):
    assert vote(client, keys[:3]).status_code == 201
    page = client.get(RESULTS).get_data(as_text=True)
    assert 'action="/polls/kdrama-kisses-2014/shared"' in page
    assert "/shared/" not in page.replace(PUBLISH, "")
    assert shared_rows(app) == []


def test_sharing_publishes_the_readers_picks_at_an_unguessable_address(app, client, keys):
    assert vote(client, [keys[4], keys[2], keys[0]]).status_code == 201
    path = publish(client)
    (row,) = shared_rows(app)
    assert path == f"/shared/{row.token}" and row.removed_at is None
    # Anyone with the link sees the picks, their order the reader's own.
    stranger = app.test_client()
    answer = stranger.get(path)
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert listed(page, "picks-heading") == labels(app, [keys[4], keys[2], keys[0]])
    assert listed(page, "editors-heading") == labels(app, keys[:5])
    assert listed(page, "readers-heading") == labels(app, [keys[4], keys[2], keys[0], keys[1], keys[3]])
    # Who shared it is not on it, and only the reader sees the take-down button.
    assert row.reader not in page
    assert "/remove" not in page
    assert f'action="{path}/remove"' in client.get(path).get_data(as_text=True)


def test_shared_pages_are_not_indexed_nor_kept_by_shared_caches(app, client, keys):
    assert vote(client, keys[:2]).status_code == 201
    path = publish(client)
    for answer in (client.get(path), app.test_client().get(path), client.get("/shared/" + "x" * 43)):
        assert answer.headers["X-Robots-Tag"] == "noindex"
        assert answer.cache_control.private and answer.cache_control.no_cache
        assert not answer.cache_control.public


def test_sharing_twice_gives_the_same_address(app, client, keys):
    assert vote(client, keys[:2]).status_code == 201
    assert publish(client) == publish(client)
    assert len(shared_rows(app)) == 1


def test_voting_again_changes_what_the_shared_page_shows(app, client, keys):
    assert vote(client, keys[:2]).status_code == 201
    path = publish(client)
    assert vote(client, [keys[6], keys[5]]).status_code == 200
    assert listed(app.test_client().get(path).get_data(as_text=True), "picks-heading") == labels(
        app, [keys[6], keys[5]]
    )


def test_a_reader_without_a_ballot_has_nothing_to_share(app, client):
    client.get(f"/polls/{POLL}")
    answer = client.post(PUBLISH, data={"csrf_token": csrf_token(client)})
    assert answer.status_code == 400
    assert "no ballot of yours" in answer.get_data(as_text=True)
    assert shared_rows(app) == []


def test_publishing_without_the_forms_token_is_refused(app, client, keys):
    assert vote(client, keys[:2]).status_code == 201
    answer = client.post(PUBLISH)
    assert answer.status_code == 400
    assert "press the button again" in answer.get_data(as_text=True)
    assert shared_rows(app) == []


def test_taking_it_down_leaves_a_410_with_a_sentence(app, client, keys):
    assert vote(client, keys[:2]).status_code == 201
    path = publish(client)
    answer = client.post(path + "/remove", data={"csrf_token": csrf_token(client, path)})
    assert answer.status_code == 303
    assert answer.headers["Location"].startswith(RESULTS)
    (row,) = shared_rows(app)
    assert row.removed_at is not None
    gone = app.test_client().get(path)
    assert gone.status_code == 410
    assert "took it down" in gone.get_data(as_text=True)
    assert labels(app, keys[:1])[0] not in gone.get_data(as_text=True)
    # Sharing again makes a new address; the old one stays gone.
    fresh = publish(client)
    assert fresh != path and client.get(path).status_code == 410 and client.get(fresh).status_code == 200


def test_only_the_readers_own_cookie_takes_it_down(app, client, keys):
    assert vote(client, keys[:2]).status_code == 201
    path = publish(client)
    stranger = app.test_client()
    assert vote(stranger, keys[:3]).status_code == 201
    answer = stranger.post(path + "/remove", data={"csrf_token": csrf_token(stranger, RESULTS)})
    assert answer.status_code == 403
    assert "Only the browser that shared" in answer.get_data(as_text=True)
    assert shared_rows(app)[0].removed_at is None
    assert stranger.get(path).status_code == 200


def test_an_unknown_or_malformed_address_is_a_404_page(client):
    for path in ("/shared/" + "A" * 43, "/shared/short", "/shared/%3Cscript%3E"):
        answer = client.get(path)
        assert answer.status_code == 404
        assert "no shared ranking at this address" in answer.get_data(as_text=True)


def test_hidden_results_keep_the_readers_order_off_the_shared_page(app, client, keys):
    set_poll(app, results_visibility="after_close")
    assert vote(client, [keys[3], keys[1]]).status_code == 201
    assert vote(app.test_client(), [keys[7], keys[8]]).status_code == 201
    answer = client.post(PUBLISH, data={"csrf_token": csrf_token(client)})
    assert answer.status_code == 303
    page = app.test_client().get(answer.headers["Location"]).get_data(as_text=True)
    assert listed(page, "picks-heading") == labels(app, [keys[3], keys[1]])
    assert "The readers' ranking is not public yet." in html.unescape(page)
    assert html.escape(labels(app, [keys[7]])[0]) not in page


def test_a_hostile_title_is_shown_as_words(app, client, keys):
    set_poll(app, title='"><script>alert(1)</script>')
    assert vote(client, keys[:1]).status_code == 201
    page = app.test_client().get(publish(client)).get_data(as_text=True)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_shared_page_speaks_korean(app, client, keys):
    assert vote(client, keys[:1]).status_code == 201
    path = publish(client)
    page = app.test_client().get(path + "?lang=ko").get_data(as_text=True)
    assert '<html lang="ko"' in page
    assert f"http://localhost{path}?lang=ko" in page


# ---------------------------------------------------------------- the API


def test_the_api_gives_the_shared_ranking_as_keys(app, client, keys):
    assert vote(client, [keys[2], keys[7]]).status_code == 201
    token = publish(client).rsplit("/", 1)[1]
    answer = app.test_client().get(f"/api/shared/{token}")
    assert answer.status_code == 200 and answer.headers["X-Robots-Tag"] == "noindex"
    assert answer.cache_control.private
    document = answer.get_json()
    assert document["poll"] == POLL and document["ranking"] == [keys[2], keys[7]]
    assert document["editors_top"] == keys[:5]
    assert document["readers_top"] == [keys[2], keys[7], keys[0], keys[1], keys[3]]
    assert document["shared_at"].endswith("Z")
    assert vote(client, [keys[4]]).status_code == 200
    assert app.test_client().get(f"/api/shared/{token}").get_json()["ranking"] == [keys[4]]


def test_the_api_hides_the_readers_top_while_the_results_are_hidden(app, client, keys):
    set_poll(app, results_visibility="after_vote")
    assert vote(client, [keys[2], keys[7]]).status_code == 201
    answer = client.post(PUBLISH, data={"csrf_token": csrf_token(client)})
    token = answer.headers["Location"].rsplit("/", 1)[1]
    assert app.test_client().get(f"/api/shared/{token}").get_json()["readers_top"] is None


def test_the_api_says_404_and_410_in_json(app, client, keys):
    missing = client.get("/api/shared/" + "A" * 43)
    assert missing.status_code == 404 and missing.get_json()["code"] == "not_found"
    assert vote(client, keys[:2]).status_code == 201
    path = publish(client)
    client.post(path + "/remove", data={"csrf_token": csrf_token(client, path)})
    gone = client.get("/api" + path)
    assert gone.status_code == 410
    assert gone.get_json() == {"code": "gone", "error": str(gone.get_json()["error"])}
    assert "took it down" in gone.get_json()["error"]
