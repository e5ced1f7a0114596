"""Sharing: the share block on the results page, after a ballot and in the
embed's answer, its sites' links made on the server with proper URL encoding,
and no script from any other site."""

from __future__ import annotations

import html
import re
from typing import NamedTuple
from urllib.parse import parse_qs, urlsplit

import pytest
from pollapp.web.sharing import share_links

from helpers import POLL, csrf_token, set_poll, vote

RESULTS = f"/polls/{POLL}/results"
SITES = ["X", "Facebook", "Reddit", "WhatsApp", "LINE"]


def share_block(page: str) -> str:
    match = re.search(r'<section class="share".*?</section>', page, re.S)
    assert match, "the page has no share block"
    return match.group(0)


def site_links(block: str) -> dict[str, str]:
    """Each site's share address in the block, by the site its link names."""
    found = re.findall(r'<li><a href="([^"]+)"[^>]*>([^<]+)<span', block)
    named = {
        next(site for site in SITES if re.search(rf"(?<![A-Za-z]){site}(?![A-Za-z])", name)): href
        for href, name in found
    }
    return {site: html.unescape(href) for site, href in named.items()}


def query(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(href).query)


# ---------------------------------------------------------------- the links


class Encoded(NamedTuple):
    name: str
    url: str
    text: str


ENCODED = [
    Encoded("a plain address", "https://poll.example/polls/a", "Rank them"),
    Encoded("a query, an ampersand and a hash", "https://poll.example/polls/a?lang=ko&x=1#top", "A & B #1?"),
    Encoded("Korean and a plus sign", "https://poll.example/polls/별", "별에서 온 그대 + 피노키오"),
]


@pytest.mark.parametrize("case", ENCODED, ids=[case.name for case in ENCODED])
def test_each_sites_link_carries_the_address_and_the_words_whole(case):
    links = {link.site: link.href for link in share_links(case.url, case.text)}
    assert list(links) == SITES
    assert query(links["X"]) == {"text": [case.text], "url": [case.url]}
    assert query(links["Facebook"]) == {"u": [case.url]}
    assert query(links["Reddit"]) == {"url": [case.url], "title": [case.text]}
    assert query(links["WhatsApp"]) == {"text": [f"{case.text} {case.url}"]}
    assert query(links["LINE"]) == {"url": [case.url], "text": [case.text]}
    for href in links.values():
        assert " " not in href and "+" not in urlsplit(href).query
        assert urlsplit(href).scheme == "https" and not urlsplit(href).fragment


def test_the_sites_are_the_ones_they_say():
    hosts = {link.site: urlsplit(link.href).netloc for link in share_links("https://p.example/", "t")}
    assert hosts == {
        "X": "x.com",
        "Facebook": "www.facebook.com",
        "Reddit": "www.reddit.com",
        "WhatsApp": "wa.me",
        "LINE": "social-plugins.line.me",
    }


# ---------------------------------------------------------------- the pages


def test_the_results_page_shares_the_poll_with_plain_links_and_no_other_sites_script(client, keys):
    assert vote(client, keys[:3]).status_code == 201
    page = client.get(RESULTS).get_data(as_text=True)
    block = share_block(page)
    poll_url = f"http://localhost/polls/{POLL}?lang=en"
    assert f'value="{poll_url}"' in block and "readonly" in block
    assert '<label for="share-url">' in block
    links = site_links(block)
    assert list(links) == SITES
    assert query(links["Facebook"]) == {"u": [poll_url]}
    assert all(
        'target="_blank" rel="noopener noreferrer nofollow"' in line for line in block.split("<li>")[1:]
    )
    # Every script on the page is the site's own.
    assert re.findall(r"<script[^>]*src=\"([^\"]+)\"", page)
    assert all(src.startswith("/static/") for src in re.findall(r"<script[^>]*src=\"([^\"]+)\"", page))
    assert "/static/share.js" in block


def test_the_poll_page_shares_only_after_the_reader_has_voted(client, keys):
    assert "data-share" not in client.get(f"/polls/{POLL}").get_data(as_text=True)
    assert vote(client, keys[:2]).status_code == 201
    assert site_links(share_block(client.get(f"/polls/{POLL}").get_data(as_text=True)))


def test_a_poll_that_shows_results_after_closing_is_shared_from_its_page(app, client, keys):
    set_poll(app, results_visibility="after_close")
    response = client.post(
        f"/polls/{POLL}", data={"rank_1": keys[0], "csrf_token": csrf_token(client)}, follow_redirects=True
    )
    assert response.request.path == f"/polls/{POLL}"
    assert site_links(share_block(response.get_data(as_text=True)))


def test_the_embeds_answer_to_a_ballot_carries_the_share_block(client, keys):
    answer = client.post(
        f"/polls/{POLL}/embed/ballots",
        json={"ranking": keys[:2]},
        headers={"Origin": "null", "Idempotency-Key": "0123456789abcdef", "Accept": "application/json"},
    )
    assert answer.status_code == 201
    block = share_block(answer.get_json()["html"])
    assert f"http://localhost/polls/{POLL}?lang=en" in block
    assert list(site_links(block)) == SITES
    # Before a ballot the frame shows no share block.
    assert "data-share" not in client.get(f"/polls/{POLL}/embed").get_data(as_text=True)


def test_the_share_block_speaks_korean(client, keys):
    assert vote(client, keys[:1]).status_code == 201
    block = share_block(client.get(RESULTS + "?lang=ko").get_data(as_text=True))
    assert "링크 복사" in block and "X에 공유" in block
    assert f"http://localhost/polls/{POLL}?lang=ko" in block
    # The words shared go in the reader's language, with the poll's Korean title.
    assert query(site_links(block)["X"])["text"] == [
        "직접 순위를 매겨 보세요: 2014년 가장 로맨틱한 K-드라마 키스신"
    ]


def test_a_hostile_title_is_shared_as_words(app, client, keys):
    set_poll(app, title='"><script>alert(1)</script>')
    assert vote(client, keys[:1]).status_code == 201
    block = share_block(client.get(RESULTS).get_data(as_text=True))
    assert "<script>alert" not in block
    assert query(site_links(block)["X"])["text"] == ['Rank them yourself: "><script>alert(1)</script>']
