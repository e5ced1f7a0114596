"""Link preview images drawn by the server: 1200 x 630 PNG cards with the
poll's current top three (the editors' when the readers' are hidden), a
shared ranking's picks, in the language of the URL; drawn once per tally
revision and answered 304 when unchanged."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

import pytest
from flask_babel import force_locale
from PIL import Image, ImageFont
from pollapp.ballots.sharing import find_share, shared_ballot
from pollapp.polls.service import entry_views, find_poll
from pollapp.web import previews

from helpers import POLL, csrf_token, set_poll, vote

IMAGE = f"/polls/{POLL}/preview.png"
STATIC = Path(__file__).resolve().parents[1] / "pollapp" / "static"


def picture(response) -> Image.Image:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "image/png"
    image = Image.open(io.BytesIO(response.data))
    image.load()
    return image


def card_of(app, lang: str = "en") -> previews.Card:
    """The card the poll's image draws in that language."""
    with app.test_request_context(IMAGE, query_string={"lang": lang}):
        with force_locale(lang):
            return previews.poll_card(find_poll(POLL))


def meta(page: str, name: str) -> str:
    match = re.search(rf'<meta (?:property|name)="{re.escape(name)}" content="([^"]*)"', page)
    assert match, f"no {name}"
    return html.unescape(match.group(1))


def test_the_image_is_a_1200_by_630_png_with_a_public_etag(client):
    response = client.get(IMAGE)
    assert picture(response).size == (1200, 630)
    assert response.cache_control.public and response.cache_control.max_age > 0
    assert response.headers["ETag"]


def test_the_same_tally_gives_the_same_bytes_and_a_304(app, client, keys):
    set_poll(app, min_ballots=1)
    assert vote(client, keys[:3]).status_code == 201
    first = client.get(IMAGE)
    again = client.get(IMAGE)
    assert again.data == first.data and again.headers["ETag"] == first.headers["ETag"]
    unchanged = client.get(IMAGE, headers={"If-None-Match": first.headers["ETag"]})
    assert unchanged.status_code == 304 and unchanged.data == b""
    assert unchanged.headers["ETag"] == first.headers["ETag"]


def test_a_kept_card_is_not_drawn_again(app, client, monkeypatch):
    first = client.get(IMAGE)
    assert first.status_code == 200

    def never(*args, **kwargs):
        raise AssertionError("drawn again")

    monkeypatch.setattr(previews, "draw", never)
    assert client.get(IMAGE).data == first.data


