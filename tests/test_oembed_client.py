"""The oEmbed discovery and answer as a consumer nobody here wrote reads them:
pyoembed (from PyPI) finds the endpoint from the page's
``<link rel="alternate" type="application/json+oembed">`` on a real server,
asks it, and checks the fields it requires; the answer is then held to the
oEmbed 1.0 specification's rules for a rich response."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any, NamedTuple

import pytest
import requests
from flask import Flask
from pyoembed import oEmbed
from pyoembed.exceptions import PyOembedException
from werkzeug.serving import make_server

from helpers import POLL

THUMBNAIL = ("thumbnail_url", "thumbnail_width", "thumbnail_height")


@pytest.fixture
def server(app: Flask) -> Iterator[str]:
    """The poll app on a loopback port, in a thread."""
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}"
    http.shutdown()
    thread.join()
    http.server_close()


class Frames(HTMLParser):
    """The tags of an oEmbed answer's html, each with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def check_rich_answer(data: dict[str, Any], maxwidth: int, maxheight: int) -> None:
    """What oEmbed 1.0 asks of a rich response (section 2.3.4 and 2.3.2)."""
    assert data["type"] == "rich"
    assert data["version"] == "1.0"
    for field in ("html", "width", "height"):
        assert field in data, field
    assert isinstance(data["width"], int) and 0 < data["width"] <= maxwidth
    assert isinstance(data["height"], int) and 0 < data["height"] <= maxheight
    # The thumbnail's three fields come together or not at all, within the maxima too.
    present = [field in data for field in THUMBNAIL]
    assert all(present) or not any(present)
    if all(present):
        assert data["thumbnail_url"].startswith("http")
        assert 0 < data["thumbnail_width"] <= maxwidth and 0 < data["thumbnail_height"] <= maxheight
    if "cache_age" in data:
        assert int(data["cache_age"]) >= 0
    frames = Frames()
    frames.feed(data["html"])
    tags = [tag for tag, _ in frames.tags]
    assert "blockquote" in tags and "iframe" in tags
    (iframe,) = [attributes for tag, attributes in frames.tags if tag == "iframe"]
    assert iframe["src"] and iframe["src"].split("#")[0].endswith(f"/polls/{POLL}/embed")
    assert int(iframe["width"] or 0) <= maxwidth and int(iframe["height"] or 0) <= maxheight


class Page(NamedTuple):
    name: str
    path: str


PAGES = [Page("the poll page", f"/polls/{POLL}"), Page("the results page", f"/polls/{POLL}/results")]


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_pyoembed_discovers_the_endpoint_and_gets_a_rich_answer(server, page):
    data = oEmbed(f"{server}{page.path}", maxwidth=500, maxheight=750)
    check_rich_answer(data, 500, 750)
    assert data["provider_url"].rstrip("/") == server
    assert data["title"]


def test_the_answer_follows_a_smaller_frame(server):
    data = oEmbed(f"{server}/polls/{POLL}", maxwidth=320, maxheight=400)
    check_rich_answer(data, 320, 400)


def test_a_page_that_is_not_a_poll_offers_nothing_to_discover(server):
    assert requests.get(f"{server}/editors/login", timeout=10).ok
    with pytest.raises(PyOembedException, match="No oEmbed url found"):
        oEmbed(f"{server}/editors/login")
