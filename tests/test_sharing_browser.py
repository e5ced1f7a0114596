"""The share block in a real browser: the copy button puts the poll's address
on the clipboard and says so, the block is accessible, and the embed's answer
to a ballot brings its share block working."""

from __future__ import annotations

from playwright.sync_api import expect

from helpers import POLL
from test_browser import DESKTOP, axe_violations, browser, server, visit  # noqa: F401
from test_sharing import SITES

RESULTS = f"/polls/{POLL}/results"


def test_copy_link_puts_the_polls_address_on_the_clipboard(visit, server, keys):  # noqa: F811
    context, page, problems = visit(
        DESKTOP, bypass_csp=True, permissions=["clipboard-read", "clipboard-write"]
    )
    context.request.post(f"/api/polls/{POLL}/ballots", data={"ranking": keys[:2]})
    page.goto(RESULTS)
    share = page.locator("[data-share]")
    for site in SITES:
        expect(share.get_by_role("link", name=f"Share on {site} (opens in a new tab)")).to_be_visible()
    share.get_by_role("button", name="Copy link").click()
    expect(share.get_by_role("status")).to_have_text("Link copied.")
    assert page.evaluate("navigator.clipboard.readText()") == f"{server}/polls/{POLL}?lang=en"
    assert axe_violations(page) == []
    assert problems == []


def test_the_embeds_answer_brings_a_working_share_block(visit, server, keys):  # noqa: F811
    context, page, problems = visit(DESKTOP, permissions=["clipboard-read", "clipboard-write"])
    page.goto(f"/polls/{POLL}/embed")
    expect(page.locator(".ranker.is-ready")).to_be_visible()
    page.locator(f'.pool-item[data-key="{keys[0]}"] button').click()
    page.get_by_role("button", name="Cast my ballot").click()
    share = page.locator(".embed-after [data-share]")
    expect(share).to_be_visible()
    share.get_by_role("button", name="Copy link").click()
    expect(share.get_by_role("status")).to_have_text("Link copied.")
    # The embed's page names no icon, so the browser's own guess at one is not the page's failure.
    assert [p for p in problems if "favicon.ico" not in p and "Failed to load resource" not in p] == []


def test_share_my_ranking_publishes_the_picks_and_takes_them_down(visit, server, keys):  # noqa: F811
    context, page, problems = visit(DESKTOP, bypass_csp=True)  # axe's script runs inline
    context.request.post(f"/api/polls/{POLL}/ballots", data={"ranking": [keys[3], keys[1]]})
    page.goto(RESULTS)
    page.get_by_role("button", name="Share my ranking").click()
    page.wait_for_url(f"{server}/shared/**")
    assert page.url.startswith(f"{server}/shared/")
    expect(page.locator(".flash-success")).to_contain_text("Your ranking is public")
    picks = page.get_by_role("region", name="Their picks").get_by_role("listitem")
    expect(picks).to_have_count(2)
    expect(picks.first).to_contain_text("Waterfall")
    assert axe_violations(page) == []
    shared = page.url
    # Someone else with the link sees the picks, and no button to take them down.
    _, other, other_problems = visit(DESKTOP)
    other.goto(shared)
    expect(other.get_by_role("region", name="Their picks").get_by_role("listitem")).to_have_count(2)
    expect(other.get_by_role("button", name="Take down my shared ranking")).to_have_count(0)
    page.get_by_role("button", name="Take down my shared ranking").click()
    expect(page.locator(".flash-success")).to_contain_text("no longer shared")
    assert other.goto(shared).status == 410
    expect(other.get_by_role("main")).to_contain_text("took it down")
    # The browser reports the page's own 410 as a failed load; nothing else may fail.
    assert problems == [] and [p for p in other_problems if "status of 410" not in p] == []