def test_the_image_changes_when_the_top_three_changes(app, client, keys):
    set_poll(app, min_ballots=1)
    assert vote(client, [keys[5], keys[6], keys[7]]).status_code == 201
    before = client.get(IMAGE)
    first_three = [label for _, label in card_of(app).lines]
    for _ in range(3):
        assert vote(app.test_client(), [keys[1], keys[2], keys[3]]).status_code == 201
    after = client.get(IMAGE, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.data != before.data
    assert picture(after).size == (1200, 630)
    assert [label for _, label in card_of(app).lines] != first_three


def test_a_process_trusts_the_tag_it_read_for_the_recheck_interval(make_app, keys):
    app = make_app(PREVIEW_RECHECK=3600)
    set_poll(app, min_ballots=1)
    client = app.test_client()
    assert vote(client, [keys[5], keys[6], keys[7]]).status_code == 201
    before = client.get(IMAGE)
    assert vote(app.test_client(), [keys[1], keys[2]]).status_code == 201
    assert vote(app.test_client(), [keys[1], keys[2]]).status_code == 201
    # Within the interval the kept picture is answered without a look at the tally.
    assert client.get(IMAGE).headers["ETag"] == before.headers["ETag"]
    assert client.get(IMAGE, headers={"If-None-Match": before.headers["ETag"]}).status_code == 304
    app.config["PREVIEW_RECHECK"] = 0
    assert client.get(IMAGE).headers["ETag"] != before.headers["ETag"]


def test_the_readers_top_three_is_drawn_once_past_the_minimum(app, client, keys):
    set_poll(app, min_ballots=2)
    assert vote(client, [keys[4], keys[2], keys[0]]).status_code == 201
    assert card_of(app).heading == "Editors' top 3"  # one ballot is too early to rank
    assert vote(app.test_client(), [keys[4], keys[2], keys[0]]).status_code == 201
    card = card_of(app)
    assert card.heading == "Readers' top 3" and card.footer == "2 ballots"
    assert [rank for rank, _ in card.lines] == ["1", "2", "3"]
    labels = [label for _, label in card.lines]
    assert labels[0].startswith("My Lovable Girl") and labels[2].startswith("Pinocchio")


def test_hidden_results_draw_the_editors_order_and_no_readers_count(app, client, keys):
    set_poll(app, results_visibility="after_close", min_ballots=1)
    empty = client.get(IMAGE)
    for _ in range(3):
        assert vote(app.test_client(), [keys[8], keys[7], keys[6]]).status_code == 201
    card = card_of(app)
    assert card.heading == "Editors' top 3"
    with app.app_context():
        labels = {entry.key: entry.label for entry in entry_views(find_poll(POLL))}
    assert card.lines == [("1", labels[keys[0]]), ("2", labels[keys[1]]), ("3", labels[keys[2]])]
    assert "ballot" not in card.footer
    # Ballots change nothing on the picture while the results are hidden.
    hidden = client.get(IMAGE)
    assert hidden.data == empty.data and hidden.headers["ETag"] == empty.headers["ETag"]
    # The page that says the results are hidden previews with the same picture.
    page = app.test_client().get(f"/polls/{POLL}/results")
    assert page.status_code == 403
    assert meta(page.get_data(as_text=True), "og:image") == f"http://localhost{IMAGE}?lang=en"
    set_poll(app, status="closed")
    assert card_of(app).heading == "Readers' top 3"


HOSTILE = [
    '"><script>alert(1)</script>',
    "\u202eevil\u200f \u2066red\u200b",  # direction and zero-width marks (controls never reach a title)
    "한국어 " * 60,
    "W" * 300,
    '💋🎬 <svg onload=alert(1)> & =HYPERLINK("x")',
]


@pytest.mark.parametrize(
    "title", HOSTILE, ids=["markup", "controls", "long-korean", "one-long-word", "emoji"]
)
def test_a_hostile_title_is_drawn_as_text(app, client, title):
    set_poll(app, title=title)
    for lang in ("en", "ko"):
        assert picture(client.get(IMAGE, query_string={"lang": lang})).size == (1200, 630)


def test_long_text_is_wrapped_and_cut_inside_the_card():
    font = ImageFont.load_default(54)
    lines = previews.wrap("word " * 80, font, 1040, 2)
    assert len(lines) == 2 and lines[-1].endswith("…")
    assert all(font.getlength(line) <= 1040 for line in lines)
    assert all(font.getlength(line) <= 1040 for line in previews.wrap("W" * 200, font, 1040, 5))


def test_a_korean_url_draws_a_korean_card(app, client):
    english, korean = client.get(IMAGE), client.get(IMAGE + "?lang=ko")
    assert picture(korean).size == (1200, 630) and korean.data != english.data
    card = card_of(app, lang="ko")
    assert card.heading == "편집진 상위 3" and card.title.startswith("2014년")
    # Only the URL chooses: a Korean cookie does not change what the English URL shows.
    client.set_cookie("pollapp_lang", "ko")
    assert client.get(IMAGE).data == english.data


def test_without_fonts_english_uses_pillows_font_and_korean_the_static_card(make_app):
    client = make_app(
        PREVIEW_FONT="/nonexistent/font.ttc", PREVIEW_BOLD_FONT="/nonexistent/bold.ttc"
    ).test_client()
    assert picture(client.get(IMAGE)).size == (1200, 630)
    korean = client.get(IMAGE + "?lang=ko")
    assert korean.data == (STATIC / "og-card-ko.png").read_bytes()
    previews._said.clear()


def test_the_pages_and_the_oembed_thumbnail_point_at_the_drawn_image(client, keys):
    assert vote(client, keys[:2]).status_code == 201
    for path in (f"/polls/{POLL}", f"/polls/{POLL}/results"):
        for lang in ("en", "ko"):
            page = client.get(path, query_string={"lang": lang}).get_data(as_text=True)
            assert meta(page, "og:image") == f"http://localhost{IMAGE}?lang={lang}"
            assert meta(page, "og:image:width") == "1200" and meta(page, "og:image:height") == "630"
            assert meta(page, "twitter:card") == "summary_large_image"
    answer = client.get(
        "/oembed", query_string={"url": f"http://localhost/polls/{POLL}", "lang": "ko"}
    ).get_json()
    assert answer["thumbnail_url"] == f"http://localhost{IMAGE}?lang=ko"
    assert picture(client.get(answer["thumbnail_url"])).size == (1200, 630)


def test_a_shared_ranking_has_its_own_image_of_the_readers_picks(app, client, keys):
    assert vote(client, [keys[6], keys[3], keys[8], keys[0]]).status_code == 201
    shared = client.post(f"/polls/{POLL}/shared", data={"csrf_token": csrf_token(client)})
    path = shared.headers["Location"]
    page = app.test_client().get(path).get_data(as_text=True)
    image_url = meta(page, "og:image")
    assert image_url == f"http://localhost{path}/preview.png?lang=en"
    first = app.test_client().get(image_url)
    assert picture(first).size == (1200, 630)
    assert first.headers["X-Robots-Tag"] == "noindex" and first.cache_control.no_cache
    with app.test_request_context():
        poll = find_poll(POLL)
        share = find_share(path.rsplit("/", 1)[1])
        assert share is not None
        card = previews.shared_card(poll, shared_ballot(share, poll))
        labels = {entry.key: entry.label for entry in entry_views(poll)}
    assert card.lines == [("1", labels[keys[6]]), ("2", labels[keys[3]]), ("3", labels[keys[8]])]
    # A new ballot is a new picture; taken down, the picture is gone too.
    assert vote(client, [keys[1]]).status_code == 200
    second = app.test_client().get(image_url, headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200 and second.data != first.data
    assert app.test_client().get(image_url.replace("lang=en", "lang=ko")).status_code == 200
    token = path.rsplit("/", 1)[1]
    figures = Path(app.config["FIGURES_FOLDER"])
    assert len(list(figures.rglob(f"shared-{token}-*.png"))) == 2
    client.post(path + "/remove", data={"csrf_token": csrf_token(client, path)})
    assert app.test_client().get(image_url).status_code == 410
    assert list(figures.rglob(f"*{token}*")) == []  # nothing of the reader's stays behind
