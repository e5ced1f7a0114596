"""The editors' desk in a real browser: an editor added on the command line
logs in through the form found by its labels, closes the poll from the desk
and logs out; the login page and the desk are axe-clean."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

# The browser, the server and the visits are test_browser's fixtures.
from test_browser import DESKTOP, PHONE, axe_violations, browser, screenshot, server, visit  # noqa: F401

pytestmark = pytest.mark.browser

EMAIL = "editor@example.org"
PASSWORD = "correct horse battery staple"
TITLE = "The most romantic K-drama kisses of 2014"


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_an_editor_logs_in_closes_the_poll_and_logs_out(app, visit, viewport):  # noqa: F811
    added = app.test_cli_runner().invoke(
        args=["editors", "add", EMAIL, "--password-stdin"], input=PASSWORD + "\n"
    )
    assert added.exit_code == 0, added.output
    # axe is added to the page as an inline script, which the CSP refuses.
    context, page, problems = visit(viewport, bypass_csp=True)

    page.goto("/editors/")
    expect(page).to_have_url("/editors/login?next=/editors/")
    expect(page.get_by_role("heading", name="Log in to the editors' desk")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_have_text(
        "That email and password do not match an editor's account."
    )
    assert axe_violations(page) == []  # the page with its error
    # The refusal answers 400 on purpose, and the browser says so; nothing else failed.
    assert problems == [
        "console: Failed to load resource: the server responded with a status of 400 (BAD REQUEST)"
    ]
    problems.clear()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", name="Polls", exact=True)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(f"Logged in as {EMAIL}.")
    poll = page.get_by_role("region", name=TITLE)
    expect(poll.locator(".desk-status")).to_have_text("Open")
    screenshot(page, f"desk-home-{viewport['width']}")
    assert axe_violations(page) == []
    poll.get_by_role("button", name="Close the poll").click()

    expect(page.get_by_role("status")).to_contain_text(f"“{TITLE}” is closed")
    expect(poll.locator(".desk-status")).to_have_text("Closed")
    expect(poll.get_by_role("button", name="Open the poll")).to_be_visible()
    reader = context.browser.new_context(base_url=page.url.split("/editors/")[0])
    reader_page = reader.new_page()
    reader_page.goto("/polls/kdrama-kisses-2014")
    expect(reader_page.get_by_text("This poll is closed", exact=False).first).to_be_visible()
    reader.close()
    assert axe_violations(page) == []

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in to the editors' desk")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("You are logged out.")
    # Let the page finish (its icon too) before leaving it, so nothing is cut off on the way.
    page.wait_for_load_state("networkidle")
    page.goto("/editors/")
    expect(page).to_have_url("/editors/login?next=/editors/")
    assert problems == []
