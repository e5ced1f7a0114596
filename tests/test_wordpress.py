"""The poll in a post of a real WordPress (Debian's package, on loopback): the
editor pastes the poll's URL on a line of its own, WordPress discovers the
embed, frames it in its sandbox, shows it at the height it says, and a
reader's ballot cast there counts."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from helpers import POLL
from test_embed_browser import browser, server  # noqa: F401 (its Chromium, and the poll app on 127.0.0.1)
from wordpress import missing, running_wordpress

pytestmark = [pytest.mark.browser, pytest.mark.wordpress]

CLAMP = (200, 1000)  # WordPress keeps a frame's height within these
CONTENT_HEIGHT = "Math.ceil(document.querySelector('[data-embed]').getBoundingClientRect().height)"


@pytest.fixture
def post(server: str) -> Iterator[str]:  # noqa: F811
    reason = missing()
    if reason:
        pytest.skip(reason)
    with running_wordpress(f"{server}/polls/{POLL}") as address:
        yield address


def frame_height(tag: str) -> int:
    found = re.search(r'\sheight="(\d+)"', tag)
    assert found, tag
    return int(found.group(1))


def test_a_reader_votes_in_the_poll_of_a_wordpress_post(browser: Browser, server, post, keys):  # noqa: F811
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    context.set_default_timeout(20_000)
    try:
        page = context.new_page()
        response = page.goto(post)
        assert response is not None and response.ok
        # What WordPress made of the URL: its fallback quote and its sandboxed, hidden frame.
        served = response.text()
        tags = re.findall(r"<iframe[^>]*>", served)
        assert len(tags) == 1, served[:2000]
        tag = tags[0]
        assert 'class="wp-embedded-content"' in tag
        assert 'sandbox="allow-scripts"' in tag
        assert "clip: rect(1px, 1px, 1px, 1px)" in tag
        assert f'src="{server}/polls/{POLL}/embed#?secret=' in tag
        assert 'blockquote class="wp-embedded-content"' in served

        frame = page.locator("iframe.wp-embedded-content")
        # Shown once the frame's height message (with WordPress's secret) arrived.
        expect(frame).not_to_have_attribute("style", re.compile("clip"))
        expect(page.locator("blockquote.wp-embedded-content")).to_be_hidden()
        inner = next(f for f in page.frames if f.url.split("#")[0].endswith(f"/polls/{POLL}/embed"))
        content = inner.evaluate(CONTENT_HEIGHT)
        assert content <= CLAMP[1]  # all of it shows: WordPress need not cut it
        expected = min(max(content, CLAMP[0]), CLAMP[1])
        page.wait_for_function(
            "h => document.querySelector('iframe.wp-embedded-content').height == h", arg=str(expected)
        )
        assert frame.bounding_box()["height"] == pytest.approx(expected, abs=1)
        assert expected != frame_height(tag)

        ui = page.frame_locator("iframe.wp-embedded-content")
        expect(ui.locator(".ranker.is-ready")).to_be_visible()
        ui.locator(f'.pool-item[data-key="{keys[3]}"] button').click()
        ui.locator(f'.pool-item[data-key="{keys[0]}"] button').click()
        ui.get_by_role("button", name="Cast my ballot").click()
        expect(ui.locator("#after-heading")).to_have_text("Thank you! Your ballot is in.")
        # The answer fits too, and WordPress heard of its height.
        answered = inner.evaluate(CONTENT_HEIGHT)
        assert CLAMP[0] <= answered <= CLAMP[1]
        page.wait_for_function(
            "h => document.querySelector('iframe.wp-embedded-content').height == h", arg=str(answered)
        )

        results = context.request.get(f"{server}/api/polls/{POLL}/results").json()
        assert results["ballots"] == 1
        ranked = [entry["key"] for entry in results["entries"] if entry["points"] != "0"]
        assert ranked[:2] == [keys[3], keys[0]]
        # In WordPress's sandbox, Chromium kept the embed's partitioned cookie.
        assert results["sources"]["embed_cookie"] == 1
    finally:
        context.close()
