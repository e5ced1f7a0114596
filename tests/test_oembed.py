"""oEmbed 1.0 (oembed.com): the rich answer and its sizes, the errors, and the
discovery link every poll and results page carries early in its head."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import NamedTuple
from urllib.parse import parse_qs, urlsplit

import pytest

from helpers import POLL

PAGE = f"http://localhost/polls/{POLL}"
REQUIRED_RICH = {"type", "version", "html", "width", "height"}


def ask(client, **params: str):
    return client.get("/oembed", query_string=params)


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags_of(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Tags()
    parser.feed(html)
    return parser.tags


def test_a_poll_url_gets_a_rich_answer_with_every_required_field(client):
    response = ask(client, url=PAGE, format="json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    answer = response.get_json()
    assert REQUIRED_RICH <= set(answer)
    assert answer["type"] == "rich" and answer["version"] == "1.0"
    assert answer["title"].startswith("The most romantic K-drama kisses of 2014")
    assert answer["provider_name"] == "pollapp"
    assert answer["provider_url"] == "http://localhost/"
    assert isinstance(answer["cache_age"], int) and answer["cache_age"] > 0
    assert answer["thumbnail_url"] == "http://localhost/polls/kdrama-kisses-2014/preview.png?lang=en"
    assert (answer["thumbnail_width"], answer["thumbnail_height"]) == (1200, 630)
    image = client.get(answer["thumbnail_url"])
    assert image.status_code == 200 and image.mimetype == "image/png"
    image.close()


def test_the_html_is_what_wordpress_keeps_a_fallback_link_and_the_frame(client):
    answer = ask(client, url=PAGE).get_json()
    tags = tags_of(answer["html"])
    assert [tag for tag, _ in tags] == ["blockquote", "a", "iframe"]
    assert tags[1][1]["href"] == PAGE
    frame = tags[2][1]
    assert frame["src"] == f"{PAGE}/embed"
    assert (frame["width"], frame["height"]) == (str(answer["width"]), str(answer["height"]))
    assert frame["title"]
    # Only the attributes WordPress's filter leaves on a frame.
    assert set(frame) <= {
        "src",
        "width",
        "height",
        "frameborder",
        "marginwidth",
        "marginheight",
        "scrolling",
        "title",
    }


def test_the_results_url_and_the_embed_url_name_the_same_embed(client):
    for url in (f"{PAGE}/results", f"{PAGE}/embed"):
        answer = ask(client, url=url).get_json()
        assert f'src="{PAGE}/embed"' in answer["html"], url


class Size(NamedTuple):
    maxwidth: str | None
    maxheight: str | None
    width: int
    height: int
    thumbnail: bool


SIZES = [
    Size(None, None, 600, 900, True),
    Size("500", "750", 500, 750, False),  # what WordPress asks for by default
    Size("320", None, 320, 900, False),
    Size("2000", "2000", 600, 900, True),
    Size("1200", "630", 600, 630, True),
    Size("1199", "2000", 600, 900, False),
]


@pytest.mark.parametrize("case", SIZES, ids=[f"{c.maxwidth}x{c.maxheight}" for c in SIZES])
def test_sizes_respect_maxwidth_and_maxheight(client, case):
    params = {"url": PAGE}
    if case.maxwidth:
        params["maxwidth"] = case.maxwidth
    if case.maxheight:
        params["maxheight"] = case.maxheight
    answer = ask(client, **params).get_json()
    assert (answer["width"], answer["height"]) == (case.width, case.height)
    assert f'width="{case.width}" height="{case.height}"' in answer["html"]
    assert ("thumbnail_url" in answer) is case.thumbnail
    if case.thumbnail:
        assert answer["thumbnail_width"] <= int(case.maxwidth or 10**6)
        assert answer["thumbnail_height"] <= int(case.maxheight or 10**6)


class Wrong(NamedTuple):
    name: str
    params: dict[str, str]
    status: int


WRONG = [
    Wrong("no url", {}, 400),
    Wrong("an empty url", {"url": ""}, 400),
    Wrong("another format", {"url": PAGE, "format": "xml"}, 501),
    Wrong("a width that is no number", {"url": PAGE, "maxwidth": "wide"}, 400),
    Wrong("a negative height", {"url": PAGE, "maxheight": "-5"}, 400),
    Wrong("a poll that does not exist", {"url": "http://localhost/polls/no-such-poll"}, 404),
    Wrong("another site", {"url": f"https://evil.example/polls/{POLL}"}, 404),
    Wrong("a page of this site that is no poll", {"url": "http://localhost/api/openapi.json"}, 404),
    Wrong("the front page", {"url": "http://localhost/"}, 404),
    Wrong("a download", {"url": f"{PAGE}/ballots.csv"}, 404),
    Wrong("not http", {"url": f"ftp://localhost/polls/{POLL}"}, 404),
    Wrong("not a URL at all", {"url": "http://["}, 404),
]


@pytest.mark.parametrize("case", WRONG, ids=[case.name for case in WRONG])
def test_errors_are_json_with_the_status_the_specification_names(client, case):
    response = ask(client, **case.params)
    assert response.status_code == case.status
    assert response.mimetype == "application/json"
    assert response.get_json()["error"]


def test_errors_stay_json_for_a_browser_asking_for_html(client):
    response = client.get("/oembed", headers={"Accept": "text/html"})
    assert response.status_code == 400
    assert response.mimetype == "application/json"


@pytest.mark.parametrize("path", ["/", f"/polls/{POLL}", f"/polls/{POLL}/results"])
def test_every_poll_and_results_page_announces_its_oembed_early_in_its_head(client, path):
    page = client.get(path).get_data(as_text=True)
    head = page[: page.index("</head>")]
    links = re.findall(r'<link rel="alternate" type="application/json\+oembed" href="([^"]+)"', head)
    assert len(links) == 1
    assert head.index("json+oembed") < 1000
    href = links[0].replace("&amp;", "&")
    query = parse_qs(urlsplit(href).query)
    assert query["format"] == ["json"]
    page_url = PAGE + ("/results" if path.endswith("/results") else "")
    assert query["url"] == [page_url]
    assert client.get(href).get_json()["type"] == "rich"


def test_the_hidden_results_page_announces_it_too(app, client):
    from helpers import set_poll

    set_poll(app, results_visibility="after_close")
    page = client.get(f"/polls/{POLL}/results").get_data(as_text=True)
    assert "application/json+oembed" in page[: page.index("</head>")]
